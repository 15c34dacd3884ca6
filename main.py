"""Infusion Recovery Monitor. Run ``python main.py --help``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from monitor import cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app (or a command) with ``argv``; returns the exit status."""
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
