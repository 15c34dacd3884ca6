"""Import throughput: a generated CSV of 1,000,000 readings through the app's importer, next to
a raw ``sqlite3`` ``executemany`` of the same rows, measured in the same run.

Each measurement runs in its own process so its peak memory (max RSS) is its own. Three
figures: the whole import (stream-parse, in a second process for a file this big, route,
dedup, bulk insert, one transaction), the store's write path alone (fed the blocks of rows
the CSV parser gives it; the time spent building them, the parser's share, is not counted),
and the peak memory of the whole import, both processes."""

from __future__ import annotations

import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .report import Figure

FULL_ROWS = 1_000_000
QUICK_ROWS = 50_000
TARGET_RATIO = 0.25  # at least a quarter of the raw rate
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def rows(n: int) -> Iterator[tuple[str, int, int, int, int, int]]:
    """The readings both sides write: one per second, plausible values."""
    for i in range(n):
        yield ((T0 + timedelta(seconds=i)).isoformat(), 100 + i % 50, 60 + i % 20,
               60 + i % 40, 12 + i % 8, 94 + i % 6)


def write_csv(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("time,SBP,DBP,HR,RR,SpO2\n")
        out.writelines(f"{t},{s},{d},{h},{r},{o}\n" for t, s, d, h, r, o in rows(n))


def _max_rss_mb() -> float:
    """Peak memory of this process plus that of the largest process it started and waited
    for (the importer reads a big file in a second process): an upper bound of the two."""
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    peak = sum(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return peak * scale / 1e6


def _raw(db: str, n: int) -> tuple[float, float]:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE readings (id INTEGER PRIMARY KEY, taken_at TEXT, taken_ts REAL, "
                 "sbp REAL, dbp REAL, hr REAL, rr REAL, spo2 REAL)")
    start = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO readings (taken_at, taken_ts, sbp, dbp, hr, rr, spo2) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((t, datetime.fromisoformat(t).timestamp(), s, d, h, r, o)
             for t, s, d, h, r, o in rows(n)))
    seconds = time.perf_counter() - start
    conn.close()
    return seconds, _max_rss_mb()


def _app_import(db: str, csv_path: str, n: int) -> tuple[float, float]:
    from ..app.importing import ImportOptions, import_file
    from ..store import Store
    from ..store.imports import ImportTarget

    with Store.open(db) as store:
        start = time.perf_counter()
        report = import_file(store, Path(csv_path),
                             ImportOptions(target=ImportTarget(patient_id="BENCH")))
        seconds = time.perf_counter() - start
    assert report.new == n, report.summary()
    return seconds, _max_rss_mb()


def _store_only(db: str, n: int) -> tuple[float, float]:
    from ..domain.reading_blocks import ReadingBlock
    from ..domain.readings import Source
    from ..domain.vitals import derive_map
    from ..io.parsed import source_detail
    from ..store import Store
    from ..store.imports import ImportTarget

    target = ImportTarget(patient_id="BENCH")
    building = [0.0]  # time spent making the blocks, which is the parser's share

    def batches() -> Iterator[list]:
        # The blocks the CSV parser hands the store for plain rows (see ReadingBlock).
        began = time.perf_counter()
        block = ReadingBlock(Source.IMPORT, source_detail("readings.csv", "csv"))
        for line, (t, s, d, h, r, o) in enumerate(rows(n), start=2):
            moment = datetime.fromisoformat(t)
            block.rows.append((line, moment.isoformat(), moment.timestamp(),
                               (float(s), float(d), derive_map(s, d), float(h), float(r),
                                float(o)), True))
            if len(block) == 2000:
                building[0] += time.perf_counter() - began
                yield [(target, block)]
                block = ReadingBlock(block.source, block.source_detail)
                began = time.perf_counter()
        if block:
            building[0] += time.perf_counter() - began
            yield [(target, block)]

    with Store.open(db) as store:
        start = time.perf_counter()
        totals = store.commit_import(batches())
        seconds = time.perf_counter() - start - building[0]
    assert totals.imported == n
    return seconds, _max_rss_mb()


def _run_and_send(pipe, function, args: tuple[object, ...]) -> None:  # noqa: ANN001
    try:
        pipe.send(function(*args))
    except BaseException as error:  # noqa: BLE001 (raised again by the caller)
        pipe.send(error)


def _measure(function, *args: object) -> tuple[float, float]:
    """Run ``function`` in a fresh process: (seconds, peak memory in MB). Not a Pool worker:
    those are daemonic and may not start the importer's reading process."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=False)
    worker = context.Process(target=_run_and_send, args=(theirs, function, args))
    worker.start()
    theirs.close()
    try:
        result = mine.recv()
    finally:
        worker.join()
    if isinstance(result, BaseException):
        raise result
    return result


def run(quick: bool = False) -> list[Figure]:
    """Throughput of the app's import and of its store write path against raw executemany."""
    n = QUICK_ROWS if quick else FULL_ROWS
    with tempfile.TemporaryDirectory(prefix="monitor-bench-import-") as folder:
        base = Path(folder)
        csv_path = base / "readings.csv"
        write_csv(csv_path, n)
        raw_s, raw_mb = _measure(_raw, str(base / "raw.sqlite"), n)
        app_s, app_mb = _measure(_app_import, str(base / "app.sqlite"), str(csv_path), n)
        store_s, _ = _measure(_store_only, str(base / "store.sqlite"), n)
        size_mb = csv_path.stat().st_size / 1e6
    raw_rate = n / raw_s
    figures = []
    for name, seconds in ((f"import {n:,}-row CSV ({size_mb:.0f} MB), whole app path",
                           app_s),
                          ("store write path only (dedup, bulk insert, commit)", store_s)):
        rate = n / seconds
        figures.append(Figure(name, rate, raw_rate, "rows/s", lower_is_better=False,
                              target=f">= {TARGET_RATIO:g}x raw executemany",
                              met=rate / raw_rate >= TARGET_RATIO))
    figures.append(Figure("peak memory (max RSS) of the whole import, both processes",
                          app_mb, raw_mb,
                          "MB", target="bounded (does not grow with the file)"))
    return figures


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure.line())
