"""The one place that evaluates and records alerts, for every path readings take.

:class:`SessionAlerts` keeps each session's recorded alerts in step with what is stored for
it: readings (typed, imported, from the live feed, from another workstation), in-error
marks and corrections, acknowledgements, threshold versions and the baseline. Every writer
calls :meth:`SessionAlerts.update` inside the transaction that stored the change, so a
reading is never committed without its alert evaluation, and a crash cannot leave the two
out of step. What the record says is therefore the same whether the readings were typed
with the window open, imported on the command line or sent to a headless listener.

How it keeps up without replaying a long session each time: the engine's state (its
unresolved alerts, newest value per vital and pending device runs) is saved per session
in ``alert_state`` with how far into the inputs it has seen. An update carries on from
there with what is new, in time order. Something that changes the past (a correction, an
in-error mark, a reading older than the newest evaluated, a changed baseline) replays the
session from its stored readings, streamed a chunk at a time, and the recorded alerts are
made to match (alerts no longer produced are marked withdrawn, never deleted). A session
that has never been evaluated (a database from before this) is replayed once the same way.

Technical alerts (reading overdue, feed silent) depend on the clock: :meth:`tick` raises
and resolves them; it writes only when something changes.

Qt-free; the clock is injected. One instance per Store connection (a connection belongs to
its thread)."""

from __future__ import annotations

