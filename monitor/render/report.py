"""The PDF session report, written with Qt's own PDF support (QPdfWriter), and printing it.

The report is an HTML QTextDocument laid out on A4 pages: everything is real text
(searchable, copyable) except the chart, which is an image. Each page carries a footer with
the patient identifier, the generated-at time and ``Page n of N``; the last section is a
signature line.

Building the document and painting it need no widget, so they may run in a worker thread;
the chart image is rendered on the GUI thread beforehand (chart_render). A missed due time
is printed in the live chart's colour for it (monitor.ui.chart.schedule_overlay.STYLE).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from monitor.app.export_marks import chart_marks, due_label, due_summary
from monitor.domain.alerts import AlertKind
from monitor.domain.due_status import DueStatus
from monitor.domain.events import ClinicalEvent, SedationEntry
from monitor.domain.readings import Reading, ReadingStatus
from monitor.domain.thresholds import LIMIT_NAMES, classify
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.io.export_data import SessionRecord, news2_for
from monitor.ui.chart.schedule_overlay import STYLE as DUE_STYLE

CHART_URL = QUrl("report://chart.png")
#: Layout units are screen pixels at 96 dpi (what QTextDocument sizes fonts in).
LAYOUT_DPI = 96
PDF_DPI = 300
MARGIN_MM = 15.0
FOOTER_MM = 8.0
TABLE_VITALS = (Vital.SBP, Vital.DBP, Vital.MAP, Vital.HR, Vital.RR, Vital.SPO2)
#: Due times listed one by one in the report; the rest are counted.
MAX_DUE_LISTED = 60

_STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9pt; color: #111418; }
h1 { font-size: 15pt; margin: 0 0 4px 0; }
h2 { font-size: 11.5pt; margin: 14px 0 4px 0; border-bottom: 1px solid #888; }
table.grid { border-collapse: collapse; }
table.grid td, table.grid th { border: 1px solid #b0b6be; padding: 2px 4px; }
th { background-color: #e9ecf0; text-align: left; }
.muted { color: #5b6470; }
.corrected { color: #6b7280; }
.error { color: #8a1c1c; }
.banner { background-color: #fff3cd; padding: 4px; }
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _time(moment: datetime | None, with_date: bool = False) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str) -> str:
    """An HTML table; cells are already escaped HTML."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return (f'<table class="grid" width="100%" cellspacing="0" cellpadding="3">'
            f"<tr>{head}</tr>{body}</table>")


def _header(record: SessionRecord) -> str:
    s, p, inf = record.session, record.session.patient, record.session.infusion
    if record.deidentified:
        dob = f"not shown (age band {record.age_band or 'unknown'})"
        name = "not shown"
    else:
        dob = p.date_of_birth.isoformat() if p.date_of_birth else (
            f"unknown (age {p.age_years})" if p.age_years is not None else "unknown")
        name = p.name or "—"
    dose = " ".join(x for x in (f"{inf.dose_mg:g} mg" if inf.dose_mg else "",
                                f"at {inf.rate_mg_per_kg_h:g} mg/kg/h"
                                if inf.rate_mg_per_kg_h else "") if x) or "—"
    baseline = ", ".join(f"{VITAL_SPECS[v].abbreviation} {s.baseline[v]:g}"
                         for v in Vital if v in s.baseline) or "—"
    rows = [
        ("Patient ID", p.identifier), ("Name", name), ("Date of birth", dob),
        ("Weight", f"{s.weight_kg:g} kg" if s.weight_kg else "—"),
        ("Infusion", inf.drug), ("Dose", dose),
        ("Infusion start", _time(inf.started_at, True)),
        ("Infusion end", _time(inf.ended_at, True)),
        ("Indication", inf.indication or "—"),
        ("Session", f"{s.id} · {s.status.value} · started {_time(s.started_at, True)}"
                    + (f" · closed {_time(s.closed_at, True)}" if s.closed_at else "")),
        ("Baseline", baseline),
    ]
    cells = "".join(f"<tr><th width='22%'>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    banner = ('<p class="banner"><b>De-identified export</b>: name, date of birth and '
              "identifier removed; the ID shown is a pseudonym.</p>"
              if record.deidentified else "")
    return (f"<h1>Recovery session report</h1>{banner}"
            f'<table class="grid" width="100%" cellspacing="0" cellpadding="3">{cells}</table>')


