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
