"""Long-format vitals files: one row per value, as EHR extracts and research exports write them.

Synthea's ``observations.csv`` (``DATE,PATIENT,ENCOUNTER,CATEGORY,CODE,DESCRIPTION,VALUE,
UNITS,TYPE``) is the model: systolic and diastolic on two rows, heart rate on a third, with
height, weight and pain scores between them. Such a file is recognised by its header: a value
column (``value``, ``valuenum``, ``result``...) and a code column (``code``, ``loinc``...) or
a parameter-name column (``parameter``, ``vital``, ``description``...), and no column named
after a vital sign (that is the wide layout of :mod:`monitor.io.csv_format`).

- A row's code is looked up in the shipped vocabulary (:mod:`monitor.io.vocabulary`): a LOINC
  code (``8480-6``) directly, an MDC one by its reference id (``MDC_PRESS_CUFF_SYS``) or, when
  a ``system`` column says MDC or the code column is named so, by its number. A row without a
  listed code is placed by its name with the wide reader's column names (``HR``, ``Systolic
  blood pressure``, ``BP`` holding ``120/80``).
- Rows of one patient and one time make one reading. Those rows must be near each other (files
  are written so); up to :data:`OPEN_MOMENTS` times are kept open, and a time met again after
  its reading was closed is an error naming the lines.
- A code the vocabulary does not chart (temperature, weight) or that is no vital sign is a
  notice, once per code, on its first line. An unlisted code whose name looks like a vital is
  an error (once per code): its values would otherwise be lost without anyone noticing.
- A charted value that is not a number, in a unit wrong for its vital, or implausible skips
  its whole reading, naming the line; so do two different values for one vital at one time.
  Two codes for one vital (ECG and oximeter heart rate): the preferred one (the vocabulary's
  rank) is kept and the other noticed.
- A ``status`` column: only ``final``, ``amended``, ``corrected`` and ``valid`` rows (or an
  empty status) are charted; ``preliminary``, ``entered-in-error``... are noticed.

This module knows rows, not bytes: :mod:`monitor.io.csv_format` reads the file, checks each
line and hands the cells of each record to :class:`LongRows`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from monitor.domain.readings import Source, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital

from .csv_names import (
    BP_NAMES,
    FULL_TIME_NAMES,
    INVASIVE,
    OTHER_NAMES,
    normalize,
    split_header,
    vital_named,
)
from .parsed import (
    ParsedReading,
    RowError,
    imported_reading,
    to_display_unit,
)
from .vocabulary import LOINC, MDC, Term, looks_like_vital, term, vocabulary

#: Times kept open at once: rows of one time further apart than this many other times are
#: reported instead of being merged, which keeps memory bounded on a huge extract.
OPEN_MOMENTS = 256
#: Closed (patient, time) pairs remembered to spot a time that comes back.
CLOSED_MOMENTS = 50_000
#: Codes not charted that are each noticed; past them one notice says more follow.
NOTICED_CODES = 100
#: Distinct codes remembered for look-ups; a file with more (hostile, or not vitals at all) is
#: still read, its further codes looked up row by row: those that look like a vital are still
#: an error on every row.
KNOWN_CODES = 10_000

_ROLES: dict[str, set[str]] = {
    "code": {"code", "loinc", "loinccode", "observationcode", "testcode", "mdc", "mdccode",
             "conceptcode", "itemcode", "parametercode", "vitalcode"},
    "name": {"description", "display", "name", "parameter", "parametername", "label",
             "observation", "observationname", "measurement", "vital", "vitalsign",
             "vitalname", "test", "testname", "signal", "item", "itemname"},
    "value": {"value", "valuenum", "valuenumeric", "numericvalue", "result", "resultvalue",
              "observationvalue", "measurementvalue", "reading"},
    "unit": {"unit", "units", "valueuom", "uom", "unitofmeasure", "resultunit", "resultunits",
             "valueunit"},
    "system": {"system", "codesystem", "codingsystem", "vocabulary"},
    "status": {"status", "resultstatus", "observationstatus"},
    "patient": OTHER_NAMES["patient"],
    "time": OTHER_NAMES["time"],
    "date": OTHER_NAMES["date"],
}
_PRESSURES = {Vital.SBP, Vital.DBP, Vital.MAP}
_CHARTED_STATUSES = {"", "final", "amended", "corrected", "valid"}
_LOINC_CODE = re.compile(r"^\d{1,7}-\d$")
_MISSING = {"", "-", "--", "---", "n/a", "na", "null", "none"}
_SYSTEM_NAMES = {
    "loinc": LOINC, "httploincorg": LOINC, "mdc": MDC, "ieee11073": MDC,
    "urnisostdiso1107310101": MDC, "11073": MDC,
}

#: Reads a row's time: (time cell, date cell or None) -> (instant, None) or (None, why).
TimeReader = Callable[[str, str | None], tuple[datetime | None, str | None]]


@dataclass(frozen=True)
class LongLayout:
    """Which column of a long-format header holds what (indexes into the row's cells)."""

    value: int
    code: int | None
    name: int | None
    unit: int | None
    system: int | None
    status: int | None
    patient: int | None
    time: int | None
    date: int | None
    headers: tuple[str, ...]
    #: The code column's header names MDC ('MDC code'): bare numbers are MDC codes.
    numbers_are_mdc: bool = False

    def header(self, index: int | None) -> str:
        return self.headers[index] if index is not None else ""


def long_layout(cells: list[str]) -> LongLayout | None:
    """The layout of a long-format header, or None when ``cells`` is not one (a column named
    after a vital sign, no value column, or neither a code nor a name column)."""
    found: dict[str, int] = {}
    headers = tuple(cell.strip().lstrip("\ufeff") for cell in cells)
    for index, header in enumerate(headers):
        key = normalize(split_header(header)[0])
        if vital_named(key) is not None or key in BP_NAMES:
            return None
        role = next((r for r, names in _ROLES.items() if key in names), None)
        if role is not None and role not in found:
            found[role] = index
    if "value" not in found or not ("code" in found or "name" in found):
        return None
    time, date = found.get("time"), found.get("date")
    if time is None:  # a lone 'date' column holds date and time (Synthea's DATE)
        time, date = date, None
    elif date is not None and normalize(headers[time]) in FULL_TIME_NAMES:
        date = None  # 'timestamp' beside 'date' is the time itself
    code = found.get("code")
    return LongLayout(
        value=found["value"], code=code, name=found.get("name"), unit=found.get("unit"),
        system=found.get("system"), status=found.get("status"),
        patient=found.get("patient"), time=time, date=date, headers=headers,
        numbers_are_mdc=code is not None and "mdc" in normalize(headers[code]))


def header_notices(layout: LongLayout, line: int) -> list[RowError]:
    """What the header says about the file: an error without a time column, and a notice for
    each column the long reader does not use."""
    used = {layout.value, layout.code, layout.name, layout.unit, layout.system, layout.status,
            layout.patient, layout.time, layout.date}
    out = [RowError.not_charted(f"line {line}, column '{header}'",
                                "not used by the one-value-per-row layout; column ignored")
           for index, header in enumerate(layout.headers) if header and index not in used]
    if layout.time is None:
        out.append(RowError(f"line {line}", "no time column: name one 'time' or 'date' "
                            "(date and time), or 'date' and 'time'"))
    return out


@dataclass(frozen=True)
class _Meaning:
    """What rows with one code and name chart: a vital (with its rank), both halves of a
    '120/80' cell, or nothing and why (``error`` when the reason is a likely loss)."""

    vital: Vital | None = None
    rank: int = 0
    pressure_pair: bool = False
    reason: str = ""
    error: bool = False
    label: str = ""


@cache
def _mdc_by_reference() -> dict[str, Term]:
    return {t.reference_id.upper(): t for t in vocabulary().values()
            if t.system == MDC and t.reference_id.upper().startswith("MDC_")}


def _listed(code: str, system: str, numbers_are_mdc: bool) -> Term | None:
    """The vocabulary row of a code as a long file writes it, or None."""
    if not code:
        return None
    if system in {"", LOINC} and _LOINC_CODE.match(code):
        found = term(LOINC, code)
        if found is not None:
            return found
    if system in {"", MDC}:
        if code.upper().startswith("MDC_"):
            return _mdc_by_reference().get(code.upper())
        if code.isdigit() and (system == MDC or numbers_are_mdc):
            return term(MDC, code)
    return None


def _meaning(code: str, system_text: str, name: str, numbers_are_mdc: bool) -> _Meaning:
    system = (_SYSTEM_NAMES.get(normalize(system_text), system_text.strip().upper())
              if system_text else "")
    listed = _listed(code, system, numbers_are_mdc)
    shown_name = f"'{name}'" if len(name) <= 80 else f"'{name[:77]}...'"
    shown_code = (f"{listed.system} {code}" if listed is not None
                  else f"code {system} {code}".replace("  ", " ") if code else "")
    label = " ".join(p for p in (shown_code, shown_name if name else "") if p) or "(no code)"
    if listed is not None:
        if listed.vital is not None:
            return _Meaning(listed.vital, listed.rank, label=label)
        if listed.is_panel:
            return _Meaning(reason="a panel code: its values come on their own rows",
                            label=label)
        return _Meaning(reason=listed.not_charted_reason or "not charted", label=label)
    bare, unit_in_name = split_header(name)
    key = normalize(bare)
    vital = vital_named(key)
    if vital is not None:
        return _Meaning(vital, 0, label=label)
    if key in BP_NAMES:
        return _Meaning(pressure_pair=True, label=label)
    if INVASIVE.match(key):
        return _Meaning(reason="invasive arterial pressure is not charted (only non-invasive "
                        "BP)", label=label)
    if looks_like_vital(name) or (not name and looks_like_vital(code)):
        return _Meaning(reason="not in the vocabulary, but its name looks like a vital sign: "
                        "its rows are not read (check the code, or rename it HR, SBP...)",
                        error=True, label=label)
    return _Meaning(reason="not a vital sign the monitor charts", label=label)


@dataclass
class _Value:
    value: float
    rank: int
    line: int
    label: str


@dataclass
class _Moment:
    """The rows of one patient at one time, gathered into one reading."""

    moment: datetime
    patient: str
    lines: list[int] = field(default_factory=list)
    values: dict[Vital, _Value] = field(default_factory=dict)
    problems: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)