def _status_text(r: Reading) -> str:
    if r.status is ReadingStatus.ENTERED_IN_ERROR:
        return (f'<span class="error"><b>ENTERED IN ERROR</b> by {_e(r.status_by)}: '
                f"{_e(r.status_reason)}</span>")
    if r.status is ReadingStatus.CORRECTED:
        return (f'<span class="corrected"><b>CORRECTED</b> by {_e(r.status_by)}: '
                f"{_e(r.status_reason)}</span>")
    if r.supersedes is not None:
        return f"<b>Correction</b>: {_e(r.correction_reason)}"
    return ""


def _reading_rows(record: SessionRecord) -> list[list[str]]:
    profile, baseline = record.profile.profile, record.session.baseline
    rows = []
    for r in record.readings:
        cells = [_e(_time(r.taken_at))]
        for vital in TABLE_VITALS:
            value = r.values.get(vital)
            if value is None:
                cells.append("")
                continue
            text = _number(value)
            if vital is Vital.MAP and r.map_derived:
                text += "<sup>d</sup>"
            elif r.is_current:
                mark = classify(profile, vital, value, baseline).severity
                text += "*" * (int(mark) + 1) if int(mark) else ""
            if r.status is ReadingStatus.ENTERED_IN_ERROR:
                text = f"<s>{text}</s>"
            cells.append(text)
        notes = " ".join(x for x in (_status_text(r), _e(r.note)) if x)
        cells += [_e(r.source.value), _e(r.entered_by), notes]
        if r.status is not ReadingStatus.VALID:
            css = "error" if r.status is ReadingStatus.ENTERED_IN_ERROR else "corrected"
            cells = [f'<span class="{css}">{c}</span>' if c and not c.startswith("<span")
                     else c for c in cells]
        rows.append(cells)
    return rows


def _alert_rows(record: SessionRecord) -> list[list[str]]:
    rows = []
    for stored in record.alerts:
        a = stored.alert
        ack = (f"{_e(a.acknowledged_by)} at {_e(_time(a.acknowledged_at))}"
               if a.acknowledged_at else "not acknowledged")
        state = _time(a.resolved_at) if a.resolved_at else ("latched" if a.latched else "open")
        if stored.withdrawn_at is not None:
            state += f" · withdrawn: {_e(stored.withdrawn_reason)}"
        kind = "" if a.kind is AlertKind.PHYSIOLOGICAL else " (technical)"
        rows.append([_e(_time(a.raised_at)), _e(a.priority.label),
                     _e(a.message) + kind, ack, state])
    return rows


def _course_section(record: SessionRecord) -> str:
    """Phases and the reading schedule's due times with their status: what the chart's
    shading and ticks show, in words (the chart may show only part of the session)."""
    marks = chart_marks(record, None)
    phases = " · ".join(f"{_e(span.label.capitalize())} {_e(_time(span.start))}–"
                        f"{_e(_time(span.end, span.end.date() != span.start.date()))}"
                        for span in marks.phases)
    if not phases:
        phases = "not known: no infusion start was charted"
    elif record.session.closed_at is None:
        phases += " (session still open when exported)"
    schedule = record.reading_schedule
    grace = record.profile.settings.overdue_grace_minutes
    missed = DUE_STYLE[DueStatus.MISSED][0]
    listed, rest = marks.due[:MAX_DUE_LISTED], marks.due[MAX_DUE_LISTED:]
    due = " · ".join(f'<b style="color:{missed}">{_e(due_label(m))}</b>'
                     if m.status is DueStatus.MISSED else _e(due_label(m)) for m in listed)
    if rest:
        # A session left open for days would list thousands; the first ones and a count
        # say what happened.
        due += (f" · and {len(rest)} more up to {_e(_time(rest[-1].at, True))}, "
                f"{sum(1 for m in rest if m.status is DueStatus.MISSED)} of them missed")
    return ("<h2>Phases and reading schedule</h2>"
            f"<p><b>Phases</b>: {phases}</p>"
            f"<p><b>Reading schedule</b>: {_e(schedule.name)}, {_e(schedule.text)}; a due "
            f"reading is missed {grace:g} min after its due time without one.</p>"
            f"<p><b>{_e(due_summary(marks.due))}</b>" + (f": {due}" if due else "") + "</p>")


