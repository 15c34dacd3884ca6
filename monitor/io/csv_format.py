"""CSV and TSV files as spreadsheets and monitors write them, and the app's canonical CSV.

Reading (``iter_csv`` / ``parse_csv``):

- The first non-blank line is the header. Columns are recognised by the names people use
  (``SBP``, ``systolic``, ``sys``, ``NBPSys``; ``BP`` holding ``120/80``; ``HR``, ``pulse``;
  ``RR``, ``resp``; ``SpO2``, ``O2 sat``; ``MAP``, ``mean``), case and punctuation ignored.
  A unit in brackets (``SBP (mmHg)``, ``SBP [kPa]``, ``RESP[pm]``) is checked and kPa is
  converted; a column with an unknown unit is ignored and reported.
- A header with a value column beside a code or parameter column and no vital column is the
  one-value-per-row layout (Synthea's observations.csv): see :mod:`monitor.io.csv_long`.
- A header that looks like a vital (``Syst_L``, ``DIA_mmHg``, ``Pulse Ox Rate``: see
  ``vocabulary.looks_like_vital``) but is not one of the names above is an ERROR naming the
  column, so the import stops instead of charting the file without it; any other unknown
  column is a *not charted* notice.
- Time: one column (``time``, ``timestamp``, ``datetime``...) holding ISO 8601 with or without
  offset or ``YYYY-MM-DD HH:MM[:SS]``; or ``date`` plus ``time`` columns (a ``datetime`` or
  ``timestamp`` column beside ``date``, or a full date-time under ``time``, is the time itself,
  not a time of day); or an elapsed-seconds
  column (``elapsed_s``, or ``elapsed (min)``) counted from the caller's ``start``. A time
  without offset is in ``default_tz`` (None: this computer's zone, DST included).
- Delimiter: comma, semicolon or tab, chosen from the header line; decimal commas are read.
  UTF-8 with or without BOM; CRLF, LF or CR line ends; blank lines skipped.
- Optional columns: ``source``, ``entered_by``, ``status`` (valid, corrected,
  entered-in-error), ``note``, ``patient_id``. Other columns are ignored and reported once.
- Two columns for the same vital (MIMIC's ``HR`` and ``PULSE``): the first is read, the other
  is ignored and reported. Invasive arterial pressure (``ABPSys``...) is not charted.
- Empty cells and ``-``, ``--``, ``n/a`` mean 'not measured'. ``0`` is a value (RR 0 is apnoea)
  unless ``zero_is_missing=True``, for exports such as MIMIC numerics that write 0 for
  'no valid value'; otherwise a 0 outside the plausible range rejects its row with a reason.
- A row with any bad cell (not a number, impossible value, DBP >= SBP, bad time) is skipped
  whole and reported: importing part of a suspicious row would chart values no one checked.

Writing (``write_canonical_csv``): columns ``time,sbp,dbp,map,hr,rr,spo2,source,entered_by,
status,note``. ``time`` is ISO 8601 with offset. A MAP derived from SBP/DBP is left EMPTY (it
was not measured; the parser derives the same value again and marks it derived), a measured MAP
is written. Text cells starting with ``= + - @`` (or ``'``) get a leading ``'`` so spreadsheets
do not run them as formulas; the parser removes it. Write, parse, write again gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import BinaryIO, TextIO

from monitor.domain.reading_blocks import (
    VITAL_ORDER,
    BlockRow,
    ReadingBlock,
    RowValues,
    plausible_row,
)
from monitor.domain.readings import Reading, ReadingStatus, Source, parse_value, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital, derive_map

from .column_map import IGNORE, VITAL_ROLES, mapping_problems
from .csv_long import LongLayout, LongRows, header_notices, long_layout
from .csv_names import (
    BP_NAMES,
    DERIVED_NAMES,
    FULL_TIME_NAMES,
    INVASIVE,
    OTHER_NAMES,
    normalize,
    split_header,
    track_name,
    vital_named,
)
from .limits import FIELD_BYTES, HEADER_COLUMNS, LIMIT, LINE_BYTES
from .local_time import LocalZone
from .parsed import (
    CSV,
    MAX_ERRORS,
    ParsedReading,
    ParseResult,
    RowError,
    imported_reading,
    not_text_problem,
    source_detail,
    to_display_unit,
    unit_factor,
)
from .vocabulary import looks_like_vital

CANONICAL_COLUMNS = (
    "time", "sbp", "dbp", "map", "hr", "rr", "spo2", "source", "entered_by", "status", "note",
)
_CHUNK = 64 * 1024
_MISSING = {"", "-", "--", "---", "n/a", "na", "null", "none"}
# What a spreadsheet may run as a formula (OWASP CSV injection: also a leading tab or CR).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

@dataclass(frozen=True)
class _Column:
    index: int
    header: str  # as written in the file, for messages
    kind: str  # "vital", "bp", or a key of OTHER_NAMES
    vital: Vital | None = None
    unit: str = ""


@dataclass(frozen=True)
class _Layout:
    """What the header says: which column holds what."""

    vitals: list[_Column]
    time: _Column | None
    date: _Column | None
    elapsed: _Column | None
    elapsed_factor: float
    text: dict[str, _Column]  # source, entered_by, status, note, patient


def _read_header(cells: list[str], line: int, columns: Mapping[str, str] | None = None
                 ) -> tuple[_Layout | None, list[RowError]]:
    """Map header cells to columns (``columns``: a user's mapping, header -> role, see
    :mod:`monitor.io.column_map`). Returns (None, errors) when the file cannot be read."""
    errors: list[RowError] = []
    vitals: list[_Column] = []
    taken: dict[Vital, str] = {}
    others: dict[str, _Column] = {}
    device_tracks = False
    for index, cell in enumerate(cells):
        header = cell.strip().lstrip("\ufeff")
        if not header:
            continue
        name, unit = split_header(header)
        track = track_name(name)
        if track is not None:  # VitalDB 'Solar8000/NIBP_SBP': the track says what it is
            device_tracks = True
        key = normalize(track or name)
        where = f"line {line}, column '{header}'"
        role = columns.get(header) if columns else None
        if role == IGNORE:
            errors.append(RowError.not_charted(where, "ignored, as the column mapping says"))
            continue
        if role is None:
            vital, is_bp = vital_named(key), key in BP_NAMES
        else:
            vital = Vital(role) if role in VITAL_ROLES and role != "bp" else None
            is_bp = role == "bp"
        if vital is not None or is_bp:
            kind = "vital" if vital is not None else "bp"
            covers = [vital] if vital is not None else [Vital.SBP, Vital.DBP]
            if unit and any(unit_factor(v, unit) is None for v in covers):
                errors.append(RowError(where, f"unknown unit '{unit}' for "
                                       f"{VITAL_SPECS[covers[0]].label}; column ignored"))
                continue
            clash = next((v for v in covers if v in taken), None)
            if clash is not None:
                errors.append(RowError(where, f"{VITAL_SPECS[clash].label} is already read from "
                                       f"column '{taken[clash]}'; this column is ignored"))
                continue
            taken.update({v: header for v in covers})
            vitals.append(_Column(index, header, kind, vital, unit))
            continue
        other = role or next((k for k, names in OTHER_NAMES.items() if key in names), None)
        if other is None and key.startswith("elapsed"):
            other = "elapsed"
        if other is not None and other not in others:
            others[other] = _Column(index, header, other, unit=unit)
        elif key in DERIVED_NAMES:
            errors.append(RowError.not_charted(where, "pulse pressure is worked out from SBP "
                                               "and DBP; column ignored"))
        elif INVASIVE.match(key):
            errors.append(RowError.not_charted(where, "invasive arterial pressure is not "
                                               "charted (only non-invasive BP); column ignored"))
        elif looks_like_vital(name) or looks_like_vital(header):
            # 'Sys.', 'DIA_mmHg', 'NIBP S (1)': chartable values the app cannot place. Never
            # ignored in silence: the import stops until the column is renamed.
            errors.append(RowError(where, "looks like a vital sign but is not understood: "
                                   "map it (Map columns in the preview, or --columns), or "
                                   "rename it to SBP, DBP, MAP, HR, RR or SpO2 (a unit in "
                                   "brackets, e.g. 'SBP (mmHg)'); its values are not read"))
        else:
            errors.append(RowError.not_charted(where, "not a vital sign the monitor charts; "
                                               "column ignored"))
    time, date = others.pop("time", None), others.pop("date", None)
    if time is None and date is not None:  # a lone 'date' column holds date and time
        time, date = date, None
    elif time is not None and date is not None and normalize(time.header) in FULL_TIME_NAMES:
        # 'datetime' or 'timestamp' beside 'date' holds the date itself: not a time of day.
        errors.append(RowError.not_charted(
            f"line {line}, column '{date.header}'",
            f"column '{time.header}' holds the date and time; this column is ignored"))
        date = None
    elapsed = others.pop("elapsed", None)
    if (device_tracks and elapsed is None and time is not None and date is None
            and normalize(time.header) == "time" and not (columns and time.header in columns)):
        # A VitalDB / Vital Recorder export: its 'Time' is seconds from the start of the case.
        time, elapsed = None, _Column(time.index, time.header, "elapsed", unit="s")
    factor = 1.0
    if elapsed is not None:
        unit = (elapsed.unit or normalize(elapsed.header).removeprefix("elapsed")).lower()
        factor = 60.0 if unit in {"min", "minutes", "m"} else 1.0
        if unit not in {"", "s", "sec", "seconds", "min", "minutes", "m"}:
            errors.append(RowError(f"line {line}, column '{elapsed.header}'",
                                   f"unknown unit '{unit}' for elapsed time (use s or min)"))
            return None, errors
    if time is None and elapsed is None:
        errors.append(RowError(f"line {line}", "no time column: name one 'time' (date and time),"
                               " or 'date' and 'time', or 'elapsed_s' (or map the columns)"))
    if not vitals:
        errors.append(RowError(f"line {line}", "no vital-sign columns: expected headers such as "
                               "SBP, DBP, BP, MAP, HR, RR, SpO2 (or map the columns)"))
    if time is None and elapsed is None or not vitals:
        return None, errors
    return _Layout(vitals, time, date, elapsed, factor, others), errors


# --- bytes to text lines ---------------------------------------------------------------------



class _LineTooLong(Exception):
    """A line went beyond :data:`LINE_BYTES`; ``args[0]`` is its number."""


def _raw_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines with their endings, split on CRLF, LF or a lone CR (exactly the line ends
    ``bytes.splitlines`` knows), read chunk by chunk. Raises :class:`_LineTooLong` as soon as
    a line is longer than the limit, so a file that is one endless line is refused after a
    megabyte, not read whole."""
    pending = b""
    count = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        lines = (pending + chunk).splitlines(keepends=True)
        # The last piece may be cut short by the chunk, or be a CR whose LF comes next.
        pending = lines.pop() if not lines[-1].endswith(b"\n") else b""
        if len(pending) > LINE_BYTES.value:
            raise _LineTooLong(count + len(lines) + 1)
        for line in lines:
            if len(line) > LINE_BYTES.value + 2:  # the limit is on the text, not its CRLF
                raise _LineTooLong(count + 1)
            count += 1
            yield line
    if pending:
        yield pending


