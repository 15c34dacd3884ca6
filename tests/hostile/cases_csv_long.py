"""Hostile and unlucky long-format CSV files (one value per row, as Synthea writes them):
millions of distinct codes, rows of one time scattered, values that are all wrong. Memory stays
bounded (open times and remembered codes are capped) and every loss is named."""

from __future__ import annotations

from pathlib import Path

from .case import HostileCase, text_file

HEADER = "DATE,PATIENT,CODE,DESCRIPTION,VALUE,UNITS\n"
HR_ROW = "2024-05-01T10:00:00Z,P-HOSTILE,8867-4,Heart rate,64,/min\n"


def _distinct_codes(path: Path, scale: float) -> None:
    # 200,000 codes no vocabulary lists (20 times the codes remembered), one row each, then
    # one heart rate. (At 2,000,000 rows, 112 MB, it took 27 s: a big valid file read whole
    # at 73,000 rows/s, faster than a wide CSV imports, so a throughput figure, not an answer
    # to a hostile shape; memory stayed flat.)
    rows = max(20_000, int(200_000 * scale))
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for start in range(0, rows, 1000):
            out.write("".join(f"2024-05-01T10:00:00Z,P-HOSTILE,X{n},Lab {n},1,mg\n"
                              for n in range(start, start + 1000)))
        out.write(HR_ROW)


def _scattered_time(path: Path, scale: float) -> None:
    # The diastolic at 10:00, then 300 other times, then the systolic of 10:00.
    lines = [HEADER, "2024-05-01T10:00:00Z,P-HOSTILE,8462-4,Diastolic,80,mm[Hg]\n"]
    lines += [f"2024-05-01T11:{n // 60:02d}:{n % 60:02d}Z,P-HOSTILE,8867-4,Heart rate,64,/min\n"
              for n in range(300)]
    lines.append("2024-05-01T10:00:00Z,P-HOSTILE,8480-6,Systolic,120,mm[Hg]\n")
    path.write_text("".join(lines), encoding="utf-8")


def _every_value_bad(path: Path, scale: float) -> None:
    path.write_text(HEADER + "".join(
        f"2024-05-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z,P-HOSTILE,8867-4,HR,x,/min\n"
        for n in range(5000)), encoding="utf-8")


CASES: list[HostileCase] = [
    HostileCase("csv-long-200k-distinct-codes", "codes.csv", _distinct_codes,
                ("line 2, column 'CODE': code X0 'Lab 0': not a vital sign",
                 "line 102: more than 100 codes are not charted; the others are not listed one "
                 "by one", "1 imported"),
                status=0, saved=1, big=True),
    HostileCase("csv-long-scattered-time", "scattered.csv", _scattered_time,
                ("line 303: time 2024-05-01T10:00:00+00:00 was already read as a reading on "
                 "line 2; rows of one time must be together; row skipped",
                 "line 2: Systolic BP: blood pressure needs both systolic and diastolic")),
    HostileCase("csv-long-every-value-bad", "bad.csv", _every_value_bad,
                ("line 2, column 'VALUE': Heart rate: 'x' is not a number",
                 "stopped after 1000 errors")),
    HostileCase("csv-long-vital-named-unlisted-code", "unlisted.csv",
                text_file(HEADER + HR_ROW
                          + "2024-05-01T10:00:00Z,P-HOSTILE,X-SYS,Systolic sitting,120,mm[Hg]\n"),
                "line 3, column 'CODE': code X-SYS 'Systolic sitting': not in the vocabulary, but "
                "its name looks like a vital sign"),
]
