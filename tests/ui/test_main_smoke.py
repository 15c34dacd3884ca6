"""main.py starts, shows the window and quits, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]


def run_main(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_main_opens_the_default_database_and_quits(tmp_path):
    result = run_main("--quit-after", "500", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "InfusionRecoveryMonitor" / "monitor.sqlite").exists()


def test_demo_opens_a_populated_session(tmp_path):
    db = tmp_path / "demo.sqlite"
    result = run_main("--demo", "--db", str(db), "--quit-after", "500", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    with Store.open(db) as store:
        (session,) = store.sessions()
        assert session.patient.identifier == "DEMO-0042"
        assert len(store.readings(session.id)) >= 8


def test_help_explains_the_options(tmp_path):
    result = run_main("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    for option in ("--db", "--patient", "--demo", "Default database"):
        assert option in result.stdout


def test_main_can_be_driven_in_process(qtbot, tmp_path):
    import main

    db = tmp_path / "inproc.sqlite"
    assert main.main(["--db", str(db), "--patient", "P-7", "--quit-after", "200"]) == 0
    with Store.open(db) as store:
        assert store.active_session_for_patient("P-7") is not None
