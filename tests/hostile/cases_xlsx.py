"""Hostile and unlucky Excel workbooks: not workbooks at all, XML bombs, zip bombs, cut-off
files, oversized headers and cells, formulas without results, odd dates. Written part by part
(a workbook is a zip of XML), so each case is exactly the bytes it describes."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from .case import HostileCase, bytes_file

REFUSED = "the file is refused and nothing was imported"
ADVICE = "save it as .xlsx, or as CSV UTF-8"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{extra}</Types>')
_SHARED_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Vitals" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>{extra}</Relationships>')
_SHARED_REL = ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
               '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')
_SHEET = ('<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="http://schemas.'
          'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData>'
          '</worksheet>')


def _cell(ref: str, value: object) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _rows(rows: list[list[object]]) -> str:
    out = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{chr(65 + i)}{number}", v) for i, v in enumerate(row))
        out.append(f'<row r="{number}">{cells}</row>')
    return "".join(out)


def raw_workbook(path: Path, sheet_xml: str, shared_xml: str | None = None) -> None:
    """A workbook from its parts as written, one sheet ``Vitals``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         _CONTENT_TYPES.format(extra=_SHARED_TYPE if shared_xml else ""))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels",
                         _WORKBOOK_RELS.format(extra=_SHARED_REL if shared_xml else ""))
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_xml is not None:
            archive.writestr("xl/sharedStrings.xml", shared_xml)


def _sheet(rows: list[list[object]], prolog: str = "") -> str:
    return _SHEET.format(prolog=prolog, rows=_rows(rows))


HEADER: list[object] = ["time", "SBP", "DBP", "HR", "note"]
ROW: list[object] = ["2024-05-01T10:00:00+02:00", 120, 80, 70, ""]


def rows_file(rows: list[list[object]]):  # type: ignore[no-untyped-def]
    """A writer of a workbook holding ``rows`` (after the usual header)."""
    def write(path: Path, scale: float) -> None:
        raw_workbook(path, _sheet([HEADER, *rows]))
    return write


def _billion_laughs(path: Path, scale: float) -> None:
    entities = '<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8)) + "]>"
    shared = ('<?xml version="1.0" encoding="UTF-8"?>' + entities
              + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'count="1" uniqueCount="1"><si><t>&i;</t></si></sst>')
    sheet = _SHEET.format(prolog="", rows='<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    raw_workbook(path, sheet, shared)


def _external_entity(path: Path, scale: float) -> None:
    prolog = '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    raw_workbook(path, _sheet([HEADER, ["&x;", 120, 80, 70, ""]], prolog)
                 .replace("<t>&amp;x;</t>", "<t>&x;</t>"))


def _zip_bomb(path: Path, scale: float) -> None:
    # 300 MB of shared strings unpacked (a few hundred KB packed); 6 MB in the suite.
    size = int(300 * 1024 * 1024 * max(scale, 0.02))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(extra=_SHARED_TYPE))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(extra=_SHARED_REL))
        archive.writestr("xl/worksheets/sheet1.xml", _sheet([HEADER, ROW]))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><sst><si><t>')
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                part.write(chunk)
            part.write(b"</t></si></sst>")


