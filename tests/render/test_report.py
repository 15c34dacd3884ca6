"""The PDF session report: real text, every section, page numbers; printing; de-identified;
read as a clinician reads it: the discharge assessment in words, dated times when the session
spans days, a legible chart key, tables within the page, no heading alone at a page's foot."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from PySide6.QtGui import QColor, QImage, QPdfWriter, QTextBlock, QTextCursor, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from monitor.domain.charted_scores import DischargeKind, assess
from monitor.domain.readings import new_reading
from monitor.domain.scores import (
    PadssActivity,
    PadssBleeding,
    PadssIntakeOutput,
    PadssSymptoms,
)
from monitor.domain.vitals import Vital
from monitor.io.deidentify import deidentify, pseudonym
from monitor.io.export_data import SessionRecord
from monitor.render.chart_render import LIGHT, render_image
from monitor.render.report import (
    DISCHARGE_DETAILS,
    PDF_DPI,
    a4_layout,
    body_size,
    build_document,
    lay_out,
    paint_report,
    write_pdf,
)
from monitor.store import Store
from tests.export_fixtures import DOB, NAME, PATIENT_ID, START, build_session, record_of

DATED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")
CLOCK = re.compile(r"^\d\d:\d\d$")


@pytest.fixture
def record(qapp, store: Store):
    return record_of(store, build_session(store))


def pdf_text(path: Path) -> tuple[int, str]:
    reader = pypdf.PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


def test_pdf_report_holds_every_section_as_text(record, tmp_path: Path):
    path = tmp_path / "report.pdf"
    pages = write_pdf(record, render_image(record), str(path))
    count, text = pdf_text(path)
    assert count == pages >= 2
    for expected in (PATIENT_ID, NAME, DOB.isoformat(), "72 kg", "ketamine", "86 mg",
                     "CRPS", "2024-05-01 09:00", "2024-05-01 11:00",  # header
                     "Readings", "184***", "manual", "Pre-infusion baseline",  # readings
                     "SBP 184 > 180 mmHg", "KL at 09:41",  # alerts, acknowledged
                     "NEWS2", "Aldrete, assessed 11:15 by KL", "Meets the discharge criteria",
                     "Nausea: Ondansetron 4 mg IV", "RASS -1",  # events
                     "Thresholds used: Adult post-ketamine", "Signature",
                     f"Page 1 of {pages}", f"Page {pages} of {pages}", "generated"):
        assert expected in text, expected


def test_corrections_and_entries_in_error_show_as_such(record, tmp_path: Path):
    path = tmp_path / "report.pdf"
    write_pdf(record, None, str(path))
    _, text = pdf_text(path)
    assert "ENTERED IN ERROR by AB: Wrong patient" in text
    assert "CORRECTED by KL: Typing error" in text
    assert re.search(r"Correction ?: Typing error", text)


def test_deidentified_pdf_has_no_identifying_fields(record, tmp_path: Path):
    path = tmp_path / "anon.pdf"
    anonymous = deidentify(record)
    write_pdf(anonymous, render_image(anonymous), str(path))
    _, text = pdf_text(path)
    for secret in (PATIENT_ID, NAME, "Maria", DOB.isoformat(), "1978"):
        assert secret not in text
    assert pseudonym(PATIENT_ID) in text and "40-49" in text
    assert "De-identi" in text  # the font sets "fi" as a ligature


def test_unwritable_path_raises(record, tmp_path: Path):
    with pytest.raises(OSError):
        write_pdf(record, None, str(tmp_path / "missing" / "report.pdf"))


def test_printing_paints_the_same_report(record, tmp_path: Path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    pages = paint_report(build_document(record, None), printer, record)
    count, text = pdf_text(tmp_path / "printed.pdf")
    assert count == pages and PATIENT_ID in text and "SBP 184 > 180 mmHg" in text


# -- read as a clinician reads it --------------------------------------------------------------


def chart_stand_in() -> QImage:
    """An image the size of the report's chart: the report's layout, not the chart, is
    under test."""
    image = QImage(2400, 1600, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    return image


def laid_out(record: SessionRecord, chart: QImage | None = None) -> QTextDocument:
    """The report laid out on A4 pages as the PDF is."""
    document = build_document(record, chart)
    lay_out(document, body_size(a4_layout(), PDF_DPI))
    return document


def with_padss_and_discharge(store: Store, record: SessionRecord) -> SessionRecord:
    """``record`` with a PADSS assessment as the discharge dialog stores it (score 8: not
    met) and the discharge details answered at close."""
    sid = record.session_id
    result = assess(DischargeKind.PADSS, {
        "activity": PadssActivity.STEADY_GAIT_AND_ORIENTED,
        "pain_nausea_vomiting": PadssSymptoms.MODERATE_OR_TREATED,
        "bleeding": PadssBleeding.MINIMAL, "intake_output": PadssIntakeOutput.DRANK_OR_VOIDED},
        store.current_readings(sid), record.session.baseline, START + timedelta(minutes=150),
        escort_present=True)
    store.add_assessment(sid, kind="padss", at=START + timedelta(minutes=150),
                         items=result.to_items(), total=result.score.total,
                         meets=result.score.meets_criteria, by="KL")
    return replace(record_of(store, sid), extra={DISCHARGE_DETAILS: {
        "discharged_at": (START + timedelta(minutes=170)).isoformat(), "escort_present": True,
        "instructions_given": False, "note": "Maria declined the leaflet", "by": "KL"}})


def tables(document: QTextDocument) -> list:
    found, block = [], document.begin()
    while block.isValid():
        table = QTextCursor(block).currentTable()
        if table is not None and table not in found:
            found.append(table)
        block = block.next()
    return found


def column(table, index: int) -> list[str]:
    """The texts of one column's data cells (the header row left out)."""
    return [table.cellAt(row, index).firstCursorPosition().block().text()
            for row in range(1, table.rows())]


