"""The PDF session report: real text, every section, page numbers; printing; de-identified."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from PySide6.QtPrintSupport import QPrinter

from monitor.io.deidentify import deidentify, pseudonym
from monitor.render.chart_render import render_image
from monitor.render.report import build_document, paint_report, write_pdf
from monitor.store import Store
from tests.export_fixtures import DOB, NAME, PATIENT_ID, build_session, record_of


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
                     "NEWS2", "aldrete", "meets criteria",  # scores, discharge
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
