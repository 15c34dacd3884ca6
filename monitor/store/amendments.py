"""Store methods for closed sessions: closing with discharge details, and amendments.

A closed session is locked by triggers (schema m005). An amendment is the one way to add to
it: a late reading, a correction or an entered-in-error mark that carries its reason on the
row it adds, and an ``amendment`` line in the session's audit trail with who and why, both
written in one transaction."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..domain.closing import validate_amendment
from ..domain.errors import ValidationFailed
from ..domain.readings import Reading, ReadingStatus
from ..domain.sessions import SessionStatus
from ..domain.vitals import Vital
from .errors import NotFound, StoreError

if TYPE_CHECKING:
    from .database import Store

AMENDMENT = "amendment"


def _values(reading: Reading) -> dict[str, float]:
    return {v.value: x for v, x in reading.values.items() if isinstance(v, Vital)}


class AmendmentRecords:
    """Mixin: needs the Store core (``_write``, ``_audit``, readings methods)."""

    def _require_closed(self: Store, session_id: int) -> None:
        if self.get_session(session_id).status is not SessionStatus.CLOSED:
            raise StoreError("Only a closed session is amended; chart in the open session.")

    @staticmethod
    def _require_reason(by: str, reason: str) -> None:
        errors = validate_amendment(by, reason)
        if errors:
            raise ValidationFailed(errors)

    def amend_add_reading(self: Store, session_id: int, reading: Reading, by: str,
                          reason: str) -> Reading:
        """Add a late reading to a closed session; it is kept marked as an amendment."""
        self._require_reason(by, reason)
        self._require_closed(session_id)
        with self._write() as db:
            saved = self.add_readings(
                session_id, [replace(reading, amendment_reason=reason.strip())])[0]
            self._audit(db, by, AMENDMENT, session_id,
                        {"kind": "late reading", "reason": reason.strip(),
                         "reading_id": saved.id, "taken_at": saved.taken_at.isoformat(),
                         "values": _values(saved)})
        return saved

    def amend_correct_reading(self: Store, reading_id: int, replacement: Reading, by: str,
                              reason: str) -> Reading:
        """Correct a reading of a closed session by an amendment."""
        self._require_reason(by, reason)
        original = self.get_reading(reading_id)
        self._require_closed(original.session_id or 0)
        with self._write() as db:
            saved = self.correct_reading(
                reading_id, replace(replacement, amendment_reason=reason.strip()), by, reason)
            self._audit(db, by, AMENDMENT, original.session_id,
                        {"kind": "correction", "reason": reason.strip(),
                         "reading_id": reading_id, "correction_id": saved.id})
        return saved

    def amend_mark_in_error(self: Store, reading_id: int, by: str, reason: str) -> Reading:
        """Mark a reading of a closed session entered in error by an amendment."""
        self._require_reason(by, reason)
        original = self.get_reading(reading_id)
        self._require_closed(original.session_id or 0)
        with self._write() as db:
            marked = self.mark_entered_in_error(reading_id, by, reason,
                                                amendment_reason=reason.strip())
            self._audit(db, by, AMENDMENT, original.session_id,
                        {"kind": ReadingStatus.ENTERED_IN_ERROR.value,
                         "reason": reason.strip(), "reading_id": reading_id})
        return marked

    def amendments(self: Store, session_id: int) -> list[Reading]:
        """The readings an amendment added to ``session_id`` (late entries, corrections)."""
        try:
            return [r for r in self.readings(session_id) if r.amendment_reason]
        except NotFound:
            return []
