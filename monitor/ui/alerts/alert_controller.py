"""The alert workflow of the open session, as the window sees it: a Qt adapter over the
application layer's :class:`monitor.app.alerting.SessionAlerts`, which evaluates and records
every alert (in the transaction that stored what raised it, whoever stored it).

This controller only shows and sounds: it takes the session's engine from the recorder after
every change (a reading here or at another workstation, an import, the live feed, a
correction), sounds each alert that newly needs attention, and lets time pass with a
one-second tick (reminders, reading overdue, feed silent: recorded by the recorder too).
Widgets call its methods and listen to its signals; every rule lives in the domain and the
app layer."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from monitor.app.alerting import AlertUpdate, BackgroundCatchUp
from monitor.domain.alert_timeline import effective_version
from monitor.domain.alerts import (
    Alert,
    AlertEngine,
    AlertEventType,
    AlertSettings,
    validate_settings,
)
from monitor.domain.errors import FieldError, ValidationFailed
from monitor.domain.events import (
    ClinicalEvent,
    SedationEntry,
    TimelineEntry,
    validate_clinical_event,
    validate_sedation_entry,
)
from monitor.domain.profiles import ProfileScope, ProfileVersion
from monitor.domain.readings import initials_errors
from monitor.domain.records import StoredAlert
from monitor.domain.schedule import DEFAULT_SCHEDULE, ReadingSchedule, session_due_times
from monitor.domain.thresholds import ThresholdProfile, validate_profile
from monitor.ui.initials_memory import remember_initials
from monitor.ui.session_controller import SessionController

TICK_MS = 1000


class AlertController(QObject):
    """Alerts, thresholds, schedule and timeline of the session the SessionController has
    open."""

    alertsChanged = Signal()  # the active set or the history changed
    alertSounded = Signal(object)  # an Alert raised, escalated or reminding: sound it
    profileChanged = Signal()
    scheduleChanged = Signal()
    timelineChanged = Signal()
    ticked = Signal()  # once a second, for countdowns

    def __init__(self, sessions: SessionController, shipped: ThresholdProfile,
                 parent: QObject | None = None, *, tick_ms: int | None = TICK_MS):
        super().__init__(parent)
        self.sessions = sessions
        self.store = sessions.store
        self.recorder = sessions.recorder
        self.shipped = ProfileVersion(shipped)
        self.last_feed_message_at: datetime | None = None
        self._engine: AlertEngine | None = None
        self._versions: list[ProfileVersion] = []
        self._schedule: ReadingSchedule = DEFAULT_SCHEDULE
        #: (session, condition, raised at, priority) of every alert already sounded here.
        self._sounded: set[tuple[int, str, datetime, int]] = set()
        sessions.sessionChanged.connect(self._session_changed)
        sessions.readingSaved.connect(self._changed)
        sessions.readingsAmended.connect(self._changed)
        sessions.readingsLoaded.connect(self._changed)
        sessions.alertsRecorded.connect(self._recorded)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        if tick_ms is not None:
            self._timer.start(tick_ms)
        #: Records the alerts of sessions from before alert states were kept (an older
        #: database), newest first, without holding up the window.
        self.catch_up: BackgroundCatchUp | None = None
        if not self.store.read_only and self.store.sessions_without_alert_state(limit=1):
            self.catch_up = BackgroundCatchUp(self.store.path, self.shipped)
            self.catch_up.start()

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.sessions.clock

    @property
    def engine(self) -> AlertEngine | None:
        """The open session's alert engine as the recorder keeps it (for display)."""
        return self._engine

    # -- session life ---------------------------------------------------------------------

    def _session_id(self) -> int | None:
        s = self.sessions.session
        return s.id if s is not None else None

    def _session_changed(self) -> None:
        session_id = self._session_id()
        if session_id is None:
            self._engine = None
            self.alertsChanged.emit()
            return
        self._versions = self.store.profile_versions(session_id)
        self._apply_profile()
        self._schedule = self.store.schedule(session_id) or DEFAULT_SCHEDULE
        # What was active when the session opened was sounded when it happened.
        self._refresh(sound=False)
        self.tick()
        self.scheduleChanged.emit()
        self.timelineChanged.emit()

    def _changed(self, *_: object) -> None:
        """Readings changed (here, at another workstation, an import, the live feed): the
        recorder has the alerts they raised; show them and sound what is new."""
        self._refresh()

    def _recorded(self, update: AlertUpdate) -> None:
        for event in update.events:
            if event.type is AlertEventType.REMINDED and not self.passive():
                self.alertSounded.emit(event.alert)
        self._refresh()

    def _refresh(self, *, sound: bool = True) -> None:
        session_id = self._session_id()
        if session_id is None or self.store.closed:
            self._engine = None
            self.alertsChanged.emit()
            return
        self._engine = self.recorder.engine(session_id)
        quiet = not sound or self.passive()
        for alert in self._engine.active_alerts():
            key = (session_id, alert.condition, alert.raised_at, int(alert.priority))
            if alert.acknowledged_at is None and key not in self._sounded:
                self._sounded.add(key)
                if not quiet:
                    self.alertSounded.emit(alert)
        self.alertsChanged.emit()

    def sound_elsewhere(self, alert: Alert) -> None:
        """An alert of another chair (seen by the active sessions board) needs sounding."""
        if not self.store.read_only:
            self.alertSounded.emit(alert)

    def passive(self) -> bool:
        """A closed session, or any session of a read-only database, is shown as recorded:
        nothing is sounded or reminded."""
        session = self.sessions.session
        return self.store.read_only or (session is not None
                                        and session.status.value == "closed")

    # -- queries --------------------------------------------------------------------------

    def active_alerts(self) -> list[Alert]:
        """Unresolved alerts, highest priority first."""
        return self._engine.active_alerts() if self._engine else []

    def history(self) -> list[StoredAlert]:
        """Every alert recorded for the session, as stored."""
        session_id = self._session_id()
        return self.store.alert_history(session_id) if session_id is not None else []

    # -- actions --------------------------------------------------------------------------

    def acknowledge(self, alert_id: int, by: str) -> None:
        """Acknowledge one alert with the nurse's initials (recorded with who and when).
        Raises ValidationFailed for missing or malformed initials."""
        session_id = self._session_id()
        if self._engine is None or session_id is None:
            return
        # Gone meanwhile (resolved, or renumbered by a replay): show what is now.
        with suppress(KeyError):
            self.recorder.acknowledge(session_id, alert_id, by)
        remember_initials(by)
        self._refresh()

    def acknowledge_all(self, by: str) -> None:
        """Acknowledge every active, unacknowledged alert (what the banner's button does)."""
        session_id = self._session_id()
        if self._engine is not None and session_id is not None:
            self.recorder.acknowledge_all(session_id, by)
            remember_initials(by)
            self._refresh()

    def shutdown(self) -> None:
        """Stop the clock and the catching up (the window is closing)."""
        self._timer.stop()
        if self.catch_up is not None:
            self.catch_up.stop()

    def tick(self) -> None:
        """Let time pass: reminders and technical alerts (recorded by the recorder)."""
        if self.store.closed:
            self._timer.stop()
            return
        session_id = self._session_id()
        if session_id is not None and self._engine is not None and not self.passive():
            update = self.recorder.tick(session_id,
                                        last_feed_message_at=self.last_feed_message_at)
            if update.events:
                self._recorded(update)
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
        errors = validate_profile(profile) + validate_settings(settings) + initials_errors(by)
        if not reason.strip():
            errors.append(FieldError("Reason", "say why the thresholds change"))
        session_id = self._session_id()
        if scope is ProfileScope.SESSION and session_id is None:
            errors.append(FieldError("Applies to", "no session is open"))
        if errors:
            raise ValidationFailed(errors)
        # The store audits old -> new against the version this one replaces.
        self.store.save_profile(profile, settings, by=by.strip().upper(), reason=reason.strip(),
                                session_id=session_id if scope is ProfileScope.SESSION
                                else None, shipped=self.shipped)
        if session_id is None:
            self.profileChanged.emit()
            return
        self._versions = self.store.profile_versions(session_id)
        self._apply_profile()
        self.recorder.update(session_id)  # the new limits apply from now on
        self._refresh()
        self.profileChanged.emit()
        self.sessions.sessionChanged.emit()  # bands redraw, readings re-classify

    # -- reading schedule -----------------------------------------------------------------

    def schedule(self) -> ReadingSchedule:
        return self._schedule

    def set_schedule(self, schedule: ReadingSchedule, by: str) -> None:
        session_id = self._session_id()
        if session_id is None:
            return
        errors = initials_errors(by)
        if errors:
            raise ValidationFailed(errors)
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
        remember_initials(entry.entered_by)
        self.timelineChanged.emit()
        return saved
