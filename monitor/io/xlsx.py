"""Excel workbooks (.xlsx, .xlsm): the first sheet, read the way the CSV reader reads a file.

The sheet is streamed row by row (``openpyxl`` in read-only mode, with ``defusedxml``
guarding its XML) and handed to :func:`monitor.io.csv_format.iter_csv` as CSV text, one line
per sheet row, so every rule of the CSV reader holds (column names, units, times, column
mappings, one value per row, limits) and messages name ``sheet 'Vitals' row 12``. Cells are
written as the sheet shows them: a date-time as ISO 8601 (a zone as for CSV), a cell
formatted as a date alone as the date, a time of day as ``HH:MM:SS``, numbers as they are,
line breaks in a note as spaces (so rows stay lines). A formula is read from the result
Excel saved with it; one without a saved result (written by a program that does not
calculate) is refused in its cell, never read as empty.

Refused with a clear message: an Excel 97-2003 ``.xls`` or password-protected workbook, a
file that is not a workbook, a part of it (shared strings, styles) unpacking beyond
:data:`~monitor.io.limits.UNPACKED_BYTES`, a sheet beyond
:data:`~monitor.io.limits.SHEET_ROWS` rows. Other sheets are noticed, not read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from monitor.domain.reading_blocks import ReadingBlock
from monitor.domain.readings import Source

from .csv_format import iter_csv
from .limits import HEADER_COLUMNS, ROW_XML_BYTES, SHEET_ROWS, UNPACKED_BYTES, UNREADABLE
from .parsed import XLSX, ParsedReading, RowError

XLSX_SUFFIXES = {".xlsx", ".xlsm"}
#: The first bytes of a zip file (an .xlsx) and of an OLE compound file (.xls, or an
#: encrypted .xlsx).
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_LINE = re.compile(r"^lines? (\d+)")
_SAVE_AS = "save it as .xlsx, or as CSV UTF-8"


def is_workbook(name: str, head: bytes) -> bool:
    """True for a file the XLSX reader should take: a zip with an Excel part near its start
    or an .xlsx name, or an OLE file (.xls), which it refuses with advice."""
    if head.startswith(OLE_MAGIC):
        return True
    if head.startswith(ZIP_MAGIC) and (b"xl/" in head or b"[Content_Types].xml" in head):
        return True
    # Any zip named as a workbook (an empty archive starts PK\x05\x06): refused with advice.
    return head.startswith(b"PK") and Path(name).suffix.lower() in XLSX_SUFFIXES


def _cell_text(value: Any, number_format: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0) and "h" not in (number_format or "").lower():
            return value.date().isoformat()  # a cell formatted as a date alone
        return value.isoformat(timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):  # a duration ([h]:mm:ss): seconds, as elapsed columns
        return _number_text(value.total_seconds())
    if isinstance(value, int | float):
        return _number_text(value)
    return re.sub(r"[\r\n]+", " ", str(value))


def _number_text(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


_NO_FORMULA_ROW: tuple[None, ...] = (None,) * (HEADER_COLUMNS.value + 1)


def _no_formulas() -> Iterator[None]:
    while True:
        yield None


class SheetText(io.RawIOBase):
    """A worksheet as CSV text (UTF-8 bytes), produced row by row as it is read."""

    def __init__(self, values: Iterator[tuple[Any, ...]],
                 formulas: Iterator[tuple[Any, ...]] | None = None):
        """``formulas``: the same sheet's rows read with formulas (to name a formula without
        a saved result); None when the sheet has none such (see :func:`_inspect`)."""
        super().__init__()
        self._rows = zip(values, formulas if formulas is not None else _no_formulas(),
                         strict=False)
        self._buffer = b""
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, lineterminator="\n")
        self.rows = 0
        self.over_limit = False
        #: The first two non-blank lines within the first rows: the header and a sample.
        self.first_lines: list[bytes] = []

    def readable(self) -> bool:
        return True

    def _next_line(self) -> bytes:
        if self.rows >= SHEET_ROWS.value:
            self.over_limit = self.over_limit or next(self._rows, None) is not None
            return b""
        pair = next(self._rows, None)
        if pair is None:
            return b""
        self.rows += 1
        cells = []
        # Cells past the header limit are not read: the CSV reader refuses such a header,
        # and a data row's extra cells have no column to be charted in.
        width = HEADER_COLUMNS.value + 1
        formulas = pair[1][:width] if pair[1] is not None else _NO_FORMULA_ROW
        for value_cell, formula_cell in zip(pair[0][:width], formulas, strict=False):
            value = value_cell.value
            formula = formula_cell.value if formula_cell is not None else None
            if value is None and isinstance(formula, str) and formula.startswith("="):
                cells.append(f"{formula} (a formula without a saved result: open the file "
                             "in Excel and save it)")
            else:
                cells.append(_cell_text(value, getattr(value_cell, "number_format", None)))
        while cells and not cells[-1]:
            cells.pop()
        self._text.seek(0)
        self._text.truncate()
        self._writer.writerow(cells)
        line = self._text.getvalue().encode("utf-8")
        if cells and len(self.first_lines) < 2 and self.rows <= _HEADER_ROWS:
            self.first_lines.append(line)
        return line

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            line = self._next_line()
            if not line:
                return 0
            self._buffer = line
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def _relabel(item: ParsedReading | RowError, sheet: str) -> ParsedReading | RowError:
    """A CSV location (``line 12``) as the sheet's (``sheet 'Vitals' row 12``)."""
    where = _LINE.sub(lambda m: f"sheet '{sheet}' row {m.group(1)}", item.location, count=1)
    if isinstance(item, RowError):
        return RowError(where, item.message, item.kind)
    return ParsedReading(item.reading, where, item.patient_id)


