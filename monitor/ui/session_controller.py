"""The open session as the UI sees it: a thin Qt adapter over the store and the domain.

Widgets call these methods with what the user asked for; the domain validates, the store
commits, and only then are the change signals emitted, so nothing is shown as saved
before it is on disk.

A long session (more than ``large_session`` rows, say a day of a one-second device feed)
opens in two steps: at once with its newest rows and each vital's latest reading, then,
from a worker thread (session_loader.py), with everything; ``loading`` is True in between
and ``readingsLoaded`` says when it ends."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from monitor.app.alerting import AlertUpdate, SessionAlerts
from monitor.app.charting import Amendment, Charting
from monitor.domain.charted_scores import reading_order
from monitor.domain.closing import DischargeDetails, validate_amendment
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.ordered import replaced_in_order
from monitor.domain.readings import (
    Reading,
    ReadingStatus,
)
from monitor.domain.sessions import Session, SessionStatus
from monitor.domain.thresholds import ThresholdProfile
from monitor.domain.vitals import Vital
from monitor.store import Store
from monitor.ui.initials_memory import remember_initials
from monitor.ui.workers.session_loader import LoadResult, SessionLoader

EXTERNAL_POLL_MS = 1000
#: Sessions with more rows than this open in two steps (see the module docstring): reading
#: them whole takes over a tenth of a second.
LARGE_SESSION = 5000
#: Rows read at once when a long session opens: the readings table's first page.
OPENING_ROWS = 200


def with_reading(readings: list[Reading], new: Reading) -> list[Reading]:
    """A new list: ``readings`` (in the store's order, time then id) with ``new`` in place."""
    return replaced_in_order(readings, (), (new,), key=reading_order)


@dataclass(frozen=True)
class ReadingsChange:
    """How the controller's readings went from the list ``before`` to the list ``after``:
    the rows that left it (as they were) and the rows that came in. A row whose status
    changed (corrected, entered in error) is in both, as it was and as it is now. What is
    derived from the readings of a long session is updated by this instead of redone."""

    before: list[Reading]
    after: list[Reading]
    removed: tuple[Reading, ...]
    added: tuple[Reading, ...]


@dataclass(frozen=True)
class _Summary:
    """What every tick asks of the readings, kept per readings list."""

    readings: list[Reading]
    current: list[Reading]
    latest: dict[Vital, Reading]  # the newest current reading with each vital


def _latest_by_vital(current: list[Reading], wanted: Iterable[Vital] = tuple(Vital)
                     ) -> dict[Vital, Reading]:
    """The newest of ``current`` (in the store's order) that has each vital, looking back
    only until every ``wanted`` vital is found: at once for anything charted lately."""
    latest: dict[Vital, Reading] = {}
    missing = set(wanted)
    for reading in reversed(current):
        for vital in reading.values:
            latest.setdefault(vital, reading)
        missing.difference_update(reading.values)
        if not missing:
            break
    return latest


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
    #: The alerts a change made here raised, escalated or ended (an AlertUpdate), recorded
    #: in the same transaction by the recorder.
    alertsRecorded = Signal(object)

    def __init__(self, store: Store, profile: ThresholdProfile,
                 clock: Callable[[], datetime] = utc_now, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.profile = profile
        self.clock = clock
        #: The one place that evaluates and records alerts (app layer), for this connection.
        self.recorder = SessionAlerts(store, profile, lambda: self.clock())  # follows a set clock
        #: The charting use cases (app layer): validate, store, record alerts, one transaction.
        self.charting = Charting(store, self.recorder, lambda: self.clock())
        self.session: Session | None = None
        self._readings: list[Reading] = []
        self._change: ReadingsChange | None = None
        self._newest_id: int | None = None  # the largest reading id in hand, once asked
        #: (initials, reason) while a closed session is being amended.
        self.amendment: tuple[str, str] | None = None
        #: Ids of the session's rows marked entered in error, as last seen in the store.
        self._marked: frozenset[int] = frozenset()
        # The controller replaces ``readings`` whenever they change, so the list itself
        # says when the summary is stale. Every tick asks for it; a long session has
        # 100,000 readings, so it is updated by the change where one is known.
        self._summary_kept: _Summary | None = None
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
        large = self._read_first(session_id)
        self.sessionChanged.emit()
        self.readingsChanged.emit()
        if large:
            self.loader.start(self.store, session_id)
        return self.session

    def _read_first(self, session_id: int) -> bool:
        """Put the session's readings in hand: a short session whole, a long one its newest
        rows and each vital's latest reading (``loading`` then, the rest to be read in the
        background). True for a long one."""
        self.row_count = self.store.reading_count(session_id)
        large = self.row_count > self.large_session
        if large:
            self.readings = self.store.opening_readings(session_id, OPENING_ROWS)
            self._marked = self.store.marked_reading_ids(session_id)
            # In time order, the newest OPENING_ROWS rows come last (every vital's latest
            # reading, if older, before them): from the oldest of them on, nothing is missing.
            newest = self.readings[-OPENING_ROWS:]
            self._complete_from = newest[0].taken_at if newest else None
        else:
            self.readings = self.store.readings(session_id)
            self._marked = frozenset(r.id or 0 for r in self.readings
                                     if r.status is ReadingStatus.ENTERED_IN_ERROR)
        self._loading = large
        return large

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
            self._read_whole(session.id or 0)
            return
        known = {r.id for r in result.readings}
        extra = [r for r in self._saved_while_loading if r.id not in known]
        self._saved_while_loading = []
        readings: list[Reading] = result.readings
        for reading in extra:
            readings = with_reading(readings, reading)
        self.readings = readings
        self._marked = result.marked
        self.readingsLoaded.emit(result, extra)
        self.readingsChanged.emit()

    def start_session(self, session: Session, by: str) -> Session:
        """Validate and store a new session, then open it."""
        created = self.charting.start(session, by)
        assert created.id is not None
        return self.open_session(created.id)

    def update_session(self, session: Session, by: str, reason: str = "") -> Session:
        """Change the open session's details (recorded in the audit trail)."""
        self.session = self.charting.update_details(session, by, reason)
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
        self.session = self.charting.close(session, details, self.newest_taken_at())
        remember_initials(details.by)
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
        """Validate and commit ``reading`` with its alerts; returns it as stored. Raises
        ValidationFailed or a StoreError; in either case nothing is shown as saved."""
        session = self._require_session()
        charted = self.charting.chart(session.id or 0, reading, self._amending())
        saved = charted.reading
        # Put the committed reading in its place rather than re-reading the session: a
        # device session of 100,000 readings would otherwise take most of a second.
        self._change_readings((), (saved,))
        if self.loading:
            self._saved_while_loading.append(saved)
        self.readingsChanged.emit()
        self.readingSaved.emit(saved)
        self._recorded(charted.alerts, saved.entered_by)
        return saved

    def correct_reading(self, original: Reading, values: Mapping[Vital, float], by: str,
                        reason: str) -> Reading:
        """Record a correction of ``original``; the original stays, marked corrected."""
        session = self._require_session()
        charted = self.charting.correct(session.id or 0, original, values, by, reason,
                                        self._amending())
        saved = charted.reading
        self._restate(self.store.readings_with_ids([original.id or 0, saved.id or 0]))
        self._recorded(charted.alerts, by)
        return saved

    def mark_in_error(self, original: Reading, by: str, reason: str) -> Reading:
        """Mark ``original`` as entered in error, with who and why."""
        session = self._require_session()
        charted = self.charting.mark_in_error(session.id or 0, original, by, reason,
                                              self._amending())
        marked = charted.reading
        self._marked |= {marked.id or 0}
        self._restate([marked])
        self._recorded(charted.alerts, by)
        return marked

    def _amending(self) -> Amendment | None:
        return Amendment(*self.amendment) if self.amendment is not None else None

    def _recorded(self, update: AlertUpdate, by: str = "") -> None:
        remember_initials(by)
        if update.events:
            self.alertsRecorded.emit(update)

    def _restate(self, rows: Sequence[Reading]) -> None:
        """Put ``rows`` (as now stored: corrected or marked ones, new ones) in place of
        the versions in hand, without re-reading the session, and tell everything derived
        from the readings. A long session still loading is read again in the background
        (its older rows are not in hand yet)."""
        removed = [old for row in rows if (old := self._in_hand(row)) is not None]
        self._change_readings(removed, rows)
        if self.loading and self.session is not None:
            self.loader.start(self.store, self.session.id or 0)
        self.readingsChanged.emit()
        self.readingsAmended.emit()

    def _in_hand(self, row: Reading) -> Reading | None:
        """The version of ``row`` in ``readings`` (found by its time and id), or None."""
        readings = self._readings
        index = bisect_left(readings, reading_order(row), key=reading_order)
        if index < len(readings) and readings[index].id == row.id:
            return readings[index]
        return None

    def reload(self) -> None:
        """Re-read the open session's readings (after an import or a live feed's rows
        stored by another connection) and tell everything derived from them. A long
        session is read as it opens: its newest rows now, the rest and the alert replay
        in the loader's worker (``loading`` meanwhile, ``readingsLoaded`` at the end), so
        an import of a million rows never freezes the window."""
        session = self._require_session()
        self.loader.cancel()
        self._saved_while_loading = []
        if self._read_first(session.id or 0):
            self.readingsChanged.emit()
            self.readingsAmended.emit()  # the alerts wait for the load (it replays)
            self.loader.start(self.store, session.id or 0)
            return
        self.readingsChanged.emit()
        self.readingsAmended.emit()

    def _read_whole(self, session_id: int) -> None:
        """Read every reading here, as for a short session (the worker failed)."""
        self._loading = False
        self.readings = self.store.readings(session_id)
        self._marked = self.store.marked_reading_ids(session_id)
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
        session_id = self.session.id
        new = self.store.readings_stored_after(session_id, self.newest_id())
        marked = self.store.marked_reading_ids(session_id)
        # Rows in hand whose status changed there: corrected by a new row, or marked.
        changed = (marked - self._marked) | {r.supersedes for r in new
                                             if r.supersedes is not None}
        self._marked = marked
        if changed:
            restated = self.store.readings_with_ids(changed)
            known = {r.id for r in restated}
            self._restate([*restated, *(r for r in new if r.id not in known)])
        elif new:
            self._change_readings((), new)
            self.readingsChanged.emit()
            for reading in new:
                self.readingSaved.emit(reading)

    def shutdown(self) -> None:
        """Stop watching the store and any background load (the window is closing)."""
        self._watch.stop()
        self.loader.cancel()
        self._loading = False

    # -- the readings in hand ----------------------------------------------------------------

    @property
    def readings(self) -> list[Reading]:
        """The open session's rows in the store's order (time, then id), every status;
        a new list whenever they change (never changed in place)."""
        return self._readings

    @readings.setter
    def readings(self, readings: list[Reading]) -> None:
        self._readings = readings
        self._change = None  # a new list from elsewhere: how it differs is unknown
        self._newest_id = None

    def _change_readings(self, removed: Sequence[Reading], added: Sequence[Reading]
                         ) -> None:
        """A new ``readings`` list without ``removed`` and with ``added``, each in place,
        remembering the change for :meth:`change_since`."""
        before = self._readings
        after = replaced_in_order(before, [reading_order(r) for r in removed], added,
                                  key=reading_order)
        self._readings = after
        self._change = ReadingsChange(before, after, tuple(removed), tuple(added))
        if self._newest_id is not None:
            self._newest_id = max([self._newest_id, *(r.id or 0 for r in added)])

    def change_since(self, before: Sequence[Reading] | None) -> ReadingsChange | None:
        """How ``readings`` differ from the list ``before`` when it is the list they
        replaced last (a reading saved, corrected or marked here, or new ones from another
        connection); None otherwise: whatever is derived from ``before`` must be redone."""
        change = self._change
        if change is None or change.before is not before or change.after is not self._readings:
            return None
        return change

    def newest_id(self) -> int:
        """The largest id of the rows in hand (0 before the first)."""
        if self._newest_id is None:
            self._newest_id = max((r.id or 0 for r in self._readings), default=0)
        return self._newest_id

    @property
    def marked_count(self) -> int:
        """How many of the session's rows are marked entered in error (as last seen)."""
        return len(self._marked)

    def _summary(self) -> _Summary:
        kept = self._summary_kept
        readings = self._readings
        if kept is not None and kept.readings is readings:
            return kept
        change = self.change_since(kept.readings) if kept is not None else None
        if kept is None or change is None:
            current = [r for r in readings if r.is_current]
            kept = _Summary(readings, current, _latest_by_vital(current))
        else:
            gone = [r for r in change.removed if r.is_current]
            came = sorted((r for r in change.added if r.is_current), key=reading_order)
            current = replaced_in_order(kept.current, [reading_order(r) for r in gone], came,
                                        key=reading_order)
            newest = reading_order(kept.current[-1]) if kept.current else None
            if not gone and all(newest is None or reading_order(r) >= newest for r in came):
                latest = dict(kept.latest)  # newer readings: they simply take over
                for reading in came:
                    latest.update(dict.fromkeys(reading.values, reading))
            else:  # only vitals charted before or now can be there: look back for them
                latest = _latest_by_vital(
                    current, {*kept.latest, *(v for r in came for v in r.values)})
            kept = _Summary(readings, current, latest)
        self._summary_kept = kept
        return kept

    def current_readings(self) -> list[Reading]:
        """The readings that count (neither corrected nor entered in error), in time order."""
        return list(self._summary().current)

    def newest_taken_at(self) -> datetime | None:
        """When the newest current reading was taken, None before the first."""
        current = self._summary().current
        return current[-1].taken_at if current else None

    def latest_values(self) -> dict[Vital, float]:
        """The newest current value of each vital charted."""
        return {vital: reading.values[vital]
                for vital, reading in self._summary().latest.items()}

    def latest(self, vital: Vital) -> Reading | None:
        """The newest current reading that has ``vital``."""
        return self._summary().latest.get(vital)
