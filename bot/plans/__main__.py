"""Run the plan client's command line: `python -m bot.plans --help`."""

import sys

from .cli import main

sys.exit(main())