def _where(lines: list[int]) -> str:
    first, last = min(lines), max(lines)
    return f"line {first}" if first == last else f"lines {first}-{last}"


class LongRows:
    """Turns the records of a long-format file into readings, errors and notices.

    Feed each record with :meth:`add` (in file order) and call :meth:`finish` at the end;
    both return what is ready. ``read_time`` reads a row's time cells."""

    def __init__(self, layout: LongLayout, read_time: TimeReader, *, detail: str,
                 source: Source):
        self.layout = layout
        self.read_time = read_time
        self.detail = detail
        self.source = source
        self._meanings: dict[tuple[str, str, str], _Meaning] = {}
        self._open: OrderedDict[tuple[str, float], _Moment] = OrderedDict()
        self._closed: OrderedDict[tuple[str, float], str] = OrderedDict()
        self._statuses_noticed: set[str] = set()
        self._noticed = 0

    def _cell(self, cells: list[str], index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def _look_up(self, cells: list[str], line: int) -> tuple[_Meaning, RowError | None]:
        """What this row's code charts, and the notice or error it is worth the first time
        its code is met (None afterwards)."""
        layout = self.layout
        key = (self._cell(cells, layout.code), self._cell(cells, layout.system),
               self._cell(cells, layout.name))
        known = self._meanings.get(key)
        if known is not None:
            return known, None
        meaning = _meaning(*key, layout.numbers_are_mdc)
        remembered = len(self._meanings) < KNOWN_CODES
        if remembered:
            self._meanings[key] = meaning
        if meaning.vital is not None or meaning.pressure_pair:
            return meaning, None
        column = layout.header(layout.code if layout.code is not None else layout.name)
        where = f"line {line}, column '{column}'"
        if meaning.error:  # a possible loss is always said, however many codes came before
            return meaning, RowError(where, f"{meaning.label}: {meaning.reason}")
        if not remembered or self._noticed > NOTICED_CODES:
            return meaning, None
        self._noticed += 1
        if self._noticed > NOTICED_CODES:
            return meaning, RowError.not_charted(
                f"line {line}", f"more than {NOTICED_CODES} codes are not charted; the others "
                "are not listed one by one")
        return meaning, RowError.not_charted(where, f"{meaning.label}: {meaning.reason}")

    def add(self, cells: list[str], line: int) -> list[ParsedReading | RowError]:
        """Read one record (its cells, its first line number)."""
        layout = self.layout
        meaning, first_time = self._look_up(cells, line)
        out: list[ParsedReading | RowError] = [first_time] if first_time is not None else []
        if meaning.vital is None and not meaning.pressure_pair:
            return out
        status = self._cell(cells, layout.status).lower()
        if status not in _CHARTED_STATUSES:
            if status not in self._statuses_noticed and len(self._statuses_noticed) < 100:
                self._statuses_noticed.add(status)
                out.append(RowError.not_charted(
                    f"line {line}, column '{layout.header(layout.status)}'",
                    f"status '{status[:40]}' is not a result to chart; rows with it are "
                    "left out"))
            return out
        text = self._cell(cells, layout.value)
        if text.lower() in _MISSING:
            return out  # not measured
        if layout.time is None:
            return out  # the header said so already
        moment, problem = self.read_time(
            cells[layout.time] if layout.time < len(cells) else "",
            self._cell(cells, layout.date) if layout.date is not None else None)
        if moment is None:
            times = (f"{layout.header(layout.date)}' + '{layout.header(layout.time)}"
                     if layout.date is not None else layout.header(layout.time))
            out.append(RowError(f"line {line}, column '{times}'",
                                f"{problem}; {meaning.label} row skipped"))
            return out
        patient = self._cell(cells, layout.patient)
        key = (patient, moment.timestamp())
        slot = self._open.get(key)
        if slot is None:
            closed = self._closed.get(key)
            if closed is not None:
                out.append(RowError(f"line {line}", f"time {moment.isoformat()} was already "
                                    f"read as a reading on {closed}; rows of one time must be "
                                    "together; row skipped"))
                return out
            if len(self._open) >= OPEN_MOMENTS:
                out.extend(self._close_oldest())
            slot = self._open[key] = _Moment(moment, patient)
        slot.lines.append(line)
        self._take(slot, meaning, text, self._cell(cells, layout.unit), line)
        return out

    def _take(self, slot: _Moment, meaning: _Meaning, text: str, unit: str,
              line: int) -> None:
        where = f"line {line}, column '{self.layout.header(self.layout.value)}'"
        if meaning.pressure_pair:
            halves = text.split("/")
            if len(halves) != 2:
                slot.problems.append(RowError(where, f"'{text[:40]}' is not a blood pressure "
                                              "like 120/80"))
                return
            parts = [(Vital.SBP, halves[0]), (Vital.DBP, halves[1])]
        else:
            assert meaning.vital is not None
            parts = [(meaning.vital, text)]
        unit_column = f"line {line}, column '{self.layout.header(self.layout.unit)}'"
        for vital, part in parts:
            label = VITAL_SPECS[vital].label
            try:
                number = float(part.strip().replace(",", ".").removesuffix("%"))
            except ValueError:
                number = float("nan")
            if number != number or number in (float("inf"), float("-inf")):
                slot.problems.append(RowError(where, f"{label}: '{part.strip()[:40]}' is not "
                                              "a number"))
                continue
            value, problem = to_display_unit(vital, number, unit)
            if value is None:
                slot.problems.append(RowError(unit_column, str(problem)))
                continue
            self._place(slot, vital, _Value(value, meaning.rank, line, meaning.label))

    def _place(self, slot: _Moment, vital: Vital, new: _Value) -> None:
        earlier = slot.values.get(vital)
        label = VITAL_SPECS[vital].label
        if earlier is None:
            slot.values[vital] = new
        elif earlier.rank != new.rank:
            keep, drop = (earlier, new) if earlier.rank < new.rank else (new, earlier)
            slot.values[vital] = keep
            slot.notices.append(RowError.not_charted(
                f"line {drop.line}", f"{label} {drop.value:g} ({drop.label}) ignored: the "
                f"preferred code is on line {keep.line}"))
        elif earlier.value != new.value:
            slot.problems.append(RowError(
                f"line {new.line}", f"{label} {new.value:g} contradicts {earlier.value:g} on "
                f"line {earlier.line} for the same time"))

    def _close_oldest(self) -> list[ParsedReading | RowError]:
        key, slot = self._open.popitem(last=False)
        self._closed[key] = _where(slot.lines)
        if len(self._closed) > CLOSED_MOMENTS:
            self._closed.popitem(last=False)
        return self._reading(slot)

    def _reading(self, slot: _Moment) -> list[ParsedReading | RowError]:
        out: list[ParsedReading | RowError] = list(slot.notices)
        at = slot.moment.isoformat()
        if slot.problems:
            out += [RowError(p.location, f"{p.message}; the reading at {at} "
                             f"({_where(slot.lines)}) is skipped") for p in slot.problems]
            return out
        values = {vital: v.value for vital, v in slot.values.items()}
        problems = validate_values(values)
        if problems:
            lines = {VITAL_SPECS[vital].label: v.line for vital, v in slot.values.items()}
            # A missing half names the line of the half that is there.
            pressure = [v.line for vital, v in slot.values.items() if vital in _PRESSURES]
            out += [RowError(f"line {lines[p.field]}" if p.field in lines
                             else _where(pressure or slot.lines),
                             f"{p}; the reading at {at} is skipped") for p in problems]
            return out
        reading = imported_reading(slot.moment, values, source=self.source, detail=self.detail)
        out.append(ParsedReading(reading, _where([v.line for v in slot.values.values()]),
                                 slot.patient or None))
        return out

    def finish(self) -> Iterator[ParsedReading | RowError]:
        """Close every open time: the last readings of the file."""
        while self._open:
            yield from self._close_oldest()
