"""Excel import throughput: a workbook whose first sheet holds a time (a date-time cell) and
SBP, DBP, HR, RR, SpO2, 20,000 to 1,000,000 rows (Excel's own limit is 1,048,576), through
``main.py import``, next to the floor measured in the same run: a ``python -c`` script that
reads the sheet with ``openpyxl`` in read-only mode (``values_only``) and ``executemany``-s the
rows into SQLite. Both are whole commands (start-up included), each with its own peak memory.

The app first passes over the sheet's XML once (row sizes, and formulas without a saved
result, which it then reads the sheet a second time to name) before reading it as the floor
does."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from .commands import FLOOR_TABLE, warm_up
from .import_csv import QUICK_SIZES, SIZES, measure_file, rows
from .report import Figure

FLOOR = FLOOR_TABLE + """
import openpyxl
def rows():
    book = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
    for when, *values in book.worksheets[0].iter_rows(min_row=2, values_only=True):
        yield (when.isoformat(), when.timestamp(), *values[:5])
    book.close()
with conn:
    conn.executemany(INSERT, rows())
"""


def write_workbook(path: Path, n: int) -> None:
    """A workbook of ``n`` rows (times without a zone, as Excel keeps them), streamed."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Vitals")
    sheet.append(["time", "SBP", "DBP", "HR", "RR", "SpO2"])
    for when, *values in rows(n):
        sheet.append([when.replace(tzinfo=None), *values])
    book.save(path)


def run(quick: bool = False) -> Iterator[Figure]:
    """Throughput and peak memory at each size (quick: 20,000 rows)."""
    with tempfile.TemporaryDirectory(prefix="monitor-bench-xlsx-") as folder:
        base = Path(folder)
        warm_up(base)
        for n in QUICK_SIZES if quick else SIZES:
            path = base / f"sheet-{n}.xlsx"
            write_workbook(path, n)
            yield from measure_file("XLSX sheet", path, n, FLOOR, base, "--tz", "UTC")