def table_headed(document: QTextDocument, *headers: str):
    for table in tables(document):
        if [table.cellAt(0, i).firstCursorPosition().block().text()
                for i in range(len(headers))] == list(headers):
            return table
    raise AssertionError(f"no table headed {headers}")


def test_discharge_assessment_reads_in_words(record, store: Store):
    text = laid_out(with_padss_and_discharge(store, record)).toPlainText()
    for raw in ("{", "}", "':", "None", "True", "False"):
        assert raw not in text, raw
    assert not re.search(r"[a-z]_[a-z]|[A-Z]_[A-Z]", text)  # no stored key or enum name
    for expected in (
            # who assessed and when; each item with its answer in words and its points
            "PADSS, assessed 11:30 by KL", "Steady gait and oriented", "Moderate or treated",
            "Drank or voided", "1 of 2", "Vital signs (blood pressure and pulse)",
            "From the chart: SBP 132 vs 124",
            # the total against the pass mark, the result and why
            "8 of 10", "pass mark 9", "Does not meet the discharge criteria: score 8 is below 9",
            "Escort present\nYes",
            # an assessment stored with its points only still reads in words
            "Modified Aldrete, assessed 11:15 by KL", "Moves four limbs", "Fully awake",
            "10 of 10", "Meets the discharge criteria",
            # as answered at close
            "Discharged 11:50 by KL", "escort present: yes", "discharge instructions given: no",
            "note: Maria declined the leaflet"):
        assert expected in text, expected


def test_deidentified_report_leaves_out_the_note_at_close(record, store: Store):
    text = laid_out(deidentify(with_padss_and_discharge(store, record))).toPlainText()
    assert "Maria" not in text and "note not shown in a de-identified export" in text


def test_a_session_over_two_days_dates_every_time(record, store: Store):
    store.add_readings(record.session_id, [new_reading(
        START + timedelta(hours=15, minutes=m), {Vital.SBP: 128, Vital.DBP: 80, Vital.HR: 70},
        entered_by="NS", note="Overnight check" if m == 0 else "") for m in (0, 30)])
    document = laid_out(record_of(store, record.session_id))
    readings = column(table_headed(document, "Time", "SBP"), 0)
    assert "2024-05-02 00:00" in readings and "2024-05-01 09:40" in readings
    for headers in (("Time", "SBP"), ("Raised", "Priority"), ("Time", "NEWS2"),
                    ("Time", "Kind")):
        times = column(table_headed(document, *headers), 0)
        assert times and all(DATED.match(t) for t in times), (headers, times)
    alerts = table_headed(document, "Raised", "Priority")
    assert column(alerts, 3)[0] == "KL at 2024-05-01 09:41"
    assert column(alerts, 4)[0] == "2024-05-01 10:30"
    text = document.toPlainText()
    for expected in ("Infusion 2024-05-01 09:00–2024-05-01 11:00", "due 2024-05-01 09:15 met",
                     "Modified Aldrete, assessed 2024-05-01 11:15", "Infusion start\n"
                     "2024-05-01 09:00", "started 2024-05-01 08:40"):
        assert expected in text, expected


def test_a_same_day_session_keeps_plain_clock_times(record):
    document = laid_out(record)
    for headers in (("Time", "SBP"), ("Raised", "Priority"), ("Time", "Kind")):
        times = column(table_headed(document, *headers), 0)
        assert times and all(CLOCK.match(t) for t in times), (headers, times)
    text = document.toPlainText()
    assert "due 09:15 met" in text and "2024-05-01 09:15" not in text
    assert "Infusion start\n2024-05-01 09:00" in text  # the header keeps its dates


