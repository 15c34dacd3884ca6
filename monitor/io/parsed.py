"""What every file parser returns, and the pieces the parsers share.

A parser never raises on bad input: each problem becomes a :class:`RowError` naming where it
is (``line 12``, ``message MSG00001 OBX 3``, ``entry 4 (Observation/abc)``) and why, and the
good rows are still returned. The caller (import dialog, MLLP listener) decides what to do
with both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from monitor.domain.readings import Reading, ReadingStatus, Source, with_derived_map
from monitor.domain.vitals import VITAL_SPECS, Vital, kpa_to_mmhg

from .vocabulary import LOINC, MDC, codes_by_vital, panel_codes, term

#: Format names used in :attr:`ParseResult.format` and by ``detect.detect_format``.
CSV, HL7, FHIR, XLSX = "csv", "hl7", "fhir", "xlsx"
FORMAT_LABELS = {CSV: "CSV", HL7: "HL7 v2", FHIR: "FHIR R4", XLSX: "XLSX"}

#: A file with more problems than this is not the kind of file it claims to be; parsers stop
#: collecting after it so a large binary file cannot produce millions of messages.
MAX_ERRORS = 1000


#: :attr:`RowError.kind` values: an error loses data the app would chart; a *not charted*
#: notice only says that data the app deliberately does not chart (a temperature, an invasive
#: pressure, an extra column) was left out. A notice never rejects the rest of a row, message
#: or file, and over MLLP a message with only notices is still answered AA.
ERROR, NOT_CHARTED = "error", "not charted"


@dataclass(frozen=True)
class RowError:
    """One problem in the input: ``location`` says where, ``message`` says why, ``kind``
    whether chartable data was lost (:data:`ERROR`) or not (:data:`NOT_CHARTED`)."""

    location: str
    message: str
    kind: str = ERROR

    @classmethod
    def not_charted(cls, location: str, message: str) -> RowError:
        """A notice: data the app does not chart was left out; nothing chartable was lost."""
        return cls(location, message, NOT_CHARTED)

    @property
    def is_notice(self) -> bool:
        return self.kind == NOT_CHARTED

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True)
class ParsedReading:
    """A reading taken from a file, where it was found and whose it is (when the file says)."""

    reading: Reading
    location: str
    patient_id: str | None = None


@dataclass
class ParseResult:
    """Everything a parser found in one input."""

    readings: list[ParsedReading] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    format: str = ""
    patient_ids: set[str] = field(default_factory=set)

    def add(self, item: ParsedReading | RowError) -> None:
        """Record one parser output, keeping ``patient_ids`` in step with the readings."""
        if isinstance(item, RowError):
            self.errors.append(item)
            return
        self.readings.append(item)
        if item.patient_id:
            self.patient_ids.add(item.patient_id)

    @classmethod
    def collect(cls, items: Iterable[ParsedReading | RowError], fmt: str) -> ParseResult:
        """Gather a parser's stream of readings and errors into one result."""
        result = cls(format=fmt)
        for item in items:
            result.add(item)
        return result


def source_detail(name: str, fmt: str, device: str = "") -> str:
    """What ``Reading.source_detail`` says about an imported reading: file, format, device."""
    text = f"{name} ({FORMAT_LABELS.get(fmt, fmt)})"
    return f"{text}, device {device}" if device else text


def imported_reading(
    taken_at: datetime,
    values: Mapping[Vital, float],
    *,
    source: Source,
    detail: str,
    entered_by: str = "",
    note: str = "",
    status: ReadingStatus = ReadingStatus.VALID,
    extra: Mapping[str, str] | None = None,
) -> Reading:
    """A reading built like a charted one (MAP derived when not measured)."""
    full, derived = with_derived_map(values)
    # Built once, not built and then copied with replace(): this runs for every row of a
    # million-row file.
    return Reading(
        taken_at=taken_at, values=full, source=source, entered_by=entered_by.strip().upper(),
        note=note.strip(), source_detail=detail, map_derived=derived, status=status,
        extra=dict(extra or {}),
    )


def not_text_problem(head: bytes, fmt: str, advice: str) -> str | None:
    """Why the start of a file is not text the ``fmt`` parser can read, or None.

    UTF-16 (what 'Unicode text' in Excel and Notepad writes) and binary files would otherwise
    decode to nonsense; ``advice`` tells the user how to save the file instead."""
    label = FORMAT_LABELS.get(fmt, fmt)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"the file is UTF-16 text; {advice}"
    if b"\x00" in head:
        return f"the file is binary (it contains NUL bytes), not {label} text"
    return None