class _TextLines:
    """Decodes raw lines one by one, remembering line numbers and the lines that were not
    UTF-8, so the row built from them can be reported instead of read with wrong letters."""

    def __init__(self, raw: Iterator[bytes], progress: Callable[[int], None] | None):
        self._raw = raw
        self._progress = progress
        self.consumed = 0
        self.line = 0
        self.bad: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for data in self._raw:
            self.line += 1
            self.consumed += len(data)
            if self.line == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            if b"\x00" in data:
                self.bad[self.line] = "contains binary data (NUL bytes)"
                data = data.replace(b"\x00", b"")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                self.bad[self.line] = (
                    f"is not UTF-8 text (byte 0x{data[e.start]:02X} at position {e.start + 1}); "
                    "the file is probably Latin-1 or Windows-1252: save it as CSV UTF-8")
                text = data.decode("utf-8", errors="replace")
            yield text

    def report(self) -> None:
        if self._progress is not None:
            self._progress(self.consumed)


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- cells -----------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](.*))?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
                    r"(?:\s*([AaPp])\.?[Mm]\.?)?$")
# Dates with an English month name, as home BP apps export them (Omron Connect: "Apr 28, 2026",
# "Jan 12 2025"; others "28 Apr 2026", "28-Apr-2026"): unambiguous, unlike 04/05/2026.
_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1)
    for name in names}