@dataclass(frozen=True)
class _Inspection:
    refusal: RowError | None = None  # why the file cannot be read as a workbook at all
    unsaved: bool = False  # a sheet holds a formula without a saved result
    rows: int = 0  # rows of the longest sheet (for progress)


def _inspect(path: Path, head: bytes, rows_wanted: int | None = None) -> _Inspection:
    """Whether the file can be read as a workbook, and what a pass over its sheets' XML
    found: a formula without a saved result makes the reader read the sheet a second time,
    with its formulas, to name them (most workbooks have none and are read once).
    ``rows_wanted``: only that many rows of each sheet will be read (a header), so the pass
    stops there instead of unpacking the whole sheet."""
    if head.startswith(OLE_MAGIC):
        return _Inspection(RowError("file", "an Excel 97-2003 (.xls) or password-protected "
                                    f"workbook cannot be read: {_SAVE_AS}", UNREADABLE))
    unsaved, rows = False, 0
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                streamed = member.filename.startswith("xl/worksheets/")
                if not streamed and member.file_size > UNPACKED_BYTES.value:
                    return _Inspection(UNPACKED_BYTES.refusal(f"part {member.filename}",
                                                              f"{member.file_size:,} bytes"))
            if "xl/workbook.xml" not in archive.namelist():
                return _Inspection(RowError("file", "a zip file, but not an Excel workbook: "
                                            f"{_SAVE_AS}", UNREADABLE))
            for member in archive.infolist():
                if member.filename.startswith("xl/worksheets/"):
                    scanned = _scan_sheet(archive, member, rows_wanted)
                    if scanned.refusal is not None:
                        return scanned
                    unsaved = unsaved or scanned.unsaved
                    rows = max(rows, scanned.rows)
    except (zipfile.BadZipFile, OSError) as e:
        return _Inspection(RowError("file", f"not a readable Excel workbook ({e}): {_SAVE_AS}",
                                    UNREADABLE))
    return _Inspection(None, unsaved, rows)


def _why(error: BaseException) -> str:
    """What went wrong opening a workbook, in a few words: openpyxl wraps the cause (an XML
    bomb defusedxml refused, broken XML) in a ValueError that names the temporary path."""
    cause: BaseException | None = error
    while cause is not None:
        if type(cause).__module__.startswith("defusedxml"):
            return ("its XML declares entities or a DTD, as an XML bomb or an attempt to read "
                    "other files does")
        cause = cause.__cause__ or cause.__context__
    text = str(error).split(" from ", 1)[0].splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text[:120]}" if text else type(error).__name__


#: A formula element followed by no value: ``<f>A1+1</f></c>``, ``<f t="shared" si="0"/><v/>``.
_FORMULA_WITHOUT_RESULT = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*(?:</(?:\w+:)?c>|<(?:\w+:)?v\s*/>"
    rb"|<(?:\w+:)?v>\s*</(?:\w+:)?v>)")


def _scan_sheet(archive: zipfile.ZipFile, member: zipfile.ZipInfo,
                rows_wanted: int | None = None) -> _Inspection:
    """One pass over a sheet's unpacked XML, looking only for row starts and formulas: the
    refusal of a row longer than :data:`ROW_XML_BYTES` (the reader holds one row at a time, a
    few hundred bytes per cell, so one endless row would hold gigabytes), or None; and
    whether a formula has no saved result."""
    longest, since, row, unsaved = 0, 0, 0, False
    with archive.open(member) as part:
        carry = b""
        while True:
            chunk = part.read(1024 * 1024)
            if not chunk:
                break
            data = carry + chunk
            unsaved = unsaved or _FORMULA_WITHOUT_RESULT.search(data) is not None
            start = 0
            while True:
                found = data.find(b"<row", start)
                if found < 0:
                    break
                since += found - start
                longest, since, row = max(longest, since), 0, row + 1
                start = found + 4
            since = max(0, since + len(data) - start - 64)
            carry = data[-64:]  # a '<row' or a formula's end cut across two chunks
            if since > ROW_XML_BYTES.value:
                return _Inspection(ROW_XML_BYTES.refusal(f"{member.filename} row {row}",
                                                         f"more than {since:,} bytes"))
            if rows_wanted is not None and row > rows_wanted:
                break  # the rows that will be read are whole and within the limit
    return _Inspection(None, unsaved, row)