def _row(block: QTextBlock) -> int | None:
    table = QTextCursor(block).currentTable()
    return None if table is None else table.cellAt(block.position()).row()


def orphans(document: QTextDocument) -> list[tuple[str, int]]:
    """Headings on a page before the first line of what they head: the next text that is
    neither a heading nor a table's header row."""
    layout, height = document.documentLayout(), document.pageSize().height()

    def page(block: QTextBlock) -> int:
        return int(layout.blockBoundingRect(block).top() // height)

    found, block = [], document.begin()
    while block.isValid():
        if block.blockFormat().headingLevel():
            content = block.next()
            while content.isValid() and (not content.text() or _row(content) == 0
                                         or content.blockFormat().headingLevel()):
                content = content.next()
            if content.isValid() and page(content) > page(block):
                found.append((block.text(), page(block) + 1))
        block = block.next()
    return found


def test_no_heading_is_left_at_the_foot_of_a_page(record, tmp_path: Path):
    # Each reading more moves every section below the readings table down one row: across
    # these counts the Alerts, Scores, Events and Thresholds headings each reach the foot of
    # page 2 or 3 (without keeping them with their content, at 8 of the 40 counts).
    extra = [new_reading(START + timedelta(minutes=150 + 5 * i), {Vital.SBP: 130, Vital.HR: 70},
                         entered_by="JM") for i in range(40)]
    chart = chart_stand_in()
    body = body_size(a4_layout(), PDF_DPI)
    for count in range(len(extra)):
        document = build_document(replace(record, readings=record.readings + extra[:count]),
                                  chart)
        lay_out(document, body)
        assert orphans(document) == [], count
    # Painting lays the document out the same way.
    longer = replace(record, readings=record.readings + extra[:37])
    document = build_document(longer, chart)
    writer = QPdfWriter(str(tmp_path / "report.pdf"))
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(a4_layout())
    assert paint_report(document, writer, longer) == document.pageCount()
    assert orphans(document) == []


def test_tables_and_the_chart_fit_the_page_width(record, store: Store):
    store.add_readings(record.session_id, [new_reading(
        START + timedelta(hours=16), {Vital.SBP: 128, Vital.DBP: 80, Vital.HR: 70},
        entered_by="NS",
        note="See https://example.org/protocols/" + "ketamine-recovery-" * 8 + " for why")])
    document = laid_out(with_padss_and_discharge(store, record_of(store, record.session_id)),
                        chart_stand_in())
    width = document.pageSize().width()
    layout, block = document.documentLayout(), document.begin()
    while block.isValid():
        if block.text():  # Qt gives the empty block after a table a rect beside it
            rect = layout.blockBoundingRect(block)
            assert rect.right() <= width, (block.text()[:40], rect.right(), width)
        block = block.next()
    assert "ketamine-recovery-" * 8 in document.toPlainText().replace("\u2028", "")


def fragments(block: QTextBlock) -> list:
    found, it = [], block.begin()
    while not it.atEnd():
        found.append(it.fragment())
        it += 1
    return found


def test_the_chart_has_a_key_in_body_size_text_in_the_charts_colours(record):
    document = laid_out(record, chart_stand_in())
    body = document.defaultFont().pointSizeF()
    wanted = {f"{name}, {unit}": LIGHT.series[vital] for vital, name, unit in (
        (Vital.SBP, "Systolic BP (SBP)", "mmHg"), (Vital.DBP, "Diastolic BP (DBP)", "mmHg"),
        (Vital.MAP, "Mean arterial pressure (MAP)", "mmHg"),
        (Vital.HR, "Heart rate (HR)", "/min"), (Vital.RR, "Respiratory rate (RR)", "/min"),
        (Vital.SPO2, "SpO2", "%"))}
    found: dict[str, set[str]] = {}
    block = document.begin()
    while block.isValid():
        if block.text() in wanted:
            found[block.text()] = {f.charFormat().foreground().color().name()
                                   for f in fragments(block.previous())}  # its swatch
            for fragment in fragments(block):
                size = fragment.charFormat().fontPointSize() or body
                assert size >= body, (block.text(), size)
        block = block.next()
    assert found == {text: {colour} for text, colour in wanted.items()}
    text = document.toPlainText()
    for expected in ("Key to the chart", "Caution range (band)", "Critical range (band)",
                     "Critical limit line", "Caution limit line", "Caution reading",
                     "Critical reading", "Alert (*** high, ** medium)", "Infusion start and end",
                     "Reading due, missed", "Baseline phase"):
        assert expected in text, expected
