"""The quick way an import evaluates long stretches of readings (numpy over a chunk, while the
engine is quiet or holds only latched alerts) records exactly the alerts the engine gives
reading by reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.app.alerting import SessionAlerts
from monitor.app.importing import import_file
from monitor.domain.alerts import AlertEngine
from monitor.domain.vitals import Vital
from monitor.resources import default_profile
from monitor.store import Store
from tests.app.test_importing import into, session_for

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def _storm_csv(path: Path, n: int, seed: int) -> None:
    import random

    rnd = random.Random(seed)
    lines = ["time,SBP,DBP,HR,RR,SpO2"]
    for i in range(n):
        # Mostly settled values with bursts that alarm, latch, come back and clear.
        wild = rnd.random() < 0.15
        sbp = rnd.randint(90, 190) if wild else rnd.randint(110, 135)
        lines.append(f"{(T0 + timedelta(seconds=30 * i)).isoformat()},{sbp},"
                     f"{rnd.randint(45, sbp - 25) if wild else rnd.randint(65, 85)},"
                     f"{rnd.randint(40, 150) if wild else rnd.randint(60, 90)},"
                     f"{rnd.randint(6, 32) if wild else rnd.randint(12, 18)},"
                     f"{rnd.randint(84, 100) if wild else rnd.randint(95, 100)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _summary(alerts, *, latest: bool = False):
    # The recorded row of an alert is its state at its last event; the engine also notes
    # the newest value an open alert saw (kept in the saved engine state).
    return sorted((a.condition, a.raised_at, a.priority, a.resolved_at, a.latched,
                   a.escalated_at, *((a.last_value, a.last_seen_at) if latest else ()))
                  for a in alerts)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_import_records_the_alerts_of_a_reading_by_reading_replay(
        store: Store, tmp_path: Path, seed: int) -> None:
    path = tmp_path / "storm.csv"
    _storm_csv(path, 3000, seed)
    sid = session_for(store)
    import_file(store, path, into(sid))
    recorded = [s.alert for s in store.alert_history(sid)]
    one_by_one = AlertEngine.replay(default_profile(), None, None, store.readings(sid))
    assert len(recorded) > 20  # the bursts did alarm, and some HIGH alerts latched
    assert any(a.latched for a in one_by_one.history())
    assert _summary(recorded) == _summary(one_by_one.history())
    engine = SessionAlerts(store, default_profile()).engine(sid)
    assert _summary(engine.active_alerts(), latest=True) == _summary(
        one_by_one.active_alerts(), latest=True)


def test_a_file_out_of_time_order_is_evaluated_in_time_order(store: Store,
                                                              tmp_path: Path) -> None:
    """An export newest block first, into a new session: the alerts are those of the
    readings in time order (they were once evaluated in the file's order: 46 alerts, not
    134), and none is recorded and then withdrawn."""
    path = tmp_path / "storm.csv"
    _shuffled_storm(path, 9000, seed=4)
    sid = session_for(store)
    import_file(store, path, into(sid))
    history = store.alert_history(sid)
    one_by_one = AlertEngine.replay(default_profile(), None, None, store.readings(sid))
    assert _summary([s.alert for s in history]) == _summary(one_by_one.history())
    assert not any(s.withdrawn_at for s in history)


def test_a_disorder_found_late_leaves_no_withdrawn_alert(store: Store, tmp_path: Path) -> None:
    """A settled record, in time order for the first chunks the alert feed reads, with a
    high systolic at reading 200; then, last in the file, a high systolic from before it.
    The feed starts carrying on (raising an alert at reading 200), finds it must replay,
    and the record holds only the replay's alerts: one alert raised by the early reading
    and still latched at reading 200, with nothing recorded and then withdrawn."""
    def line(i: int, sbp: int, seconds: int = 0) -> str:
        return f"{(T0 + timedelta(seconds=30 * i + seconds)).isoformat()},{sbp},78,72,14,98"

    lines = ["time,SBP,DBP,HR,RR,SpO2",
             *(line(i, 200 if i == 200 else 122) for i in range(12_000)),
             line(150, 200, seconds=15)]
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sid = session_for(store)
    import_file(store, path, into(sid))
    history = store.alert_history(sid)
    one_by_one = AlertEngine.replay(default_profile(), None, None, store.readings(sid))
    assert _summary([s.alert for s in history]) == _summary(one_by_one.history())
    assert [(s.alert.condition, s.alert.raised_at) for s in history] == [
        ("sbp-high", T0 + timedelta(seconds=30 * 150 + 15))]
    assert not any(s.withdrawn_at for s in history)


def test_an_export_with_corrections_alarms_on_what_is_current(store: Store,
                                                              tmp_path: Path) -> None:
    """The app's own CSV export, with a correction and a reading entered in error, into a
    new session: the corrected value and the reading in error raise nothing (the carry-on
    hands such rows to a replay of what is current)."""
    path = tmp_path / "export.csv"
    path.write_text(
        "time,sbp,dbp,map,hr,rr,spo2,source,entered_by,status,note\n"
        "2024-05-01T08:00:00+00:00,124,78,,72,14,98,manual,AB,,\n"
        "2024-05-01T08:05:00+00:00,212,78,,72,14,98,manual,AB,corrected,\n"
        "2024-05-01T08:05:00+00:00,122,78,,72,14,98,manual,AB,,typo\n"
        "2024-05-01T08:10:00+00:00,209,80,,70,14,98,manual,AB,entered-in-error,\n"
        "2024-05-01T08:15:00+00:00,121,77,,71,14,98,manual,AB,,\n", encoding="utf-8")
    sid = session_for(store)
    import_file(store, path, into(sid))
    assert [r.values[Vital.SBP] for r in store.current_readings(sid)] == [124, 122, 121]
    assert store.alert_history(sid) == []


def _shuffled_storm(path: Path, n: int, seed: int) -> None:
    """The storm with its lines in blocks out of time order (an export newest first)."""
    _storm_csv(path, n, seed)
    header, *lines = path.read_text(encoding="utf-8").splitlines()
    blocks = [lines[i:i + 1500] for i in range(0, len(lines), 1500)]
    path.write_text("\n".join([header, *[ln for b in reversed(blocks) for ln in b]]) + "\n",
                    encoding="utf-8")