def _score_section(record: SessionRecord) -> str:
    news = []
    for r in record.current_readings():
        result = news2_for(r)
        news.append([_e(_time(r.taken_at)), _e(result.total), _e(result.band.value),
                     _e(f"partial: no {', '.join(p.label for p in result.missing)}"
                        if result.partial else "complete")])
    discharge = [[_e(_time(a.at)), _e(a.kind), _e("—" if a.total is None else a.total),
                  "<b>meets criteria</b>" if a.meets else "does not meet criteria",
                  _e(", ".join(f"{k}: {v}" for k, v in a.items.items())), _e(a.entered_by)]
                 for a in record.assessments]
    return ("<h2>Scores</h2><p><b>NEWS2</b> (a partial score is a lower bound)</p>"
            + _table(("Time", "NEWS2", "Band", "Parameters"), news, "No readings scored.")
            + "<p><b>Discharge assessment</b> (modified Aldrete / PADSS, pass mark 9 of 10)</p>"
            + _table(("Time", "Score", "Total", "Result", "Items", "By"), discharge,
                     "No discharge assessment was charted."))


def _events_section(record: SessionRecord) -> str:
    rows = []
    inf = record.session.infusion
    for label, at in (("Infusion start", inf.started_at), ("Infusion end", inf.ended_at)):
        if at is not None:
            rows.append((at, [_e(_time(at)), _e(label), "", ""]))
    for entry in record.timeline:
        kind = "Sedation" if isinstance(entry, SedationEntry) else "Event"
        text = entry.text if isinstance(entry, SedationEntry | ClinicalEvent) else ""
        rows.append((entry.at, [_e(_time(entry.at)), _e(kind), _e(text), _e(entry.entered_by)]))
    for r in record.readings:
        if r.note:
            rows.append((r.taken_at, [_e(_time(r.taken_at)), "Reading note", _e(r.note),
                                      _e(r.entered_by)]))
    rows.sort(key=lambda item: item[0])
    return "<h2>Events and notes</h2>" + _table(("Time", "Kind", "What", "By"),
                                                 [cells for _, cells in rows],
                                                 "No events or notes.")


def _threshold_section(record: SessionRecord) -> str:
    version = record.profile
    profile = version.profile
    rows = []
    for vital in Vital:
        limits = profile.limits_for(vital)
        if all(getattr(limits, n) is None for n in LIMIT_NAMES):
            continue
        rows.append([_e(VITAL_SPECS[vital].abbreviation)]
                    + [_e(_number(getattr(limits, n)) or "—") for n in LIMIT_NAMES])
    rules = "; ".join(f"{VITAL_SPECS[r.vital].abbreviation} more than {r.caution_pct:g} % from "
                      f"baseline is caution, more than {r.critical_pct:g} % critical"
                      for r in profile.baseline_rules)
    provenance = f"{version.scope.value} profile"
    if version.changed_by:
        provenance += (f", saved by {version.changed_by} {_time(version.changed_at, True)}"
                       f": {version.reason}")
    changes = len(record.profile_versions)
    return (f"<h2>Thresholds used: {_e(profile.name)}</h2>"
            f'<p class="muted">{_e(provenance)}'
            + (f" · {changes} threshold version(s) on record for this session" if changes
               else "") + "</p>"
            + _table(("Vital", "Critical low", "Caution low", "Caution high", "Critical high"),
                     rows, "No limits.")
            + (f"<p>{_e(rules)}.</p>" if rules else ""))