_MONTH_FIRST = re.compile(r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
                          r"(?:[ T,]\s*(?P<clock>.+))?$")
_DAY_FIRST = re.compile(r"^(?P<day>\d{1,2})[ .-](?P<mon>[A-Za-z]{3,9})\.?[ .-](?P<year>\d{4})"
                        r"(?:[ T,]\s*(?P<clock>.+))?$")
_TIME_HINT = "use ISO 8601, e.g. 2024-05-01T10:15:00+02:00, or YYYY-MM-DD HH:MM"


def parse_timestamp(text: str, default_tz: tzinfo | None) -> tuple[datetime | None, str | None]:
    """A date-and-time cell as an aware datetime, or (None, reason). A time without offset
    is in ``default_tz`` (None: this computer's zone); one that zone's clock shows twice or
    never (a DST change) is refused (see :mod:`monitor.io.local_time`)."""
    return _timestamp(text, LocalZone(default_tz))


def _timestamp(text: str, zone: LocalZone) -> tuple[datetime | None, str | None]:
    value = text.strip()
    if len(value) > 10 and value[4] == "-":
        # ISO 8601 with a time, the usual cell: neither a bare date nor the dotted form.
        try:
            return zone.aware(datetime.fromisoformat(value))
        except ValueError:
            return None, f"'{value}' is not a date and time ({_TIME_HINT})"
    if not value:
        return None, "no time given"
    if _DATE_ONLY.match(value):
        return None, f"'{value}' is a date without a time of day"
    dotted = _DOTTED.match(value)
    if dotted:  # 01.05.2024 10:15, the usual European spreadsheet form
        day, month, year, clock = dotted.groups()
        if not clock:
            return None, f"'{value}' is a date without a time of day"
        value = f"{year}-{int(month):02d}-{int(day):02d}T{clock.strip()}"
    named = _MONTH_FIRST.match(value) or _DAY_FIRST.match(value)
    if named and named["mon"].lower() in _MONTHS:
        if not named["clock"]:
            return None, f"'{value}' is a date without a time of day"
        clock = _clock_text(named["clock"])
        if clock is None:
            return None, f"'{named['clock'].strip()}' is not a time of day (use HH:MM)"
        value = (f"{named['year']}-{_MONTHS[named['mon'].lower()]:02d}-"
                 f"{int(named['day']):02d}T{clock}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, f"'{text.strip()}' is not a date and time ({_TIME_HINT})"
    return zone.aware(moment)


def _combine(date_text: str, clock_text: str,
             zone: LocalZone) -> tuple[datetime | None, str | None]:
    clock = _CLOCK.match(clock_text.strip())
    if not clock and len(clock_text.strip()) > 8:
        # A full date and time under a 'time' header beside the date: it says the date itself.
        moment, problem = _timestamp(clock_text, zone)
        if moment is not None:
            return moment, None
    text = _clock_text(clock_text) if clock else None
    if text is None:
        return None, f"'{clock_text.strip()}' is not a time of day (use HH:MM or HH:MM:SS)"
    return _timestamp(f"{date_text.strip()} {text}", zone)


def _clock_text(text: str) -> str | None:
    """``'7:05'``, ``'07:05:09.5'``, ``'6:00 pm'`` as ``HH:MM:SS[.f]``, or None."""
    clock = _CLOCK.match(text.strip())
    if not clock:
        return None
    h, m, s, frac, half = clock.groups()
    hour = int(h)
    if half:  # 12-hour clock: 12 AM is midnight, 12 PM noon
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    return f"{hour:02d}:{m}:{s or '00'}{'.' + frac if frac else ''}"


def _number(vital: Vital, text: str, unit: str,
            zero_is_missing: bool) -> tuple[float | None, str | None]:
    cleaned = text.strip()
    if vital is Vital.SPO2 and cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    if cleaned.lower() in _MISSING:
        return None, None
    value, error = parse_value(vital, cleaned)
    if error is not None or value is None:
        return None, f"'{text.strip()}' is not a number"
    if value == 0 and zero_is_missing:
        return None, None
    return to_display_unit(vital, value, unit)


def _unformula(text: str) -> str:
    """Undo the writer's guard against spreadsheet formulas (see ``_guard_formula``)."""
    if text.startswith("'") and text[1:].startswith((*_FORMULA_START, "'")):
        return text[1:]
    return text


# --- rows ------------------------------------------------------------------------------------


@dataclass
class _Options:
    name: str
    default_tz: tzinfo | None
    start: datetime | None
    zero_is_missing: bool
    source: Source
    fmt: str = CSV  # what the readings' source detail names (XLSX for a workbook's sheet)

    def __post_init__(self) -> None:
        self.zone = LocalZone(self.default_tz)


def _row_time(layout: _Layout, cells: list[str], opts: _Options,
              where: str) -> tuple[datetime | None, RowError | None]:
    def cell(col: _Column) -> str:
        return cells[col.index] if col.index < len(cells) else ""

    if layout.time is not None:
        if layout.date is not None:
            moment, problem = _combine(cell(layout.date), cell(layout.time), opts.zone)
            header = f"{layout.date.header}' + '{layout.time.header}"
        else:
            moment, problem = _timestamp(cell(layout.time), opts.zone)
            header = layout.time.header
        return moment, (RowError(f"{where}, column '{header}'", problem) if problem else None)
    col = layout.elapsed
    assert col is not None and opts.start is not None
    text = cell(col).strip().replace(",", ".")
    try:
        seconds = float(text) * layout.elapsed_factor
        moment = opts.start + timedelta(seconds=seconds)
    except (ValueError, OverflowError):
        return None, RowError(f"{where}, column '{col.header}'",
                              f"'{text}' is not a number of seconds")
    return moment, None


#: How many recent rows are remembered to spot a time given twice. Monitor exports are in
#: time order, so a repeated time is near its twin; remembering a window instead of the whole
#: file keeps memory bounded on a million-row file.
SAME_TIME_WINDOW = 50_000


class RecentMoments:
    """The last ``size`` row instants (UTC timestamps) with their line and values (oldest
    forgotten first). Keyed by the instant, not the datetime: two datetimes that share one
    zone compare by wall clock, which puts the two 01:30s of a DST change together."""

    def __init__(self, size: int):
        self.size = size
        self._rows: OrderedDict[float, tuple[int, RowValues]] = OrderedDict()

    def get(self, instant: float) -> tuple[int, RowValues] | None:
        return self._rows.get(instant)

    def add(self, instant: float, row: tuple[int, RowValues]) -> None:
        self._rows[instant] = row
        if len(self._rows) > self.size:
            self._rows.popitem(last=False)

    def note(self, instant: float, row: tuple[int, RowValues]) -> tuple[int, RowValues] | None:
        """The row already seen at ``instant``, or None after remembering ``row`` there."""
        rows = self._rows
        earlier = rows.get(instant)
        if earlier is None:
            rows[instant] = row
            if len(rows) > self.size:
                rows.popitem(last=False)
        return earlier


_VITAL_ORDER = VITAL_ORDER
_MAP_AT = VITAL_ORDER.index(Vital.MAP)


class _RowPlan:
    """What each row of one file needs done, worked out once from its header: the vital
    columns in header order with their unit factor, and which column each vital comes from
    (for messages). A million-row file then pays only for the cells it has."""

    def __init__(self, layout: _Layout, opts: _Options):
        self.layout = layout
        self.opts = opts
        self.vitals = [(col.index, col, col.vital if col.kind == "vital" else None,
                        unit_factor(col.vital, col.unit) if col.vital else None)
                       for col in layout.vitals]
        self.header_of = {VITAL_SPECS[v].label: col.header for col in layout.vitals
                          for v in ([col.vital] if col.vital else [Vital.SBP, Vital.DBP])}
        self.detail = source_detail(opts.name, opts.fmt)


class _BulkPlan:
    """The quick way through a row, for files whose header allows it: one ISO 8601 time
    column (or an elapsed-time column and a start), one column per vital (no ``120/80``
    cells), nothing else read (no status, note, initials, source or patient column). A row
    qualifies when every cell is plain (a time :func:`datetime.fromisoformat` reads, numbers
    :func:`float` reads, or empty) and :func:`plausible_row` vouches for its values; it then
    joins a :class:`ReadingBlock`. Any other row goes the general way (:func:`_row`), which
    says what is wrong with it, so both ways give the same readings and the same messages
    (a test holds them equal)."""

    def __init__(self, layout: _Layout, opts: _Options, width: int, detail: str,
                 delimiter: str = ","):
        column = layout.time or layout.elapsed
        assert column is not None
        self.width = width
        self.time_index = column.index
        # Elapsed time counts from the caller's start (None: the column holds the time).
        self.start = opts.start if layout.time is None else None
        self.elapsed_factor = layout.elapsed_factor
        self.zone = opts.zone
        self.zero_is_missing = opts.zero_is_missing
        self.source = opts.source
        self.detail = detail
        # A file separated by semicolons or tabs may write decimal commas (what the general
        # way reads too: parse_value turns the comma into a point).
        self.decimal_comma = delimiter != ","
        self.cells = [(col.index, _VITAL_ORDER.index(col.vital), unit_factor(col.vital, col.unit))
                      for col in layout.vitals if col.vital is not None]
        # For rows whose every vital cell holds a number: pick the cells, then put the
        # numbers in VITAL_ORDER with None (the extra last item) for vitals not in the file.
        plain = (len(self.cells) > 1 and not self.zero_is_missing
                 and all(factor == 1.0 for _, _, factor in self.cells))
        self.every_cell = (operator.itemgetter(*[index for index, _, _ in self.cells])
                           if plain else None)
        position = {slot: n for n, (_, slot, _) in enumerate(self.cells)}
        self.in_vital_order = operator.itemgetter(
            *[position.get(slot, len(self.cells)) for slot in range(len(_VITAL_ORDER))])

    @classmethod
    def for_layout(cls, layout: _Layout, opts: _Options, width: int,
                   detail: str, delimiter: str = ",") -> _BulkPlan | None:
        """The plan, or None when rows of this layout must each go the general way."""
        timed = (layout.time is not None and layout.date is None
                 or layout.time is None and opts.start is not None)
        simple = (timed and not layout.text
                  and all(col.kind == "vital" for col in layout.vitals))
        return cls(layout, opts, width, detail, delimiter) if simple else None

    def block(self) -> ReadingBlock:
        return ReadingBlock(self.source, self.detail)

    def _comma_numbers(self, picked: tuple[str, ...]) -> list[float] | None:
        if not self.decimal_comma:
            return None
        try:
            return [float(text.replace(",", ".")) for text in picked]
        except ValueError:
            return None

    def read(self, cells: list[str]) -> tuple[datetime, RowValues] | None:
        """The row's time and values (MAP not yet derived), or None to go the general way."""
        if len(cells) != self.width:
            return None
        text = cells[self.time_index]
        if self.start is not None:
            try:
                moment = self.start + timedelta(seconds=float(text) * self.elapsed_factor)
            except (ValueError, OverflowError):
                return None
        else:
            if len(text) <= 10 or text[4] != "-":
                return None
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                return None
            if moment.tzinfo is None or moment.utcoffset() is None:
                moment = self.zone.aware(moment)[0]  # type: ignore[assignment]
                if moment is None:  # a DST change: the general way says why
                    return None
        if self.every_cell is not None:
            # The usual monitor export: every cell filled, no unit to convert, no zero to
            # drop. One C-level pass reads them all; an empty or odd cell falls through.
            picked = self.every_cell(cells)
            try:
                numbers = list(map(float, picked))
            except ValueError:
                numbers = self._comma_numbers(picked)
            if numbers is not None:
                numbers.append(None)  # type: ignore[arg-type]
                row = self.in_vital_order(numbers)
                return (moment, row) if plausible_row(row) else None
        values: list[float | None] = [None] * len(_VITAL_ORDER)
        for index, slot, factor in self.cells:
            text = cells[index]
            if not text:
                continue
            try:
                # What float() reads the general way reads too (after strip and a decimal
                # comma); anything else (70%, n/a, 1,5 in a comma-separated file) goes the
                # general way.
                value = float(text)
            except ValueError:
                if not self.decimal_comma:
                    return None
                try:
                    value = float(text.replace(",", "."))
                except ValueError:
                    return None
            if value == 0 and self.zero_is_missing:
                continue
            values[slot] = value if factor == 1.0 else round(value * factor, 1)
        row = tuple(values)
        return (moment, row) if plausible_row(row) else None


def _row(plan: _RowPlan, cells: list[str], line: int,
         seen: RecentMoments) -> list[ParsedReading | RowError]:
    """One data row as a reading, or the reasons it is skipped."""
    layout, opts = plan.layout, plan.opts
    where = f"line {line}"
    errors: list[RowError] = []
    moment, time_error = _row_time(layout, cells, opts, where)
    if time_error:
        errors.append(time_error)
    values: dict[Vital, float] = {}
    width = len(cells)
    for index, col, vital, factor in plan.vitals:
        text = cells[index] if index < width else ""
        if vital is not None and text.isdigit() and text.isascii():
            # A plain whole number, the usual cell: what _number would make of it, directly.
            value = float(text)
            if not (value == 0 and opts.zero_is_missing):
                values[vital] = value if factor == 1.0 else round(value * factor, 1)
            continue
        parts: list[tuple[Vital, str]] = [(vital, text)] if vital is not None else []
        if vital is None and text.strip().lower() not in _MISSING:
            halves = text.split("/")
            if len(halves) != 2:
                errors.append(RowError(f"{where}, column '{col.header}'",
                                       f"'{text.strip()}' is not a blood pressure like 120/80"))
                continue
            parts = [(Vital.SBP, halves[0]), (Vital.DBP, halves[1])]
        for part_vital, part in parts:
            number, problem = _number(part_vital, part, col.unit, opts.zero_is_missing)
            if problem:
                errors.append(RowError(f"{where}, column '{col.header}'", problem))
            elif number is not None:
                values[part_vital] = number
    texts = ({k: _unformula(cells[c.index].strip()) if c.index < width else ""
              for k, c in layout.text.items()} if layout.text else _NO_TEXTS)
    status = ReadingStatus.VALID
    if texts.get("status"):
        try:
            status = ReadingStatus(texts["status"].lower())
        except ValueError:
            errors.append(RowError(f"{where}, column '{layout.text['status'].header}'",
                                   f"'{texts['status']}' is not a status (valid, corrected, "
                                   "entered-in-error)"))
    if errors:
        return errors
    if not values:
        return [RowError(where, "no vital-sign values; row skipped")]
    problems = validate_values(values)
    if problems:
        # MIMIC-style exports write 0 for 'no value'; say so where a 0 is the trouble.
        hint = (" (if 0 means 'no value' in this file, import with zeros as missing)"
                if 0 in values.values() else "")
        header_of = plan.header_of
        return [RowError(f"{where}, column '{header_of[p.field]}'" if p.field in header_of
                         else where, f"{p}; row skipped{hint}") for p in problems]
    assert moment is not None
    if status is ReadingStatus.VALID:
        # Two different current readings for one moment cannot both be right; corrected and
        # entered-in-error rows legitimately share their time with the row that replaced them.
        compact = tuple(map(values.get, _VITAL_ORDER))
        repeated = _repeated(seen, moment, moment.timestamp(), line, compact)
        if repeated is not None:
            return [repeated]
    extra = {"original_source": texts["source"]} if texts.get("source") else None
    reading = imported_reading(
        moment, values, source=opts.source, detail=plan.detail,
        entered_by=texts.get("entered_by", ""), note=texts.get("note", ""), status=status,
        extra=extra,
    )
    return [ParsedReading(reading, where, texts.get("patient") or None)]


_NO_TEXTS: dict[str, str] = {}


def _repeated(seen: RecentMoments, moment: datetime, instant: float, line: int,
              values: RowValues) -> RowError | None:
    """Why a current row at ``moment`` repeats an earlier one, or None (and it is noted)."""
    earlier = seen.note(instant, (line, values))
    return None if earlier is None else _repeat_error(earlier, moment, line, values)


def _repeat_error(earlier: tuple[int, RowValues], moment: datetime, line: int,
                  values: RowValues) -> RowError:
    other_line, other_values = earlier
    if other_values == values:
        return RowError(f"line {line}", f"repeats line {other_line}; row skipped")
    return RowError(f"line {line}", f"time {moment.isoformat()} is already on line {other_line}"
                    " with different values; row skipped: check which is right")


def iter_csv(
    stream: BinaryIO,
    *,
    name: str,
    default_tz: tzinfo | None = None,
    start: datetime | None = None,
    zero_is_missing: bool = False,
    source: Source = Source.IMPORT,
    progress: Callable[[int], None] | None = None,
    blocks: bool = False,
    quick_rows: bool = True,
    columns: Mapping[str, str] | None = None,
    fmt: str = CSV,
) -> Iterator[ParsedReading | ReadingBlock | RowError]:
    """Read a CSV/TSV file row by row, yielding a reading or errors for each row.

    ``stream`` is binary (never text mode: the encoding is checked here). ``name`` is the file
    name shown in ``source_detail``. ``default_tz`` is the zone of times without an offset
    (None: this computer's zone). ``start`` is the moment an elapsed-seconds column counts
    from. ``zero_is_missing`` treats 0 as 'no value' (MIMIC numerics). ``progress`` is called
    after each row with the number of bytes consumed so far, for a progress bar.
    ``blocks`` gives runs of plain valid rows as :class:`ReadingBlock` s instead of one
    reading each (what the importer wants for a big file); ``quick_rows`` False reads every
    row the general way (slower; for checking that both ways agree). ``columns`` is a
    user's column mapping (:mod:`monitor.io.column_map`); a mapping that does not fit the
    header is an error on the header line and nothing is read. ``fmt`` is the format the
    readings' source detail names (a workbook's sheet comes here as CSV text).
    Never raises on bad content; stops after ``MAX_ERRORS`` errors."""
    try:
        yield from _iter_csv(stream, _Options(name, default_tz, start, zero_is_missing, source,
                                              fmt), progress, blocks, quick_rows, columns)
    except _LineTooLong as too_long:
        yield LINE_BYTES.refusal(f"line {too_long.args[0]}")


def _iter_csv(stream: BinaryIO, opts: _Options, progress: Callable[[int], None] | None,
              blocks: bool, quick_rows: bool, columns: Mapping[str, str] | None = None,
              ) -> Iterator[ParsedReading | ReadingBlock | RowError]:
    start = opts.start
    raw = _raw_lines(stream)
    first = next(raw, b"")
    problem = not_text_problem(first[:4096], CSV, "save it as CSV UTF-8 (in Excel: 'CSV UTF-8 "
                               "(Comma delimited)')")
    if problem:
        yield RowError("line 1", problem)
        return
    lines = _TextLines(_chain(first, raw), progress)
    text_iter = iter(lines)
    header_text = next((t for t in text_iter if t.strip()), None)
    if header_text is None:
        yield RowError("file", "the file is empty")
        return
    header_line = lines.line
    if header_line in lines.bad:
        yield RowError(f"line {header_line}", f"header {lines.bad[header_line]}")
        return
    delimiter = _sniff_delimiter(header_text)
    header_cells = next(csv.reader([header_text], delimiter=delimiter), [])
    if len(header_cells) > HEADER_COLUMNS.value:
        yield HEADER_COLUMNS.refusal(f"line {header_line}", f"{len(header_cells):,} columns")
        return
    reader = csv.reader(text_iter, delimiter=delimiter)
    if columns:
        misfits = mapping_problems(columns, header_cells)
        if misfits:
            yield from (RowError(f"line {header_line}", f"column mapping: {m}") for m in misfits)
            return
    # A mapping that names a vital column makes the file wide; one that names none (a user
    # who opened Map columns on a one-value-per-row file and kept what it offered) does not.
    maps_vitals = bool(columns) and any(r in VITAL_ROLES for r in columns.values())
    long = None if maps_vitals else long_layout(header_cells)
    if long is not None:
        yield from _iter_long(long, _records(reader, lines, header_line), lines, opts,
                              header_cells, header_line)
        return
    layout, header_errors = _read_header(header_cells, header_line, columns)
    yield from header_errors
    if layout is None:
        return
    if layout.time is None and start is None:
        assert layout.elapsed is not None
        yield RowError(f"line {header_line}, column '{layout.elapsed.header}'",
                       "this column counts seconds from a start time: give the start time "
                       "to import the file")
        return
    error_count = len(header_errors)
    plan = _RowPlan(layout, opts)
    bulk = (_BulkPlan.for_layout(layout, opts, len(header_cells), plan.detail, delimiter)
            if quick_rows else None)
    block, block_rows = _fresh(bulk)
    seen = RecentMoments(SAME_TIME_WINDOW)
    note = seen.note
    for record in _records(reader, lines, header_line):
        if isinstance(record, RowError):
            if record.kind == LIMIT:
                yield record
                return
            if block:
                yield from _emit(block, blocks)
                block, block_rows = _fresh(bulk)
            yield record
            continue
        first_line, last, cells = record
        if bulk is not None and first_line == last and first_line not in lines.bad:
            parsed = bulk.read(cells)
            if parsed is not None:
                moment, row = parsed
                instant = moment.timestamp()
                earlier = note(instant, (first_line, row))
                if earlier is None:
                    sbp, dbp = row[0], row[1]
                    derived = row[_MAP_AT] is None and sbp is not None and dbp is not None
                    if derived:
                        row = (sbp, dbp, derive_map(sbp, dbp), *row[_MAP_AT + 1:])  # type: ignore[arg-type]
                    block_rows.append((first_line, moment.isoformat(), instant, row, derived))
                    if len(block_rows) >= BLOCK_ROWS:
                        yield from _emit(block, blocks)  # type: ignore[arg-type]
                        block, block_rows = _fresh(bulk)
                        lines.report()
                    continue
                if block:
                    yield from _emit(block, blocks)
                    block, block_rows = _fresh(bulk)
                yield _repeat_error(earlier, moment, first_line, row)
                error_count += 1
                lines.report()
                continue
        if block:
            yield from _emit(block, blocks)
            block, block_rows = _fresh(bulk)
        if not any(c.strip() for c in cells):
            continue
        problems = _record_problems(cells, first_line, last, lines, header_cells)
        if problems and problems[-1].kind == LIMIT:
            yield problems[-1]
            return
        outputs = problems or _row(plan, cells, first_line, seen)
        for out in outputs:
            yield out
            if isinstance(out, RowError):
                error_count += 1
        lines.report()
        if error_count >= MAX_ERRORS:
            yield RowError(f"line {last}", f"stopped after {MAX_ERRORS} errors: this does not "
                           "look like a vital-signs CSV file")
            return
    if block:
        yield from _emit(block, blocks)
    lines.report()


def _iter_long(layout: LongLayout, records: Iterator[tuple[int, int, list[str]] | RowError],
               lines: _TextLines, opts: _Options, header_cells: list[str], header_line: int
               ) -> Iterator[ParsedReading | RowError]:
    """The records of a one-value-per-row file (see :mod:`monitor.io.csv_long`)."""
    errors = 0

    def counted(items: Iterable[ParsedReading | RowError]) -> Iterator[ParsedReading | RowError]:
        nonlocal errors
        for item in items:
            errors += isinstance(item, RowError) and not item.is_notice
            yield item

    def read_time(time_text: str, date_text: str | None) -> tuple[datetime | None, str | None]:
        if date_text is None:
            return _timestamp(time_text, opts.zone)
        return _combine(date_text, time_text, opts.zone)

    notices = header_notices(layout, header_line)
    yield from notices
    if layout.time is None:
        return
    rows = LongRows(layout, read_time, detail=source_detail(opts.name, opts.fmt),
                    source=opts.source)
    last = header_line
    for record in records:
        if isinstance(record, RowError):
            yield from counted([record])
            if record.kind == LIMIT:
                return
            continue
        first, last, cells = record
        if not any(c.strip() for c in cells):
            continue
        problems = _record_problems(cells, first, last, lines, header_cells)
        yield from counted(problems or rows.add(cells, first))
        if problems and problems[-1].kind == LIMIT:
            return
        lines.report()
        if errors >= MAX_ERRORS:
            yield RowError(f"line {last}", f"stopped after {MAX_ERRORS} errors: this does not "
                           "look like a vital-signs CSV file")
            return
    yield from rows.finish()
    lines.report()


#: Rows per :class:`ReadingBlock`: the importer's batch size.
BLOCK_ROWS = 2000


def _fresh(bulk: _BulkPlan | None) -> tuple[ReadingBlock | None, list[BlockRow]]:
    block = bulk.block() if bulk is not None else None
    return block, (block.rows if block is not None else [])


def _emit(block: ReadingBlock, as_block: bool) -> Iterator[ParsedReading | ReadingBlock]:
    if as_block:
        yield block
        return
    for line, reading in block.readings():
        yield ParsedReading(reading, f"line {line}")


def _records(reader: Iterator[list[str]], lines: _TextLines, header_line: int
             ) -> Iterator[tuple[int, int, list[str]] | RowError]:
    """Each CSV record after the header as (first line, last line, cells); an unreadable one
    as an error; a quote that never closes as the refusal (kind LIMIT) that ends the file."""
    last = header_line
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            if "field larger than field limit" in str(e):  # an unclosed quote, or a blob
                yield FIELD_BYTES.refusal(f"line {last + 1}",
                                          "a quote opened on this line may never close")
                return
            yield RowError(f"line {lines.line}", f"unreadable CSV: {e}")
            last = lines.line
            continue
        first, last = last + 1, lines.line
        yield first, last, cells


def _record_problems(cells: list[str], first: int, last: int, lines: _TextLines,
                     header_cells: list[str]) -> list[ParsedReading | RowError]:
    """Why a record cannot be read as a row: a line that was not UTF-8, more values than the
    header has columns, or a field beyond the limit (then the refusal, kind LIMIT, is last).
    Empty when it can."""
    bad = [n for n in range(first, last + 1) if n in lines.bad] if lines.bad else []
    if bad:
        return [RowError(f"line {n}", f"{lines.bad[n]}; row skipped") for n in bad]
    where = first if first == last else f"{first}-{last}"
    width = len(header_cells)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return [RowError(f"line {where}", f"{len(cells):,} values but the header has "
                         f"{width} columns; row skipped")]
    if max(map(len, cells)) > FIELD_BYTES.value:
        wide = max(range(len(cells)), key=lambda n: len(cells[n]))
        column = f", column '{header_cells[wide]}'" if wide < width else ""
        return [FIELD_BYTES.refusal(f"line {where}{column}", f"{len(cells[wide]):,} characters")]
    return []


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def peek_header(head: bytes) -> tuple[list[str], list[str]] | None:
    """The header cells and the first data row's cells (empty when none) of a CSV file whose
    first bytes are ``head``, or None when the header does not end within them (or is not
    text). For offering a column mapping and finding a remembered one; reads nothing more."""
    if not_text_problem(head[:4096], CSV, ""):
        return None
    lines = [line for line in head.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True)
             if line.strip()]
    if not lines or not lines[0].endswith((b"\n", b"\r")):
        return None
    try:
        texts = [line.decode("utf-8") for line in lines[:2]]
    except UnicodeDecodeError:
        return None
    delimiter = _sniff_delimiter(texts[0])
    rows = list(csv.reader(texts, delimiter=delimiter))
    sample = rows[1] if len(rows) > 1 and lines[1].endswith((b"\n", b"\r")) else []
    return rows[0], sample


