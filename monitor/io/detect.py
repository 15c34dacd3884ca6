"""Which parser a file needs, and reading a file from disk with it (streamed in every
format)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from pathlib import Path

from monitor.domain.readings import Source

from .csv_format import parse_csv
from .fhir import iter_fhir_stream
from .hl7v2 import iter_hl7_stream
from .parsed import CSV, FHIR, HL7, XLSX, ParsedReading, ParseResult, RowError
from .xlsx import is_workbook, iter_xlsx

#: How much of a file ``detect_format`` needs to see.
SNIFF_BYTES = 4096
_HL7_SUFFIXES = {".hl7", ".hl7v2", ".oru", ".mllp"}
_FHIR_SUFFIXES = {".json", ".ndjson", ".fhir", ".xml"}


def detect_format(name: str, first_bytes: bytes) -> str:
    """``'csv'``, ``'hl7'``, ``'fhir'`` or ``'xlsx'`` for a file called ``name`` starting
    with ``first_bytes``. The content decides when it is clear (an MSH segment, a JSON
    object, a workbook's zip), since files are often misnamed; otherwise the extension;
    otherwise CSV, whose parser explains best what is wrong with a file that is none of
    them."""
    if is_workbook(name, first_bytes):
        return XLSX
    head = first_bytes.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0b")
    if head.startswith((b"MSH", b"FHS", b"BHS")):
        return HL7
    if head.startswith((b"{", b"[", b"<")):  # JSON or XML: the FHIR reader says which
        return FHIR
    suffix = Path(name).suffix.lower()
    if suffix in _HL7_SUFFIXES:
        return HL7
    if suffix in _FHIR_SUFFIXES:
        return FHIR
    return CSV


def parse_file(
    path: str | Path,
    *,
    default_tz: tzinfo | None = None,
    source: Source = Source.IMPORT,
    start: datetime | None = None,
    zero_is_missing: bool = False,
    date_only_as_midnight: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ParseResult:
    """Detect the format of the file at ``path`` and parse it, streamed from disk in every
    format (the readings are collected; the importer, ``monitor.app.importing``, streams
    them on to the store instead).

    ``default_tz`` and ``source`` apply to every format; ``start`` and ``zero_is_missing``
    to CSV and XLSX, ``progress`` to CSV; ``date_only_as_midnight`` to FHIR. A file that
    cannot be opened gives a result with one error, not an exception."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            fmt = detect_format(path.name, stream.read(SNIFF_BYTES))
            stream.seek(0)
            if fmt == CSV:
                return parse_csv(stream, name=path.name, default_tz=default_tz, start=start,
                                 zero_is_missing=zero_is_missing, source=source,
                                 progress=progress)
            if fmt == XLSX:
                items: Iterator[ParsedReading | RowError] = iter_xlsx(
                    path, name=path.name, default_tz=default_tz, start=start,
                    zero_is_missing=zero_is_missing, source=source)
            elif fmt == HL7:
                items = iter_hl7_stream(stream, name=path.name, default_tz=default_tz,
                                        source=source)
            else:
                items = iter_fhir_stream(stream, name=path.name, default_tz=default_tz,
                                         source=source,
                                         date_only_as_midnight=date_only_as_midnight,
                                         reopen=lambda: path.open("rb"))
            return ParseResult.collect(items, fmt)
    except OSError as e:
        return ParseResult(errors=[RowError("file", f"cannot read {path}: "
                                            f"{e.strerror or e}")], format="")
