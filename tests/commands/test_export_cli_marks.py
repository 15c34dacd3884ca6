"""``python main.py export``: the chart and report carry phases, due times and events, for
the range asked, with the session's own schedule, de-identified when asked."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pypdf

from monitor import cli
from monitor.domain.events import ClinicalEventKind, new_clinical_event
from monitor.domain.schedule import CLINIC
from monitor.io.deidentify import REMOVED
from monitor.store import Store
from tests.export_fixtures import START, build_session


def texts(path: Path) -> list[str]:
    return [(t.text or "").strip() for t in ET.parse(path).getroot().iter()
            if t.tag.endswith("text")]


def test_svg_for_a_range_shows_what_lies_in_it_without_the_name(qapp, db_path, tmp_path):
    with Store.open(db_path) as store:
        sid = build_session(store)
        store.add_timeline_entry(sid, new_clinical_event(
            START.replace(minute=50), ClinicalEventKind.OTHER, entered_by="JM",
            note="Maria asked for water"))
    out = tmp_path / "part.svg"
    assert cli.main(["export", "--session", str(sid), "--format", "svg", "-o", str(out),
                     "--db", str(db_path), "--deidentify",
                     "--from", "2024-05-01T10:30+02:00", "--to", "2024-05-01T11:00+02:00"]) == 0
    shown = texts(out)
    assert "due 10:45" in shown and "Nausea: Ondansetron 4 mg IV" in shown
    assert "RASS −1" not in shown  # 09:45: before the range
    assert not any(t.startswith("Other") for t in shown)  # 09:50: before the range
    whole = tmp_path / "whole.svg"
    assert cli.main(["export", "--session", str(sid), "--format", "svg", "-o", str(whole),
                     "--db", str(db_path), "--deidentify"]) == 0
    assert f"Other: {REMOVED} asked for water" in texts(whole)
    assert b"Maria" not in whole.read_bytes()


def test_pdf_report_uses_the_sessions_schedule(qapp, db_path, tmp_path):
    with Store.open(db_path) as store:
        sid = build_session(store)
        store.set_schedule(sid, CLINIC, "JM")
    out = tmp_path / "r.pdf"
    assert cli.main(["export", "--session", str(sid), "--format", "pdf", "-o", str(out),
                     "--db", str(db_path)]) == 0
    text = re.sub(r"\s+", " ", " ".join(page.extract_text()
                                        for page in pypdf.PdfReader(out).pages))
    # The session runs on for years, so every time carries its date.
    assert "Ketamine clinic" in text and "due 2024-05-01 09:10 met" in text
    # Still open when exported, years later: the first due times listed, the rest counted.
    assert re.search(r"and \d+ more up to \d{4}-\d\d-\d\d \d\d:\d\d, \d+ of them missed",
                     text)
    assert len(pypdf.PdfReader(out).pages) < 6
