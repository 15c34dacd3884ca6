"""``python main.py export``: every format headless, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf
import pytest
from PySide6.QtGui import QImage

from monitor import cli
from monitor.io.deidentify import pseudonym
from monitor.store import Store
from tests.export_fixtures import NAME, PATIENT_ID, build_session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session_db(db_path: Path) -> tuple[Path, int]:
    with Store.open(db_path) as store:
        sid = build_session(store)
    return db_path, sid


def export(db: Path, sid: int, fmt: str, out: Path, *extra: str) -> int:
    return cli.main(["export", "--session", str(sid), "--format", fmt, "-o", str(out),
                     "--db", str(db), *extra])


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir"])
def test_data_formats(session_db, tmp_path: Path, fmt: str, capsys):
    db, sid = session_db
    out = tmp_path / f"out.{fmt}"
    assert export(db, sid, fmt, out) == 0
    text = out.read_text(encoding="utf-8")
    assert "entered-in-error" in text  # every reading, with its status
    assert (PATIENT_ID in text) is (fmt != "csv")  # the canonical CSV holds readings only
    assert f"Exported session {sid} as {fmt}" in capsys.readouterr().out


def test_png_svg_and_pdf(qapp, session_db, tmp_path: Path):
    db, sid = session_db
    assert export(db, sid, "png", tmp_path / "c.png", "--size", "1000x600") == 0
    image = QImage(str(tmp_path / "c.png"))
    assert (image.width(), image.height()) == (1000, 600)
    assert export(db, sid, "svg", tmp_path / "c.svg") == 0
    ET.parse(tmp_path / "c.svg")
    assert export(db, sid, "pdf", tmp_path / "r.pdf",
                  "--from", "2024-05-01T09:00+02:00", "--to", "2024-05-01T10:00+02:00") == 0
    assert PATIENT_ID in pypdf.PdfReader(tmp_path / "r.pdf").pages[0].extract_text()


def test_deidentify_flag(session_db, tmp_path: Path):
    db, sid = session_db
    out = tmp_path / "anon.json"
    assert export(db, sid, "json", out, "--deidentify") == 0
    text = out.read_text(encoding="utf-8")
    assert PATIENT_ID not in text and NAME not in text and pseudonym(PATIENT_ID) in text
    assert json.loads(text)["deidentified"] is True


def test_pdf_with_no_display_at_all(session_db, tmp_path: Path):
    db, sid = session_db
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "r.pdf"
    done = subprocess.run([sys.executable, "main.py", "export", "--session", str(sid),
                           "--format", "pdf", "-o", str(out), "--db", str(db)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(pypdf.PdfReader(out).pages) >= 2


def test_unknown_session_exits_1_with_a_message(session_db, tmp_path: Path, capsys):
    db, _ = session_db
    assert export(db, 999, "csv", tmp_path / "x.csv") == 1
    assert "There is no session 999." in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_missing_database_exits_1(tmp_path: Path, capsys):
    assert export(tmp_path / "nothing.sqlite", 1, "csv", tmp_path / "x.csv") == 1
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "nothing.sqlite").exists()


def test_unwritable_path_exits_1(session_db, tmp_path: Path, capsys):
    db, sid = session_db
    assert export(db, sid, "csv", tmp_path / "missing" / "x.csv") == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "No such file or directory" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "docx"], "invalid choice: 'docx'"),
    (["--size", "big"], "not a size like 2400x1500"),
    (["--size", "10x10"], "between 200 and 12000"),
    (["--from", "2024-05-01T10:00"], "--from and --to go together"),
    (["--from", "2024-05-01T10:00", "--to", "2024-05-01T09:00"], "--to must be after"),
    (["--from", "noon", "--to", "2024-05-01T09:00"], "'noon' is not a time"),
])
def test_bad_arguments_exit_2(session_db, tmp_path: Path, capsys, args, message):
    db, sid = session_db
    base = ["export", "--session", str(sid), "--format", "png", "-o", str(tmp_path / "x"),
            "--db", str(db)]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(base + args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_session_must_be_a_number(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", "--session", "abc", "--format", "csv", "-o", "x.csv"])
    assert exit_info.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_fhir_transaction_with_the_sites_patient_identifier_system(session_db, tmp_path):
    from monitor.io.fhir_rules import transaction_problems

    db, sid = session_db
    out = tmp_path / "tx.json"
    assert export(db, sid, "fhir", out, "--fhir-bundle", "transaction",
                  "--patient-id-system", "urn:oid:1.2.3.4") == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert bundle["type"] == "transaction" and transaction_problems(bundle) == []
    wanted = f"Patient?identifier=urn:oid:1.2.3.4|{PATIENT_ID}"
    assert bundle["entry"][0]["request"]["url"] == wanted


@pytest.mark.parametrize(("args", "message"), [
    (["--fhir-bundle", "batch"], "invalid choice: 'batch'"),
    (["--patient-id-system", "my hospital"], "--patient-id-system: patient identifier system"),
])
def test_bad_fhir_arguments_exit_2(session_db, tmp_path: Path, capsys, args, message):
    db, sid = session_db
    with pytest.raises(SystemExit) as exit_info:
        export(db, sid, "fhir", tmp_path / "x.json", *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
