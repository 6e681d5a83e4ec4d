"""The bundle's entry point (installer/guopei-desk.spec): the `guopei-desk` command."""

import sys

from desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
