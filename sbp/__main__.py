"""Entry point for `python -m sbp`."""

import sys

from sbp.cli import main

sys.exit(main())
