"""`python -m bench SUITE`: run one benchmark suite."""

import sys

from bench.ingest import main

sys.exit(main())