def report_html(record: SessionRecord, has_chart: bool = True) -> str:
    """The whole report as HTML for a QTextDocument (the chart as ``report://chart.png``)."""
    chart = (f'<h2>Chart</h2><p><img src="{CHART_URL.toString()}" width="680"></p>'
             if has_chart else "")
    readings = _table(("Time", "SBP", "DBP", "MAP", "HR", "RR", "SpO2", "Source", "By",
                       "Status / note"), _reading_rows(record), "No readings.")
    alerts = _table(("Raised", "Priority", "Alert", "Acknowledged", "Resolved"),
                    _alert_rows(record), "No alerts were raised.")
    signature = ("<table width='100%' cellpadding='8'><tr>"
                 "<td><b>Reviewed by:</b> ____________________</td>"
                 "<td><b>Signature:</b> ____________________</td>"
                 "<td><b>Date/time:</b> ______________</td></tr></table>")
    return (f"<html><head><style>{_STYLE}</style></head><body>{_header(record)}{chart}"
            f"{_course_section(record)}"
            "<h2>Readings</h2><p class='muted'>* caution, ** critical against the thresholds "
            "below; <sup>d</sup> MAP derived from SBP/DBP; corrected and entered-in-error "
            f"readings stay in the record as such.</p>{readings}"
            f"<h2>Alerts</h2>{alerts}{_score_section(record)}{_events_section(record)}"
            f"{_threshold_section(record)}"
            f"<p class='muted'>Generated {_e(_time(record.generated_at.astimezone(), True))} "
            f"by Infusion Recovery Monitor.</p>{signature}</body></html>")


def build_document(record: SessionRecord, chart: QImage | None) -> QTextDocument:
    """The report as a QTextDocument, the chart image attached as a resource."""
    document = QTextDocument()
    document.setDefaultFont(QFont("DejaVu Sans", 9))
    if chart is not None and not chart.isNull():
        document.addResource(QTextDocument.ResourceType.ImageResource, CHART_URL, chart)
    document.setHtml(report_html(record, chart is not None and not chart.isNull()))
    return document


def footer_text(record: SessionRecord, page: int, pages: int) -> str:
    """The footer of page ``page`` (1-based)."""
    generated = record.generated_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return (f"{record.session.patient.identifier} · session {record.session.id} · generated "
            f"{generated} · Page {page} of {pages}")


def paint_report(document: QTextDocument, device: QPagedPaintDevice,
                 record: SessionRecord) -> int:
    """Lay ``document`` out on ``device``'s pages with a footer on each; returns pages."""
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("the report could not be opened for writing")
    try:
        rect = device.pageLayout().paintRectPixels(device.logicalDpiX())
        scale = device.logicalDpiX() / LAYOUT_DPI
        footer_px = FOOTER_MM / 25.4 * device.logicalDpiY()
        body = QSizeF(rect.width() / scale, (rect.height() - footer_px) / scale)
        document.setPageSize(body)
        pages = document.pageCount()
        footer_font = QFont("DejaVu Sans", 7)
        for page in range(pages):
            if page:
                device.newPage()
            painter.save()
            painter.scale(scale, scale)
            painter.translate(0, -page * body.height())
            document.drawContents(painter, QRectF(0, page * body.height(), body.width(),
                                                  body.height()))
            painter.restore()
            painter.setFont(footer_font)
            painter.setPen(QColor("#5b6470"))
            painter.drawText(QRectF(0, rect.height() - footer_px, rect.width(), footer_px),
                             footer_text(record, page + 1, pages))
        return pages
    finally:
        painter.end()


def a4_layout() -> QPageLayout:
    """A4 portrait with the report's margins."""
    return QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                       QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                       QPageLayout.Unit.Millimeter)


def write_pdf(record: SessionRecord, chart: QImage | None, path: str) -> int:
    """Write the report to ``path`` as PDF; returns the number of pages. Raises OSError when
    the file cannot be written."""
    writer = QPdfWriter(path)
    writer.setResolution(PDF_DPI)
    writer.setPageLayout(a4_layout())
    writer.setTitle(f"Recovery session report {record.session.patient.identifier}")
    writer.setCreator("Infusion Recovery Monitor")
    return paint_report(build_document(record, chart), writer, record)
