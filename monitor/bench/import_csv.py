"""CSV import throughput on the file shapes users have, 20,000 to 1,000,000 rows, each as a
ratio to the bare floor measured in the same run: a ``python -c`` script that reads the same
file with ``csv``, turns each time into an instant and ``executemany``-s the rows into SQLite
(``monitor.bench.commands``). Both are whole commands, interpreter start-up included, each
in its own process, with its own peak memory.

The shapes:

- ``iso``: ISO 8601 times with a UTC offset (+02:00), random plausible values;
- ``local``: local times without an offset (``2024-05-01 08:00:00``), read in this
  computer's zone;
- ``comma``: semicolon-separated with decimal commas (``36,5``), as a German or French
  Excel saves it;
- ``wide``: a monitor export of 40 columns, of which the app charts six (the rest are
  invasive pressures, temperatures, ST segments, … left out with a notice);
- ``storm``: values that alarm at every other reading, the worst case of the alerts an
  import records with its rows (20,000 and 200,000 rows).

Values are random around a settled patient's baseline (``rows``), except in the storm.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from .commands import FLOORS, Run, app_import, run_command, warm_up
from .report import Figure

SIZES = (20_000, 200_000, 1_000_000)
QUICK_SIZES = (20_000,)
TARGET_RATIO = 0.5
MEMORY_TARGET_MB = 200.0
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
_PLUS_TWO = timezone(timedelta(hours=2))

#: Columns of the wide export that are not charted (the app names each in a notice).
_WIDE_EXTRA = ["ART_SYS", "ART_DIA", "ART_MEAN", "CVP", "PAP_SYS", "PAP_DIA", "ICP", "T1",
               "T2", "TBLOOD", "ETCO2", "FICO2", "AWRR", "ST_I", "ST_II", "ST_III", "ST_AVR",
               "ST_AVL", "ST_AVF", "ST_V", "PVC", "PERF", "BIS", "SQI", "EMG", "SEF", "TOF",
               "SVV", "PPV", "CO", "CI", "SVR", "SCVO2", "TEMP_ESO"]


def rows(n: int, seed: int = 7) -> Iterator[tuple[datetime, int, int, int, int, int]]:
    """Time and random values (SBP, DBP, HR, RR, SpO2), one reading every 5 s: a settled
    patient's values scattered around their own baseline, so that an alert is as rare as in
    a real recovery (a few per thousand readings)."""
    gauss = random.Random(seed).gauss
    for i in range(n):
        sbp = round(gauss(122, 8))
        yield (T0 + timedelta(seconds=5 * i), sbp, round(gauss(76, 5)), round(gauss(74, 6)),
               round(gauss(14, 1.5)), min(100, round(gauss(97.5, 0.9))))


def storm_rows(n: int, seed: int = 11) -> Iterator[tuple[datetime, int, int, int, int, int]]:
    """Values drawn across the whole plausible-but-abnormal range: about every other
    reading alarms, and each alert is raised, latched, returned and resolved in turn (three
    alert events per reading), the worst case of what the import records with the rows."""
    pick = random.Random(seed).randint
    for i in range(n):
        sbp = pick(90, 180)
        yield (T0 + timedelta(seconds=5 * i), sbp, pick(45, sbp - 20), pick(45, 140),
               pick(8, 30), pick(88, 100))


Row = tuple[datetime, int, int, int, int, int]


def _writer(header: str, line: Callable[[Row], str],
            values: Callable[[int], Iterator[Row]] = rows) -> Callable[[Path, int], None]:
    """A function writing ``n`` rows of ``values`` under ``header``, one ``line`` each."""
    def write(path: Path, n: int) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(header)
            out.writelines(map(line, values(n)))
    return write


_WIDE_FILLER = ",".join(["12.5"] * len(_WIDE_EXTRA))
_write_iso = _writer("time,SBP,DBP,HR,RR,SpO2\n", lambda r: (
    f"{r[0].astimezone(_PLUS_TWO).isoformat()},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}\n"))
_write_local = _writer("time,SBP,DBP,HR,RR,SpO2\n", lambda r: (
    f"{r[0]:%Y-%m-%d %H:%M:%S},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}\n"))
_write_comma = _writer("time;SBP;DBP;HR;RR;SpO2\n", lambda r: (
    f"{r[0].isoformat()};{r[1]},5;{r[2]},0;{r[3]};{r[4]};{min(r[5], 99)},5\n"))
_write_storm = _writer("time,SBP,DBP,HR,RR,SpO2\n", lambda r: (
    f"{r[0].isoformat()},{r[1]},{r[2]},{r[3]},{r[4]},{r[5]}\n"), storm_rows)
_write_wide = _writer("time,HR,SpO2,NIBP_SYS,NIBP_DIA,RR," + ",".join(_WIDE_EXTRA) + "\n",
                      lambda r: (f"{r[0].isoformat()},{r[3]},{r[5]},{r[1]},{r[2]},{r[4]},"
                                 f"{_WIDE_FILLER}\n"))


#: shape -> (writer, floor script key, what it is)
SHAPES: dict[str, tuple[Callable[[Path, int], None], str, str]] = {
    "iso": (_write_iso, "csv", "ISO times +02:00, random values"),
    "local": (_write_local, "csv", "local times, no offset"),
    "comma": (_write_comma, "csv", "semicolons, decimal commas"),
    "wide": (_write_wide, "csv", "40-column monitor export"),
    "storm": (_write_storm, "csv", "alarming at every other reading"),
}
#: The alert storm is measured up to this size (a million rows takes minutes).
STORM_SIZES = (20_000, 200_000)


def throughput_figures(name: str, n: int, app: Run, floor: Run,
                       counted: str = "rows") -> list[Figure]:
    """The two figures of one import measured next to its floor: throughput against the
    ratio target, and peak memory against the memory target."""
    return [
        Figure(name, n / app.seconds, n / floor.seconds, "rows/s", lower_is_better=False,
               target=f">= {TARGET_RATIO:g}x floor",
               met=floor.seconds / app.seconds >= TARGET_RATIO),
        Figure(f"  peak memory (max RSS), {n:,} {counted}", app.peak_mb, floor.peak_mb, "MB",
               target=f"< {MEMORY_TARGET_MB:g} MB", met=app.peak_mb < MEMORY_TARGET_MB),
    ]


def measure_file(label: str, path: Path, n: int, floor_script: str, folder: Path,
                 *extra: str, counted: str = "rows") -> list[Figure]:
    """The floor script and ``main.py import`` (with ``extra`` options) on the file ``path``
    holds, each a whole command; the file is deleted after. ``label`` names the format in
    the figures and in the error raised when either side fails."""
    size_mb = path.stat().st_size / 1e6
    floor = run_command([sys.executable, "-c", floor_script, str(path),
                         str(folder / f"floor-{n}.sqlite")])
    app = run_command(app_import(path, folder / f"app-{n}.sqlite", *extra))
    path.unlink()
    for done, what in ((floor, "floor"), (app, "import")):
        if done.status != 0:
            raise RuntimeError(f"{label} {what} failed ({done.status}): {done.stderr[-2000:]}")
    return throughput_figures(f"{label}, {n:,} {counted}, {size_mb:.0f} MB", n, app, floor,
                              counted)


def _check(run: Run, what: str) -> None:
    # A bench that measured a failure would print a meaningless ratio.
    if run.status not in (0, 1):  # 1: rows rejected, which these files have none of
        raise RuntimeError(f"{what} failed (status {run.status}): {run.stderr[-2000:]}")
    if "rejected:" in run.stderr:
        raise RuntimeError(f"{what} rejected rows: {run.stderr[-2000:]}")


def measure_shape(shape: str, n: int, folder: Path) -> list[Figure]:
    """Throughput and peak memory of importing ``n`` rows of ``shape``, next to the floor."""
    write, floor, label = SHAPES[shape]
    path = folder / f"{shape}-{n}.csv"
    write(path, n)
    size_mb = path.stat().st_size / 1e6
    base = run_command([sys.executable, "-c", FLOORS[floor], str(path),
                        str(folder / f"floor-{shape}-{n}.sqlite")])
    _check(base, f"floor for {shape}")
    app = run_command(app_import(path, folder / f"app-{shape}-{n}.sqlite"))
    _check(app, f"import of {shape}")
    path.unlink()
    return throughput_figures(f"CSV {shape} ({label}), {n:,} rows, {size_mb:.0f} MB", n,
                              app, base)


def run(quick: bool = False) -> Iterator[Figure]:
    """Every shape at every size (quick: 20,000 rows only), each figure as it is measured."""
    with tempfile.TemporaryDirectory(prefix="monitor-bench-import-") as folder:
        warm_up(Path(folder))
        for n in QUICK_SIZES if quick else SIZES:
            for shape in SHAPES:
                if shape != "storm" or n in STORM_SIZES:
                    yield from measure_shape(shape, n, Path(folder))


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure.line(), flush=True)
