"""``python -m monitor.bench [--quick] [NAME ...]``: run the registered benchmarks.

Each benchmark is a module with ``run(quick: bool) -> list[Figure]``; add a line to
``BENCHMARKS`` to register one. ``--quick`` runs smaller sizes (seconds, not minutes)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: name -> module with run(quick) -> list[Figure]
BENCHMARKS: dict[str, str] = {
    "import": "monitor.bench.imports",
    "chart": "monitor.bench.chart",
    "browse": "monitor.bench.browse",
    "session": "monitor.bench.session_open",
    "mllp": "monitor.bench.mllp_feed",
    "hostile": "monitor.bench.hostile",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitor.bench",
                                     description="Run benchmarks against bare baselines.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default all: {', '.join(BENCHMARKS)})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(BENCHMARKS[name])
        print(f"== {name}", flush=True)
        for figure in module.run(quick=args.quick):
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
