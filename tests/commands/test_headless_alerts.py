"""The record is the same however the readings arrived: a headless import and a headless
listen of readings beyond the limits record the same alerts, with no window ever opened, and
an export made from the command line lists them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.io.mllp import frame
from monitor.store import Store

from .test_listen_cli import ENV, ROOT, Listener, mllp_send, msa

START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
#: minutes after START, SBP, DBP, HR, SpO2: a hypertensive peak that settles, a tachycardia,
#: a desaturation that recovers.
SERIES = [
    (0, 128, 78, 72, 98),
    (5, 184, 104, 115, 97),
    (10, 192, 108, 112, 96),
    (15, 150, 92, 96, 88),
    (20, 132, 82, 84, 97),
    (25, 126, 80, 76, 98),
]


def hl7_messages() -> bytes:
    frames = []
    for i, (minute, sbp, dbp, hr, spo2) in enumerate(SERIES):
        t = (START + timedelta(minutes=minute)).strftime("%Y%m%d%H%M%S+0000")
        frames.append(frame((
            f"MSH|^~\\&|GW|WARD|MON|REC|{t}||ORU^R01|M{i}|P|2.6\r"
            f"PID|||P-100^^^HOSP^MR||Doe^John\rOBR|1|||VITALS|||{t}\r"
            f"OBX|1|NM|8480-6^SBP^LN||{sbp}|mm[Hg]|||||F|||{t}\r"
            f"OBX|2|NM|8462-4^DBP^LN||{dbp}|mm[Hg]|||||F|||{t}\r"
            f"OBX|3|NM|8867-4^HR^LN||{hr}|/min|||||F|||{t}\r"
            f"OBX|4|NM|59408-5^SpO2^LN||{spo2}|%|||||F|||{t}\r").encode()))
    return b"".join(frames)


def csv_file(tmp_path: Path) -> Path:
    rows = ["time,SBP,DBP,HR,SpO2"] + [
        f"{(START + timedelta(minutes=m)).isoformat()},{s},{d},{h},{o}"
        for m, s, d, h, o in SERIES]
    path = tmp_path / "vitals.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def recorded(db: Path) -> list[tuple]:
    with Store.open(db) as store:
        session = store.active_session_for_patient("P-100")
        assert session is not None and session.id is not None
        return [(a.condition, a.priority.word, a.value, a.limit, a.message, a.raised_at,
                 a.resolved_at, a.latched)
                for a in (s.alert for s in store.alert_history(session.id))]


def run_main(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=120, env=ENV)


def test_headless_import_and_listen_record_the_same_alerts_and_export_lists_them(
        tmp_path: Path) -> None:
    imported_db, listened_db = tmp_path / "imported.sqlite", tmp_path / "listened.sqlite"
    done = run_main("import", str(csv_file(tmp_path)), "--db", str(imported_db),
                    "--patient", "P-100")
    assert done.returncode == 0, done.stderr

    listener = Listener(listened_db)
    try:
        feed = tmp_path / "feed.hl7"
        feed.write_bytes(hl7_messages())
        assert [msa(a)[0] for a in mllp_send(listener.port, feed)] == ["AA"] * len(SERIES)
        code, out, err = listener.stop()
    finally:
        if listener.proc.poll() is None:
            listener.proc.kill()
    assert code == 0, err
    assert "alert: *** SBP 184 > 180 mmHg" in out  # said as it happened

    alerts = recorded(imported_db)
    assert alerts == recorded(listened_db)
    by_condition = {a[0]: a for a in alerts}
    sbp = by_condition["sbp-high"]
    assert sbp[1] == "high" and sbp[2] == 184 and sbp[3] == 180  # the value that raised it
    assert sbp[5] == START + timedelta(minutes=5) and sbp[7] is True  # latched: never acked
    assert by_condition["hr-high"][1] == "medium"
    assert by_condition["hr-high"][5:7] == (START + timedelta(minutes=5),
                                            START + timedelta(minutes=15))
    spo2 = by_condition["spo2-low"]
    assert spo2[1] == "high" and spo2[2] == 88 and spo2[5] == START + timedelta(minutes=15)

    out_file = tmp_path / "session.json"
    done = run_main("export", "--session", "1", "--format", "json", "-o", str(out_file),
                    "--db", str(imported_db))
    assert done.returncode == 0, done.stderr
    exported = json.loads(out_file.read_text(encoding="utf-8"))
    messages = {a["message"] for a in exported["alerts"]}
    assert {"SBP 184 > 180 mmHg", "SpO2 88 < 90 %"} <= messages
    assert {a["priority"] for a in exported["alerts"]} >= {"high"}


def test_an_export_of_a_session_stored_by_an_older_version_lists_its_alerts(
        tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    done = run_main("import", str(csv_file(tmp_path)), "--db", str(db), "--patient", "P-100")
    assert done.returncode == 0, done.stderr
    with Store.open(db) as store:  # as a version before alert states left it
        conn = store._db.conn
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                    "AND tbl_name IN ('alerts', 'alert_events')").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.executescript("DELETE FROM alert_events; DELETE FROM alerts; "
                           "DELETE FROM alert_state;")
    before = db.read_bytes()
    out_file = tmp_path / "old.json"
    done = run_main("export", "--session", "1", "--format", "json", "-o", str(out_file),
                    "--db", str(db))
    assert done.returncode == 0, done.stderr
    messages = {a["message"] for a in json.loads(out_file.read_text())["alerts"]}
    assert {"SBP 184 > 180 mmHg", "SpO2 88 < 90 %"} <= messages
    assert db.read_bytes() == before  # the export reads; it never writes