def parse_csv(
    data: bytes | BinaryIO,
    *,
    name: str,
    default_tz: tzinfo | None = None,
    start: datetime | None = None,
    zero_is_missing: bool = False,
    source: Source = Source.IMPORT,
    progress: Callable[[int], None] | None = None,
    columns: Mapping[str, str] | None = None,
) -> ParseResult:
    """Read a whole CSV/TSV file (bytes or a binary stream); see :func:`iter_csv`."""
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    return ParseResult.collect(
        iter_csv(stream, name=name, default_tz=default_tz, start=start,
                 zero_is_missing=zero_is_missing, source=source, progress=progress,
                 columns=columns),
        CSV,
    )


# --- writing ---------------------------------------------------------------------------------


def _format_number(value: float) -> str:
    # repr() is the shortest text that reads back as the same float.
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _guard_formula(text: str) -> str:
    # A text that already starts with the quote gets one more, so reading back removes
    # exactly one and "'=x" typed by a nurse survives the round trip.
    return "'" + text if text.startswith((*_FORMULA_START, "'")) else text


def write_canonical_csv(readings: Iterable[Reading], stream: TextIO) -> int:
    """Write readings as the canonical CSV and return how many rows were written.

    ``stream`` is a text stream opened with ``newline=''`` (and UTF-8 for a file). A derived
    MAP is left empty (the parser derives it again); ``source`` is the reading's original
    source when it came from an imported canonical file, so export/import/export is stable."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CANONICAL_COLUMNS)
    count = 0
    for r in readings:
        cells = [r.taken_at.isoformat()]
        for vital in (Vital.SBP, Vital.DBP, Vital.MAP, Vital.HR, Vital.RR, Vital.SPO2):
            value = r.values.get(vital)
            skip = value is None or (vital is Vital.MAP and r.map_derived)
            cells.append("" if skip else _format_number(value))
        original = (r.extra or {}).get("original_source") or r.source.value
        cells += [_guard_formula(original), _guard_formula(r.entered_by), r.status.value,
                  _guard_formula(r.note)]
        writer.writerow(cells)
        count += 1
    return count
