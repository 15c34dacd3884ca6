"""Charting use cases, Qt-free: chart a reading, correct one, mark one entered in error (each
also as an amendment of a closed session), change a session's details, close it.

Each validates with the domain, stores, and records the alerts the change raises or ends
in ONE transaction (:class:`monitor.app.alerting.SessionAlerts`): nothing is committed
without its alert evaluation. The window's session controller calls these and only keeps
its readings in hand and its signals; a script or a test can call them with no window."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..domain.closing import DischargeDetails, validate_discharge
from ..domain.errors import FieldError, ValidationFailed
from ..domain.readings import Reading, corrected, initials_errors, validate_reading
from ..domain.sessions import Session, validate_session
from ..domain.vitals import Vital
from ..store import Store
from .alerting import AlertUpdate, SessionAlerts

REASON_MISSING = FieldError("Reason", "say why")


@dataclass(frozen=True)
class Amendment:
    """A closed session being amended: who, and why (kept on every row it adds)."""

    by: str
    reason: str


@dataclass(frozen=True)
class Charted:
    """A committed change: the row as stored and the alerts recorded with it."""

    reading: Reading
    alerts: AlertUpdate


class Charting:
    """The charting use cases on one Store connection."""

    def __init__(self, store: Store, alerts: SessionAlerts, clock: Callable[[], datetime]):
        self.store = store
        self.alerts = alerts
        self.clock = clock

    def chart(self, session_id: int, reading: Reading, amendment: Amendment | None = None
              ) -> Charted:
        """Validate and commit ``reading`` with its alerts. Raises ValidationFailed or a
        StoreError; either way nothing was saved."""
        errors = validate_reading(reading, self.clock())
        if errors:
            raise ValidationFailed(errors)
        with self.store.transaction():
            if amendment is not None:
                saved = self.store.amend_add_reading(session_id, reading, amendment.by,
                                                     amendment.reason)
            else:
                saved = self.store.add_reading(session_id, reading)
            update = self.alerts.update(session_id)
        return Charted(saved, update)

    def correct(self, session_id: int, original: Reading, values: Mapping[Vital, float],
                by: str, reason: str, amendment: Amendment | None = None) -> Charted:
        """Record a correction of ``original`` (which stays, marked corrected)."""
        by = by.strip().upper()
        replacement = corrected(original, values, by, reason)
        errors = validate_reading(replacement, self.clock())
        if not reason.strip():
            errors.append(REASON_MISSING)
        if errors:
            raise ValidationFailed(errors)
        with self.store.transaction():
            if amendment is not None:
                saved = self.store.amend_correct_reading(original.id or 0, replacement, by,
                                                         f"{amendment.reason}: {reason}")
            else:
                saved = self.store.correct_reading(original.id or 0, replacement, by, reason)
            update = self.alerts.update(session_id)
        return Charted(saved, update)

    def mark_in_error(self, session_id: int, original: Reading, by: str, reason: str,
                      amendment: Amendment | None = None) -> Charted:
        """Mark ``original`` entered in error, with who and why (the row stays)."""
        errors = initials_errors(by)
        if not reason.strip():
            errors.append(REASON_MISSING)
        if errors:
            raise ValidationFailed(errors)
        by = by.strip().upper()
        with self.store.transaction():
            if amendment is not None:
                marked = self.store.amend_mark_in_error(original.id or 0, by,
                                                        f"{amendment.reason}: {reason}")
            else:
                marked = self.store.mark_entered_in_error(original.id or 0, by, reason)
            update = self.alerts.update(session_id)
        return Charted(marked, update)

    def start(self, session: Session, by: str) -> Session:
        """Validate and store a new session (it starts with nothing evaluated yet)."""
        errors = validate_session(session, self.clock())
        if errors:
            raise ValidationFailed(errors)
        return self.store.create_session(session, by)

    def update_details(self, session: Session, by: str, reason: str = "") -> Session:
        """Change a session's details (audited); a new baseline re-evaluates its alerts."""
        errors = validate_session(session, self.clock())
        if errors:
            raise ValidationFailed(errors)
        with self.store.transaction():
            updated = self.store.update_session(session, by, reason)
            self.alerts.update(updated.id or 0)
        return updated

    def close(self, session: Session, details: DischargeDetails,
              last_reading_at: datetime | None) -> Session:
        """Validate the discharge details and close (lock) the session with them; its
        technical alerts end at the discharge time (nothing is due after it)."""
        errors = validate_discharge(details, session, last_reading_at, self.clock())
        if errors:
            raise ValidationFailed(errors)
        assert details.discharged_at is not None
        with self.store.transaction():
            closed = self.store.close_session(session.id or 0, details.by.strip().upper(),
                                              details.discharged_at, details.to_dict())
            self.alerts.update(session.id or 0)
        return closed
