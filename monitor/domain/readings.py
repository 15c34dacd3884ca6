"""A reading: one set of vital signs taken at one time, and how to validate it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .errors import FieldError
from .vitals import VITAL_SPECS, Vital, derive_map

#: How far in the future a reading time may lie (clock drift between devices).
MAX_FUTURE_SKEW = timedelta(minutes=2)
MAX_INITIALS_LENGTH = 6


class Source(StrEnum):
    """Where a reading came from."""

    MANUAL = "manual"
    IMPORT = "import"
    DEVICE = "device"


class ReadingStatus(StrEnum):
    """A reading's standing in the record. Rows are never changed; status is derived from
    later rows (a correction) or marks (entered in error)."""

    VALID = "valid"
    CORRECTED = "corrected"  # superseded by a later correction
    ENTERED_IN_ERROR = "entered-in-error"


@dataclass(frozen=True)
class Reading:
    """One observation set. ``values`` holds any subset of the vitals."""

    taken_at: datetime
    values: Mapping[Vital, float]
    source: Source = Source.MANUAL
    entered_by: str = ""
    note: str = ""
    source_detail: str = ""  # file name and format, or device id
    map_derived: bool = False
    id: int | None = None
    session_id: int | None = None
    recorded_at: datetime | None = None
    supersedes: int | None = None  # id of the reading this one corrects
    correction_reason: str = ""
    status: ReadingStatus = ReadingStatus.VALID
    status_reason: str = ""
    status_by: str = ""
    status_at: datetime | None = None
    late: bool = False  # charted long after it was taken
    #: Why this entry was added to a closed session (an amendment); such entries are late.
    amendment_reason: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    # NEWS2 needs these beside the vitals; None means not assessed (never "normal").
    consciousness: str | None = None  # ACVPU, see scores.Consciousness
    on_oxygen: bool | None = None
    temperature_c: float | None = None

    def value(self, vital: Vital) -> float | None:
        """The value of ``vital``, or None when not recorded."""
        return self.values.get(vital)

    @property
    def is_current(self) -> bool:
        """True when this reading counts: neither corrected nor entered in error."""
        return self.status is ReadingStatus.VALID


def with_derived_map(values: Mapping[Vital, float]) -> tuple[dict[Vital, float], bool]:
    """Return ``values`` with MAP derived from SBP/DBP when not measured, and whether it was."""
    result = dict(values)
    if Vital.MAP not in result and Vital.SBP in result and Vital.DBP in result:
        result[Vital.MAP] = derive_map(result[Vital.SBP], result[Vital.DBP])
        return result, True
    return result, False


def new_reading(
    taken_at: datetime,
    values: Mapping[Vital, float],
    *,
    source: Source = Source.MANUAL,
    entered_by: str = "",
    note: str = "",
    source_detail: str = "",
    consciousness: str | None = None,
    on_oxygen: bool | None = None,
    temperature_c: float | None = None,
) -> Reading:
    """Build a reading, deriving MAP when SBP and DBP are present but MAP is not."""
    full, derived = with_derived_map(values)
    return Reading(
        consciousness=consciousness,
        on_oxygen=on_oxygen,
        temperature_c=temperature_c,
        taken_at=taken_at,
        values=full,
        source=source,
        entered_by=entered_by.strip().upper(),
        note=note.strip(),
        source_detail=source_detail,
        map_derived=derived,
    )


def initials_errors(by: str, field: str = "Initials") -> list[FieldError]:
    """What is wrong with a nurse's initials (required, up to six letters; dots allowed),
    named as ``field``. Every signature in the app (a reading, an acknowledgement, an
    event, a discharge) is checked by this one rule."""
    initials = by.strip()
    if not initials:
        return [FieldError(field, "enter your initials")]
    if len(initials) > MAX_INITIALS_LENGTH or not initials.replace(".", "").isalpha():
        return [FieldError(field, f"'{initials}' must be up to {MAX_INITIALS_LENGTH} letters")]
    return []


def parse_value(vital: Vital, text: str) -> tuple[float | None, FieldError | None]:
    """Parse what a nurse typed for ``vital``. Empty means not measured.

    Accepts a decimal comma. Returns (value, None) or (None, error)."""
    label = VITAL_SPECS[vital].label
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None, None
    try:
        value = float(cleaned)
    except ValueError:
        return None, FieldError(label, f"'{text.strip()}' is not a number")
    if not math.isfinite(value):
        return None, FieldError(label, f"'{text.strip()}' is not a number")
    return value, None


def parse_values(texts: Mapping[Vital, str]) -> tuple[dict[Vital, float], list[FieldError]]:
    """Parse what was typed for each vital: the values given, and an error per bad field."""
    values: dict[Vital, float] = {}
    errors: list[FieldError] = []
    for vital, text in texts.items():
        value, error = parse_value(vital, text)
        if error:
            errors.append(error)
        elif value is not None:
            values[vital] = value
    return values, errors


def validate_values(values: Mapping[Vital, float]) -> list[FieldError]:
    """Plausibility of a set of values: ranges per vital, DBP below SBP, MAP between them."""
    errors: list[FieldError] = []
    if not values:
        return [FieldError("Reading", "enter at least one vital sign")]
    for vital, value in values.items():
        s = VITAL_SPECS[vital]
        if value is None or not isinstance(value, int | float) or not math.isfinite(value):
            errors.append(FieldError(s.label, "is not a number"))
        elif value < s.plausible_min or value > s.plausible_max:
            errors.append(
                FieldError(
                    s.label,
                    f"{value:g} {s.unit} is outside the plausible range "
                    f"{s.plausible_min:g}-{s.plausible_max:g} {s.unit}",
                )
            )
    if errors:
        return errors
    sbp, dbp, mean = values.get(Vital.SBP), values.get(Vital.DBP), values.get(Vital.MAP)
    if sbp is not None and dbp is not None and dbp >= sbp:
        errors.append(
            FieldError(
                VITAL_SPECS[Vital.DBP].label,
                f"{dbp:g} must be below systolic {sbp:g}",
            )
        )
    elif sbp is not None and dbp is not None and mean is not None and not dbp <= mean <= sbp:
        errors.append(
            FieldError(
                VITAL_SPECS[Vital.MAP].label,
                f"{mean:g} must lie between diastolic {dbp:g} and systolic {sbp:g}",
            )
        )
    if (sbp is None) != (dbp is None) and Vital.MAP not in values:
        missing = Vital.DBP if dbp is None else Vital.SBP
        errors.append(
            FieldError(VITAL_SPECS[missing].label,
                       "blood pressure needs both systolic and diastolic")
        )
    return errors


#: No reading this app charts was taken before this: an older time in a file is a device
#: whose clock was reset (1970, 2000) or a date column misread, not history to chart.
EARLIEST_READING = datetime(1980, 1, 1, tzinfo=UTC)


def time_problem(taken_at: datetime, now: datetime) -> str | None:
    """Why a reading cannot have been taken at ``taken_at`` (aware), or None: later than
    ``now`` (beyond the clock skew allowed between machines) or before
    :data:`EARLIEST_READING`."""
    if taken_at > now + MAX_FUTURE_SKEW:
        return f"{taken_at.isoformat()} is in the future (now is {now:%Y-%m-%d %H:%M} UTC)"
    if taken_at < EARLIEST_READING:
        return (f"{taken_at.isoformat()} is before {EARLIEST_READING.year}: probably a device "
                "clock that was reset, or a misread date; check the file's times")
    return None


def validate_reading(reading: Reading, now: datetime) -> list[FieldError]:
    """All problems with ``reading``: values, time and who entered it."""
    errors = validate_values(reading.values)
    if reading.taken_at.tzinfo is None or reading.taken_at.utcoffset() is None:
        errors.append(FieldError("Time", "has no timezone"))
    elif reading.taken_at > now + MAX_FUTURE_SKEW:
        errors.append(
            FieldError("Time", f"{reading.taken_at:%Y-%m-%d %H:%M} is in the future")
        )
    if reading.source is Source.MANUAL:
        errors += initials_errors(reading.entered_by)
    return errors


def needs_apnoea_confirmation(values: Mapping[Vital, float]) -> bool:
    """RR 0 is plausible only as apnoea, which the nurse must confirm explicitly."""
    return values.get(Vital.RR) == 0


def corrected(original: Reading, values: Mapping[Vital, float], by: str, reason: str,
              taken_at: datetime | None = None) -> Reading:
    """A new reading that supersedes ``original`` with new values (the original is kept)."""
    full, derived = with_derived_map({k: v for k, v in values.items() if k is not Vital.MAP}
                                     if original.map_derived else values)
    return replace(
        original,
        id=None,
        taken_at=taken_at or original.taken_at,
        values=full,
        map_derived=derived,
        entered_by=by.strip().upper(),
        supersedes=original.id,
        correction_reason=reason.strip(),
        recorded_at=None,
        status=ReadingStatus.VALID,
        status_reason="",
        status_by="",
        status_at=None,
    )