def localize(moment: datetime, default_tz: tzinfo | None) -> datetime:
    """Give a naive time a zone: ``default_tz``, or the computer's local zone when None.

    ``astimezone()`` on a naive time applies the local rules for that date (DST included),
    which a fixed offset taken from 'now' would get wrong for half the year."""
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return moment
    if default_tz is None:
        return moment.astimezone()
    return moment.replace(tzinfo=default_tz)


# --- units -----------------------------------------------------------------------------------

_PRESSURE, _RATE, _PERCENT = "pressure", "rate", "percent"
_DIMENSION = {
    Vital.SBP: _PRESSURE, Vital.DBP: _PRESSURE, Vital.MAP: _PRESSURE,
    Vital.HR: _RATE, Vital.RR: _RATE, Vital.SPO2: _PERCENT,
}
# Spellings seen in files, compared lower-case without spaces. Numbers are IEEE 11073 MDC unit
# codes (266016 mmHg, 265987 kPa, 264864 beats/min, 264928 resp/min,
# 262688 %) as PCD-01 devices send them.
_MMHG = {"mmhg", "mm[hg]", "torr", "266016", "mdc_dim_mmhg"}
_KPA = {"kpa", "kilopascal", "mdc_dim_kilo_pascal", "265987"}
_PER_MIN = {
    "/min", "1/min", "min-1", "/minute", "permin", "perminute", "bpm", "pm", "rpm", "br/min",
    "beats/min", "beats/minute", "beat/min", "{beats}/min", "{beat}/min", "{h.b.}/min",
    "breaths/min", "breaths/minute", "{breaths}/min", "{breath}/min", "{resp}/min",
    "264864", "264928", "mdc_dim_beat_per_min", "mdc_dim_resp_per_min", "mdc_dim_per_min",
}
_PCT = {"%", "percent", "pct", "%o2", "{%}", "262688", "mdc_dim_percent"}


def unit_factor(vital: Vital, unit: str) -> float | None:
    """The factor that turns a value in ``unit`` into the vital's display unit, or None when
    the unit is unknown or wrong for the vital. An empty unit means the display unit: devices
    and spreadsheets often leave it out, and a kPa value read as mmHg fails plausibility."""
    key = unit.strip().lower().replace(" ", "")
    if not key:
        return 1.0
    dimension = _DIMENSION[vital]
    if dimension == _PRESSURE:
        if key in _MMHG:
            return 1.0
        return kpa_to_mmhg(1.0) if key in _KPA else None
    if dimension == _RATE:
        return 1.0 if key in _PER_MIN else None
    return 1.0 if key in _PCT else None


def to_display_unit(vital: Vital, value: float, unit: str) -> tuple[float | None, str | None]:
    """``value`` converted to the vital's display unit, or (None, reason)."""
    factor = unit_factor(vital, unit)
    if factor is None:
        s = VITAL_SPECS[vital]
        return None, f"unknown unit '{unit.strip()}' for {s.label} (expected {s.unit})"
    # Converted pressures keep one decimal: 16 kPa is 120.0 mmHg, not 120.00992.
    return (value if factor == 1.0 else round(value * factor, 1)), None


# --- codes -----------------------------------------------------------------------------------

#: LOINC / MDC code -> (vital, rank among that vital's codes: 0 = preferred, e.g. ECG heart
#: rate over oximeter pulse, NIBP over cuff pressure when a device sends both for one moment),
#: built from the vocabulary file (``monitor.io.vocabulary``), which cites the standards.
VITAL_BY_LOINC_RANKED: dict[str, tuple[Vital, int]] = codes_by_vital(LOINC)
VITAL_BY_LOINC: dict[str, Vital] = {c: v for c, (v, _) in VITAL_BY_LOINC_RANKED.items()}
VITAL_BY_MDC: dict[str, tuple[Vital, int]] = codes_by_vital(MDC)
BP_PANEL_LOINC, VITALS_PANEL_LOINC, BP_PANEL_MDC = "85354-9", "85353-1", "150020"
#: What ``validate_values`` says of a lone systolic or diastolic; waived when the sender
#: marked the other half absent (FHIR dataAbsentReason, HL7 OBX-11 X).
PAIR_MESSAGE = "blood pressure needs both systolic and diastolic"
#: Every panel code (85354-9, 85353-1, MDC 150020 NIBP and 150300 cuff pressure).
PANEL_CODES: frozenset[str] = frozenset(panel_codes())


def not_charted_reason(system: str, code: str) -> str | None:
    """Why the vocabulary says ``code`` is deliberately not charted, or None (a charted code
    or one the vocabulary does not list)."""
    found = term(system, code)
    return found.not_charted_reason if found else None
