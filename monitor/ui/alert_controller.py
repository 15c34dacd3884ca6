"""The alert workflow of the open session, as the UI sees it.

Keeps an AlertEngine in step with the session's readings, acknowledgements and threshold
profile versions, records every alert change in the store, and lets time pass (reminders,
overdue readings, a silent feed) with a one-second tick. Widgets call its methods and listen
to its signals; every rule lives in the domain."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from ..domain.alert_timeline import effective_version, rebuild
from ..domain.alerts import (
    Acknowledgement,
    Alert,
    AlertEngine,
    AlertEvent,
    AlertEventType,
    AlertSettings,
    validate_settings,
)
from ..domain.errors import FieldError, ValidationFailed
from ..domain.events import (
    ClinicalEvent,
    SedationEntry,
    TimelineEntry,
    validate_clinical_event,
    validate_sedation_entry,
)
from ..domain.profiles import ProfileScope, ProfileVersion
from ..domain.readings import Reading
from ..domain.schedule import DEFAULT_SCHEDULE, ReadingSchedule, session_due_times
from ..domain.sessions import SessionStatus
from ..domain.thresholds import ThresholdProfile, validate_profile
from ..store import Store
from ..store.clinical import StoredAlert
from .session_controller import SessionController
from .session_loader import BackgroundStep, LoadedReadings, LoadResult

TICK_MS = 1000

#: Event types that deserve a sound and may break through an audio pause.
SOUNDING = (AlertEventType.RAISED, AlertEventType.ESCALATED, AlertEventType.REMINDED)


class AlertController(QObject):
    """Alerts, thresholds, schedule and timeline of the session the SessionController has
    open."""

    alertsChanged = Signal()  # the active set or the history changed
    alertSounded = Signal(object)  # an Alert raised, escalated or reminding: sound it
    profileChanged = Signal()
    scheduleChanged = Signal()
    timelineChanged = Signal()
    ticked = Signal()  # once a second, for countdowns
    #: A long session's alerts began or finished catching up in the background (see
    #: :attr:`updating`).
    updatingChanged = Signal()

    def __init__(self, sessions: SessionController, shipped: ThresholdProfile,
                 parent: QObject | None = None, *, tick_ms: int | None = TICK_MS):
        super().__init__(parent)
        self.sessions = sessions
        self.store = sessions.store
        self.shipped = ProfileVersion(shipped)
        self.engine: AlertEngine | None = None
        self.last_feed_message_at: datetime | None = None
        self._versions: list[ProfileVersion] = []
        self._schedule: ReadingSchedule = DEFAULT_SCHEDULE
        sessions.sessionChanged.connect(self._session_changed)
        sessions.readingSaved.connect(self._reading_saved)
        sessions.readingsAmended.connect(self._amended)
        sessions.readingsLoaded.connect(self._loaded)
        sessions.loader.add_step("alerts", self._replay_step)
        sessions.loader.rederived.connect(self._rederived)
        self._restored_acks = 0
        self._updating = False
        self._saved_meanwhile: list[Reading] = []
        # The newest reading time the engine has seen: a reading older than that is late
        # and needs a replay. Kept here so no save looks through every reading.
        self._evaluated_until: datetime | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        if tick_ms is not None:
            self._timer.start(tick_ms)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.sessions.clock

    # -- session life ---------------------------------------------------------------------

    def _session_id(self) -> int | None:
        s = self.sessions.session
        return s.id if s is not None else None

    def _session_changed(self) -> None:
        session_id = self._session_id()
        if session_id is None:
            self.engine = None
            self.alertsChanged.emit()
            return
        self._versions = self.store.profile_versions(session_id)
        self._apply_profile()
        self._schedule = self.store.schedule(session_id) or DEFAULT_SCHEDULE
        self._set_updating(self.sessions.loader.rederiving)  # opening cancels a replay
        if self.sessions.loading:
            self._restore(session_id)
        else:
            self._replay()
        self.scheduleChanged.emit()
        self.timelineChanged.emit()

    def rebuild(self) -> None:
        """Replay the whole session (after a correction, an in-error mark or an import) and
        make the recorded alerts match."""
        session_id = self._session_id()
        if session_id is None:
            return
        acknowledgements = self.store.acknowledgements(session_id)
        # The replay of a long session makes a few hundred thousand short-lived tuples;
        # with the collector on, each batch of them walks every reading held in memory.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.engine = rebuild(self._versions, self.shipped, self.sessions.baseline,
                                  self.sessions.readings, acknowledgements,
                                  self.version().settings)
        finally:
            if collecting:
                gc.enable()
        self._evaluated_until = self.sessions.newest_taken_at()
        self._carry_on_technical(session_id)
        if not self.passive():
            self.store.sync_alerts(session_id, self.engine.history())
        # This replay used every reading in hand: one still running in the background is
        # out of date, and its result is ignored when it comes (see _rederived).
        self._set_updating(False)
        self.tick()
        self.alertsChanged.emit()

    @property
    def updating(self) -> bool:
        """True while a long session's alerts are replayed in the background after a
        correction, an in-error mark or a late reading: until the replay takes over, the
        alerts are those from before it (new readings still raise theirs at once)."""
        return self._updating

    def _set_updating(self, updating: bool) -> None:
        if updating != self._updating:
            self._updating = updating
            self.updatingChanged.emit()

    def _amended(self) -> None:
        """Readings changed other than by a new newest one: replay the session."""
        if self.sessions.loading:
            # The load under way replays it (it reads the session again, acknowledgements
            # given so far included) and has cancelled any replay of ours.
            if self.engine is not None:
                self._restored_acks = len(self.engine.acknowledgements())
            self._saved_meanwhile = []
            self._set_updating(False)
            return
        self._replay()

    def _replay(self) -> None:
        """Replay the session: a short one at once (:meth:`rebuild`), a long one in the
        loader's worker (seconds for 100,000 readings), carrying on meanwhile with the
        engine in hand; :meth:`_rederived` takes the replay over when it is done."""
        session_id = self._session_id()
        step = self._replay_step()
        if (self.engine is None or session_id is None or step is None
                or len(self.sessions.readings) <= self.sessions.large_session):
            self.rebuild()
            return
        self._restored_acks = len(self.engine.acknowledgements())
        self._saved_meanwhile = []
        self.sessions.loader.rederive(self.store, session_id, self.sessions.readings,
                                      {"alerts": step})
        self._set_updating(True)

    def _rederived(self, result: LoadResult) -> None:
        if not self._updating or result.session_id != self._session_id():
            return
        extra, self._saved_meanwhile = self._saved_meanwhile, []
        replayed = result.readings.derived.get("alerts")
        if replayed is None:  # the worker failed: replay here, as a short session would
            self.rebuild()
        else:
            self._take_over(*replayed, extra)
        self._set_updating(False)

    def _carry_on_technical(self, session_id: int, stored: list[Alert] | None = None) -> None:
        """The engine takes over the technical alerts recorded as still open (they are not
        replayed), so a restart does not raise "reading overdue" a second time. In a closed
        session they end when it was closed: nothing is due after discharge."""
        session = self.sessions.session
        if self.engine is None or self.store.read_only or session is None:
            return
        if stored is None:
            stored = [s.alert for s in self.store.alert_history(session_id)
                      if s.withdrawn_at is None]
        events = self.engine.carry_on(stored)
        if session.status is SessionStatus.CLOSED:
            events += self.engine.end_technical(session.closed_at or self.clock())
        if events:
            self.store.record_alert_events(session_id, events)

    def _restore(self, session_id: int) -> None:
        """Carry on from the recorded alerts while a long session loads: the full replay
        runs in the loader's worker (:meth:`_replay_step`) and replaces this engine."""
        acknowledgements = self.store.acknowledgements(session_id)
        stored = [s.alert for s in self.store.alert_history(session_id)
                  if s.withdrawn_at is None]
        self.engine = AlertEngine.restore(self.profile, self.sessions.baseline,
                                          self.version().settings, stored,
                                          self.sessions.current_readings(), acknowledgements)
        self._restored_acks = len(acknowledgements)
        self._evaluated_until = self.sessions.newest_taken_at()
        self._carry_on_technical(session_id, stored)
        self.tick()
        self.alertsChanged.emit()

    def _replay_step(self) -> BackgroundStep | None:
        """The replay a background load runs, with this session's inputs as of now."""
        versions, shipped = list(self._versions), self.shipped
        baseline, settings = dict(self.sessions.baseline), self.version().settings
        session_id = self._session_id()

        def replay(store: Store, readings: LoadedReadings, cancelled: Callable[[], bool]
                   ) -> tuple[AlertEngine, list[Acknowledgement]]:
            acknowledgements = store.acknowledgements(session_id or 0)
            collecting = gc.isenabled()
            gc.disable()  # see rebuild
            try:
                return rebuild(versions, shipped, baseline, readings.current,
                               acknowledgements, settings, cancelled), acknowledgements
            finally:
                if collecting:
                    gc.enable()

        return replay if session_id is not None else None

    def _loaded(self, result: LoadResult, extra: list[Reading]) -> None:
        """A long session is loaded: take the worker's replay, bring it up to what was
        charted and acknowledged here meanwhile, and make the recorded alerts match."""
        replayed = result.readings.derived.get("alerts")
        if replayed is None or self.engine is None:
            self.rebuild()
            return
        self._take_over(*replayed, extra)

    def _take_over(self, engine: AlertEngine, replayed_acks: list[Acknowledgement],
                   extra: list[Reading]) -> None:
        """A replay from the worker becomes the engine, once it has seen what was charted
        (``extra``) and acknowledged here meanwhile; the recorded alerts are made to match."""
        if self.engine is None:
            self.rebuild()
            return
        given_here = self.engine.acknowledgements()[self._restored_acks:]
        steps: list[tuple[datetime, int, Reading | Acknowledgement]] = [
            (r.taken_at, 0, r) for r in extra]
        steps += [(a.at, 1, a) for a in given_here if a not in replayed_acks]
        for _, _, step in sorted(steps, key=lambda s: s[:2]):
            if isinstance(step, Acknowledgement):
                engine.acknowledge_condition(step.condition, step.by, step.at)
            else:
                engine.on_reading(step)
        self.engine = engine
        self._evaluated_until = self.sessions.newest_taken_at()
        session_id = self._session_id()
        if session_id is not None:
            self._carry_on_technical(session_id)
        if session_id is not None and not self.passive():
            self.store.sync_alerts(session_id, engine.history())
        self.tick()
        self.alertsChanged.emit()

    def passive(self) -> bool:
        """A closed session, or any session of a read-only database, is shown as recorded:
        its alerts are replayed for display but nothing is stored, sounded or reminded."""
        session = self.sessions.session
        return self.store.read_only or (session is not None
                                        and session.status.value == "closed")

    def _reading_saved(self, reading: Reading) -> None:
        if self.engine is None:
            return
        if self._updating:
            self._saved_meanwhile.append(reading)  # the replay under way has not seen it
        newest = self._evaluated_until
        if newest is not None and reading.taken_at < newest:
            self._amended()  # late charting: the replay puts it in its place
            return
        self._evaluated_until = reading.taken_at
        self._record(self.engine.on_reading(reading))

    def _record(self, events: list[AlertEvent]) -> None:
        session_id = self._session_id()
        if not events or session_id is None:
            return
        if self.passive():
            self.alertsChanged.emit()
            return
        self.store.record_alert_events(session_id, events)
        for event in events:
            if event.type in SOUNDING:
                self.alertSounded.emit(event.alert)
        self.alertsChanged.emit()

    # -- queries --------------------------------------------------------------------------

    def active_alerts(self) -> list[Alert]:
        """Unresolved alerts, highest priority first."""
        return self.engine.active_alerts() if self.engine else []

    def history(self) -> list[StoredAlert]:
        """Every alert recorded for the session, as stored."""
        session_id = self._session_id()
        return self.store.alert_history(session_id) if session_id is not None else []

    # -- actions --------------------------------------------------------------------------

    def acknowledge(self, alert_id: int, by: str) -> None:
        """Acknowledge one alert with the nurse's initials."""
        if self.engine is None:
            return
        if not by.strip():
            raise ValidationFailed([FieldError("Initials", "enter your initials to acknowledge")])
        self._record(self.engine.acknowledge(alert_id, by, self.clock()))

    def acknowledge_all(self, by: str) -> None:
        """Acknowledge every active, unacknowledged alert (what the banner's button does)."""
        for alert in self.active_alerts():
            if alert.acknowledged_at is None:
                self.acknowledge(alert.id, by)

    def shutdown(self) -> None:
        """Stop the clock (the window is closing)."""
        self._timer.stop()

    def tick(self) -> None:
        """Let time pass: reminders and technical alerts."""
        if self.store.closed:
            self._timer.stop()
            return
        if self.engine is not None and not self.passive():
            self._record(self.engine.tick(self.clock(), next_due_at=self.next_due(),
                                          last_feed_message_at=self.last_feed_message_at))
        self.ticked.emit()

    def feed_message_received(self, at: datetime) -> None:
        """The live feed delivered something: the feed-silent alert starts counting again."""
        self.last_feed_message_at = at

    def feed_disconnected(self) -> None:
        """No feed is expected any more (listener stopped)."""
        self.last_feed_message_at = None

    # -- thresholds -----------------------------------------------------------------------

    def version(self) -> ProfileVersion:
        """The profile version in force now."""
        return effective_version(self._versions, self.shipped)

    @property
    def profile(self) -> ThresholdProfile:
        return self.version().profile

    @property
    def settings(self) -> AlertSettings:
        return self.version().settings

    def _apply_profile(self) -> None:
        self.sessions.profile = self.profile

    def change_profile(self, profile: ThresholdProfile, settings: AlertSettings, *, by: str,
                       reason: str, scope: ProfileScope) -> None:
        """Save a new version of the clinic default or of this session's override. It
        applies at once: bands redraw, readings re-classify, alerts re-evaluate."""
        errors = validate_profile(profile) + validate_settings(settings)
        if not by.strip():
            errors.append(FieldError("Initials", "enter your initials"))
        if not reason.strip():
            errors.append(FieldError("Reason", "say why the thresholds change"))
        session_id = self._session_id()
        if scope is ProfileScope.SESSION and session_id is None:
            errors.append(FieldError("Applies to", "no session is open"))
        if errors:
            raise ValidationFailed(errors)
        # The audit's old values are those of the version this one replaces: the clinic
        # default (or preset) for a clinic change, whatever was in force for a session one.
        previous = (self.profile if scope is ProfileScope.SESSION
                    else (self.store.clinic_profile() or self.shipped).profile)
        self.store.save_profile(profile, settings, by=by.strip().upper(), reason=reason.strip(),
                                session_id=session_id if scope is ProfileScope.SESSION
                                else None, previous=previous)
        if session_id is None:
            self.profileChanged.emit()
            return
        self._versions = self.store.profile_versions(session_id)
        self._apply_profile()
        if self.engine is not None:
            self._record(self.engine.set_profile(self.profile, self.clock()))
        self.profileChanged.emit()
        self.sessions.sessionChanged.emit()  # bands redraw, readings re-classify

    # -- reading schedule -----------------------------------------------------------------

    def schedule(self) -> ReadingSchedule:
        return self._schedule

    def set_schedule(self, schedule: ReadingSchedule, by: str) -> None:
        session_id = self._session_id()
        if session_id is None:
            return
        if not by.strip():
            raise ValidationFailed([FieldError("Initials", "enter your initials")])
        self.store.set_schedule(session_id, schedule, by.strip().upper())
        self._schedule = schedule
        self.tick()
        self.scheduleChanged.emit()

    def next_due(self) -> datetime | None:
        """When the next reading is due (may be in the past: overdue), or None."""
        session = self.sessions.session
        if session is None or session.status.value != "active":
            return None
        last = self.sessions.newest_taken_at()
        return self._schedule.next_due(session.infusion.ended_at, last, self.clock(),
                                       infusion_start=session.infusion.started_at)

    def due_times(self, until: datetime) -> list[datetime]:
        """Due times from the start of the session up to ``until``, for the chart."""
        session = self.sessions.session
        if session is None:
            return []
        return session_due_times(self._schedule, session, until, self.clock())

    # -- timeline -------------------------------------------------------------------------

    def timeline(self) -> list[TimelineEntry]:
        session_id = self._session_id()
        return self.store.timeline(session_id) if session_id is not None else []

    def add_timeline_entry(self, entry: TimelineEntry) -> TimelineEntry:
        """Validate and commit a sedation score or clinical event."""
        session_id = self._session_id()
        if session_id is None:
            raise ValidationFailed([FieldError("Session", "no session is open")])
        if isinstance(entry, SedationEntry):
            errors = validate_sedation_entry(entry, self.clock())
        elif isinstance(entry, ClinicalEvent):
            errors = validate_clinical_event(entry, self.clock())
        else:
            raise TypeError(entry)
        if errors:
            raise ValidationFailed(errors)
        saved = self.store.add_timeline_entry(session_id, entry)
        self.timelineChanged.emit()
        return saved
