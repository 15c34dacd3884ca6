"""Which parser a file needs, and reading a file from disk with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from pathlib import Path

from monitor.domain.readings import Source

from .csv_format import parse_csv
from .fhir import parse_fhir
from .hl7v2 import parse_hl7_file
from .parsed import CSV, FHIR, HL7, XLSX, ParseResult, RowError
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
    """Detect the format of the file at ``path`` and parse it.

    ``default_tz`` and ``source`` apply to every format; ``start``, ``zero_is_missing`` and
    ``progress`` to CSV (streamed from disk); ``date_only_as_midnight`` to FHIR. A file that
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
                return ParseResult.collect(iter_xlsx(
                    path, name=path.name, default_tz=default_tz, start=start,
                    zero_is_missing=zero_is_missing, source=source), XLSX)
            data = stream.read()
    except OSError as e:
        return ParseResult(errors=[RowError("file", f"cannot read {path}: "
                                            f"{e.strerror or e}")], format="")
    if fmt == HL7:
        return parse_hl7_file(data, name=path.name, default_tz=default_tz, source=source)
    return parse_fhir(data, name=path.name, default_tz=default_tz, source=source,
                      date_only_as_midnight=date_only_as_midnight)
