"""Coach Plans bot: the Discord bot (`bot.app`) and the plan client library (`bot.plans`).

Kept empty so `import bot.plans` stays free of discord.py.
"""
