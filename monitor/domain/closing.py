"""The end of a session: discharge details that close (lock) it, and the amendments that are
the one way to add to it afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import FieldError
from .readings import MAX_FUTURE_SKEW, initials_errors
from .sessions import Session, SessionStatus


@dataclass(frozen=True)
class DischargeDetails:
    """What the nurse confirms when the patient leaves. None means not answered."""

    discharged_at: datetime | None
    escort_present: bool | None
    instructions_given: bool | None
    by: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The form kept in the audit trail with the close."""
        return {
            "discharged_at": self.discharged_at.isoformat() if self.discharged_at else None,
            "escort_present": self.escort_present,
            "instructions_given": self.instructions_given,
            "note": self.note.strip(),
            "by": self.by.strip().upper(),
        }


def validate_discharge(details: DischargeDetails, session: Session,
                       last_reading_at: datetime | None, now: datetime) -> list[FieldError]:
    """Everything wrong with closing ``session`` with ``details``, each naming its field."""
    errors: list[FieldError] = []
    if session.status is SessionStatus.CLOSED:
        errors.append(FieldError("Session", "is already closed"))
    at = details.discharged_at
    if at is None:
        errors.append(FieldError("Discharge time", "is required"))
    elif at.tzinfo is None:
        errors.append(FieldError("Discharge time", "has no timezone"))
    elif at > now + MAX_FUTURE_SKEW:
        errors.append(FieldError("Discharge time", "is in the future"))
    else:
        for label, moment in (("the infusion end", session.infusion.ended_at),
                              ("the last reading", last_reading_at),
                              ("the start of the session", session.started_at)):
            # Times are typed to the minute: a reading at 14:05:40 allows discharge at 14:05.
            if moment is not None and at < moment.replace(second=0, microsecond=0):
                local = moment.astimezone().strftime("%Y-%m-%d %H:%M")
                errors.append(FieldError("Discharge time", f"is before {label} ({local})"))
                break
    if details.escort_present is None:
        errors.append(FieldError("Escort", "say whether an escort is present"))
    if details.instructions_given is None:
        errors.append(FieldError("Instructions", "say whether discharge instructions were "
                                                 "given"))
    if (details.escort_present is False or details.instructions_given is False) and \
            not details.note.strip():
        errors.append(FieldError("Note", "say why (no escort, or no instructions given)"))
    errors += initials_errors(details.by)
    return errors


def validate_amendment(by: str, reason: str) -> list[FieldError]:
    """An amendment of a closed session needs the nurse's initials and a reason."""
    errors = initials_errors(by)
    if not reason.strip():
        errors.append(FieldError("Reason", "say why the closed session is amended"))
    return errors
