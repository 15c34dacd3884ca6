"""Exported charts and the PDF report show what the live chart shows beside the vitals: the
phases shaded, the reading schedule's due times with met / missed status, and sedation scores
and clinical events; within the chosen time range, and without patient identifiers in
de-identified exports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from itertools import combinations
from pathlib import Path

import pypdf
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QImage

from monitor.app.export_marks import TimeRange, chart_marks, session_due_marks
from monitor.domain.due_status import DueStatus
from monitor.domain.events import ClinicalEventKind, new_clinical_event
from monitor.domain.readings import new_reading
from monitor.domain.schedule import CLINIC
from monitor.domain.sessions import Infusion, Patient, Phase, Session
from monitor.domain.vitals import Vital
from monitor.io.deidentify import REMOVED, deidentify
from monitor.render.chart_render import _draw, laid_out_chart, render_image, render_svg
from monitor.render.report import report_html, write_pdf
from monitor.store import Store
from monitor.ui.chart.schedule_overlay import STYLE
from monitor.ui.theme import LIGHT
from tests.export_fixtures import NAME, START, build_session, record_of

SIZE = QSize(1200, 750)


@pytest.fixture
def record(qapp, store: Store):
    return record_of(store, build_session(store))


def svg_texts(svg: bytes) -> list[str]:
    return [(t.text or "").strip() for t in ET.fromstring(svg).iter() if t.tag.endswith("text")]


def at(minutes: int):
    return START + timedelta(minutes=minutes)


def test_marks_follow_the_live_rules(record):
    marks = chart_marks(record, None)
    assert [(s.phase, s.start, s.end) for s in marks.phases] == [
        (Phase.BASELINE, at(-20), at(0)), (Phase.INFUSION, at(0), at(120)),
        # Still open when exported (three hours after the start): recovery runs until then.
        (Phase.RECOVERY, at(120), at(180))]
    status = {m.at: m.status for m in marks.due}
    # Ward protocol: every 15 min during the infusion, then every 15 min after it.
    assert status[at(15)] is status[at(30)] is DueStatus.MET
    assert status[at(45)] is DueStatus.MET  # the reading at 40 min counts (a third early)
    # The reading at 100 min was entered in error: nothing met the time due at 105.
    assert status[at(105)] is DueStatus.MISSED
    assert status[at(135)] is DueStatus.MET  # the reading at 130 min
    assert status[at(150)] is status[at(165)] is DueStatus.MISSED
    assert status[at(180)] is DueStatus.UPCOMING  # due as the export was made
    assert [e.at for e in marks.entries] == [at(45), at(100)]


def test_svg_shows_phases_due_times_and_events_with_a_key(record):
    texts = svg_texts(render_svg(record, SIZE))
    for expected in ("baseline", "infusion", "recovery",  # phase names on the chart
                     "due 10:45", "missed",  # the missed due time, labelled
                     "RASS −1", "Nausea: Ondansetron 4 mg IV",  # timeline entries
                     "reading due: met", "reading due: missed", "sedation score",
                     "clinical event"):  # the key
        assert expected in texts, expected
    assert any("Reading schedule: every 15 min during the infusion" in t for t in texts)
    # Met due times are ticks, not words: the paper would fill with them.
    assert "due 09:15" not in texts


def test_png_shades_the_phases_and_nothing_outside_them(record):
    part = TimeRange(START - timedelta(minutes=30), START + timedelta(minutes=30))
    # HR 65 is inside the heart-rate plot, clear of its bands and of the curve.
    with laid_out_chart(record, SIZE, part) as chart:
        points = {name: chart.image_point(START + timedelta(minutes=m), Vital.HR, 65, SIZE)
                  for name, m in (("before", -25), ("baseline", -10), ("infusion", 20))}
    image = render_image(record, SIZE, part)
    colour = {name: QColor(image.pixel(*point)) for name, point in points.items()}
    assert colour["before"].name() == QColor(LIGHT.surface).name()  # the session not begun
    baseline, infusion = colour["baseline"], colour["infusion"]
    assert baseline.blue() > baseline.red() and baseline != colour["before"]  # blue tint
    assert infusion.green() < infusion.red() and infusion.green() < infusion.blue()  # violet
    assert infusion != baseline


def test_missed_due_time_is_ticked_on_every_plot_in_its_colour(record):
    with laid_out_chart(record, SIZE) as chart:
        ticks = [dict(item.ticks()) for item in chart.due_ticks]
        x = chart.x(at(105))
        assert len(ticks) == len(chart.plots)
        assert all(t[x] == STYLE[DueStatus.MISSED][0] for t in ticks)
        assert ticks[0][chart.x(at(15))] == STYLE[DueStatus.MET][0]


def test_export_keeps_to_its_time_range(record):
    part = TimeRange(START, START + timedelta(minutes=60))
    with laid_out_chart(record, SIZE, part) as chart:
        assert set(chart.phases.visible_phases()) == {Phase.INFUSION}
        assert chart.phases.visible_phases()[Phase.INFUSION] == (chart.x(START),
                                                                 chart.x(part.end))
        assert [label for _, label, _ in chart.timeline.markers()] == ["RASS −1"]
        assert {t for t, _ in chart.due_ticks[0].ticks()} == {
            chart.x(at(m)) for m in (15, 30, 45, 60)}
    texts = svg_texts(render_svg(record, SIZE, part))
    assert "RASS −1" in texts
    assert "due 10:45" not in texts and not any(t.startswith("Nausea") for t in texts)


def test_session_without_infusion_times_has_no_phases_and_still_exports(qapp, store: Store):
    created = store.create_session(Session(Patient("P-9"), Infusion(),
                                           started_at=START), by="JM")
    store.add_readings(created.id, [new_reading(START + timedelta(minutes=m),
                                                {Vital.HR: 70 + m}, entered_by="JM")
                                    for m in (0, 20, 40)])
    record = record_of(store, created.id)
    marks = chart_marks(record, None)
    assert marks.phases == [] and marks.due == []
    with laid_out_chart(record, QSize(800, 500)) as chart:
        assert chart.phases.visible_phases() == {}
        assert chart.due_ticks[0].ticks() == []
    image = render_image(record, QSize(800, 500))
    assert image.width() == 800
    texts = svg_texts(render_svg(record, QSize(800, 500)))
    assert texts.count("infusion") == 1  # in the key only
    assert not any(t.startswith("due ") for t in texts)
    assert "not known: no infusion start was charted" in report_html(record, False)


def test_due_times_follow_the_sessions_own_schedule(qapp, store: Store):
    sid = build_session(store)
    store.set_schedule(sid, CLINIC, "JM")  # every 10 min during the infusion
    marks = session_due_marks(record_of(store, sid))
    assert [m.at for m in marks][:3] == [at(10), at(20), at(30)]


def test_deidentified_chart_keeps_the_note_without_the_name(record, store: Store):
    store.add_timeline_entry(record.session_id, new_clinical_event(
        at(50), ClinicalEventKind.DIZZINESS, entered_by="JM", note="Maria dizzy"))
    plain = svg_texts(render_svg(record_of(store, record.session_id), SIZE))
    assert "Dizziness: Maria dizzy" in plain
    anonymous = deidentify(record_of(store, record.session_id))
    svg = render_svg(anonymous, SIZE)
    assert f"Dizziness: {REMOVED} dizzy" in svg_texts(svg)
    for secret in (NAME, "Maria", "Example"):
        assert secret.encode() not in svg


def test_pdf_report_says_phases_and_due_times_in_words(record, tmp_path: Path):
    path = tmp_path / "report.pdf"
    write_pdf(record, render_image(record, QSize(1200, 800)), str(path))
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in ("Phases and reading schedule", "Baseline 08:40–09:00",
                     "Infusion 09:00–11:00", "Recovery 11:00–12:00",
                     "session still open when exported", "Ward protocol",
                     "11 due times: 7 met, 3 missed, 1 upcoming",
                     "due 09:15 met", "due 10:45 missed", "due 11:30 missed",
                     "due 12:00 upcoming"):
        assert expected in text, expected


def _labels(chart) -> list[tuple[str, QRectF]]:
    """Text and scene rectangle of each label drawn on a line of the top plot."""
    top = chart.plots[0].getViewBox()
    return [(item.toPlainText(), item.sceneBoundingRect()) for item in chart.scene().items()
            if isinstance(item, pg.InfLineLabel) and item.isVisible()
            and item.getViewBox() is top]


def test_export_key_is_above_the_plots_not_over_the_readings(record):
    with laid_out_chart(record, SIZE) as chart:
        _draw(chart, QImage(SIZE, QImage.Format.Format_ARGB32), SIZE)
        assert not [i for i in chart.scene().items() if isinstance(i, pg.LegendItem)]
        title = chart.plots[0].titleLabel
        assert "SBP" in title.item.toPlainText() and "MAP" in title.item.toPlainText()
        assert not title.sceneBoundingRect().intersects(
            chart.plots[0].getViewBox().sceneBoundingRect())


def test_exported_labels_close_together_neither_overlap_nor_run_off(record, store: Store):
    # Four events a minute apart just after the infusion end, and one at the very end of the
    # range (the chart ends five minutes after the export, at 12:05).
    for minutes, kind in ((121, ClinicalEventKind.NAUSEA), (122, ClinicalEventKind.DIZZINESS),
                          (123, ClinicalEventKind.VOMITING), (124, ClinicalEventKind.CONFUSION),
                          (179, ClinicalEventKind.HALLUCINATION)):
        store.add_timeline_entry(record.session_id, new_clinical_event(
            at(minutes), kind, entered_by="JM"))
    with laid_out_chart(record_of(store, record.session_id), SIZE) as chart:
        _draw(chart, QImage(SIZE, QImage.Format.Format_ARGB32), SIZE)  # the render path
        labels = _labels(chart)
        inside = chart.plots[0].getViewBox().sceneBoundingRect()
        for text, rect in labels:
            assert inside.contains(rect), (text, rect, inside)
        for (a, ra), (b, rb) in combinations(labels, 2):
            assert not ra.intersects(rb), (a, b)
        texts = [text for text, _ in labels]
    close = [t for t in texts if t in {"Nausea", "Dizziness", "Vomiting", "Confusion"}
             or re.fullmatch(r"\d+ events", t)]
    assert sum(int(t.split()[0]) if t[0].isdigit() else 1 for t in close) == 4
    assert "Hallucination" in texts
    for expected in ("baseline", "infusion", "recovery", "RASS −1"):
        assert expected in texts


def test_a_note_with_braces_is_printed_as_typed(record, store: Store):
    store.add_timeline_entry(record.session_id, new_clinical_event(
        at(170), ClinicalEventKind.OTHER, entered_by="JM", note="{sic} sat up"))
    assert "Other: {sic} sat up" in svg_texts(render_svg(record_of(store, record.session_id),
                                                          SIZE))
