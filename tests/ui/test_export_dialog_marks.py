"""File > Export… as a nurse uses it: the chart written carries the session's phases,
missed due times and events, and a de-identified one keeps names out of event notes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QAction

from monitor.domain.events import ClinicalEventKind, new_clinical_event
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.io.deidentify import REMOVED
from monitor.store import Store
from monitor.ui.app import GuiOptions, build_window
from monitor.ui.main_window import MainWindow
from tests.ui.conftest import when_modal
from tests.ui.test_export_dialog import choose_file, pick

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def infused(qtbot, store: Store, db_path: Path) -> Iterator[MainWindow]:
    """P-7's session: infusion from 90 to 30 min ago, readings at its start and 20 min
    ago (the due times between missed), and a nausea event naming the patient."""
    session = store.create_session(Session(
        Patient("P-7", "Rosa Testperson"),
        Infusion(started_at=NOW - timedelta(minutes=90), ended_at=NOW - timedelta(minutes=30)),
        started_at=NOW - timedelta(minutes=100)), by="JM")
    store.add_readings(session.id, [
        new_reading(NOW - timedelta(minutes=m), {Vital.SBP: 130, Vital.DBP: 80, Vital.HR: 72},
                    entered_by="JM") for m in (95, 20)])
    store.add_timeline_entry(session.id, new_clinical_event(
        NOW - timedelta(minutes=50), ClinicalEventKind.NAUSEA, entered_by="JM",
        note="Rosa felt sick"))
    win = build_window(store, GuiOptions(db_path=db_path, patient_id="P-7"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def export_svg(qtbot, window: MainWindow, deidentify: bool) -> None:
    when_modal(qtbot, pick("svg", deidentify))
    window.findChild(QAction, "exportAction").trigger()
    with qtbot.waitSignal(window.export_actions.job.finished, timeout=20_000):
        pass


def texts(path: Path) -> list[str]:
    return [(t.text or "").strip() for t in ET.parse(path).getroot().iter()
            if t.tag.endswith("text")]


def test_exported_chart_carries_phases_missed_due_times_and_events(qtbot, infused, tmp_path,
                                                                   monkeypatch):
    target = tmp_path / "chart.svg"
    choose_file(monkeypatch, target)
    export_svg(qtbot, infused, deidentify=False)
    shown = texts(target)
    assert {"baseline", "infusion", "recovery", "Nausea: Rosa felt sick"} <= set(shown)
    # Every 15 min during the infusion: none met between the two readings.
    first_missed = (NOW - timedelta(minutes=75)).astimezone()
    assert f"due {first_missed:%H:%M}" in shown and "missed" in shown


def test_deidentified_export_keeps_the_name_out_of_event_notes(qtbot, infused, tmp_path,
                                                               monkeypatch):
    target = tmp_path / "anon.svg"
    choose_file(monkeypatch, target)
    export_svg(qtbot, infused, deidentify=True)
    assert f"Nausea: {REMOVED} felt sick" in texts(target)
    assert b"Rosa" not in target.read_bytes()
