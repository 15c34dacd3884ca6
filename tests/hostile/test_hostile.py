"""Every hostile case through the command a user runs: the message names what is wrong and
where, the exit status is the documented one, and nothing (or exactly what is valid) is
saved. Big cases are written at a small scale here; the bench runs them at full size and
prints their time and peak memory."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from main import main
from monitor.store import Store

from . import case as case_module
from .case import HostileCase

#: Scale of the big cases in the suite: large enough to cross every limit, small enough to
#: write in well under a second.
TEST_SCALE = 0.02


def all_cases() -> list[HostileCase]:
    """The cases of every ``cases_*`` module in this package."""
    found: list[HostileCase] = []
    package = Path(case_module.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        if info.name.startswith("cases_"):
            found.extend(importlib.import_module(f"tests.hostile.{info.name}").CASES)
    return found


CASES = [c for c in all_cases() if not c.bench_only]


def _saved(db: Path) -> int:
    if not db.exists():
        return 0
    with Store.open(db) as store:
        return sum(listing.readings for listing in store.session_listings())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_gets_a_clear_answer(case: HostileCase, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = case.make(tmp_path, TEST_SCALE if case.big else 1.0)
    db = tmp_path / "monitor.sqlite"
    status = main(["import", str(path), "--db", str(db), "--patient", "P-HOSTILE",
                   *case.options])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    for message in case.messages:
        assert message in out.err + out.out, out.err[-2000:]
    assert status == case.status
    assert _saved(db) == case.saved


def test_the_bench_times_a_case_as_a_whole_command(monkeypatch, capsys) -> None:
    from monitor.bench import __main__ as bench
    from monitor.bench import hostile

    empty = next(c for c in CASES if c.name == "csv-empty")
    monkeypatch.setattr(hostile, "_cases", lambda: [empty])
    assert bench.main(["--quick", "hostile"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "== hostile"
    assert lines[1].startswith("csv-empty (0.0 MB), exit 1") and "target < 10 s MET" in lines[1]
    assert lines[2].startswith("  peak memory, csv-empty") and "MB" in lines[2]
