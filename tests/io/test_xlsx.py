"""Excel workbooks: the first sheet read like a CSV file, named by sheet and row; formulas by
their saved result; what cannot be read refused with advice."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import UTC, date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from monitor.cli import main
from monitor.domain.vitals import Vital
from monitor.io import xlsx
from monitor.io.detect import detect_format, parse_file
from monitor.io.limits import SHEET_ROWS, UNPACKED_BYTES
from monitor.io.parsed import XLSX, ParseResult
from monitor.store import Store


def workbook(path: Path, rows: list[list[object]], title: str = "Vitals",
             more_sheets: tuple[str, ...] = ()) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name in more_sheets:
        book.create_sheet(name).append(["x"])
    book.save(path)
    return path


def parse(path: Path) -> ParseResult:
    return parse_file(path, default_tz=UTC)


def messages(result: ParseResult) -> list[str]:
    return [str(e) for e in result.errors]


def test_a_home_bp_workbook_with_date_and_time_cells(tmp_path: Path) -> None:
    path = workbook(tmp_path / "home.xlsx", [
        ["Date", "Time", "Systolic (mmHg)", "Diastolic (mmHg)", "Pulse (bpm)", "Notes"],
        [date(2024, 5, 1), time(7, 30), 131, 84, 72, "after\nbreakfast"],
        [],
        [date(2024, 5, 1), time(19, 5), 127.0, 81, 70, None],
    ], more_sheets=("Chart",))
    assert detect_format(path.name, path.read_bytes()[:4096]) == XLSX
    result = parse(path)
    got = [(p.reading.taken_at, p.reading.values, p.reading.note, p.location,
            p.reading.source_detail) for p in result.readings]
    assert got == [
        (datetime(2024, 5, 1, 7, 30, tzinfo=UTC),
         {Vital.SBP: 131, Vital.DBP: 84, Vital.MAP: 99.7, Vital.HR: 72}, "after breakfast",
         "sheet 'Vitals' row 2", "home.xlsx (XLSX)"),
        (datetime(2024, 5, 1, 19, 5, tzinfo=UTC),
         {Vital.SBP: 127, Vital.DBP: 81, Vital.MAP: 96.3, Vital.HR: 70}, "",
         "sheet 'Vitals' row 4", "home.xlsx (XLSX)"),
    ]
    assert messages(result) == ["sheet 'Chart': only the first sheet is read; this sheet is "
                                "not imported"]


def test_bad_cells_are_named_by_sheet_row_and_column(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bad.xlsx", [
        ["time", "SBP", "DBP", "HR"],
        [datetime(2024, 5, 1, 10, 0), "=B3+1", 80, 70],  # a formula no program calculated
        [datetime(2024, 5, 1, 10, 5), 121, 80, "#N/A"],
        ["yesterday", 122, 80, 70],
        [datetime(2024, 5, 1, 10, 15), 123, 80, 70],
    ])
    result = parse(path)
    assert messages(result) == [
        "sheet 'Vitals' row 2, column 'SBP': '=B3+1 (a formula without a saved result: open "
        "the file in Excel and save it)' is not a number",
        "sheet 'Vitals' row 3, column 'HR': '#N/A' is not a number",
        "sheet 'Vitals' row 4, column 'time': 'yesterday' is not a date and time (use ISO "
        "8601, e.g. 2024-05-01T10:15:00+02:00, or YYYY-MM-DD HH:MM)",
    ]
    assert [p.reading.values[Vital.SBP] for p in result.readings] == [123]


def test_a_formula_is_read_from_the_result_excel_saved(tmp_path: Path) -> None:
    path = workbook(tmp_path / "saved.xlsx", [["time", "SBP", "DBP"],
                                              [datetime(2024, 5, 1, 10, 0), "=100+20", 80]])
    # Write the cached result Excel would have saved beside the formula.
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<f>100+20</f><v />", b"<f>100+20</f><v>120</v>")
    assert b"<v>120</v>" in parts[sheet]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    result = parse(path)
    assert messages(result) == []
    assert result.readings[0].reading.values[Vital.SBP] == 120


@pytest.mark.parametrize(("content", "message"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
     "file: an Excel 97-2003 (.xls) or password-protected workbook cannot be read: save it as "
     ".xlsx, or as CSV UTF-8"),
    (b"PK\x03\x04 not really a zip", "file: not a readable Excel workbook (File is not a zip "
     "file): save it as .xlsx, or as CSV UTF-8"),
])
def test_what_is_not_a_workbook_is_refused_with_advice(tmp_path: Path, content: bytes,
                                                        message: str) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    result = parse(path)
    assert messages(result) == [message] and result.readings == []


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert messages(parse(path)) == ["file: a zip file, but not an Excel workbook: save it as "
                                     ".xlsx, or as CSV UTF-8"]


def test_a_part_that_unpacks_too_big_is_refused_before_it_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = workbook(tmp_path / "theme.xlsx", [["time", "HR"]])  # its theme is about 10 KB
    monkeypatch.setattr(xlsx, "UNPACKED_BYTES", dataclasses.replace(UNPACKED_BYTES,
                                                                    value=5000))
    [error] = parse(path).errors
    assert str(error).startswith("part xl/theme/theme1.xml: an unpacked part exceeds the "
                                 "limit of 5,000 bytes for XLSX files")


def test_a_sheet_beyond_the_row_limit_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[list[object]] = [["time", "HR"]]
    rows += [[datetime(2024, 5, 1, 10, n), 70] for n in range(6)]
    path = workbook(tmp_path / "long.xlsx", rows)
    monkeypatch.setattr(xlsx, "SHEET_ROWS", dataclasses.replace(SHEET_ROWS, value=4))
    result = parse(path)
    assert messages(result)[-1].startswith("sheet 'Vitals' row 5: a sheet exceeds the limit of "
                                           "4 rows for XLSX files")


def test_main_import_of_a_workbook_and_its_mapping(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = workbook(tmp_path / "device.xlsx", [["Zeit", "Syst_L", "Dia_L"],
                                               [datetime(2024, 5, 1, 10, 0), 131, 84]])
    db = tmp_path / "monitor.sqlite"
    common = ["import", str(path), "--db", str(db), "--patient", "P-1", "--tz", "UTC"]
    assert main(common) == 1
    assert "sheet 'Vitals' row 1, column 'Syst_L': looks like a vital sign" in \
        capsys.readouterr().err
    assert main([*common, "--columns", "Zeit=time,Syst_L=sbp,Dia_L=dbp", "--by", "AB"]) == 0
    assert "device.xlsx (XLSX): 1 imported" in capsys.readouterr().out
    later = workbook(tmp_path / "device2.xlsx", [["Zeit", "Syst_L", "Dia_L"],
                                                 [datetime(2024, 5, 2, 10, 0), 128, 80]])
    assert main(["import", str(later), "--db", str(db), "--patient", "P-1", "--tz", "UTC"]) == 0
    assert "columns mapped as saved by AB" in capsys.readouterr().err
    with Store.open(db) as store:
        assert [r.values[Vital.SBP] for s in store.sessions()
                for r in store.readings(s.id or 0)] == [131, 128]


def test_a_workbook_is_opened_once_when_no_mapping_was_ever_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking up a remembered mapping opens the workbook for its header (openpyxl scans a
    whole sheet without a <dimension> record on opening: 4 s at 200,000 rows). With no
    mapping saved there is nothing to look up, and the import opens it only to read it."""
    from monitor.app import importing

    peeks: list[Path] = []
    real = importing.sheet_header
    monkeypatch.setattr(importing, "sheet_header", lambda p: peeks.append(p) or real(p))
    path = workbook(tmp_path / "v.xlsx", [["time", "SBP", "DBP"],
                                         [datetime(2024, 5, 1, 10, 0), 131, 84]])
    db = tmp_path / "monitor.sqlite"
    common = ["--db", str(db), "--patient", "P-1", "--tz", "UTC"]
    assert main(["import", str(path), *common]) == 0
    assert peeks == []
    other = workbook(tmp_path / "d.xlsx", [["Zeit", "Syst_L", "Dia_L"],
                                           [datetime(2024, 5, 1, 11), 128, 80]])
    assert main(["import", str(other), *common, "--columns", "Zeit=time,Syst_L=sbp,Dia_L=dbp",
                 "--by", "AB"]) == 0
    assert peeks == []  # the mapping was given
    assert main(["import", str(path), *common]) == 0  # a mapping is saved now: looked up
    assert peeks == [path]