import itertools
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..domain.alert_timeline import advance, effective_version, start_engine
from ..domain.alerts import (
    Acknowledgement,
    Alert,
    AlertEngine,
    AlertEvent,
    AlertEventType,
    AlertKind,
)
from ..domain.errors import ValidationFailed
from ..domain.profiles import ProfileVersion
from ..domain.readings import Reading, initials_errors
from ..domain.records import StoredAlert
from ..domain.schedule import DEFAULT_SCHEDULE
from ..domain.sessions import Session, SessionStatus
from ..domain.thresholds import ThresholdProfile
from ..domain.vectorized import severity_codes
from ..domain.vitals import Vital
from ..store import Store, StoreError
from ..store.alert_state import (
    ROW_CORRECTED_BY,
    ROW_MARKED,
    ROW_SUPERSEDES,
    ROW_TAKEN_AT,
    ROW_TS,
    ROW_VALUES,
    AlertInputs,
    AlertStateRow,
    reading_rows_to_readings,
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class _NeedsReplay(Exception):
    """What is new cannot be carried on from the saved state: replay the session."""


@dataclass
class _Kept:
    """A session's evaluation as last saved by this instance (or read back)."""

    token: str
    state: dict
    inputs: AlertInputs
    baseline: dict[str, float]
    evaluated_until: datetime | None
    engine: AlertEngine | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AlertUpdate:
    """What an update recorded: the events in order (RAISED, ESCALATED, …) and whether
    the session was replayed (then ``events`` holds a RAISED event for each alert the
    replay recorded that was not recorded before)."""

    events: tuple[AlertEvent, ...] = ()
    replayed: bool = False

    def sounding(self) -> list[Alert]:
        """The alerts to sound: raised, escalated or reminding, and still unresolved."""
        wanted = (AlertEventType.RAISED, AlertEventType.ESCALATED, AlertEventType.REMINDED)
        return [e.alert for e in self.events
                if e.type in wanted and e.alert.resolved_at is None]


def _baseline_key(session: Session) -> dict[str, float]:
    return {v.value: float(x) for v, x in sorted(session.baseline.items())}


class SessionAlerts:
    """Evaluates and records the alerts of every session of one Store connection."""

    def __init__(self, store: Store, shipped: ThresholdProfile | ProfileVersion,
                 clock: Callable[[], datetime] = utc_now):
        self.store = store
        self.shipped = shipped if isinstance(shipped, ProfileVersion) else ProfileVersion(shipped)
        self.clock = clock
        self._kept: dict[int, _Kept] = {}

    # -- keeping up ------------------------------------------------------------------------

    def update(self, session_id: int, *, keep_events: bool = True) -> AlertUpdate:
        """Bring the recorded alerts of ``session_id`` up to date with what is stored for
        it, and return what was recorded. Joins the caller's transaction (call it in the
        transaction that stored the change); opens its own otherwise. Writes nothing when
        everything is already evaluated. On a read-only store the evaluation is kept in
        memory only (see :meth:`active`).

        ``keep_events`` False (an import of a long record) records the events a chunk of
        readings at a time and returns none of them, so memory stays bounded however many
        alerts the record raises."""
        if self._current(session_id) is not None:
            return AlertUpdate()
        if self.store.read_only:
            self._evaluate_in_memory(session_id)
            return AlertUpdate()
        try:
            with self.store.transaction():
                return self._catch_up(session_id, keep_events=keep_events)
        except BaseException:
            # Whatever this instance holds for the session may be ahead of the database
            # (the transaction rolled back): read it back next time.
            self._kept.pop(session_id, None)
            raise

    def engine(self, session_id: int) -> AlertEngine:
        """The session's engine, up to date (for display: do not feed it)."""
        self.update(session_id)
        kept = self._kept[session_id]
        if kept.engine is None:
            kept.engine = self._engine_from(kept, self.store.get_session(session_id))
        return kept.engine

    def active(self, session_id: int) -> list[Alert]:
        """The session's unresolved alerts, highest priority first."""
        return self.engine(session_id).active_alerts()

    def history(self, session_id: int) -> list[StoredAlert]:
        """Every alert of the session as the record holds it, brought up to date first (on
        a read-only database that has never evaluated the session: evaluated in memory,
        with what was recorded before kept)."""
        self.update(session_id)
        recorded = self.store.alert_history(session_id)
        kept = self._kept.get(session_id)
        if not self.store.read_only or kept is None or kept.token:
            return recorded
        engine = kept.engine
        assert engine is not None
        known = {(s.alert.condition, s.alert.raised_at) for s in recorded}
        return recorded + [StoredAlert(0, session_id, alert) for alert in engine.history()
                           if (alert.condition, alert.raised_at) not in known]

    def forget(self, session_id: int) -> None:
        """Drop what is kept in memory for a session (it is read back when needed)."""
        self._kept.pop(session_id, None)

    # -- actions ---------------------------------------------------------------------------

    def acknowledge(self, session_id: int, alert_id: int, by: str) -> AlertUpdate:
        """``by`` acknowledges one unresolved alert now (recorded with who and when).
        Raises KeyError for an alert that is not the session's, ValidationFailed for
        missing or malformed initials (the one initials rule)."""
        _check_initials(by)
        return self._apply(session_id, lambda engine: engine.acknowledge(
            alert_id, by, self.clock()))

    def acknowledge_all(self, session_id: int, by: str) -> AlertUpdate:
        """Acknowledge every unresolved, unacknowledged alert of the session."""
        _check_initials(by)

        def every(engine: AlertEngine) -> list[AlertEvent]:
            now = self.clock()
            events: list[AlertEvent] = []
            for alert in engine.active_alerts():
                if alert.acknowledged_at is None:
                    events += engine.acknowledge(alert.id, by, now)
            return events

        return self._apply(session_id, every)

    def tick(self, session_id: int, *, last_feed_message_at: datetime | None = None
             ) -> AlertUpdate:
        """Let time pass for a session: reminders of acknowledged alerts, *reading
        overdue* (from the session's reading schedule) and *feed silent* (when
        ``last_feed_message_at`` says a feed is expected). Writes only on a change."""
        session = self.store.get_session(session_id)
        if self.store.read_only or session.status is not SessionStatus.ACTIVE:
            return AlertUpdate()
        now = self.clock()
        next_due = self.next_due(session, now)

        def let_time_pass(engine: AlertEngine) -> list[AlertEvent]:
            return engine.tick(now, next_due_at=next_due,
                               last_feed_message_at=last_feed_message_at)

        self.update(session_id)
        kept = self._kept[session_id]
        probe = self._engine_from(kept, session)
        if not let_time_pass(probe):
            return AlertUpdate()
        return self._apply(session_id, let_time_pass)

    def next_due(self, session: Session, now: datetime | None = None) -> datetime | None:
        """When the session's next reading is due (may be past: overdue), None when the
        session is not active."""
        if session.status is not SessionStatus.ACTIVE or session.id is None:
            return None
        schedule = self.store.schedule(session.id) or DEFAULT_SCHEDULE
        return schedule.next_due(session.infusion.ended_at,
                                 self.store.newest_current_time(session.id),
                                 now or self.clock(),
                                 infusion_start=session.infusion.started_at)

    def end_monitoring(self, session_id: int, at: datetime) -> AlertUpdate:
        """The session was closed at ``at``: its technical alerts end then (call it in the
        transaction that closes it)."""
        return self._apply(session_id, lambda engine: engine.end_technical(at))

    # -- inside ----------------------------------------------------------------------------

    def _current(self, session_id: int) -> _Kept | None:
        """What is kept for the session, if it is still what the database says (cheap:
        two indexed look-ups, no transaction)."""
        kept = self._kept.get(session_id)
        if kept is None or kept.token != (self.store.alert_state_token(session_id) or ""):
            # Another connection (or an earlier instance) may have saved an evaluation that
            # is current: take it without the write lock.
            kept = self._read_back(session_id)
            if kept is None:
                return None
        if kept.inputs != self.store.alert_inputs(session_id, kept.inputs.readings_through):
            return None
        if not self.store.read_only:
            session = self.store.get_session(session_id)
            if kept.baseline != _baseline_key(session) or _ended_with_open_technical(
                    session, kept):
                return None
        self._kept[session_id] = kept
        return kept

    def _apply(self, session_id: int, change: Callable[[AlertEngine], list[AlertEvent]]
               ) -> AlertUpdate:
        """Catch up, let ``change`` act on the engine, record what it did: one transaction."""
        try:
            with self.store.transaction():
                caught_up = self._catch_up(session_id)
                kept = self._kept[session_id]
                session = self.store.get_session(session_id)
                engine = kept.engine or self._engine_from(kept, session)
                events = change(engine)
                self.store.record_alert_events(session_id, events)
                self._save(session_id, engine, self.store.alert_inputs(
                    session_id, kept.inputs.readings_through), kept.baseline,
                    kept.evaluated_until)
        except BaseException:
            self._kept.pop(session_id, None)
            raise
        return AlertUpdate((*caught_up.events, *events), caught_up.replayed)

    def _catch_up(self, session_id: int, *, keep_events: bool = True) -> AlertUpdate:
        """Inside a write transaction: carry on from the saved state, or replay."""
        store = self.store
        session = store.get_session(session_id)
        baseline = _baseline_key(session)
        kept = self._kept.get(session_id)
        if kept is None or kept.token != store.alert_state_token(session_id):
            kept = self._read_back(session_id)
        inputs = store.alert_inputs(session_id, kept.inputs.readings_through if kept else 0)
        if kept is not None and kept.inputs == inputs and kept.baseline == baseline \
                and not _ended_with_open_technical(session, kept):
            self._kept[session_id] = kept
            return AlertUpdate()
        versions = store.profile_versions(session_id)
        if kept is not None and kept.inputs.marks == inputs.marks and kept.baseline == baseline:
            try:
                # A savepoint: a carry-on cut short (a row out of time order in a later
                # chunk) leaves none of the events it recorded chunk by chunk, so that
                # the replay records the session as if it had been the only way taken.
                with self.store.transaction():
                    return self._carry_on(session, kept, versions, inputs, keep_events)
            except _NeedsReplay:
                pass
        return self._replay(session, versions, inputs)

    def _carry_on(self, session: Session, kept: _Kept, versions: list[ProfileVersion],
                  inputs: AlertInputs, keep_events: bool = True) -> AlertUpdate:
        assert session.id is not None
        until = kept.evaluated_until
        engine = self._engine_from(kept, session)
        new_versions = versions[kept.inputs.profiles:]
        acks = self.store.acknowledgements_after(session.id, kept.inputs.acks_through)
        if until is not None and any(
                (v.changed_at is not None and v.changed_at < until) for v in new_versions
        ) or until is not None and any(a.at < until for a in acks):
            raise _NeedsReplay
        # Nothing to merge by time: the feed reads slim rows, and full ones only where it
        # evaluates reading by reading.
        slim = not acks and not new_versions
        chunks = self.store.reading_chunks_after(
            session.id, kept.inputs.readings_through, inputs.readings_through, slim=slim)
        session_id = session.id

        def record(chunk_events: list[AlertEvent]) -> None:
            self.store.record_alert_events(session_id, chunk_events)
            engine.forget_resolved()  # recorded: the engine needs only what is unresolved

        events, newest = feed(engine, chunks, versions, self.shipped, acks, new_versions,
                              after=until, carrying_on=True,
                              record=None if keep_events else record,
                              full_rows=self.store.full_rows if slim else None)
        events += self._after(session, engine)
        self.store.record_alert_events(session.id, events)
        self._save(session.id, engine, inputs, kept.baseline,
                   _latest(newest, acks, new_versions))
        return AlertUpdate(tuple(events))

    def _replay(self, session: Session, versions: list[ProfileVersion], inputs: AlertInputs
                ) -> AlertUpdate:
        assert session.id is not None
        store = self.store
        engine, until = self._replayed(session, versions)
        recorded = store.alert_history(session.id)
        stored = [s.alert for s in recorded if s.withdrawn_at is None]
        events = engine.carry_on(stored) + self._after(session, engine)
        known = {(s.alert.condition, s.alert.raised_at) for s in recorded}
        fresh = [AlertEvent(AlertEventType.RAISED, a.raised_at, a) for a in engine.history()
                 if (a.condition, a.raised_at) not in known and a.kind is AlertKind.PHYSIOLOGICAL]
        store.sync_alerts(session.id, engine.history())
        store.record_alert_events(session.id, events)
        self._save(session.id, engine, inputs, _baseline_key(session), until)
        return AlertUpdate((*fresh, *events), replayed=True)

    def _replayed(self, session: Session, versions: list[ProfileVersion]
                  ) -> tuple[AlertEngine, datetime | None]:
        """An engine that has seen the whole session, streamed from the store."""
        assert session.id is not None
        acks = self.store.acknowledgements(session.id)
        slim = not acks and not any(v.changed_at is not None for v in versions)
        chunks = self.store.current_reading_chunks(session.id, slim=slim)
        first = next(chunks, None)
        moments = [*(a.at for a in acks),
                   *([datetime.fromisoformat(first[0][ROW_TAKEN_AT])] if first else [])]
        start = min(moments, default=None)
        engine, _ = start_engine(versions, self.shipped, session.baseline, start)
        steps = [v for v in versions if v.changed_at is not None
                 and (start is None or v.changed_at > start)]
        _, newest = feed(engine, itertools.chain([first] if first else [], chunks), versions,
                         self.shipped, acks, steps, collect=False,
                         full_rows=self.store.full_rows if slim else None)
        return engine, _latest(newest, acks, steps)

    def _after(self, session: Session, engine: AlertEngine) -> list[AlertEvent]:
        """A closed session expects nothing more: its technical alerts end when it closed."""
        if session.status is SessionStatus.CLOSED:
            return engine.end_technical(session.closed_at or self.clock())
        return []

    def _save(self, session_id: int, engine: AlertEngine, inputs: AlertInputs,
              baseline: dict[str, float], evaluated_until: datetime | None) -> None:
        state = engine.state()
        kept = _Kept(uuid.uuid4().hex, state, inputs, baseline, evaluated_until, engine)
        self.store.save_alert_state(AlertStateRow(session_id, kept.token, state, inputs,
                                                  baseline, evaluated_until))
        self._kept[session_id] = kept

    def _read_back(self, session_id: int) -> _Kept | None:
        row = self.store.alert_state(session_id)
        if row is None:
            return None
        return _Kept(row.token, row.state, row.inputs, row.baseline, row.evaluated_until)

    def _engine_from(self, kept: _Kept, session: Session) -> AlertEngine:
        assert session.id is not None
        version = effective_version(self.store.profile_versions(session.id), self.shipped)
        return AlertEngine.from_state(version.profile, session.baseline, version.settings,
                                      kept.state)

    def _evaluate_in_memory(self, session_id: int) -> None:
        """A read-only database: evaluate for display, write nothing."""
        session = self.store.get_session(session_id)
        versions = self.store.profile_versions(session_id)
        row = self._read_back(session_id)
        inputs = self.store.alert_inputs(session_id, row.inputs.readings_through if row else 0)
        if row is not None and row.inputs == inputs and row.baseline == _baseline_key(session):
            self._kept[session_id] = row
            return
        engine, until = self._replayed(session, versions)
        stored = [s.alert for s in self.store.alert_history(session_id)
                  if s.withdrawn_at is None]
        engine.carry_on(stored)
        self._after(session, engine)
        # An empty token: evaluated here, in memory only (see history).
        kept = _Kept("", engine.state(), inputs, _baseline_key(session), until, engine)
        self._kept[session_id] = kept


Rows = list[tuple[Any, ...]]


def feed(engine: AlertEngine, chunks: Iterable[Rows], versions: Sequence[ProfileVersion],
         shipped: ProfileVersion, acks: Sequence[Acknowledgement],
         new_versions: Sequence[ProfileVersion], *, after: datetime | None = None,
         carrying_on: bool = False, collect: bool = True,
         record: Callable[[list[AlertEvent]], None] | None = None,
         full_rows: Callable[[Sequence[int]], Rows] | None = None
         ) -> tuple[list[AlertEvent], datetime | None]:
    """Feed ``engine`` the store's reading rows (in time order, a chunk at a time), with
    ``acks`` and ``new_versions`` merged in at their moments; return the events (when
    ``collect``) and the newest reading time fed.

    ``carrying_on`` means going on from a saved state (rows in id order, as stored): every
    row must be a plain current reading no older than the rows before it and than
    ``after`` (the newest moment evaluated, None for a session never fed), else
    :class:`_NeedsReplay`. Otherwise the rows are a replay's, already in time order.
    ``record`` set is given the events chunk by chunk instead (none are returned).
    ``full_rows`` set means the chunks are slim (see the store's ``reading_chunks_after``):
    it gives the full rows of the readings evaluated one by one. Never with acks or
    versions to merge, which read every row whole.

    With no acknowledgement or threshold version to merge (an import, the live feed, most
    replays), a stretch of rows that are all normal while the engine is quiet is taken in
    one step (classified with numpy, as ``domain.vectorized`` does for the chart): only the
    newest value of each vital is noted, exactly what the engine does one by one. So is a
    stretch while every unresolved alert is latched (a HIGH alert whose condition cleared
    and that nobody has acknowledged, as in any import) and no value brings one back."""
    newest: list[datetime | None] = [after]
    floor = [after.timestamp() if after is not None else -math.inf]

    def checked(chunk: Rows) -> Rows:
        if carrying_on:
            stamps = np.fromiter((row[ROW_TS] for row in chunk), float, len(chunk))
            if stamps[0] < floor[0] or (len(chunk) > 1 and bool(np.any(np.diff(stamps) < 0))) \
                    or any(row[ROW_SUPERSEDES] is not None or row[ROW_CORRECTED_BY] is not None
                           or row[ROW_MARKED] is not None for row in chunk):
                raise _NeedsReplay
            floor[0] = float(stamps[-1])
        newest[0] = datetime.fromisoformat(chunk[-1][ROW_TAKEN_AT])
        return chunk

    if acks or new_versions:  # steps to merge by time: reading by reading
        assert full_rows is None, "slim rows cannot be merged reading by reading"
        def readings() -> Iterator[Reading]:
            for chunk in chunks:
                yield from reading_rows_to_readings(checked(chunk))

        return advance(engine, versions, shipped, readings(), acks, new_versions,
                       collect=collect), newest[0]
    events: list[AlertEvent] = []
    for chunk in chunks:
        fed = _feed_chunk(engine, checked(chunk), full_rows)
        if record is not None:
            record(fed)
        elif collect:
            events += fed
    return events, newest[0]


def _feed_chunk(engine: AlertEngine, chunk: Rows,
                full_rows: Callable[[Sequence[int]], Rows] | None = None) -> list[AlertEvent]:
    values = np.array([row[ROW_VALUES] for row in chunk], dtype=float)  # None -> NaN
    abnormal = np.zeros(len(chunk), dtype=bool)
    for column, vital in enumerate(_VITALS):
        abnormal |= severity_codes(engine.profile, vital, values[:, column],
                                   engine.baseline) != 0
    events: list[AlertEvent] = []
    # Rows a latched alert's condition may come back in (abnormal by the vital's hysteresis
    # margin), per latched condition: worked out once per chunk, not once per stretch.
    held: dict[tuple[Vital, str], np.ndarray] = {}

    def holding(vital: Vital, direction: str) -> np.ndarray:
        if (vital, direction) not in held:
            margin = engine.settings.margin(vital)
            shifted = values[:, _VITALS.index(vital)] + (
                margin if direction == "high" else -margin)
            held[(vital, direction)] = severity_codes(engine.profile, vital, shifted,
                                                      engine.baseline) != 0
        return held[(vital, direction)]

    i, n = 0, len(chunk)
    while i < n:
        if engine.quiet or engine.settled:
            blocked = abnormal
            for vital, direction in engine.latched_conditions():
                # Such a row takes the exact way.
                blocked = blocked | holding(vital, direction)
            ahead = np.flatnonzero(blocked[i:])
            j = i + int(ahead[0]) if ahead.size else n
            if j > i:
                engine.note_normal(_newest_values(chunk, values, i, j))
                i = j
                if i == n:
                    break
        row = chunk[i] if full_rows is None else full_rows([chunk[i][0]])[0]
        events += engine.on_reading(reading_rows_to_readings([row])[0])
        i += 1
    return events


def _newest_values(chunk: Rows, values: np.ndarray, start: int, end: int
                   ) -> dict[Vital, tuple[float, datetime]]:
    """The newest value of each vital in rows ``start`` to ``end`` and when it was taken."""
    newest: dict[Vital, tuple[float, datetime]] = {}
    for column, vital in enumerate(_VITALS):
        present = np.flatnonzero(~np.isnan(values[start:end, column]))
        if present.size:
            row = start + int(present[-1])
            newest[vital] = (float(values[row, column]),
                             datetime.fromisoformat(chunk[row][ROW_TAKEN_AT]))
    return newest


#: The vitals in the order of the rows' value columns.
_VITALS: tuple[Vital, ...] = tuple(Vital)


def _check_initials(by: str) -> None:
    errors = initials_errors(by)
    if errors:
        raise ValidationFailed(errors)


def _ended_with_open_technical(session: Session, kept: _Kept) -> bool:
    """A closed session whose saved state still has a technical alert open: closing it
    changed none of the inputs, but ends them (see ``_after``)."""
    return session.status is SessionStatus.CLOSED and any(
        a.get("kind") == AlertKind.TECHNICAL.value for a in kept.state["alerts"])


def _latest(reading_time: datetime | None, acks: Iterable[Acknowledgement],
            versions: Iterable[ProfileVersion]) -> datetime | None:
    """The newest moment evaluated: a later reading older than this is late (replay)."""
    moments = [reading_time, *(a.at for a in acks), *(v.changed_at for v in versions)]
    return max((m for m in moments if m is not None), default=None)


def bring_up_to_date(store: Store, shipped: ThresholdProfile | ProfileVersion,
                     session_ids: Iterable[int]) -> None:
    """Update the recorded alerts of ``session_ids`` (e.g. before an export)."""
    alerts = SessionAlerts(store, shipped)
    for session_id in session_ids:
        alerts.update(session_id)



def catch_up_unevaluated(store: Store, shipped: ThresholdProfile | ProfileVersion,
                         cancelled: Callable[[], bool] = lambda: False) -> int:
    """Record the alerts of every session never evaluated (a database from before alert
    states were kept), newest first, each in its own transaction; returns how many. Stops
    between two sessions when ``cancelled()``."""
    alerts = SessionAlerts(store, shipped)
    done = 0
    while not cancelled():
        pending = store.sessions_without_alert_state(limit=50)
        if not pending:
            break
        for session_id in pending:
            if cancelled():
                return done
            alerts.update(session_id)
            alerts.forget(session_id)  # bounded memory over many sessions
            done += 1
    return done


class BackgroundCatchUp:
    """Runs :func:`catch_up_unevaluated` in a thread with its own connection (the window
    starts it on an old database and stops it when it closes)."""

    def __init__(self, db_path: str, shipped: ThresholdProfile | ProfileVersion):
        self.db_path = db_path
        self.shipped = shipped
        self.done = 0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-catch-up", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the session under way and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            with Store.open(self.db_path, check=False) as store:
                self.done = catch_up_unevaluated(store, self.shipped, self._stop.is_set)
        except StoreError as error:  # the window says nothing: the next start tries again
            self.error = str(error)
