"""Discord's limits, in one place: every reply module cuts and counts against these.

From https://discord.com/developers/docs/resources/message#embed-object-embed-limits
and the application command docs (choices and their names).
"""

from __future__ import annotations

from typing import Final

TITLE_LIMIT: Final = 256
DESCRIPTION_LIMIT: Final = 4096
FIELD_NAME_LIMIT: Final = 256
FIELD_VALUE_LIMIT: Final = 1024
FIELD_COUNT_LIMIT: Final = 25
FOOTER_LIMIT: Final = 2048
EMBED_TOTAL_LIMIT: Final = 6000
EMBEDS_PER_MESSAGE_LIMIT: Final = 10
CONTENT_LIMIT: Final = 2000
CHOICE_LIMIT: Final = 25
CHOICE_NAME_LIMIT: Final = 100
#: A link target longer than this is not a link.
URL_LIMIT: Final = 2048
