"""The limits every importer enforces, declared once.

A file of any size imports in bounded memory: the parsers stream (CSV row by row, HL7 message
by message, a FHIR Bundle entry by entry), so no limit here is on the size of the file. What
is limited is the size of the *pieces* a parser must hold whole (one line, one message, one
resource) and the shapes no real file has (ten million header columns, JSON nested a thousand
deep), so that a hostile or broken file is answered within seconds with a message naming the
limit and where it was hit, never a traceback and never gigabytes of memory.

A limit hit refuses the whole file, with ``--skip-invalid`` too: the parser cannot tell what
the rest of the file holds, so nothing is saved. ``main.py import`` exits with status
:data:`EXIT_REFUSED` (1, as for any file with rejected rows); over MLLP a frame beyond
:data:`MESSAGE_BYTES` is answered AR.

The README's *Limits* table lists these; ``tests/io/test_limits.py`` checks it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parsed import RowError

#: ``main.py import`` status for a file refused by a limit (nothing saved).
EXIT_REFUSED = 1
#: :attr:`RowError.kind` of a limit hit: fatal for the file, whatever ``skip_invalid`` says.
LIMIT = "limit"
#: :attr:`RowError.kind` of a file that cannot be read on (a FHIR document whose JSON breaks
#: off): fatal like a limit, since what follows the break cannot be told apart.
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Limit:
    """One bound on a piece of input: what is measured, how far it may go, and why."""

    what: str  # "a line", "the header"
    value: int
    unit: str  # "bytes", "columns"
    applies_to: str  # which formats, for the README table
    why: str

    def refusal(self, location: str, found: str = "") -> RowError:
        """The error that refuses the file: where the limit was hit and which limit it is,
        e.g. ``line 1: a line exceeds the limit of 1,048,576 bytes for CSV/TSV files; the
        file is refused and nothing was imported``. ``found`` may say how far the input went
        (``"12,000,000 columns"``)."""
        amount = f" ({found})" if found else ""
        return RowError(location, f"{self.what} exceeds the limit of {self.value:,} "
                        f"{self.unit} for {self.applies_to}{amount}; the file is refused and "
                        "nothing was imported", LIMIT)


LINE_BYTES = Limit("a line", 1024 * 1024, "bytes", "CSV/TSV files",
                   "the longest monitor-export line seen is a few kilobytes")
HEADER_COLUMNS = Limit("the header", 2_000, "columns", "CSV/TSV/XLSX files",
                       "a wide monitor export has a few hundred columns")
FIELD_BYTES = Limit("a field", 64 * 1024, "bytes", "any file",
                    "a note is a few hundred characters; a value a few")
MESSAGE_BYTES = Limit("a message", 4 * 1024 * 1024, "bytes", "HL7 v2 files and MLLP frames",
                      "an ORU^R01 of a day's readings is well under a megabyte")
SEGMENT_BYTES = Limit("a segment", 1024 * 1024, "bytes", "HL7 v2",
                      "an OBX is under a kilobyte")
RESOURCE_BYTES = Limit("one resource", 4 * 1024 * 1024, "bytes", "FHIR JSON/XML",
                       "an Observation is a few kilobytes; a Bundle is read entry by entry")
JSON_DEPTH = Limit("the nesting", 64, "levels", "FHIR JSON/XML",
                   "FHIR resources nest about ten levels deep")
BUNDLE_ENTRIES = Limit("a Bundle", 5_000_000, "entries", "FHIR JSON/XML",
                       "a million readings is the largest session the app plans for")
SHEET_ROWS = Limit("a sheet", 5_000_000, "rows", "XLSX files",
                   "Excel itself stops at 1,048,576 rows")
ROW_XML_BYTES = Limit("a row", 4 * 1024 * 1024, "bytes", "XLSX sheets (unpacked XML)",
                      "a row of a 2,000-column export is about 100 kilobytes of XML")
UNPACKED_BYTES = Limit("an unpacked part", 256 * 1024 * 1024, "bytes", "XLSX files",
                       "shared strings and styles are held in memory (sheets are streamed); "
                       "a million-row export's are a few megabytes")

#: Every limit, in the order the README lists them.
ALL_LIMITS: tuple[Limit, ...] = (LINE_BYTES, HEADER_COLUMNS, FIELD_BYTES, MESSAGE_BYTES,
                                 SEGMENT_BYTES, RESOURCE_BYTES, JSON_DEPTH, BUNDLE_ENTRIES,
                                 SHEET_ROWS, ROW_XML_BYTES, UNPACKED_BYTES)


def is_limit(error: RowError) -> bool:
    """True when ``error`` is a limit hit, which refuses the whole file."""
    return error.kind == LIMIT


def refuses_file(error: RowError) -> bool:
    """True when ``error`` refuses the whole file: a limit hit, or a file that cannot be
    read on."""
    return error.kind in (LIMIT, UNREADABLE)