def _cut_off(path: Path, scale: float) -> None:
    buffer = io.BytesIO()
    raw_workbook(path, _sheet([HEADER, ROW]))
    data = path.read_bytes()
    buffer.write(data[: len(data) // 2])
    path.write_bytes(buffer.getvalue())


def _wide_header(path: Path, scale: float) -> None:
    cells = "".join(f'<c r="{get_column_letter(n + 1)}1" t="inlineStr"><is><t>c{n}</t></is>'
                    "</c>" for n in range(2500))
    raw_workbook(path, _SHEET.format(prolog="", rows=f'<row r="1">{cells}</row>'))


def _endless_row(path: Path, scale: float) -> None:
    # 10,000,000 cells in one row at full size (about 150 MB of XML, packed to a few MB);
    # 400,000 (6 MB) in the suite, past the row limit either way.
    cells = max(400_000, int(10_000_000 * scale))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(extra=""))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(extra=""))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_SHEET.split("{rows}")[0].format(prolog="").encode() + b'<row r="1">')
            block = b"<c><v>1</v></c>" * 10_000
            for _ in range(cells // 10_000):
                part.write(block)
            part.write(b"</row>" + _SHEET.split("{rows}")[1].encode())


def _huge_cell(path: Path, scale: float) -> None:
    raw_workbook(path, _sheet([HEADER, ["2024-05-01T10:00:00+02:00", 120, 80, 70,
                                        "n" * 100_000]]))


def _empty_rows_then_data(path: Path, scale: float) -> None:
    # A row numbered a million down, as a sheet whose rows were deleted above it writes.
    far = max(1000, int(1_000_000 * scale))
    sheet = _SHEET.format(prolog="", rows=_rows([HEADER]) + f'<row r="{far}">' + "".join(
        _cell(f"{chr(65 + i)}{far}", v) for i, v in enumerate(ROW)) + "</row>")
    raw_workbook(path, sheet)


def _formula_without_result(path: Path, scale: float) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Vitals"
    sheet.append(HEADER)
    sheet.append([datetime(2024, 5, 1, 10, 0), "=100+20", 80, 70, ""])
    book.save(path)


def _openpyxl_rows(rows: list[list[object]]):  # type: ignore[no-untyped-def]
    def write(path: Path, scale: float) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Vitals"
        for row in rows:
            sheet.append(row)
        book.save(path)
    return write


CASES: list[HostileCase] = [
    HostileCase("xlsx-is-an-xls", "old.xls",
                bytes_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000),
                f"file: an Excel 97-2003 (.xls) or password-protected workbook cannot be "
                f"read: {ADVICE}"),
    HostileCase("xlsx-zip-not-a-workbook", "photos.xlsx",
                bytes_file(b"PK\x05\x06" + b"\x00" * 18),
                f"file: a zip file, but not an Excel workbook: {ADVICE}"),
    HostileCase("xlsx-random-after-zip-magic", "junk.xlsx",
                bytes_file(b"PK\x03\x04" + bytes(range(256)) * 50),
                f"file: not a readable Excel workbook (File is not a zip file): {ADVICE}"),
    HostileCase("xlsx-cut-off", "cut.xlsx", _cut_off, "not a readable Excel workbook"),
    HostileCase("xlsx-billion-laughs", "laughs.xlsx", _billion_laughs,
                "not a readable Excel workbook (its XML declares entities or a DTD, as an XML "
                "bomb or an attempt to read other files does)"),
    HostileCase("xlsx-external-entity", "xxe.xlsx", _external_entity,
                "not a readable Excel workbook (its XML declares entities or a DTD"),
    HostileCase("xlsx-300MB-shared-strings", "bomb.xlsx", _zip_bomb,
                ("part xl/sharedStrings.xml: an unpacked part exceeds the limit of "
                 "268,435,456 bytes", REFUSED), big=True, bench_only=True),
    HostileCase("xlsx-2500-header-columns", "wide.xlsx", _wide_header,
                ("the header exceeds the limit of 2,000 columns for CSV/TSV/XLSX files",
                 REFUSED)),
    HostileCase("xlsx-10M-cells-in-one-row", "row.xlsx", _endless_row,
                ("xl/worksheets/sheet1.xml row 1: a row exceeds the limit of 4,194,304 bytes "
                 "for XLSX sheets (unpacked XML)", REFUSED), big=True),
    HostileCase("xlsx-100KB-cell", "cell.xlsx", _huge_cell,
                ("sheet 'Vitals' row 2, column 'note': a field exceeds the limit of 65,536 "
                 "bytes", REFUSED)),
    HostileCase("xlsx-formula-without-result", "formula.xlsx", _formula_without_result,
                "sheet 'Vitals' row 2, column 'SBP': '=100+20 (a formula without a saved "
                "result: open the file in Excel and save it)' is not a number"),
    HostileCase("xlsx-no-rows", "empty.xlsx", _openpyxl_rows([]), "the file is empty"),
    HostileCase("xlsx-header-only", "header.xlsx", _openpyxl_rows([HEADER]),
                "no vital-sign readings found in the file"),
    HostileCase("xlsx-rows-far-down", "far.xlsx", _empty_rows_then_data, "1 imported",
                status=0, saved=1, big=True),
    HostileCase("xlsx-year-1800", "old-date.xlsx",
                rows_file([["1800-05-01T10:00:00+02:00", 120, 80, 70, ""]]),
                "sheet 'Vitals' row 2: 1800-05-01T10:00:00+02:00 is before 1980"),
    HostileCase("xlsx-year-2200", "future.xlsx",
                rows_file([["2200-05-01T10:00:00+02:00", 120, 80, 70, ""]]),
                "sheet 'Vitals' row 2: 2200-05-01T10:00:00+02:00 is in the future"),
    HostileCase("xlsx-dst-twice", "autumn.xlsx",
                _openpyxl_rows([HEADER, [datetime(2024, 10, 27, 2, 30), 120, 80, 70, ""]]),
                "sheet 'Vitals' row 2, column 'time': '2024-10-27 02:30:00' happens twice in "
                "time zone Europe/Berlin", options=("--tz", "Europe/Berlin")),
    HostileCase("xlsx-error-cells", "errors.xlsx",
                rows_file([["2024-05-01T10:00:00+02:00", "#DIV/0!", 80, "#N/A", ""]]),
                ("sheet 'Vitals' row 2, column 'SBP': '#DIV/0!' is not a number",
                 "sheet 'Vitals' row 2, column 'HR': '#N/A' is not a number")),
    HostileCase("xlsx-nan-text", "nan.xlsx",
                rows_file([["2024-05-01T10:00:00+02:00", "NaN", 80, "inf", ""]]),
                "sheet 'Vitals' row 2, column 'SBP': 'NaN' is not a number"),
    HostileCase("xlsx-formula-note", "note.xlsx",
                rows_file([["2024-05-01T10:00:00+02:00", 120, 80, 70,
                            "=HYPERLINK(&quot;http://x&quot;)"]]),
                "1 imported", status=0, saved=1),
    HostileCase("xlsx-impossible-values", "values.xlsx",
                rows_file([["2024-05-01T10:00:00+02:00", 80, 120, 70, ""]]),
                "sheet 'Vitals' row 2, column 'DBP': Diastolic BP: 120 must be below "
                "systolic 80"),
    HostileCase("xlsx-text-dates", "textdate.xlsx",
                rows_file([["01/05/2024 10:00", 120, 80, 70, ""]]),
                "sheet 'Vitals' row 2, column 'time': '01/05/2024 10:00' is not a date and "
                "time"),
]
