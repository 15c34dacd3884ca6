"""The alert engine: physiological and technical alerts and their state machine.

Behaviour follows IEC 60601-1-8 as bedside monitors implement it (DOMAIN.md):

* A value in the caution band raises a MEDIUM alert, one in the critical band a HIGH alert.
  There is one alert per ongoing condition (``sbp-high``, ``spo2-low``, ...): further abnormal
  readings update it, and a worse one escalates the same alert. An alert's priority never
  drops while its condition lasts; it resolves and a new alert is raised instead.
* States: active -> acknowledged -> resolved. HIGH physiological alerts latch: when their
  condition clears before anyone acknowledged them they stay active (``latched``) until
  acknowledged, so a brief critical value is never missed. An acknowledged alert whose
  condition persists reminds again every ``reminder_minutes``. Escalation breaks through an
  acknowledgement: the alert becomes active again.
* Hysteresis: an alert's condition clears only when the value is back inside the limit by
  the vital's resolve margin, so a value hovering at the limit does not flap.
* Persistence: a device feed must show a new condition in N consecutive readings (and for
  N seconds) before it raises; manual and imported readings raise at once, because a nurse
  has already looked at them.
* Technical alerts (reading overdue, live feed silent) are separate alerts of kind
  TECHNICAL, raised and cleared by :meth:`AlertEngine.tick`; they never latch.

The engine is deterministic and reads no clock: every method takes the time explicitly.

Readings out of time order: readings are evaluated at their own ``taken_at``. A value older
than the newest value already evaluated for the same vital is *late*: it cannot resolve,
escalate or un-latch anything about the present. A late manual or imported value that shows a
condition no alert covered at that time still raises an alert (the log must hold every
high-priority value), which is then cleared at once against the newest value. Late device
values are skipped: a feed is evaluated as a stream. :meth:`AlertEngine.replay` rebuilds the
history from all readings in time order, so the history is identical however the readings
arrived; use it after late charting, imports, corrections or entered-in-error marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import Enum, IntEnum, StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import FieldError, ValidationFailed
from .readings import Reading, Source
from .schedule import DEFAULT_GRACE_MINUTES
from .thresholds import Classification, Severity, ThresholdProfile, classify
from .vitals import VITAL_SPECS, Vital


class AlertPriority(IntEnum):
    """IEC 60601-1-8 alarm priority. Ordered, so ``max()`` gives the most urgent."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def symbol(self) -> str:
        """The priority marker shown beside the message: ``*``, ``**`` or ``***``."""
        return "*" * self.value

    @property
    def word(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        """How every screen and report names the priority: ``*** HIGH``, ``** MEDIUM``,
        ``* LOW`` (one vocabulary, the bedside monitor's, everywhere)."""
        return f"{self.symbol} {self.name}"

    @classmethod
    def for_severity(cls, severity: Severity) -> AlertPriority:
        """The priority of a physiological alert for a classified value."""
        if severity is Severity.CRITICAL:
            return cls.HIGH
        if severity is Severity.CAUTION:
            return cls.MEDIUM
        raise ValueError("a normal value raises no alert")


class AlertKind(StrEnum):
    """Physiological alerts are about the patient; technical ones about the monitoring."""

    PHYSIOLOGICAL = "physiological"
    TECHNICAL = "technical"


class AlertState(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertEventType(StrEnum):
    """What happened to an alert."""

    RAISED = "raised"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    REMINDED = "reminded"
    LATCHED = "condition-cleared-but-latched"
    RECURRED = "condition-returned"  # a latched alert's condition came back
    RESOLVED = "resolved"


#: Condition keys of the technical alerts.
OVERDUE = "overdue"
FEED_SILENT = "feed-silent"

#: How far back inside a limit a value must come before its alert's condition clears, in the
#: vital's own unit. Absolute amounts rather than percentages: a percentage of an SpO2 limit
#: (94 %) would be a meaningless 0.9 point, and these match the resolution nurses chart at.
DEFAULT_RESOLVE_MARGIN: Mapping[Vital, float] = MappingProxyType(
    {
        Vital.SBP: 5.0,
        Vital.DBP: 5.0,
        Vital.MAP: 5.0,
        Vital.HR: 5.0,
        Vital.RR: 2.0,
        Vital.SPO2: 1.0,
    }
)


def condition_key(vital: Vital, direction: str) -> str:
    """The key of a physiological condition, e.g. ``sbp-high``."""
    return f"{vital.value}-{direction}"


#: Every vital in evaluation order, and its two condition keys: a replay of a long session
#: evaluates millions of values, where building keys and iterating the enum add up.
_VITALS: tuple[Vital, ...] = tuple(Vital)
_KEYS: Mapping[Vital, tuple[tuple[str, str], ...]] = MappingProxyType({
    v: tuple((d, condition_key(v, d)) for d in ("high", "low")) for v in Vital})
#: Distinct (vital, value) classifications kept per profile and baseline; values charted
#: by people and devices repeat, so a small memo answers almost every lookup.
_CLASSIFY_MEMO_SIZE = 4096
_NORMAL = Severity.NORMAL


@dataclass(frozen=True)
class AlertSettings:
    """How the engine behaves. The defaults suit a recovery room charted by hand."""

    #: An acknowledged alert whose condition persists reminds again after this long.
    reminder_minutes: float = 5.0
    resolve_margin: Mapping[Vital, float] = field(
        default_factory=lambda: dict(DEFAULT_RESOLVE_MARGIN)
    )
    #: Device feeds only: a new condition must be seen in this many consecutive readings and
    #: last this many seconds before it raises. 1 reading and 0 s mean at once; a clinical
    #: lead may raise them for a noisy feed (e.g. 2 readings for a one-minute feed).
    device_persistence_readings: int = 1
    device_persistence_seconds: float = 0.0
    #: A reading counts as overdue this long after it was due.
    overdue_grace_minutes: float = DEFAULT_GRACE_MINUTES
    #: A live feed is silent after this long without a message (three missed one-minute
    #: reports from a typical monitor).
    feed_silent_seconds: float = 180.0
    #: An overdue reading is a prompt in the nurse's workflow; a silent feed means monitoring
    #: the nurse may be relying on has stopped, so it ranks higher.
    overdue_priority: AlertPriority = AlertPriority.LOW
    feed_silent_priority: AlertPriority = AlertPriority.MEDIUM

    def margin(self, vital: Vital) -> float:
        """The resolve margin of ``vital`` (0 when none is set)."""
        return float(self.resolve_margin.get(vital, 0.0))


def validate_settings(settings: AlertSettings) -> list[FieldError]:
    """All problems with ``settings``, each naming the setting."""
    errors: list[FieldError] = []
    if settings.reminder_minutes <= 0:
        errors.append(FieldError("Reminder", "must be more than 0 minutes"))
    for vital, margin in settings.resolve_margin.items():
        if margin < 0:
            label = f"{VITAL_SPECS[vital].abbreviation} resolve margin"
            errors.append(FieldError(label, "must not be negative"))
    if settings.device_persistence_readings < 1:
        errors.append(FieldError("Device persistence", "needs at least 1 reading"))
    if settings.device_persistence_seconds < 0:
        errors.append(FieldError("Device persistence", "must not be negative seconds"))
    if settings.overdue_grace_minutes < 0:
        errors.append(FieldError("Overdue grace", "must not be negative"))
    if settings.feed_silent_seconds <= 0:
        errors.append(FieldError("Feed silent after", "must be more than 0 seconds"))
    return errors


_TIME_FIELDS = (
    "raised_at", "last_seen_at", "escalated_at", "acknowledged_at", "resolved_at",
    "reminder_due_at",
)


@dataclass(frozen=True)
class Alert:
    """A snapshot of one alert. The engine replaces it on every change; it never mutates."""

    id: int
    kind: AlertKind
    condition: str  # e.g. "sbp-high", "overdue", "feed-silent"
    vital: Vital | None
    priority: AlertPriority
    value: float | None  # the value that raised (or last escalated) the alert
    limit: float | None  # the limit it crossed
    message: str  # e.g. "SBP 184 > 180 mmHg"
    raised_at: datetime
    last_value: float | None = None
    last_seen_at: datetime | None = None
    escalated_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    latched: bool = False  # condition cleared, kept active until acknowledged
    reminder_due_at: datetime | None = None

    @property
    def state(self) -> AlertState:
        if self.resolved_at is not None:
            return AlertState.RESOLVED
        if self.acknowledged_at is not None:
            return AlertState.ACKNOWLEDGED
        return AlertState.ACTIVE

    @property
    def text(self) -> str:
        """Priority marker and message, e.g. ``*** SBP 184 > 180 mmHg``."""
        return f"{self.priority.symbol} {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form: enums as their values, times as ISO 8601 strings."""
        data: dict[str, Any] = {}
        values = self.__dict__
        for name in _ALERT_FIELDS:  # fields() per call was most of the time of an import
            value = values[name]
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Enum):
                value = value.value
            data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        """Read back what :meth:`to_dict` wrote."""
        values = dict(data)
        for name in _TIME_FIELDS:
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        values["kind"] = AlertKind(values["kind"])
        values["priority"] = AlertPriority(values["priority"])
        values["vital"] = Vital(values["vital"]) if values.get("vital") else None
        return cls(**values)


#: Alert's fields in sorted order: to_dict builds its dict in this order, so that JSON of it
#: reads the same with or without ``sort_keys`` (the store writes it without, faster).
_ALERT_FIELDS: tuple[str, ...] = tuple(sorted(f.name for f in fields(Alert)))
_FIELD_SET = frozenset(_ALERT_FIELDS)


def _changed(alert: Alert, **changes: Any) -> Alert:
    """``dataclasses.replace`` for an :class:`Alert`, which has no ``__post_init__`` to run:
    the engine makes a new snapshot for every reading of an ongoing condition, and
    ``replace`` (a call of ``__init__`` through ``fields``) was most of an import's time."""
    if not changes.keys() <= _FIELD_SET:
        raise TypeError(f"Alert has no field {sorted(changes.keys() - _FIELD_SET)}")
    snapshot = object.__new__(Alert)
    snapshot.__dict__.update(alert.__dict__, **changes)
    return snapshot


@dataclass(frozen=True)
class AlertEvent:
    """One thing that happened to one alert; ``alert`` is its state just after."""

    type: AlertEventType
    at: datetime
    alert: Alert

    @property
    def alert_id(self) -> int:
        return self.alert.id

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type.value, "at": self.at.isoformat(), "alert": self.alert.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertEvent:
        return cls(
            AlertEventType(data["type"]),
            datetime.fromisoformat(data["at"]),
            Alert.from_dict(data["alert"]),
        )


@dataclass(frozen=True)
class Acknowledgement:
    """An acknowledgement as :meth:`AlertEngine.replay` needs it: it names the condition, not
    the alert id, so it finds its alert again when a replay numbers the alerts afresh."""

    condition: str
    by: str
    at: datetime


class _Seen(NamedTuple):
    """The newest value evaluated for a vital (a tuple: one is made per value replayed)."""

    value: float
    at: datetime


@dataclass(frozen=True)
class _Run:
    """A device condition waiting to persist."""

    first_at: datetime
    count: int


def _reading_order(reading: Reading) -> tuple[Any, ...]:
    # A total order, so readings taken at the same moment replay the same way whatever order
    # they arrived in.
    return (
        reading.taken_at,
        reading.id if reading.id is not None else -1,
        reading.source.value,
        tuple(sorted((v.value, x) for v, x in reading.values.items())),
        reading.entered_by,
    )


class AlertEngine:
    """Turns readings, acknowledgements and the passing of time into alerts and events."""

    def __init__(
        self,
        profile: ThresholdProfile,
        baseline: Mapping[Vital, float] | None = None,
        settings: AlertSettings | None = None,
    ):
        self._profile = profile
        self._baseline: dict[Vital, float] = dict(baseline or {})
        self._settings = settings or AlertSettings()
        self._alerts: dict[int, Alert] = {}
        self._open: dict[str, int] = {}  # condition -> id of its unresolved alert
        self._seen: dict[Vital, _Seen] = {}  # newest value evaluated per vital
        self._runs: dict[str, _Run] = {}
        self._acks: list[Acknowledgement] = []
        self._next_id = 1
        self._classified: dict[tuple[Vital, float], Classification] = {}

    @classmethod
    def replay(
        cls,
        profile: ThresholdProfile,
        baseline: Mapping[Vital, float] | None,
        settings: AlertSettings | None,
        readings: Iterable[Reading],
        acknowledgements: Iterable[Acknowledgement] = (),
    ) -> AlertEngine:
        """An engine that has evaluated ``readings`` in time order, with ``acknowledgements``
        applied at their times (after readings taken at the same moment).

        Readings that are not current are left out, so a replay after a correction or an
        entered-in-error mark gives the history as if the bad value had never been charted.
        Technical alerts depend on the clock and are not replayed."""
        engine = cls(profile, baseline, settings)
        steps: list[tuple[Any, ...]] = [
            (r.taken_at, 0, _reading_order(r), r) for r in readings if r.is_current
        ]
        steps += [(a.at, 1, (a.condition, a.by), a) for a in acknowledgements]
        for *_, step in sorted(steps, key=lambda s: s[:3]):
            if isinstance(step, Reading):
                engine.on_reading(step)
            else:
                engine.acknowledge_condition(step.condition, step.by, step.at)
        return engine

    def state(self) -> dict[str, Any]:
        """What :meth:`from_state` needs to carry on exactly as this engine would, as
        JSON-safe data: the unresolved alerts, the newest value evaluated per vital, the
        device conditions waiting to persist and the next alert number.

        Resolved alerts are not in it (the store holds the history): an engine carried on
        from a state evaluates readings newer than those it has seen; a reading older than
        that needs a replay of the session (see ``monitor.app.alerting``)."""
        return {
            "alerts": [self._alerts[i].to_dict() for i in sorted(self._open.values())],
            "seen": {v.value: [s.value, s.at.isoformat()] for v, s in self._seen.items()},
            "runs": {k: [r.first_at.isoformat(), r.count] for k, r in self._runs.items()},
            "next_id": self._next_id,
        }

    @staticmethod
    def initial_state() -> dict[str, Any]:
        """The :meth:`state` of an engine that has seen nothing (a new session's)."""
        return {"alerts": [], "seen": {}, "runs": {}, "next_id": 1}

    @classmethod
    def from_state(
        cls,
        profile: ThresholdProfile,
        baseline: Mapping[Vital, float] | None,
        settings: AlertSettings | None,
        state: Mapping[str, Any],
    ) -> AlertEngine:
        """An engine that carries on from :meth:`state`, with the profile, baseline and
        settings in force. Raises KeyError or ValueError for a state it cannot read."""
        engine = cls(profile, baseline, settings)
        for data in state["alerts"]:
            alert = Alert.from_dict(data)
            engine._alerts[alert.id] = alert
            engine._open[alert.condition] = alert.id
        engine._seen = {Vital(v): _Seen(float(x), datetime.fromisoformat(at))
                        for v, (x, at) in state["seen"].items()}
        engine._runs = {k: _Run(datetime.fromisoformat(at), int(n))
                        for k, (at, n) in state["runs"].items()}
        engine._next_id = max([int(state["next_id"]), *(i + 1 for i in engine._alerts)])
        return engine

    @property
    def quiet(self) -> bool:
        """Nothing raised or waiting to persist: a normal value would only be noted."""
        return not self._open and not self._runs

    @property
    def baseline(self) -> Mapping[Vital, float]:
        return MappingProxyType(self._baseline)

    @property
    def settled(self) -> bool:
        """Nothing waiting to persist and every unresolved alert latched (its condition
        cleared, waiting to be acknowledged): a normal value would only be noted, on the
        latched alert of its vital too, unless it is abnormal by the hysteresis margin
        (see :meth:`latched_conditions`)."""
        if self._runs:
            return False
        return all(self._alerts[i].latched for i in self._open.values())

    def latched_conditions(self) -> list[tuple[Vital, str]]:
        """(vital, direction) of each unresolved latched physiological alert."""
        found = []
        for alert_id in self._open.values():
            alert = self._alerts[alert_id]
            if alert.latched and alert.vital is not None:
                direction = "high" if alert.condition.endswith("-high") else "low"
                found.append((alert.vital, direction))
        return found

    def note_normal(self, newest: Mapping[Vital, tuple[float, datetime]]) -> None:
        """Take the newest of a stretch of values that all classify normal against this
        engine's profile and baseline (latched conditions included, by their margin), while
        it is :attr:`quiet` or :attr:`settled`: exactly what :meth:`on_reading` does with
        each of them, at a fraction of the cost (a long session is mostly such stretches).
        The caller vouches for both conditions."""
        for vital, (value, at) in newest.items():
            self._seen[vital] = _Seen(value, at)
            for _, key in _KEYS[vital]:
                alert_id = self._open.get(key)
                if alert_id is not None:  # latched: it notes the newest value it saw
                    self._put(_changed(self._alerts[alert_id], last_value=value,
                                       last_seen_at=at))

    def newest_seen(self) -> datetime | None:
        """The time of the newest value evaluated, or None before any."""
        return max((s.at for s in self._seen.values()), default=None)

    def carry_on(self, recorded: Iterable[Alert]) -> list[AlertEvent]:
        """Take over the technical alerts ``recorded`` as unresolved (raised before the app
        was restarted or the session reopened): a replay does not raise them again, so
        without this each start would add another "reading overdue" while the old one
        stayed open for good. The next :meth:`tick` keeps each (still overdue, feed still
        silent: same alert, same acknowledgement) or resolves it.

        Where several were left open for one condition (by versions before this), the
        newest carries on and the older ones are resolved when it was raised; those
        resolutions are returned, for the store to record."""
        unresolved = sorted((a for a in recorded if a.kind is AlertKind.TECHNICAL
                             and a.resolved_at is None and a.condition not in self._open),
                            key=lambda a: a.raised_at)
        newest = {a.condition: a for a in unresolved}
        events: list[AlertEvent] = []
        for alert in unresolved:
            carried = self._put(_changed(alert, id=self._next_id))
            self._next_id += 1
            successor = newest[alert.condition]
            if successor is alert:
                self._open[alert.condition] = carried.id
                continue
            ended = self._put(_changed(carried, resolved_at=successor.raised_at,
                                      reminder_due_at=None))
            events.append(AlertEvent(AlertEventType.RESOLVED, successor.raised_at, ended))
        return events

    def end_technical(self, at: datetime) -> list[AlertEvent]:
        """Monitoring has ended (the session was closed at ``at``): no reading is due and no
        feed is expected any more, so the open technical alerts resolve then."""
        return [self._resolve(self._alerts[alert_id], at)
                for alert_id in sorted(self._open.values())
                if self._alerts[alert_id].kind is AlertKind.TECHNICAL]

    @property
    def profile(self) -> ThresholdProfile:
        return self._profile

    @property
    def settings(self) -> AlertSettings:
        return self._settings

    # -- queries ---------------------------------------------------------------------------

    def active_alerts(self) -> list[Alert]:
        """Unresolved alerts, highest priority first, then newest first."""
        open_alerts = [self._alerts[i] for i in self._open.values()]
        return sorted(open_alerts, key=lambda a: (a.priority, a.raised_at, a.id), reverse=True)

    def history(self) -> list[Alert]:
        """Every alert ever raised, in the order raised."""
        return list(self._alerts.values())

    def forget_resolved(self) -> None:
        """Drop resolved alerts from memory (after the caller recorded them): a long
        record raises hundreds of thousands, and only unresolved ones can still change.
        :meth:`history` then lists only what was raised or still open since."""
        open_ids = set(self._open.values())
        self._alerts = {i: a for i, a in self._alerts.items()
                        if i in open_ids or a.resolved_at is None}

    def alert(self, alert_id: int) -> Alert:
        """The current snapshot of one alert. Raises KeyError for an unknown id."""
        return self._alerts[alert_id]

    def acknowledgements(self) -> list[Acknowledgement]:
        """Every acknowledgement given, for the store to keep and :meth:`replay` to reuse."""
        return list(self._acks)

    # -- inputs ----------------------------------------------------------------------------

    def on_reading(self, reading: Reading) -> list[AlertEvent]:
        """Evaluate each vital of ``reading`` at its own ``taken_at``.

        Readings that are not current (corrected, entered in error) are ignored."""
        if not reading.is_current:
            return []
        events: list[AlertEvent] = []
        at = reading.taken_at
        values = reading.values
        device = reading.source is Source.DEVICE
        seen_by_vital, classified = self._seen, self._classified
        # Nothing raised or pending: a normal value changes nothing, so _evaluate (the
        # bulk of replaying a long session) is skipped for it.
        quiet = not self._open and not self._runs
        for vital in _VITALS:
            value = values.get(vital)
            if value is None:
                continue
            seen = seen_by_vital.get(vital)
            if seen is not None and at < seen.at:
                if not device:
                    events += self._late_value(vital, value, at)
                    quiet = not self._open and not self._runs
                continue
            seen_by_vital[vital] = _Seen(value, at)
            if quiet:
                c = classified.get((vital, value)) or self._classify(vital, value)
                if c.severity is _NORMAL:
                    continue
            events += self._evaluate(vital, value, at, at, device)
            quiet = not self._open and not self._runs
        return events

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> list[AlertEvent]:
        """``by`` (initials) acknowledges an alert at ``at``.

        A latched alert resolves at once; one whose condition persists will remind after
        ``reminder_minutes``. Acknowledging a resolved or acknowledged alert does nothing.
        Raises KeyError for an unknown id and ValidationFailed without initials."""
        alert = self._alerts[alert_id]
        initials = by.strip().upper()
        if not initials:
            raise ValidationFailed([FieldError("Initials", "enter your initials")])
        if alert.state is not AlertState.ACTIVE:
            return []
        self._acks.append(Acknowledgement(alert.condition, initials, at))
        acked = self._put(
            _changed(
                alert,
                acknowledged_by=initials,
                acknowledged_at=at,
                reminder_due_at=None if alert.latched else at + self._reminder,
            )
        )
        events = [AlertEvent(AlertEventType.ACKNOWLEDGED, at, acked)]
        if acked.latched:
            events.append(self._resolve(acked, at))
        return events

    def acknowledge_condition(self, condition: str, by: str, at: datetime) -> list[AlertEvent]:
        """Acknowledge the unresolved alert for ``condition``, if there is one."""
        alert_id = self._open.get(condition)
        return [] if alert_id is None else self.acknowledge(alert_id, by, at)

    def tick(
        self,
        now: datetime,
        *,
        next_due_at: datetime | None = None,
        last_feed_message_at: datetime | None = None,
    ) -> list[AlertEvent]:
        """Let time pass: reminders, and the technical alerts.

        ``next_due_at`` is when the next reading is due (see schedule.py), None when none
        is; ``last_feed_message_at`` is when the live feed last sent anything, None when no
        feed is connected. Call it every few seconds and after every reading."""
        events: list[AlertEvent] = []
        for alert_id in sorted(self._open.values()):
            alert = self._alerts[alert_id]
            due = alert.reminder_due_at
            if alert.state is AlertState.ACKNOWLEDGED and due is not None and now >= due:
                reminded = self._put(_changed(alert, reminder_due_at=now + self._reminder))
                events.append(AlertEvent(AlertEventType.REMINDED, now, reminded))
        s = self._settings
        late = None if next_due_at is None else now - next_due_at
        grace = timedelta(minutes=s.overdue_grace_minutes)
        events += self._technical(
            OVERDUE,
            now,
            present=late is not None and late > grace,
            priority=s.overdue_priority,
            value=None if late is None else round(late.total_seconds() / 60, 1),
            limit=s.overdue_grace_minutes,
            message=(f"Reading overdue: due {next_due_at:%H:%M}" if next_due_at else ""),
        )
        silent = None if last_feed_message_at is None else now - last_feed_message_at
        events += self._technical(
            FEED_SILENT,
            now,
            present=silent is not None and silent.total_seconds() > s.feed_silent_seconds,
            priority=s.feed_silent_priority,
            value=None if silent is None else round(silent.total_seconds()),
            limit=s.feed_silent_seconds,
            message=(
                f"No data from the monitor for {silent.total_seconds():.0f} s "
                f"(limit {s.feed_silent_seconds:g} s)" if silent is not None else ""
            ),
        )
        return events

    def set_profile(self, profile: ThresholdProfile, at: datetime) -> list[AlertEvent]:
        """Use ``profile`` from ``at`` on, re-evaluating the newest value of each vital."""
        self._profile = profile
        self._classified.clear()
        return self._reevaluate(at)

    def set_baseline(self, baseline: Mapping[Vital, float], at: datetime) -> list[AlertEvent]:
        """Use ``baseline`` from ``at`` on, re-evaluating the newest value of each vital."""
        self._baseline = dict(baseline)
        self._classified.clear()
        return self._reevaluate(at)

    # -- the state machine -----------------------------------------------------------------

    @property
    def _reminder(self) -> timedelta:
        return timedelta(minutes=self._settings.reminder_minutes)

    def _put(self, alert: Alert) -> Alert:
        self._alerts[alert.id] = alert
        return alert

    def _classify(self, vital: Vital, value: float) -> Classification:
        key = (vital, value)
        known = self._classified.get(key)
        if known is None:
            if len(self._classified) >= _CLASSIFY_MEMO_SIZE:
                self._classified.clear()
            known = self._classified[key] = classify(self._profile, vital, value,
                                                     self._baseline)
        return known

    def _holds(self, vital: Vital, direction: str, value: float) -> bool:
        """Whether the condition still holds, with hysteresis: the value counts as back to
        normal only when moving it back out by the margin would not cross the limit."""
        margin = self._settings.margin(vital)
        shifted = value + margin if direction == "high" else value - margin
        c = self._classify(vital, shifted)
        return c.severity is not Severity.NORMAL and c.direction == direction

    def _evaluate(
        self, vital: Vital, value: float, at: datetime, seen_at: datetime, persist: bool
    ) -> list[AlertEvent]:
        c = self._classify(vital, value)
        events: list[AlertEvent] = []
        keys = _KEYS[vital]
        for direction, open_key in keys:
            alert_id = self._open.get(open_key)
            if alert_id is None:
                continue
            alert = self._put(
                _changed(self._alerts[alert_id], last_value=value, last_seen_at=seen_at)
            )
            if not self._holds(vital, direction, value):
                if not alert.latched:
                    events.append(self._clear(alert, at))
                continue
            if alert.latched:
                alert = self._put(_changed(alert, latched=False))
                events.append(AlertEvent(AlertEventType.RECURRED, at, alert))
            if c.direction == direction and AlertPriority.for_severity(c.severity) > alert.priority:
                events.append(self._escalate(alert, c, at))
        if c.severity is Severity.NORMAL:
            if self._runs:
                for _, key in keys:
                    self._runs.pop(key, None)
            return events
        key = condition_key(vital, c.direction or "")
        for _, other in keys:
            if other != key:
                self._runs.pop(other, None)
        if key in self._open:
            self._runs.pop(key, None)
            return events
        if persist and not self._persisted(key, at):
            return events
        self._runs.pop(key, None)
        events.append(self._raise_physiological(key, c, at, seen_at))
        return events

    def _persisted(self, key: str, at: datetime) -> bool:
        run = self._runs.get(key)
        run = _Run(at, 1) if run is None else _Run(run.first_at, run.count + 1)
        self._runs[key] = run
        s = self._settings
        return (
            run.count >= s.device_persistence_readings
            and (at - run.first_at).total_seconds() >= s.device_persistence_seconds
        )

    def _late_value(self, vital: Vital, value: float, at: datetime) -> list[AlertEvent]:
        c = self._classify(vital, value)
        if c.severity is Severity.NORMAL:
            return []
        key = condition_key(vital, c.direction or "")
        priority = AlertPriority.for_severity(c.severity)
        alert_id = self._open.get(key)
        if alert_id is not None:
            alert = self._alerts[alert_id]
            if priority > alert.priority:
                return [self._escalate(alert, c, max(at, alert.raised_at))]
            return []
        if any(
            a.condition == key and a.raised_at <= at <= (a.resolved_at or at)
            for a in self._alerts.values()
        ):
            return []  # an alert already covered that moment: no duplicate
        raised = self._raise_physiological(key, c, at, at)
        events = [raised]
        newest = self._seen[vital]
        alert = self._put(_changed(raised.alert, last_value=newest.value,
                                   last_seen_at=newest.at))
        if not self._holds(vital, c.direction or "", newest.value):
            events.append(self._clear(alert, newest.at))
        return events

    def _reevaluate(self, at: datetime) -> list[AlertEvent]:
        # Runs were counted against the old limits; a changed profile decides afresh and at
        # once, since the values it judges were all charted already.
        self._runs.clear()
        events: list[AlertEvent] = []
        for vital, seen in list(self._seen.items()):
            events += self._evaluate(vital, seen.value, at, seen.at, persist=False)
        return events

    def _new_alert(self, **values: Any) -> Alert:
        alert = Alert(id=self._next_id, **values)
        self._next_id += 1
        self._open[alert.condition] = alert.id
        return self._put(alert)

    def _raise_physiological(
        self, key: str, c: Classification, at: datetime, seen_at: datetime
    ) -> AlertEvent:
        alert = self._new_alert(
            kind=AlertKind.PHYSIOLOGICAL,
            condition=key,
            vital=c.vital,
            priority=AlertPriority.for_severity(c.severity),
            value=c.value,
            limit=c.limit,
            message=c.message,
            raised_at=at,
            last_value=c.value,
            last_seen_at=seen_at,
        )
        return AlertEvent(AlertEventType.RAISED, at, alert)

    def _escalate(self, alert: Alert, c: Classification, at: datetime) -> AlertEvent:
        # Escalation breaks through an acknowledgement: the worse condition needs a new one.
        escalated = self._put(
            _changed(
                alert,
                priority=AlertPriority.for_severity(c.severity),
                value=c.value,
                limit=c.limit,
                message=c.message,
                escalated_at=at,
                acknowledged_by=None,
                acknowledged_at=None,
                reminder_due_at=None,
            )
        )
        return AlertEvent(AlertEventType.ESCALATED, at, escalated)

    def _clear(self, alert: Alert, at: datetime) -> AlertEvent:
        """The alert's condition has cleared: latch an unacknowledged HIGH physiological alert,
        resolve anything else."""
        if (
            alert.kind is AlertKind.PHYSIOLOGICAL
            and alert.priority is AlertPriority.HIGH
            and alert.acknowledged_at is None
        ):
            latched = self._put(_changed(alert, latched=True))
            return AlertEvent(AlertEventType.LATCHED, at, latched)
        return self._resolve(alert, at)

    def _resolve(self, alert: Alert, at: datetime) -> AlertEvent:
        del self._open[alert.condition]
        resolved = self._put(_changed(alert, resolved_at=at, reminder_due_at=None))
        return AlertEvent(AlertEventType.RESOLVED, at, resolved)

    def _technical(
        self,
        key: str,
        now: datetime,
        *,
        present: bool,
        priority: AlertPriority,
        value: float | None,
        limit: float,
        message: str,
    ) -> list[AlertEvent]:
        alert_id = self._open.get(key)
        if alert_id is not None:
            alert = self._alerts[alert_id]
            if not present:
                return [self._resolve(alert, now)]
            self._put(_changed(alert, last_value=value, last_seen_at=now))
            return []
        if not present:
            return []
        alert = self._new_alert(
            kind=AlertKind.TECHNICAL,
            condition=key,
            vital=None,
            priority=priority,
            value=value,
            limit=limit,
            message=message,
            raised_at=now,
            last_value=value,
            last_seen_at=now,
        )
        return [AlertEvent(AlertEventType.RAISED, now, alert)]
