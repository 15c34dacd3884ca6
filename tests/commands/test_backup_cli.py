"""main.py backup / restore, as an archiving script would call them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor.domain.sessions import Patient, Session
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]


def main_py(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))


def test_backup_list_and_restore(tmp_path):
    db = tmp_path / "clinic.sqlite"
    with Store.open(db) as store:
        store.create_session(Session(Patient("MRN-5")), "JM")
    made = main_py("backup", "--db", str(db), "--to", str(tmp_path / "bk"))
    assert made.returncode == 0 and "integrity ok" in made.stdout
    listed = main_py("backup", "--list", "--db", str(db), "--to", str(tmp_path / "bk"))
    (line,) = listed.stdout.splitlines()
    backup = line.split("\t")[0]
    with Store.open(db) as store:
        store.create_session(Session(Patient("MRN-6")), "JM")
    restored = main_py("restore", backup, "--db", str(db))
    assert restored.returncode == 0, restored.stderr
    with Store.open(db) as store:
        assert [s.patient.identifier for s in store.sessions()] == ["MRN-5"]


def test_errors_are_clear_and_non_zero(tmp_path):
    missing = main_py("backup", "--db", str(tmp_path / "none.sqlite"))
    assert missing.returncode == 2 and "no database" in missing.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    refused = main_py("restore", str(junk), "--db", str(tmp_path / "x.sqlite"))
    assert refused.returncode == 1 and "restore refused" in refused.stderr
    assert "Traceback" not in refused.stderr
