"""Real public files (``tests/data/real/``, origins in its SOURCES.md) through the paths a user
takes: ``main.py import`` into a fresh database, and for HL7 v2 the MLLP listener with the app's
live-feed handler, sent by the ``hl7`` package's own client. What each must give was worked out
by hand from the file and is written in ``expected.json``; these tests compare the app with it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import hl7
import pytest
from hl7.client import MLLPClient

from monitor.app.live_feed import LiveFeedHandler
from monitor.cli import main
from monitor.domain.vitals import Vital
from monitor.io.mllp import MllpListener
from monitor.store import Store

CORPUS = Path(__file__).resolve().parents[1] / "data" / "real"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (CORPUS / "expected.json").read_text(encoding="utf-8"))["files"]
VITALS = {"sbp": Vital.SBP, "dbp": Vital.DBP, "map": Vital.MAP, "hr": Vital.HR,
          "rr": Vital.RR, "spo2": Vital.SPO2}
HL7_FILES = [name for name, e in EXPECTED.items() if e["format"] == "HL7 v2"]


def _case(name: str) -> Any:
    """A parameter for one corpus file; a file whose format is still being added is a strict
    xfail, so the mark must be removed the moment that format works."""
    pending = EXPECTED[name].get("pending")
    if pending:
        return pytest.param(name, id=name, marks=pytest.mark.xfail(
            strict=True, reason=f"needs {pending} support (issue 13 item 3)"))
    return pytest.param(name, id=name)


@pytest.fixture(autouse=True)
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Date-only FHIR times become midnight in this computer's zone: make that zone UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def expected_readings(name: str) -> list[tuple[datetime, dict[Vital, float], bool]]:
    """(instant, values, MAP derived) of each reading the file must give, by time."""
    out = []
    for r in EXPECTED[name]["readings"]:
        values = {VITALS[k]: float(v) for k, v in r.items() if k in VITALS}
        out.append((datetime.fromisoformat(r["time"]), values, bool(r.get("map_derived"))))
    return sorted(out, key=lambda item: item[0])


def stored(db: Path) -> tuple[list[tuple[datetime, dict[Vital, float], bool]], set[str]]:
    """Every reading in the database (instant, values, MAP derived) and the patients."""
    if not db.exists():
        return [], set()
    with Store.open(db) as store:
        sessions = store.sessions()
        readings = [r for s in sessions for r in store.readings(s.id or 0)]
        patients = {s.patient.identifier for s in sessions if store.readings(s.id or 0)}
    got = [(r.taken_at, {v: float(x) for v, x in r.values.items()}, r.map_derived)
           for r in readings]
    return sorted(got, key=lambda item: item[0]), patients


def assert_stored(db: Path, name: str) -> None:
    got, patients = stored(db)
    assert got == expected_readings(name)
    patient = EXPECTED[name]["patient"]
    assert patients == ({patient} if patient else set())


@pytest.mark.parametrize("name", [_case(n) for n in EXPECTED])
def test_each_real_file_imports_as_worked_out_by_hand(name: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    e = EXPECTED[name]
    path = CORPUS / name
    db = tmp_path / "monitor.sqlite"
    status = main(["import", str(path), "--db", str(db), *e.get("options", [])])
    out, err = capsys.readouterr()
    assert status == e["exit"], err
    summary = out.strip().splitlines()[-1] if out.strip() else err
    assert f"{path.name} ({e['format']}" in summary  # "FHIR" also matches "FHIR R4"
    if e["imported"]:
        assert f"{e['imported']} imported" in summary
    else:
        assert "nothing imported" in summary
    lines = err.splitlines()
    if e["not_charted"] is not None:
        assert sum(": not charted: " in line for line in lines) == e["not_charted"], err
    rejected = [line for line in lines if ": rejected: " in line]
    assert len(rejected) == len(e["rejected"]), err
    for text in e["rejected"]:
        assert any(text in line for line in rejected), err
    assert_stored(db, name)


def messages_of(path: Path) -> list[bytes]:
    """The messages of an HL7 v2 file as a gateway sends them: CR segment ends, one frame
    each (the files use CRLF or LF; the wire uses CR)."""
    text = path.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    starts = [i for i in range(len(text)) if text.startswith(b"MSH|", i)
              and (i == 0 or text[i - 1:i] == b"\r")]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def msa(ack: bytes) -> tuple[str, str]:
    message = hl7.parse(ack.decode())
    segment = message.segment("MSA")
    text = message.unescape(str(segment(3))) if len(segment) > 3 else ""
    return str(segment(1)), text


@pytest.mark.parametrize("name", [_case(n) for n in HL7_FILES])
def test_each_real_hl7_file_over_mllp_is_acknowledged_and_stored(name: str,
                                                                 tmp_path: Path) -> None:
    e = EXPECTED[name]
    db = tmp_path / "monitor.sqlite"
    handler = LiveFeedHandler(db)
    listener = MllpListener(handler, port=0)
    listener.start()
    try:
        with MLLPClient(*listener.address) as client:
            client.socket.settimeout(10)
            acks = [client.send_message(m).strip(b"\x0b\x1c\r")
                    for m in messages_of(CORPUS / name)]
    finally:
        listener.stop()
        handler.close()
    got = [msa(a) for a in acks]
    assert [code for code, _ in got] == [m["ack"] for m in e["mllp"]]
    for (_, text), want in zip(got, e["mllp"], strict=True):
        assert want["text"] in text if want["text"] else text == "", text
    assert_stored(db, name)


def test_the_corpus_has_thirty_files_from_eight_sources_each_described() -> None:
    passing = [n for n, e in EXPECTED.items() if not e.get("pending")]
    sources = {n.split("/")[0] for n in passing}
    assert len(passing) >= 30 and len(sources) >= 8
    listed = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert (CORPUS / name).is_file(), name
        assert f"`{name}`" in listed, f"{name} is not described in SOURCES.md"