def _open(path: Path, *, formulas: bool) -> Any:
    import openpyxl  # imported here: only workbooks need it, and it takes a while to load

    return openpyxl.load_workbook(path, read_only=True, data_only=not formulas)


#: Rows looked at for a header and its first data row (blank rows above it are skipped).
_HEADER_ROWS = 200


def sheet_header(path: Path) -> tuple[list[str], list[str]] | None:
    """The first sheet's header cells and first data row (as the CSV reader sees them), or
    None when the workbook cannot be read. For a column mapping."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if _inspect(path, head, rows_wanted=_HEADER_ROWS).refusal is not None:
        return None
    try:
        book = _open(path, formulas=False)
    except Exception:  # noqa: BLE001 (openpyxl raises many kinds; the import says why)
        return None
    try:
        text = SheetText(book.worksheets[0].iter_rows())
        while len(text.first_lines) < 2 and text.rows < _HEADER_ROWS and text.readline():
            pass
    finally:
        book.close()
    return _header_of(text)


def _header_of(text: SheetText) -> tuple[list[str], list[str]] | None:
    """The header cells and first data row a sheet's text began with, or None."""
    rows = list(csv.reader([line.decode("utf-8") for line in text.first_lines]))
    return (rows[0], rows[1] if len(rows) > 1 else []) if rows else None


def iter_xlsx(
    path: Path,
    *,
    name: str,
    default_tz: tzinfo | None = None,
    start: datetime | None = None,
    zero_is_missing: bool = False,
    source: Source = Source.IMPORT,
    progress: Callable[[float], None] | None = None,
    columns: Mapping[str, str] | None = None,
    on_header: Callable[[list[str], list[str]], None] | None = None,
) -> Iterator[ParsedReading | RowError]:
    """Read the first sheet of the workbook at ``path`` like a CSV file (see
    :func:`monitor.io.csv_format.iter_csv` for the options). ``progress`` is called with the
    fraction of the sheet's rows read; ``on_header`` with the header cells and first data row
    the sheet began with (what :func:`sheet_header` gives), once the sheet is read, so a
    caller that reads the file need not open it again for them.
    Readings come one by one, each named by its row (a workbook is small beside the CSV
    exports the block path is for)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    inspection = _inspect(path, head)
    if inspection.refusal is not None:
        yield inspection.refusal
        return
    values_book = formulas_book = None
    try:
        values_book = _open(path, formulas=False)
        formulas_book = _open(path, formulas=True) if inspection.unsaved else None
    except Exception as e:  # noqa: BLE001 (openpyxl raises many kinds for a damaged file)
        if values_book is not None:
            values_book.close()
        yield RowError("file", f"not a readable Excel workbook ({_why(e)}): {_SAVE_AS}",
                       UNREADABLE)
        return
    try:
        sheet = values_book.worksheets[0]
        title = sheet.title
        for other in values_book.sheetnames[1:]:
            yield RowError.not_charted(f"sheet '{other}'", "only the first sheet is read; "
                                       "this sheet is not imported")
        # Counted in the pass over the XML: a sheet's <dimension> may be missing or stale.
        declared = inspection.rows
        text = SheetText(sheet.iter_rows(), formulas_book.worksheets[0].iter_rows()
                         if formulas_book is not None else None)

        def rows_read(_: int) -> None:
            if progress is not None and declared:
                progress(min(1.0, text.rows / declared))

        stream = io.BufferedReader(text, buffer_size=64 * 1024)
        for item in iter_csv(stream, name=name, default_tz=default_tz, start=start,
                             zero_is_missing=zero_is_missing, source=source,
                             progress=rows_read, columns=columns, fmt=XLSX):
            assert not isinstance(item, ReadingBlock)
            yield _relabel(item, title)
        if text.over_limit:
            yield SHEET_ROWS.refusal(f"sheet '{title}' row {SHEET_ROWS.value + 1:,}")
        header = _header_of(text)
        if on_header is not None and header is not None:
            on_header(*header)
    finally:
        values_book.close()
        if formulas_book is not None:
            formulas_book.close()
