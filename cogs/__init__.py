"""Discord extensions; each module with a `setup(bot)` is loaded by `bot.app.EXTENSIONS`."""
