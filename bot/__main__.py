"""`python -m bot` is the `zjtx` command."""

import sys

from bot.cli import main

sys.exit(main())
