"""main.py sessions: the table and the documented JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.cli import main
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.store import Store

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def populate(db_path: Path) -> tuple[int, int]:
    with Store.open(db_path) as store:
        first = store.create_session(Session(Patient("P-1", "Ada Lovelace"), started_at=T0), "AB")
        second = store.create_session(
            Session(Patient("P-2"), started_at=T0 + timedelta(hours=1)), "AB")
        for minute in (0, 5, 10):
            store.add_reading(first.id or 0, new_reading(
                T0 + timedelta(minutes=minute), {Vital.HR: 70 + minute}, entered_by="AB"))
        store.close_session(first.id or 0, by="AB")
        return first.id or 0, second.id or 0


def test_json_lists_newest_first_with_counts(db_path: Path, capsys) -> None:
    first, second = populate(db_path)
    assert main(["sessions", "--db", str(db_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == [
        {"id": second, "patient_id": "P-2", "name": "", "started_at": "2024-05-01T11:00:00+00:00",
         "status": "active", "readings": 0, "alerts": 0},
        {"id": first, "patient_id": "P-1", "name": "Ada Lovelace",
         "started_at": "2024-05-01T10:00:00+00:00", "status": "closed", "readings": 3,
         "alerts": 0},
    ]


def test_table_has_a_header_and_one_line_per_session(db_path: Path, capsys) -> None:
    populate(db_path)
    assert main(["sessions", "--db", str(db_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "patient", "name", "started", "status", "readings",
                                "alerts"]
    assert len(lines) == 3
    assert "Ada Lovelace" in lines[2] and "closed" in lines[2] and lines[2].split()[-2:] == [
        "3", "0"]


def test_limit_and_empty_database(db_path: Path, capsys) -> None:
    populate(db_path)
    assert main(["sessions", "--db", str(db_path), "--json", "--limit", "1"]) == 0
    assert [s["patient_id"] for s in json.loads(capsys.readouterr().out)] == ["P-2"]
    empty = db_path.with_name("empty.sqlite")
    Store.open(empty).close()
    assert main(["sessions", "--db", str(empty)]) == 0
    assert "(no sessions)" in capsys.readouterr().out


def test_errors(tmp_path: Path, capsys) -> None:
    assert main(["sessions", "--db", str(tmp_path / "none.sqlite")]) == 2
    assert "there is no database" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()
    assert main(["sessions", "--db", str(tmp_path / "x.sqlite"), "--limit", "0"]) == 2
    not_db = tmp_path / "text.sqlite"
    not_db.write_text("hello, this is not a database " * 100)
    assert main(["sessions", "--db", str(not_db)]) == 2
    assert "error:" in capsys.readouterr().err
