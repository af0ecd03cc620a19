"""`python -m pyucore ...` is the `pyucore` command."""

import sys

from pyucore.tools.cli import main

sys.exit(main())
