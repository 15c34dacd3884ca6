"""Hostile and unlucky CSV/TSV files: oversized pieces, broken encodings, odd times and
values. Each names what is wrong and where, and saves nothing unless the file is valid."""

from __future__ import annotations

import random
from pathlib import Path

from .case import HostileCase, bytes_file, text_file

HEADER = "time,SBP,DBP,HR,note\n"
ROW = "2024-05-01T10:00:00+02:00,120,80,70,\n"
REFUSED = "the file is refused and nothing was imported"


def _one_line_no_newline(path: Path, scale: float) -> None:
    # 100 MB at full size: the header never ends.
    size = int(100 * 1024 * 1024 * scale)
    chunk = b",x" * 32768
    with path.open("wb") as out:
        out.write(b"time,SBP,DBP")
        for _ in range(max(1, size // len(chunk))):
            out.write(chunk)


def _ten_million_columns(path: Path, scale: float) -> None:
    # 10 million header columns at full size (a 70 MB line); 200,000 in the suite.
    columns = int(10_000_000 * scale)
    with path.open("w", encoding="utf-8") as out:
        out.write("time,SBP,DBP")
        block = "".join(f",c{n}" for n in range(1000))
        for _ in range(max(1, columns // 1000)):
            out.write(block)
        out.write("\n" + ROW)


def _wide_header(path: Path, scale: float) -> None:
    path.write_text("time,SBP,DBP," + ",".join(f"extra{n}" for n in range(2500)) + "\n"
                    + "2024-05-01T10:00:00+02:00,120,80\n", encoding="utf-8")


def _huge_note(path: Path, scale: float) -> None:
    path.write_text(HEADER + ROW + "2024-05-01T10:05:00+02:00,121,80,70," + "n" * 100_000
                    + "\n", encoding="utf-8")


def _unclosed_quote(path: Path, scale: float) -> None:
    path.write_text(HEADER + '2024-05-01T10:00:00+02:00,120,80,70,"never closed\n'
                    + ("2024-05-01T10:05:00+02:00,121,80,70,more\n" * 5000), encoding="utf-8")


def _random_binary(path: Path, scale: float) -> None:
    path.write_bytes(random.Random(3).randbytes(200_000))


def _blank_lines_then_data(path: Path, scale: float) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        out.write("\n" * int(5_000_000 * scale))
        out.write(ROW)


def _row_of_commas(path: Path, scale: float) -> None:
    path.write_text(HEADER + ROW.rstrip("\n") + "," * 500_000 + "x\n", encoding="utf-8")


CASES: list[HostileCase] = [
    HostileCase("csv-one-100MB-line", "one_line.csv", _one_line_no_newline,
                ("line 1: a line exceeds the limit of 1,048,576 bytes", REFUSED), big=True),
    HostileCase("csv-10M-header-columns", "wide_header.csv", _ten_million_columns,
                ("line 1: ", "exceeds the limit of", REFUSED), big=True),
    HostileCase("csv-2500-header-columns", "wide.csv", _wide_header,
                ("line 1: the header exceeds the limit of 2,000 columns for CSV/TSV/XLSX "
                 "files (2,503 columns)", REFUSED)),
    HostileCase("csv-100KB-note", "note.csv", _huge_note,
                ("line 3, column 'note': a field exceeds the limit of 65,536 bytes", REFUSED)),
    HostileCase("csv-unclosed-quote", "quote.csv", _unclosed_quote,
                ("line 2: a field exceeds the limit of 65,536 bytes for any file (a quote "
                 "opened on this line may never close)", REFUSED)),
    HostileCase("csv-utf16-bom", "utf16.csv", text_file(HEADER + ROW, "utf-16"),
                "line 1: the file is UTF-16 text; save it as CSV UTF-8"),
    HostileCase("csv-nul-bytes", "nul.csv",
                bytes_file((HEADER + ROW).encode() + b"2024-05-01T10:05:00+02:00,12\x001,80,70,\n"),
                "line 3: contains binary data (NUL bytes); row skipped"),
    HostileCase("csv-random-binary", "junk.csv", _random_binary,
                "line 1: the file is binary (it contains NUL bytes), not CSV text"),
    HostileCase("csv-empty", "empty.csv", text_file(""), "the file is empty"),
    HostileCase("csv-header-only", "header.csv", text_file(HEADER),
                "no vital-sign readings found in the file"),
    HostileCase("csv-latin1", "latin1.csv",
                text_file(HEADER + "2024-05-01T10:00:00+02:00,120,80,70,Übelkeit\n", "latin-1"),
                "line 2: is not UTF-8 text (byte 0xDC"),
    HostileCase("csv-year-1800", "old.csv",
                text_file(HEADER + "1800-05-01T10:00:00+02:00,120,80,70,\n"),
                "line 2: 1800-05-01T10:00:00+02:00 is before 1980: probably a device clock"),
    HostileCase("csv-year-2200", "future.csv",
                text_file(HEADER + "2200-05-01T10:00:00+02:00,120,80,70,\n"),
                "line 2: 2200-05-01T10:00:00+02:00 is in the future"),
    HostileCase("csv-dst-twice", "autumn.csv",
                text_file(HEADER + "2024-10-27 02:30:00,120,80,70,\n"),
                "line 2, column 'time': '2024-10-27 02:30:00' happens twice in time zone "
                "Europe/Berlin (the clocks went back)", options=("--tz", "Europe/Berlin")),
    HostileCase("csv-dst-never", "spring.csv",
                text_file(HEADER + "2024-03-31 02:30:00,120,80,70,\n"),
                "line 2, column 'time': '2024-03-31 02:30:00' does not exist in time zone "
                "Europe/Berlin (the clocks went forward)", options=("--tz", "Europe/Berlin")),
    HostileCase("csv-nan-infinity", "nan.csv",
                text_file(HEADER + "2024-05-01T10:00:00+02:00,NaN,80,inf,\n"),
                ("line 2, column 'SBP': 'NaN' is not a number",
                 "line 2, column 'HR': 'inf' is not a number")),
    HostileCase("csv-huge-number", "huge.csv",
                text_file(HEADER + "2024-05-01T10:00:00+02:00," + "9" * 400 + ",80,70,\n"),
                "line 2, column 'SBP': Systolic BP: is not a number"),
    HostileCase("csv-more-cells-than-header", "cells.csv", _row_of_commas,
                "line 2: 500,005 values but the header has 5 columns; row skipped"),
    HostileCase("csv-blank-lines-then-data", "blank.csv", _blank_lines_then_data,
                "1 imported", status=0, saved=1, big=True),
    HostileCase("csv-formula-note", "formula.csv",
                text_file(HEADER + '2024-05-01T10:00:00+02:00,120,80,70,"=HYPERLINK(""http://x"")"\n'),
                "1 imported", status=0, saved=1),
    HostileCase("csv-cr-line-ends", "mac.csv", text_file((HEADER + ROW).replace("\n", "\r")),
                "1 imported", status=0, saved=1),
    HostileCase("csv-repeated-time-other-values", "twice.csv",
                text_file(HEADER + ROW + "2024-05-01T10:00:00+02:00,140,90,80,\n"),
                "line 3: time 2024-05-01T10:00:00+02:00 is already on line 2 with different "
                "values"),
]
