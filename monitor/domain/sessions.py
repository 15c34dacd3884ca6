"""A recovery session: one patient, one infusion, the readings charted until discharge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from .errors import FieldError
from .readings import validate_values
from .vitals import Vital


class SessionStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Phase(StrEnum):
    """Where the patient is in the course of the infusion."""

    BASELINE = "pre-infusion"
    INFUSION = "infusion"
    RECOVERY = "recovery"
    DISCHARGED = "discharged"


@dataclass(frozen=True)
class Patient:
    identifier: str
    name: str = ""
    date_of_birth: date | None = None
    age_years: int | None = None  # when the date of birth is not known

    def age_on(self, day: date) -> int | None:
        """Age in whole years on ``day``."""
        if self.date_of_birth is None:
            return self.age_years
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


@dataclass(frozen=True)
class Infusion:
    drug: str = "ketamine"
    dose_mg: float | None = None
    rate_mg_per_kg_h: float | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    indication: str = ""


@dataclass(frozen=True)
class Session:
    patient: Patient
    infusion: Infusion = field(default_factory=Infusion)
    weight_kg: float | None = None
    baseline: Mapping[Vital, float] = field(default_factory=dict)
    status: SessionStatus = SessionStatus.ACTIVE
    id: int | None = None
    started_at: datetime | None = None
    closed_at: datetime | None = None
    created_by: str = ""

    def phase(self, now: datetime) -> Phase:
        """The phase at ``now``."""
        if self.status is SessionStatus.CLOSED:
            return Phase.DISCHARGED
        start, end = self.infusion.started_at, self.infusion.ended_at
        if start is None or now < start:
            return Phase.BASELINE
        if end is None or now < end:
            return Phase.INFUSION
        return Phase.RECOVERY

    def time_since_infusion_end(self, now: datetime) -> timedelta | None:
        """How long ago the infusion ended, or None while it has not."""
        end = self.infusion.ended_at
        if end is None or now < end:
            return None
        return now - end


def validate_session(session: Session, now: datetime) -> list[FieldError]:
    """Everything wrong with a new or edited session, each naming its field."""
    errors: list[FieldError] = []
    p = session.patient
    if not p.identifier.strip():
        errors.append(FieldError("Patient ID", "is required"))
    elif len(p.identifier) > 64 or any(c in p.identifier for c in "|^~\\&\r\n"):
        errors.append(FieldError("Patient ID", "must be at most 64 characters without | ^ ~ \\ &"))
    if p.date_of_birth is not None:
        if p.date_of_birth > now.date():
            errors.append(FieldError("Date of birth", "is in the future"))
        elif p.date_of_birth.year < now.year - 120:
            errors.append(FieldError("Date of birth", "is more than 120 years ago"))
    if p.age_years is not None and not 0 <= p.age_years <= 120:
        errors.append(FieldError("Age", f"{p.age_years} is not between 0 and 120"))
    if session.weight_kg is not None and not 2 <= session.weight_kg <= 400:
        errors.append(FieldError("Weight", f"{session.weight_kg:g} kg is not between 2 and 400"))
    inf = session.infusion
    if inf.dose_mg is not None and not 0 < inf.dose_mg <= 2000:
        errors.append(FieldError("Dose", f"{inf.dose_mg:g} mg is not between 0 and 2000"))
    if inf.rate_mg_per_kg_h is not None and not 0 < inf.rate_mg_per_kg_h <= 10:
        errors.append(
            FieldError("Rate", f"{inf.rate_mg_per_kg_h:g} mg/kg/h is not between 0 and 10")
        )
    if inf.started_at and inf.ended_at and inf.ended_at < inf.started_at:
        errors.append(FieldError("Infusion end", "is before the infusion start"))
    for label, moment in (("Infusion start", inf.started_at), ("Infusion end", inf.ended_at)):
        if moment is not None and moment.tzinfo is None:
            errors.append(FieldError(label, "has no timezone"))
    if session.baseline:
        errors.extend(
            FieldError(f"Baseline {e.field}", e.message) for e in validate_values(session.baseline)
        )
    return errors
