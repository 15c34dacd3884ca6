"""The open session as the UI sees it: a thin Qt adapter over the store and the domain.

Widgets call these methods with what the user asked for; the domain validates, the store
commits, and only then are the change signals emitted, so nothing is shown as saved
before it is on disk.

A long session (more than ``large_session`` rows, say a day of a one-second device feed)
opens in two steps: at once with its newest rows and each vital's latest reading, then,
from a worker thread (session_loader.py), with everything; ``loading`` is True in between
and ``readingsLoaded`` says when it ends."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from ..domain.closing import DischargeDetails, validate_amendment, validate_discharge
from ..domain.errors import FieldError, ValidationFailed
from ..domain.readings import Reading, corrected, validate_reading
from ..domain.sessions import Session, SessionStatus, validate_session
from ..domain.thresholds import ThresholdProfile
from ..domain.vitals import Vital
from ..store import Store
from .session_loader import LoadResult, SessionLoader

REASON_MISSING = FieldError("Reason", "say why")
EXTERNAL_POLL_MS = 1000
#: Sessions with more rows than this open in two steps (see the module docstring): reading
#: them whole takes over a tenth of a second.
LARGE_SESSION = 5000
#: Rows read at once when a long session opens: the readings table's first page.
OPENING_ROWS = 200


def _order(reading: Reading) -> tuple[datetime, int]:
    return (reading.taken_at, reading.id or 0)


def with_reading(readings: list[Reading], new: Reading) -> list[Reading]:
    """A new list: ``readings`` (in the store's order, time then id) with ``new`` in place."""
    if not readings or _order(readings[-1]) <= _order(new):
        return [*readings, new]
    index = bisect_right(readings, _order(new), key=_order)
    return [*readings[:index], new, *readings[index:]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SessionController(QObject):
    """Holds the open session and its readings; emits when either changes."""

    sessionChanged = Signal()
    readingsChanged = Signal()
    readingSaved = Signal(object)  # the committed Reading
    #: Readings changed other than by appending one (correction, in-error mark, import):
    #: whatever was derived from them must be recomputed.
    readingsAmended = Signal()
    #: An amendment of the closed session began or ended.
    amendmentChanged = Signal()
    #: A long session finished loading in the background: the LoadResult, and the readings
    #: saved here meanwhile that it did not include (already in ``readings``). Emitted
    #: just before readingsChanged.
    readingsLoaded = Signal(object, object)

    def __init__(self, store: Store, profile: ThresholdProfile,
                 clock: Callable[[], datetime] = utc_now, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.profile = profile
        self.clock = clock
        self.session: Session | None = None
        self.readings: list[Reading] = []
        #: (initials, reason) while a closed session is being amended.
        self.amendment: tuple[str, str] | None = None
        self._marks = 0
        # (readings list, its current readings, newest current taken_at): the controller
        # replaces ``readings`` whenever they change, so the list itself says when the
        # summary is stale. Every tick asks for it; a long session has 100,000 readings.
        self._current: tuple[list[Reading], list[Reading], datetime | None] | None = None
        # Another app instance, the live feed or an import worker commits through its own
        # connection; PRAGMA data_version tells us cheaply when that happened.
        self._data_version = store.data_version()
        self._watch = QTimer(self)
        self._watch.timeout.connect(self.refresh_from_store)
        self._watch.start(EXTERNAL_POLL_MS)
        self.large_session = LARGE_SESSION
        #: Rows of the open session when it was opened (the loading note counts them).
        self.row_count = 0
        self.loader = SessionLoader(self)
        self.loader.loaded.connect(self._loaded)
        self._saved_while_loading: list[Reading] = []
        self._loading = False
        self._complete_from: datetime | None = None

    # -- sessions ------------------------------------------------------------------------

    def open_session(self, session_id: int) -> Session:
        """Make ``session_id`` the open session and load its readings (a long session: its
        newest ones now, the rest in the background)."""
        self.loader.cancel()
        self.amendment = None
        self.session = self.store.get_session(session_id)
        self._saved_while_loading = []
        self.row_count = self.store.reading_count(session_id)
        large = self.row_count > self.large_session
        if large:
            self.readings = self.store.opening_readings(session_id, OPENING_ROWS)
            self._marks = -1  # unknown until loaded
            # In time order, the newest OPENING_ROWS rows come last (every vital's latest
            # reading, if older, before them): from the oldest of them on, nothing is missing.
            newest = self.readings[-OPENING_ROWS:]
            self._complete_from = newest[0].taken_at if newest else None
        else:
            self.readings = self.store.readings(session_id)
            self._marks = self.store.mark_count(session_id)
        self._loading = large
        self.sessionChanged.emit()
        self.readingsChanged.emit()
        if large:
            self.loader.start(self.store, session_id)
        return self.session

    @property
    def loading(self) -> bool:
        """True while a long session's readings are still being read in the background:
        ``readings`` then holds only its newest rows and each vital's latest reading."""
        return self._loading

    @property
    def complete_from(self) -> datetime | None:
        """While a long session loads: the time from which ``readings`` holds every row
        (older ones are still being read, so nothing can be concluded from their absence);
        None when every reading is in."""
        return self._complete_from if self._loading else None

    def _loaded(self, result: LoadResult) -> None:
        session = self.session
        if session is None or session.id != result.session_id or not self.loading:
            return
        self._loading = False
        if result.error:
            # The worker could not read it: read it here, as a short session would be.
            self._saved_while_loading = []
            self.reload()
            return
        known = {r.id for r in result.readings}
        extra = [r for r in self._saved_while_loading if r.id not in known]
        self._saved_while_loading = []
        readings: list[Reading] = result.readings
        for reading in extra:
            readings = with_reading(readings, reading)
        self.readings = readings
        self._marks = result.marks
        self.readingsLoaded.emit(result, extra)
        self.readingsChanged.emit()

    def start_session(self, session: Session, by: str) -> Session:
        """Validate and store a new session, then open it."""
        errors = validate_session(session, self.clock())
        if errors:
            raise ValidationFailed(errors)
        created = self.store.create_session(session, by)
        assert created.id is not None
        return self.open_session(created.id)

    def update_session(self, session: Session, by: str, reason: str = "") -> Session:
        """Change the open session's details (recorded in the audit trail)."""
        errors = validate_session(session, self.clock())
        if errors:
            raise ValidationFailed(errors)
        self.session = self.store.update_session(session, by, reason)
        self.sessionChanged.emit()
        return self.session

    @property
    def locked(self) -> bool:
        """True when the open session is closed or the database is open read-only."""
        return self.store.read_only or (self.session is not None
                                        and self.session.status is SessionStatus.CLOSED)

    @property
    def read_only(self) -> bool:
        """True when nothing can be charted now: locked, and no amendment in progress."""
        return self.locked and self.amendment is None

    def close_session(self, details: DischargeDetails) -> Session:
        """Validate the discharge details and close (lock) the open session with them."""
        session = self._require_session()
        current = self.current_readings()
        last = max((r.taken_at for r in current), default=None)
        errors = validate_discharge(details, session, last, self.clock())
        if errors:
            raise ValidationFailed(errors)
        assert details.discharged_at is not None
        self.session = self.store.close_session(
            session.id or 0, details.by.strip().upper(), details.discharged_at,
            details.to_dict())
        self.sessionChanged.emit()
        return self.session

    def begin_amendment(self, by: str, reason: str) -> None:
        """Allow late entries and corrections in the closed session, each kept with
        ``reason`` and marked late, until :meth:`end_amendment`."""
        session = self._require_session()
        errors = validate_amendment(by, reason)
        if session.status is not SessionStatus.CLOSED:
            errors.append(FieldError("Session", "is not closed: chart as usual"))
        if self.store.read_only:
            errors.append(FieldError("Database", "is open read-only"))
        if errors:
            raise ValidationFailed(errors)
        self.amendment = (by.strip().upper(), reason.strip())
        self.amendmentChanged.emit()

    def end_amendment(self) -> None:
        self.amendment = None
        self.amendmentChanged.emit()

    @property
    def baseline(self) -> Mapping[Vital, float]:
        return self.session.baseline if self.session else {}

    # -- readings ------------------------------------------------------------------------

    def _require_session(self) -> Session:
        if self.session is None or self.session.id is None:
            raise RuntimeError("no session is open")
        return self.session

    def save_reading(self, reading: Reading) -> Reading:
        """Validate and commit ``reading``; returns it as stored. Raises ValidationFailed or
        a StoreError; in either case nothing is shown as saved."""
        session = self._require_session()
        errors = validate_reading(reading, self.clock())
        if errors:
            raise ValidationFailed(errors)
        if self.amendment is not None:
            saved = self.store.amend_add_reading(session.id or 0, reading, *self.amendment)
            self.readings = self.store.readings(session.id or 0)
        else:
            saved = self.store.add_reading(session.id or 0, reading)
            # Put the committed reading in its place rather than re-reading the session: a
            # device session of 100,000 readings would otherwise take most of a second.
            self.readings = with_reading(self.readings, saved)
            if self.loading:
                self._saved_while_loading.append(saved)
        self.readingsChanged.emit()
        self.readingSaved.emit(saved)
        return saved

    def correct_reading(self, original: Reading, values: Mapping[Vital, float], by: str,
                        reason: str) -> Reading:
        """Record a correction of ``original``; the original stays, marked corrected."""
        self._require_session()
        by = by.strip().upper()
        replacement = corrected(original, values, by, reason)
        errors = validate_reading(replacement, self.clock())
        if not reason.strip():
            errors.append(REASON_MISSING)
        if errors:
            raise ValidationFailed(errors)
        if self.amendment is not None:
            saved = self.store.amend_correct_reading(original.id or 0, replacement, by,
                                                     f"{self.amendment[1]}: {reason}")
        else:
            saved = self.store.correct_reading(original.id or 0, replacement, by, reason)
        self.reload()
        return saved

    def mark_in_error(self, original: Reading, by: str, reason: str) -> Reading:
        """Mark ``original`` as entered in error, with who and why."""
        self._require_session()
        errors = []
        if not by.strip():
            errors.append(FieldError("Initials", "enter your initials"))
        if not reason.strip():
            errors.append(REASON_MISSING)
        if errors:
            raise ValidationFailed(errors)
        if self.amendment is not None:
            marked = self.store.amend_mark_in_error(original.id or 0, by.strip().upper(),
                                                    f"{self.amendment[1]}: {reason}")
        else:
            marked = self.store.mark_entered_in_error(original.id or 0, by.strip().upper(),
                                                      reason)
        self.reload()
        return marked

    def reload(self) -> None:
        """Re-read the open session's readings (after an import, a correction, or a write
        by another connection) and tell everything derived from them."""
        session = self._require_session()
        self.loader.cancel()
        self._loading = False
        self.readings = self.store.readings(session.id or 0)
        self._marks = self.store.mark_count(session.id or 0)
        self.readingsChanged.emit()
        self.readingsAmended.emit()

    def refresh_from_store(self) -> None:
        """Show what other connections committed. New readings after the newest are
        appended (alerts evaluate them as they come); anything else reloads the session."""
        if self.store.closed:
            self._watch.stop()
            return
        if self.loading:
            return  # looked at once the load is in (the version is left unseen till then)
        version = self.store.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        if self.session is None or self.session.id is None:
            return
        last_id = max((r.id or 0 for r in self.readings), default=0)
        new = self.store.readings_after(self.session.id, last_id)
        newest = max((r.taken_at for r in self.readings if r.is_current), default=None)
        appendable = all(r.supersedes is None and (newest is None or r.taken_at >= newest)
                         for r in new)
        if self.store.mark_count(self.session.id) != self._marks or not appendable:
            self.reload()
            return
        if not new:
            return
        self.readings = sorted([*self.readings, *new], key=lambda r: (r.taken_at, r.id or 0))
        self.readingsChanged.emit()
        for reading in new:
            self.readingSaved.emit(reading)

    def shutdown(self) -> None:
        """Stop watching the store and any background load (the window is closing)."""
        self._watch.stop()
        self.loader.cancel()
        self._loading = False

    def _current_summary(self) -> tuple[list[Reading], list[Reading], datetime | None]:
        kept = self._current
        if kept is None or kept[0] is not self.readings:
            current = [r for r in self.readings if r.is_current]
            kept = (self.readings, current, max((r.taken_at for r in current), default=None))
            self._current = kept
        return kept

    def current_readings(self) -> list[Reading]:
        """The readings that count (neither corrected nor entered in error), in time order."""
        return list(self._current_summary()[1])

    def newest_taken_at(self) -> datetime | None:
        """When the newest current reading was taken, None before the first."""
        return self._current_summary()[2]

    def latest(self, vital: Vital) -> Reading | None:
        """The newest current reading that has ``vital``."""
        for reading in reversed(self.readings):
            if reading.is_current and vital in reading.values:
                return reading
        return None
