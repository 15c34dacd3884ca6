"""The alert engine: sequences of readings and actions in, alert events out."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.alerts import (
    FEED_SILENT,
    OVERDUE,
    Acknowledgement,
    Alert,
    AlertEngine,
    AlertEvent,
    AlertKind,
    AlertPriority,
    AlertSettings,
    AlertState,
    validate_settings,
)
from monitor.domain.errors import ValidationFailed
from monitor.domain.readings import Reading, ReadingStatus, Source, new_reading
from monitor.domain.thresholds import Limits, Severity, ThresholdProfile
from monitor.domain.vitals import Vital
from monitor.resources import default_profile

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
SBP, DBP, HR, RR, SPO2 = Vital.SBP, Vital.DBP, Vital.HR, Vital.RR, Vital.SPO2
DEVICE, MANUAL = Source.DEVICE, Source.MANUAL


def t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reading(minutes: float, values: dict[Vital, float], source: Source = MANUAL) -> Reading:
    return new_reading(t(minutes), values, source=source, entered_by="AB")


# -- a little language for sequences --------------------------------------------------------


@dataclass(frozen=True)
class R:
    minute: float
    values: dict[Vital, float]
    source: Source = MANUAL


@dataclass(frozen=True)
class Ack:
    alert_id: int
    minute: float


@dataclass(frozen=True)
class Tick:
    minute: float
    due: float | None = None  # minute the next reading is due
    feed: float | None = None  # minute the feed last sent a message


@dataclass(frozen=True)
class Caution:
    """Switch to a profile whose SBP caution-high limit is ``limit``."""

    minute: float
    limit: float


@dataclass(frozen=True)
class Baseline:
    minute: float
    sbp: float


Step = R | Ack | Tick | Caution | Baseline


def profile_with_sbp_caution(limit: float) -> ThresholdProfile:
    base = default_profile()
    limits = dict(base.limits)
    limits[SBP] = replace(limits[SBP], caution_high=limit)
    return replace(base, limits=limits)


def apply(engine: AlertEngine, step: Step) -> list[AlertEvent]:
    if isinstance(step, R):
        return engine.on_reading(reading(step.minute, step.values, step.source))
    if isinstance(step, Ack):
        return engine.acknowledge(step.alert_id, "ab", t(step.minute))
    if isinstance(step, Tick):
        return engine.tick(
            t(step.minute),
            next_due_at=None if step.due is None else t(step.due),
            last_feed_message_at=None if step.feed is None else t(step.feed),
        )
    if isinstance(step, Caution):
        return engine.set_profile(profile_with_sbp_caution(step.limit), t(step.minute))
    return engine.set_baseline({SBP: step.sbp}, t(step.minute))


def summary(events: list[AlertEvent]) -> list[tuple[str, str, str, float]]:
    return [
        (e.type.value, e.alert.condition, e.alert.priority.word, (e.at - T0) / timedelta(minutes=1))
        for e in events
    ]


def run(steps: list[Step], settings: AlertSettings | None = None,
        baseline: dict[Vital, float] | None = None) -> tuple[AlertEngine, list]:
    engine = AlertEngine(default_profile(), baseline or {}, settings or AlertSettings())
    events: list[AlertEvent] = []
    for step in steps:
        events += apply(engine, step)
    return engine, summary(events)


PERSIST_3 = AlertSettings(device_persistence_readings=3)
PERSIST_120S = AlertSettings(device_persistence_seconds=120)

SEQUENCES = {
    "caution raises medium": (
        [R(0, {SBP: 165})],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "critical raises high": (
        [R(0, {SBP: 184})],
        [("raised", "sbp-high", "high", 0)],
    ),
    "normal raises nothing": (
        [R(0, {SBP: 160, DBP: 100, HR: 110, RR: 24, SPO2: 94})],
        [],
    ),
    "low side raises its own condition": (
        [R(0, {SPO2: 93, RR: 7})],
        [("raised", "rr-low", "high", 0), ("raised", "spo2-low", "medium", 0)],
    ),
    "no duplicate while the condition persists": (
        [R(0, {SBP: 165}), R(5, {SBP: 170}), R(10, {SBP: 162})],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "caution to critical escalates the same alert": (
        [R(0, {SBP: 165}), R(5, {SBP: 185}), R(10, {SBP: 190})],
        [("raised", "sbp-high", "medium", 0), ("escalated", "sbp-high", "high", 5)],
    ),
    "priority does not drop while the condition lasts": (
        [R(0, {SBP: 185}), R(5, {SBP: 165})],
        [("raised", "sbp-high", "high", 0)],
    ),
    "medium resolves when the value returns": (
        [R(0, {SBP: 165}), R(5, {SBP: 150})],
        [("raised", "sbp-high", "medium", 0), ("resolved", "sbp-high", "medium", 5)],
    ),
    "hysteresis: inside the limit but within the margin holds": (
        [R(0, {SBP: 165}), R(5, {SBP: 156}), R(10, {SBP: 155})],
        [("raised", "sbp-high", "medium", 0), ("resolved", "sbp-high", "medium", 10)],
    ),
    "hysteresis on a low limit": (
        [R(0, {SPO2: 93}), R(5, {SPO2: 94}), R(10, {SPO2: 95})],
        [("raised", "spo2-low", "medium", 0), ("resolved", "spo2-low", "medium", 10)],
    ),
    "a new episode after resolution is a new alert": (
        [R(0, {SBP: 165}), R(5, {SBP: 150}), R(10, {SBP: 166})],
        [
            ("raised", "sbp-high", "medium", 0),
            ("resolved", "sbp-high", "medium", 5),
            ("raised", "sbp-high", "medium", 10),
        ],
    ),
    "high latches when the value returns unacknowledged": (
        [R(0, {SBP: 185}), R(5, {SBP: 140}), R(10, {SBP: 130})],
        [
            ("raised", "sbp-high", "high", 0),
            ("condition-cleared-but-latched", "sbp-high", "high", 5),
        ],
    ),
    "acknowledging a latched alert resolves it": (
        [R(0, {SBP: 185}), R(5, {SBP: 140}), Ack(1, 7)],
        [
            ("raised", "sbp-high", "high", 0),
            ("condition-cleared-but-latched", "sbp-high", "high", 5),
            ("acknowledged", "sbp-high", "high", 7),
            ("resolved", "sbp-high", "high", 7),
        ],
    ),
    "a latched condition that returns is the same alert": (
        [R(0, {SBP: 185}), R(5, {SBP: 140}), R(10, {SBP: 170})],
        [
            ("raised", "sbp-high", "high", 0),
            ("condition-cleared-but-latched", "sbp-high", "high", 5),
            ("condition-returned", "sbp-high", "high", 10),
        ],
    ),
    "acknowledged high resolves without latching": (
        [R(0, {SBP: 185}), Ack(1, 1), R(5, {SBP: 140})],
        [
            ("raised", "sbp-high", "high", 0),
            ("acknowledged", "sbp-high", "high", 1),
            ("resolved", "sbp-high", "high", 5),
        ],
    ),
    "acknowledged and persisting reminds every 5 minutes": (
        [R(0, {SBP: 165}), Ack(1, 1), Tick(5.9), Tick(6), Tick(10), Tick(11)],
        [
            ("raised", "sbp-high", "medium", 0),
            ("acknowledged", "sbp-high", "medium", 1),
            ("reminded", "sbp-high", "medium", 6),
            ("reminded", "sbp-high", "medium", 11),
        ],
    ),
    "unacknowledged alerts do not remind": (
        [R(0, {SBP: 165}), Tick(6), Tick(30)],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "escalation breaks through an acknowledgement": (
        [R(0, {SBP: 165}), Ack(1, 1), R(3, {SBP: 185}), Tick(6)],
        [
            ("raised", "sbp-high", "medium", 0),
            ("acknowledged", "sbp-high", "medium", 1),
            ("escalated", "sbp-high", "high", 3),
        ],
    ),
    "a swing from high to low resolves one and raises the other": (
        [R(0, {HR: 115}), R(5, {HR: 45})],
        [
            ("raised", "hr-high", "medium", 0),
            ("resolved", "hr-high", "medium", 5),
            ("raised", "hr-low", "high", 5),
        ],
    ),
    "a reading without the vital leaves its alert alone": (
        [R(0, {SBP: 165, DBP: 90}), R(5, {HR: 80})],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "late manual reading raises, then clears against the newest value": (
        [R(0, {SBP: 150}), R(10, {SBP: 150}), R(5, {SBP: 185})],
        [
            ("raised", "sbp-high", "high", 5),
            ("condition-cleared-but-latched", "sbp-high", "high", 10),
        ],
    ),
    "late value inside an ongoing alert is no duplicate": (
        [R(0, {SBP: 165}), R(10, {SBP: 165}), R(5, {SBP: 168})],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "late value worse than the ongoing alert escalates it": (
        [R(0, {SBP: 165}), R(10, {SBP: 165}), R(5, {SBP: 190})],
        [("raised", "sbp-high", "medium", 0), ("escalated", "sbp-high", "high", 5)],
    ),
    "late value covered by a resolved alert is no duplicate": (
        [R(0, {SBP: 165}), R(10, {SBP: 150}), R(5, {SBP: 168})],
        [("raised", "sbp-high", "medium", 0), ("resolved", "sbp-high", "medium", 10)],
    ),
    "late normal value does not resolve the present alert": (
        [R(0, {SBP: 165}), R(10, {SBP: 165}), R(5, {SBP: 120})],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "late device value is skipped": (
        [R(0, {SBP: 150}, DEVICE), R(10, {SBP: 150}, DEVICE), R(5, {SBP: 185}, DEVICE)],
        [],
    ),
    "profile change re-classifies the newest value": (
        [R(0, {SBP: 150}), Caution(5, 140)],
        [("raised", "sbp-high", "medium", 5)],
    ),
    "loosening the profile resolves": (
        [R(0, {SBP: 165}), Caution(5, 170)],
        [("raised", "sbp-high", "medium", 0), ("resolved", "sbp-high", "medium", 5)],
    ),
    "baseline change re-classifies against the baseline rule": (
        [R(0, {SBP: 150}), Baseline(5, 120)],
        [("raised", "sbp-high", "medium", 5)],
    ),
    "reading overdue after the grace period": (
        [Tick(14, due=10), Tick(15.5, due=10), Tick(20, due=10), Tick(21, due=30)],
        [("raised", OVERDUE, "low", 15.5), ("resolved", OVERDUE, "low", 21)],
    ),
    "no schedule, no overdue": (
        [Tick(100)],
        [],
    ),
    "feed silent after 180 s": (
        [Tick(3, feed=0), Tick(3.1, feed=0), Tick(4, feed=0), Tick(5, feed=4.5)],
        [("raised", FEED_SILENT, "medium", 3.1), ("resolved", FEED_SILENT, "medium", 5)],
    ),
    "feed disconnected on purpose clears the silence": (
        [Tick(4, feed=0), Tick(5)],
        [("raised", FEED_SILENT, "medium", 4), ("resolved", FEED_SILENT, "medium", 5)],
    ),
    "acknowledged technical alert reminds and resolves without latching": (
        [Tick(20, due=10), Ack(1, 20), Tick(25, due=10), Tick(26, due=40)],
        [
            ("raised", OVERDUE, "low", 20),
            ("acknowledged", OVERDUE, "low", 20),
            ("reminded", OVERDUE, "low", 25),
            ("resolved", OVERDUE, "low", 26),
        ],
    ),
}

DEVICE_SEQUENCES = {
    "device condition raises only after 3 consecutive readings": (
        PERSIST_3,
        [R(0, {SBP: 165}, DEVICE), R(1, {SBP: 166}, DEVICE), R(2, {SBP: 167}, DEVICE)],
        [("raised", "sbp-high", "medium", 2)],
    ),
    "a normal device reading restarts the count": (
        PERSIST_3,
        [
            R(0, {SBP: 165}, DEVICE),
            R(1, {SBP: 150}, DEVICE),
            R(2, {SBP: 165}, DEVICE),
            R(3, {SBP: 165}, DEVICE),
        ],
        [],
    ),
    "a device reading without the vital does not restart the count": (
        PERSIST_3,
        [
            R(0, {SBP: 165}, DEVICE),
            R(1, {HR: 70}, DEVICE),
            R(2, {SBP: 165}, DEVICE),
            R(3, {SBP: 165}, DEVICE),
        ],
        [("raised", "sbp-high", "medium", 3)],
    ),
    "a manual reading raises at once whatever the device rule": (
        PERSIST_3,
        [R(0, {SBP: 165})],
        [("raised", "sbp-high", "medium", 0)],
    ),
    "device condition must last 120 s": (
        PERSIST_120S,
        [R(0, {SBP: 185}, DEVICE), R(1, {SBP: 185}, DEVICE), R(2, {SBP: 185}, DEVICE)],
        [("raised", "sbp-high", "high", 2)],
    ),
    "escalation of a raised device alert is immediate": (
        PERSIST_3,
        [
            R(0, {SBP: 165}, DEVICE),
            R(1, {SBP: 165}, DEVICE),
            R(2, {SBP: 165}, DEVICE),
            R(3, {SBP: 185}, DEVICE),
        ],
        [("raised", "sbp-high", "medium", 2), ("escalated", "sbp-high", "high", 3)],
    ),
    "default settings raise a device reading at once": (
        AlertSettings(),
        [R(0, {SPO2: 88}, DEVICE)],
        [("raised", "spo2-low", "high", 0)],
    ),
}


@pytest.mark.parametrize(
    ("steps", "expected"), list(SEQUENCES.values()), ids=list(SEQUENCES)
)
def test_sequence_gives_events(steps: list[Step], expected: list) -> None:
    _, events = run(steps)
    assert events == expected


@pytest.mark.parametrize(
    ("settings", "steps", "expected"), list(DEVICE_SEQUENCES.values()), ids=list(DEVICE_SEQUENCES)
)
def test_device_persistence(settings: AlertSettings, steps: list[Step], expected: list) -> None:
    _, events = run(steps, settings)
    assert events == expected


def test_message_names_value_and_limit() -> None:
    engine, _ = run([R(0, {SBP: 184})])
    (alert,) = engine.active_alerts()
    assert alert.message == "SBP 184 > 180 mmHg"
    assert alert.text == "*** SBP 184 > 180 mmHg"
    assert (alert.value, alert.limit, alert.vital, alert.kind) == (
        184, 180, SBP, AlertKind.PHYSIOLOGICAL
    )


def test_baseline_rule_raises_with_baseline_in_message() -> None:
    engine, events = run([R(0, {SBP: 150})], baseline={SBP: 120})
    assert events == [("raised", "sbp-high", "medium", 0)]
    assert engine.active_alerts()[0].message == "SBP 150 > 144 mmHg (baseline 120 +20%)"


def test_alert_tracks_last_value_and_who_acknowledged() -> None:
    engine, _ = run([R(0, {SBP: 185}), Ack(1, 2), R(5, {SBP: 170})])
    alert = engine.alert(1)
    assert (alert.value, alert.last_value, alert.last_seen_at) == (185, 170, t(5))
    assert (alert.acknowledged_by, alert.acknowledged_at) == ("AB", t(2))
    assert alert.state is AlertState.ACKNOWLEDGED
    assert alert.reminder_due_at == t(7)


def test_alert_states() -> None:
    engine, _ = run([R(0, {SBP: 185, HR: 115, SPO2: 93}), Ack(2, 1), R(2, {SPO2: 97})])
    states = {a.condition: a.state for a in engine.history()}
    assert states == {
        "sbp-high": AlertState.ACTIVE,
        "hr-high": AlertState.ACKNOWLEDGED,
        "spo2-low": AlertState.RESOLVED,
    }


def test_active_alerts_highest_priority_then_newest() -> None:
    engine, _ = run([
        R(0, {HR: 115}),
        R(1, {SBP: 185}),
        R(2, {SPO2: 93}),
        R(3, {RR: 31}),
        R(4, {DBP: 120}),
        R(5, {DBP: 60, SPO2: 98}),
    ])
    assert [a.condition for a in engine.active_alerts()] == [
        "dbp-high", "rr-high", "sbp-high", "hr-high"
    ]
    assert [a.id for a in engine.history()] == [1, 2, 3, 4, 5]


def test_ignores_readings_not_current() -> None:
    engine = AlertEngine(default_profile(), {}, AlertSettings())
    for status in (ReadingStatus.CORRECTED, ReadingStatus.ENTERED_IN_ERROR):
        bad = replace(reading(0, {SBP: 250}), status=status)
        assert engine.on_reading(bad) == []
    assert engine.history() == []


def test_acknowledge_needs_initials_and_a_known_alert() -> None:
    engine, _ = run([R(0, {SBP: 185})])
    with pytest.raises(ValidationFailed, match="Initials"):
        engine.acknowledge(1, "  ", t(1))
    with pytest.raises(KeyError):
        engine.acknowledge(99, "AB", t(1))


def test_acknowledging_twice_does_nothing_more() -> None:
    engine, _ = run([R(0, {SBP: 165}), Ack(1, 1)])
    assert engine.acknowledge(1, "CD", t(2)) == []
    assert engine.alert(1).acknowledged_by == "AB"


# -- arrival order ---------------------------------------------------------------------------

EPISODE = [
    reading(0, {SBP: 150, HR: 80, SPO2: 97}),
    reading(5, {SBP: 165, HR: 112, SPO2: 96}),
    reading(10, {SBP: 185, HR: 118, SPO2: 93}),
    reading(15, {SBP: 170, HR: 100, SPO2: 95}),
    reading(20, {SBP: 150, HR: 90, SPO2: 97}),
    reading(20, {RR: 7}, source=DEVICE),
    reading(25, {SBP: 140, RR: 14}),
    reading(30, {SBP: 166, HR: 45}),
]


def replayed(readings: list[Reading], acks: list[Acknowledgement] = ()) -> list[Alert]:
    return AlertEngine.replay(default_profile(), {SBP: 140}, AlertSettings(), readings,
                              acks).history()


@pytest.mark.parametrize("seed", range(8))
def test_out_of_order_arrival_gives_the_same_history(seed: int) -> None:
    shuffled = list(EPISODE)
    random.Random(seed).shuffle(shuffled)
    assert replayed(shuffled) == replayed(EPISODE)


def test_replay_matches_live_evaluation_in_time_order() -> None:
    engine = AlertEngine(default_profile(), {SBP: 140}, AlertSettings())
    for r in EPISODE:
        engine.on_reading(r)
    assert replayed(list(reversed(EPISODE))) == engine.history()
    assert len(engine.history()) >= 5


def test_replay_reapplies_acknowledgements_by_condition() -> None:
    engine = AlertEngine(default_profile(), {SBP: 140}, AlertSettings())
    for r in EPISODE[:3]:
        engine.on_reading(r)
    sbp_alert = next(a for a in engine.active_alerts() if a.condition == "sbp-high")
    engine.acknowledge(sbp_alert.id, "xy", t(11))
    for r in EPISODE[3:]:
        engine.on_reading(r)
    again = replayed(list(reversed(EPISODE)), engine.acknowledgements())
    assert again == engine.history()
    assert any(a.acknowledged_by == "XY" for a in again)


def test_replay_leaves_out_readings_marked_in_error() -> None:
    typo = replace(reading(10, {SBP: 280}), status=ReadingStatus.ENTERED_IN_ERROR)
    assert replayed([*EPISODE[:2], typo]) == replayed(EPISODE[:2])


# -- persistence form and settings -----------------------------------------------------------


def test_alert_round_trips_through_json() -> None:
    engine, _ = run([R(0, {SBP: 185}), Ack(1, 2), R(5, {SBP: 150}), Tick(30, due=10)])
    for alert in engine.history():
        data = json.loads(json.dumps(alert.to_dict()))
        assert Alert.from_dict(data) == alert
    events = engine.tick(t(40), next_due_at=t(50))
    assert [AlertEvent.from_dict(e.to_dict()) for e in events] == events


@pytest.mark.parametrize(
    ("priority", "symbol", "word"),
    [(AlertPriority.LOW, "*", "low"), (AlertPriority.MEDIUM, "**", "medium"),
     (AlertPriority.HIGH, "***", "high")],
)
def test_priority_symbol_and_word(priority: AlertPriority, symbol: str, word: str) -> None:
    assert (priority.symbol, priority.word) == (symbol, word)


def test_priority_for_severity() -> None:
    assert AlertPriority.for_severity(Severity.CAUTION) is AlertPriority.MEDIUM
    assert AlertPriority.for_severity(Severity.CRITICAL) is AlertPriority.HIGH
    with pytest.raises(ValueError):
        AlertPriority.for_severity(Severity.NORMAL)


def test_default_settings_are_valid() -> None:
    assert validate_settings(AlertSettings()) == []


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (AlertSettings(reminder_minutes=0), "Reminder"),
        (AlertSettings(resolve_margin={SBP: -1}), "SBP resolve margin"),
        (AlertSettings(device_persistence_readings=0), "Device persistence"),
        (AlertSettings(device_persistence_seconds=-1), "Device persistence"),
        (AlertSettings(overdue_grace_minutes=-1), "Overdue grace"),
        (AlertSettings(feed_silent_seconds=0), "Feed silent after"),
    ],
)
def test_invalid_settings_name_the_setting(settings: AlertSettings, field: str) -> None:
    assert [e.field for e in validate_settings(settings)] == [field]


def test_zero_margin_resolves_at_the_limit() -> None:
    settings = AlertSettings(resolve_margin={})
    _, events = run([R(0, {SBP: 165}), R(5, {SBP: 160})], settings)
    assert events[-1] == ("resolved", "sbp-high", "medium", 5)


def test_profile_without_limits_for_a_vital_raises_nothing() -> None:
    engine = AlertEngine(ThresholdProfile("empty", {SBP: Limits()}), {}, AlertSettings())
    assert engine.on_reading(reading(0, {SBP: 250, HR: 200})) == []


def test_recorded_open_technical_alerts_carry_on_and_old_duplicates_end():
    """After a restart the replay has no technical alerts; those recorded as open carry on
    (the newest of each condition) and the next tick keeps or resolves them."""
    from monitor.domain.alerts import AlertEventType

    first = AlertEngine(default_profile())
    first.tick(T0 + timedelta(minutes=20), next_due_at=T0)
    (older,) = first.history()
    later = replace(older, raised_at=T0 + timedelta(minutes=40))  # a second start raised one
    physiological = replace(older, kind=AlertKind.PHYSIOLOGICAL, condition="sbp-high")

    engine = AlertEngine(default_profile())
    events = engine.carry_on([older, later, physiological])
    assert [(e.type, e.at) for e in events] == [(AlertEventType.RESOLVED, later.raised_at)]
    (active,) = engine.active_alerts()
    assert (active.condition, active.raised_at) == (OVERDUE, later.raised_at)
    assert engine.tick(T0 + timedelta(minutes=50), next_due_at=T0) == []  # still overdue
    (ended,) = engine.tick(T0 + timedelta(minutes=51), next_due_at=None)
    assert ended.type is AlertEventType.RESOLVED and engine.active_alerts() == []
