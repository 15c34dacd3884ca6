"""The hostile-input corpus at full size: each case of ``tests/hostile`` written at scale 1
(a 100 MB line, ten million header columns, ...) and imported with ``main.py import`` as a
user would, timed with its peak memory. The suite checks each case's message, exit status
and what was saved at a small scale; here is where the bounds on time and memory are
measured. The baseline of each case is ``python -c pass``: the bare cost of a process."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .commands import ROOT, app_import, run_command, warm_up
from .report import Figure

#: A hostile file is answered within this many seconds, in this much memory.
SECONDS_TARGET = 10.0
MEMORY_TARGET_MB = 200.0


def _cases() -> list:
    sys.path.insert(0, str(ROOT))  # the corpus lives with the tests, not in the package
    from tests.hostile.test_hostile import all_cases

    return all_cases()


def run(quick: bool = False) -> Iterator[Figure]:
    """Time and peak memory of each hostile case (quick: the small cases only)."""
    bare = run_command([sys.executable, "-c", "pass"])
    with tempfile.TemporaryDirectory(prefix="monitor-bench-hostile-") as folder:
        base = Path(folder)
        warm_up(base)
        for case in _cases():
            if quick and case.big:
                continue
            work = base / case.name
            work.mkdir()
            path = case.make(work, 1.0)
            done = run_command(app_import(path, work / "m.sqlite", *case.options))
            size = path.stat().st_size / 1e6
            path.unlink()
            label = f"{case.name} ({size:,.1f} MB), exit {done.status}"
            yield Figure(label, done.seconds, bare.seconds, "s",
                         target=f"< {SECONDS_TARGET:g} s",
                         met=done.seconds < SECONDS_TARGET and done.status == case.status)
            yield Figure(f"  peak memory, {case.name}", done.peak_mb, bare.peak_mb, "MB",
                         target=f"< {MEMORY_TARGET_MB:g} MB",
                         met=done.peak_mb < MEMORY_TARGET_MB)


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure.line(), flush=True)
