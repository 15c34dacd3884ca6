"""Sedation scores and clinical events, charted on the same timeline as the vital signs.

RASS (+4 combative ... 0 alert and calm ... -5 unarousable) and MOAA/S (5 responds readily to
name ... 0 no response) entries, and free-text events: nausea, an antiemetic given,
dissociation, hallucinations and the like. Like readings, entries are never changed once
stored; validation returns FieldErrors naming the field and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from .errors import FieldError
from .readings import MAX_FUTURE_SKEW, initials_errors

MAX_NOTE_LENGTH = 500


class SedationScale(StrEnum):
    RASS = "rass"
    MOAAS = "moaas"

    @property
    def label(self) -> str:
        return "RASS" if self is SedationScale.RASS else "MOAA/S"

    @property
    def levels(self) -> Mapping[int, str]:
        """Each score with its description, most awake first."""
        return RASS_LEVELS if self is SedationScale.RASS else MOAAS_LEVELS

    def format(self, score: int) -> str:
        """A score as charted: RASS with its sign (``+2``, ``0``, ``-3``), MOAA/S plain."""
        return f"{score:+d}" if self is SedationScale.RASS and score else str(score)


#: Richmond Agitation-Sedation Scale.
RASS_LEVELS: Mapping[int, str] = {
    4: "combative",
    3: "very agitated",
    2: "agitated",
    1: "restless",
    0: "alert and calm",
    -1: "drowsy",
    -2: "light sedation",
    -3: "moderate sedation",
    -4: "deep sedation",
    -5: "unarousable",
}

#: Modified Observer's Assessment of Alertness/Sedation.
MOAAS_LEVELS: Mapping[int, str] = {
    5: "responds readily to name spoken in normal tone",
    4: "lethargic response to name spoken in normal tone",
    3: "responds only after name is called loudly or repeatedly",
    2: "responds only after mild prodding or shaking",
    1: "responds only after painful trapezius squeeze",
    0: "no response after painful trapezius squeeze",
}


class ClinicalEventKind(StrEnum):
    NAUSEA = "nausea"
    VOMITING = "vomiting"
    ANTIEMETIC_GIVEN = "antiemetic-given"
    DISSOCIATION = "dissociation"
    HALLUCINATION = "hallucination"
    DIZZINESS = "dizziness"
    CONFUSION = "confusion"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


#: Kinds that mean nothing without a note: what happened, or which drug and dose was given.
NOTE_REQUIRED: frozenset[ClinicalEventKind] = frozenset(
    {ClinicalEventKind.ANTIEMETIC_GIVEN, ClinicalEventKind.OTHER}
)


@dataclass(frozen=True)
class SedationEntry:
    """One RASS or MOAA/S score at one time."""

    scale: SedationScale
    score: int
    at: datetime
    entered_by: str = ""
    note: str = ""
    id: int | None = None
    session_id: int | None = None

    @property
    def description(self) -> str:
        return self.scale.levels.get(self.score, "")

    @property
    def text(self) -> str:
        """E.g. ``RASS -2 light sedation`` or ``MOAA/S 5 responds readily ...``."""
        return f"{self.scale.label} {self.scale.format(self.score)} {self.description}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        """JSON form; :func:`entry_from_dict` reads it back."""
        return _as_dict(self, "sedation")


@dataclass(frozen=True)
class ClinicalEvent:
    """Something that happened to the patient, with who charted it."""

    kind: ClinicalEventKind
    at: datetime
    entered_by: str = ""
    note: str = ""
    id: int | None = None
    session_id: int | None = None

    @property
    def text(self) -> str:
        return f"{self.kind.label}: {self.note}" if self.note else self.kind.label

    def to_dict(self) -> dict[str, Any]:
        """JSON form; :func:`entry_from_dict` reads it back."""
        return _as_dict(self, "event")


TimelineEntry = SedationEntry | ClinicalEvent


def _as_dict(entry: TimelineEntry, type_: str) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type_}
    for f in fields(entry):
        value = getattr(entry, f.name)
        data[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return data


def entry_from_dict(data: Mapping[str, Any]) -> TimelineEntry:
    """Read back what ``to_dict`` wrote, for either kind of entry."""
    common = {
        "at": datetime.fromisoformat(data["at"]),
        "entered_by": data.get("entered_by", ""),
        "note": data.get("note", ""),
        "id": data.get("id"),
        "session_id": data.get("session_id"),
    }
    if data["type"] == "sedation":
        return SedationEntry(SedationScale(data["scale"]), int(data["score"]), **common)
    return ClinicalEvent(ClinicalEventKind(data["kind"]), **common)


def new_sedation_entry(
    at: datetime, scale: SedationScale, score: int, *, entered_by: str, note: str = ""
) -> SedationEntry:
    """Build an entry with initials and note tidied, as ``new_reading`` does."""
    return SedationEntry(scale, score, at, entered_by.strip().upper(), note.strip())


def new_clinical_event(
    at: datetime, kind: ClinicalEventKind, *, entered_by: str, note: str = ""
) -> ClinicalEvent:
    """Build an event with initials and note tidied."""
    return ClinicalEvent(kind, at, entered_by.strip().upper(), note.strip())


def in_time_order(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """Entries sorted by time; entries at the same moment keep their order."""
    return sorted(entries, key=lambda e: e.at)


def _common_errors(at: datetime, entered_by: str, note: str, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    if at.tzinfo is None or at.utcoffset() is None:
        errors.append(FieldError("Time", "has no timezone"))
    elif at > now + MAX_FUTURE_SKEW:
        errors.append(FieldError("Time", f"{at:%Y-%m-%d %H:%M} is in the future"))
    errors += initials_errors(entered_by)
    if len(note) > MAX_NOTE_LENGTH:
        errors.append(FieldError("Note", f"must be at most {MAX_NOTE_LENGTH} characters"))
    return errors


def validate_sedation_entry(entry: SedationEntry, now: datetime) -> list[FieldError]:
    """All problems with ``entry``: score in the scale's range, time, initials, note."""
    errors: list[FieldError] = []
    scale = entry.scale
    # bool is an int to Python, but True is not a sedation score.
    if not isinstance(entry.score, int) or isinstance(entry.score, bool):
        errors.append(FieldError(scale.label, f"'{entry.score}' is not a whole number"))
    elif entry.score not in scale.levels:
        low, high = scale.format(min(scale.levels)), scale.format(max(scale.levels))
        errors.append(FieldError(scale.label, f"{entry.score} is not between {low} and {high}"))
    return errors + _common_errors(entry.at, entry.entered_by, entry.note, now)


def validate_clinical_event(event: ClinicalEvent, now: datetime) -> list[FieldError]:
    """All problems with ``event``: time, initials, and a note where the kind needs one."""
    errors = _common_errors(event.at, event.entered_by, event.note, now)
    if event.kind in NOTE_REQUIRED and not event.note.strip():
        reason = (
            "name the drug and dose given"
            if event.kind is ClinicalEventKind.ANTIEMETIC_GIVEN
            else "describe what happened"
        )
        errors.append(FieldError("Note", reason))
    return errors
