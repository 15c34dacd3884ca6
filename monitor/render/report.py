"""The PDF session report, written with Qt's own PDF support (QPdfWriter), and printing it.

The report is an HTML QTextDocument laid out on A4 pages: everything is real text
(searchable, copyable) except the chart, which is an image. Each page carries a footer with
the patient identifier, the generated-at time and ``Page n of N``; the last section is a
signature line.

It is written for a clinician reading it on paper: the chart has a key in body-size text
below it (the key drawn inside the chart image is scaled down with it), the discharge
assessment is written out item by item in words, every time carries its date when the
session spans more than one day, no table is wider than the page, and no heading is left at
the foot of a page with its section on the next (:func:`lay_out`).

Building the document and painting it need no widget, so they may run in a worker thread;
the chart image is rendered on the GUI thread beforehand (chart_render). The colours of the
chart's key and of a missed due time are the exported chart's own, taken from chart_render.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

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
    QTextBlock,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextOption,
)

from monitor.app.export_marks import ChartMarks, chart_marks, due_summary
from monitor.domain.alerts import AlertKind
from monitor.domain.charted_scores import OBSERVED_ITEMS, DischargeKind
from monitor.domain.due_status import DueMark, DueStatus
from monitor.domain.events import ClinicalEvent, SedationEntry
from monitor.domain.phases import PHASE_LABELS
from monitor.domain.readings import Reading, ReadingStatus
from monitor.domain.records import StoredAssessment
from monitor.domain.scores import DISCHARGE_PASS_MARK, ScoreItem
from monitor.domain.thresholds import LIMIT_NAMES, Severity, classify
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.io.export_data import DISCHARGE_DETAILS, SessionRecord, news2_for

# The exported chart's own colours, as chart_render draws them (its package docstring says
# why they come from the live chart): the key below the image must match the image.
from monitor.render.chart_render import (
    DUE_STYLE,
    LIGHT,
    MARKER_COLOURS,
    PANELS,
    PHASE_COLOURS,
    ThemeName,
)

CHART_URL = QUrl("report://chart.png")
#: Layout units are screen pixels at 96 dpi (what QTextDocument sizes fonts in).
LAYOUT_DPI = 96
PDF_DPI = 300
MARGIN_MM = 15.0
FOOTER_MM = 8.0
#: Space QTextDocument keeps around its root frame on every page, in layout pixels.
DOCUMENT_MARGIN = 4.0
#: The chart image's width in layout pixels: within an A4 page's text (210 mm less the
#: margins is 680 px at 96 dpi, less the document margin each side), so its right edge is
#: never cut off as it was at 680.
TEXT_WIDTH = 670
BODY_PT = 9
#: Share of the page width (percent) a time column needs: "09:15", "2024-05-01 09:15".
TIME_WIDTH, DATED_TIME_WIDTH = 8, 18
TABLE_VITALS = (Vital.SBP, Vital.DBP, Vital.MAP, Vital.HR, Vital.RR, Vital.SPO2)
#: Due times listed one by one in the report; the rest are counted.
MAX_DUE_LISTED = 60
#: Points of one discharge item at best.
ITEM_MAX = 2

_STYLE = f"""
body {{ font-family: 'DejaVu Sans', Arial, sans-serif; font-size: {BODY_PT}pt;
        color: #111418; }}
h1 {{ font-size: 15pt; margin: 0 0 4px 0; }}
h2 {{ font-size: 11.5pt; margin: 16px 0 4px 0; border-bottom: 1px solid #888; }}
h3 {{ font-size: 10pt; margin: 10px 0 3px 0; }}
table.grid {{ border-collapse: collapse; margin-bottom: 6px; }}
table.grid td, table.grid th {{ border: 1px solid #b0b6be; padding: 2px 4px; }}
th {{ background-color: #e9ecf0; text-align: left; }}
.muted {{ color: #5b6470; }}
.corrected {{ color: #6b7280; }}
.error {{ color: #8a1c1c; }}
.banner {{ background-color: #fff3cd; padding: 4px; }}
"""


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _time(moment: datetime | None, with_date: bool = False) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], empty: str,
           widths: Sequence[int] = ()) -> str:
    """An HTML table; cells are already escaped HTML. ``widths`` are the columns' shares of
    the page width in percent: sized by their content, Qt's columns gave a long message room
    and broke a dated time or "manual" over two lines beside it."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="muted">{_e(empty)}</p>'
    headers = list(headers)
    sizes = list(widths) or [0] * len(headers)
    head = "".join(f'<th width="{w}%">{_e(h)}</th>' if w else f"<th>{_e(h)}</th>"
                   for h, w in zip(headers, sizes, strict=True))
    # The header row repeats on every page the table runs onto.
    return (f'<table class="grid" width="100%" cellspacing="0" cellpadding="3">'
            f"<thead><tr>{head}</tr></thead>{body}</table>")


# -- which times need a date -------------------------------------------------------------------


def _printed_moments(record: SessionRecord, marks: ChartMarks) -> Iterator[datetime]:
    """Every moment the report prints as a time of day (the generated-at line always has
    its date)."""
    s = record.session
    yield from (t for t in (s.started_at, s.closed_at, s.infusion.started_at,
                            s.infusion.ended_at) if t is not None)
    yield from (r.taken_at for r in record.readings)
    for stored in record.alerts:
        a = stored.alert
        yield from (t for t in (a.raised_at, a.acknowledged_at, a.resolved_at)
                    if t is not None)
    yield from (e.at for e in record.timeline)
    yield from (a.at for a in record.assessments)
    for span in marks.phases:
        yield from (span.start, span.end)
    yield from (m.at for m in marks.due[:MAX_DUE_LISTED])


def spans_days(record: SessionRecord, marks: ChartMarks | None = None) -> bool:
    """Whether the report's times fall on more than one calendar day (as printed, each in
    its own offset): then every time in it carries its date, so 00:15 cannot be read as the
    morning the session began."""
    marks = marks if marks is not None else chart_marks(record, None)
    days = {moment.date() for moment in _printed_moments(record, marks)}
    return len(days) > 1


# -- header ------------------------------------------------------------------------------------


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


# -- chart and its key -------------------------------------------------------------------------


def _on_paper(rgb: tuple[int, int, int], share: float) -> str:
    """A translucent chart colour (``share`` of it over white) as it looks on paper, as an
    opaque #rrggbb: a table cell cannot be translucent."""
    share = min(1.0, share)
    return "#" + "".join(f"{round(255 + (part - 255) * share):02x}" for part in rgb)


def _band_colour(rgba: tuple[int, int, int, int]) -> str:
    # chart_render's own key shows the bands three times stronger than they are drawn,
    # which is how they read over the white plot.
    r, g, b, a = rgba
    return _on_paper((r, g, b), a * 3 / 255)


def _vital_name(vital: Vital) -> str:
    spec = VITAL_SPECS[vital]
    name = spec.label if spec.label == spec.abbreviation else (
        f"{spec.label} ({spec.abbreviation})")
    return f"{name}, {spec.unit}"


def _mark(colour: str, mark: str) -> str:
    return f'<span style="color:{colour}; font-weight:bold">{mark}</span>'


#: Entries side by side in the chart's key: three keep it beside the chart on the page.
KEY_COLUMNS = 3
#: A dashed line as text: box-drawing dashes, which do not wrap the way "- - -" does.
DASHED = "&#9549;&#9549;"


def _chart_key() -> str:
    """What every line, shade and mark on the chart means, in body-size text, each with a
    swatch in the chart's own colour."""
    swatch_width, text_width = 4, 100 // KEY_COLUMNS - 4

    def glyph(colour: str, text: str, mark: str) -> tuple[str, str]:
        return (f'<td width="{swatch_width}%" align="center">{_mark(colour, mark)}</td>',
                f'<td width="{text_width}%">{_e(text)}</td>')

    def shade(colour: str, text: str) -> tuple[str, str]:
        return (f'<td width="{swatch_width}%" bgcolor="{colour}">&nbsp;</td>',
                f'<td width="{text_width}%">{_e(text)}</td>')

    vitals = [vital for panel in PANELS for vital in panel.vitals]
    entries = [glyph(LIGHT.series[v], _vital_name(v),
                     DASHED if v is Vital.MAP else "&#9473;&#9473;") for v in vitals]
    events = MARKER_COLOURS[ThemeName.LIGHT]
    entries += [
        shade(_band_colour(LIGHT.caution_band), "Caution range (band)"),
        shade(_band_colour(LIGHT.critical_band), "Critical range (band)"),
        glyph(LIGHT.series[Vital.DBP], "Critical limit line (BP)", DASHED),
        glyph(LIGHT.series[Vital.DBP], "Caution limit line (BP)",
              "&middot;&middot;&middot;&middot;"),
        glyph(LIGHT.severity[Severity.CAUTION], "Caution reading", "&#9650;"),
        glyph(LIGHT.severity[Severity.CRITICAL], "Critical reading", "&#10006;"),
        glyph(LIGHT.severity[Severity.CRITICAL], "Alert (*** high, ** medium)", "&#9873;"),
        glyph(LIGHT.muted, "Infusion start and end", "&#9478;"),
        glyph(LIGHT.text, "Discharge", "&#9474;"),
        glyph(events["sedation"], "Sedation score", "&#8942;"),
        glyph(events["event"], "Clinical event", "&#8942;"),
    ]
    # The phase tints are too faint to tell apart in a small swatch: darker, as
    # chart_render's own key draws them.
    entries += [shade(_on_paper(PHASE_COLOURS[phase][:3], 0.45),
                      f"{label.capitalize()} phase")
                for phase, label in PHASE_LABELS.items()]
    entries += [glyph(DUE_STYLE[status][0], f"Reading due, {status.value}", "&#9475;")
                for status in (DueStatus.MET, DueStatus.MISSED, DueStatus.UPCOMING)]
    entries += [("<td></td>", "<td></td>")] * (-len(entries) % KEY_COLUMNS)
    rows = "".join("<tr>" + "".join("".join(entry) for entry in entries[i:i + KEY_COLUMNS])
                   + "</tr>" for i in range(0, len(entries), KEY_COLUMNS))
    return ("<p><b>Key to the chart</b></p>"
            f'<table class="key" width="100%" cellspacing="0" cellpadding="2">{rows}</table>')


def _chart_section(record: SessionRecord) -> str:
    return (f'<h2>Chart</h2><p><img src="{CHART_URL.toString()}" width="{TEXT_WIDTH}"></p>'
            f"{_chart_key()}<p>Bands and limit lines are those of "
            f"{_e(record.profile.profile.name)}, listed at the end.</p>")


# -- readings and alerts -----------------------------------------------------------------------


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


def _reading_rows(record: SessionRecord, with_date: bool) -> list[list[str]]:
    profile, baseline = record.profile.profile, record.session.baseline
    rows = []
    for r in record.readings:
        cells = [_e(_time(r.taken_at, with_date))]
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


def _readings_section(record: SessionRecord, with_date: bool) -> str:
    time_width = DATED_TIME_WIDTH if with_date else TIME_WIDTH
    # Wide enough for "184***", "130.7d", "SpO2" and "manual" on one line; the note takes
    # the rest and wraps.
    widths = (time_width, 8, 7, 9, 7, 5, 7, 9, 5, 43 - time_width)
    table = _table(("Time", "SBP", "DBP", "MAP", "HR", "RR", "SpO2", "Source", "By",
                    "Status / note"), _reading_rows(record, with_date), "No readings.",
                   widths)
    return ("<h2>Readings</h2><p class='muted'>* caution, ** critical against the thresholds "
            "below; <sup>d</sup> MAP derived from SBP/DBP; corrected and entered-in-error "
            f"readings stay in the record as such.</p>{table}")


def _alert_rows(record: SessionRecord, with_date: bool) -> list[list[str]]:
    rows = []
    for stored in record.alerts:
        a = stored.alert
        ack = (f"{_e(a.acknowledged_by)} at {_e(_time(a.acknowledged_at, with_date))}"
               if a.acknowledged_at else "not acknowledged")
        state = (_e(_time(a.resolved_at, with_date)) if a.resolved_at
                 else ("latched" if a.latched else "open"))
        if stored.withdrawn_at is not None:
            state += f" · withdrawn: {_e(stored.withdrawn_reason)}"
        kind = "" if a.kind is AlertKind.PHYSIOLOGICAL else " (technical)"
        rows.append([_e(_time(a.raised_at, with_date)), _e(a.priority.label),
                     _e(a.message) + kind, ack, state])
    return rows


def _alerts_section(record: SessionRecord, with_date: bool) -> str:
    widths = ((DATED_TIME_WIDTH, 13, 27, 24, 18) if with_date
              else (TIME_WIDTH + 2, 13, 39, 22, 16))
    return "<h2>Alerts</h2>" + _table(("Raised", "Priority", "Alert", "Acknowledged",
                                       "Resolved"), _alert_rows(record, with_date),
                                      "No alerts were raised.", widths)


# -- phases and schedule -----------------------------------------------------------------------


def _due_text(mark: DueMark, with_date: bool) -> str:
    """``due 10:45 missed`` as on the chart, dated when the session spans days."""
    return f"due {_time(mark.at, with_date)} {mark.status.value}"


def _course_section(record: SessionRecord, marks: ChartMarks, with_date: bool) -> str:
    """Phases and the reading schedule's due times with their status: what the chart's
    shading and ticks show, in words (the chart may show only part of the session)."""
    phases = " · ".join(
        f"{_e(span.label.capitalize())} {_e(_time(span.start, with_date))}–"
        f"{_e(_time(span.end, with_date or span.end.date() != span.start.date()))}"
        for span in marks.phases)
    if not phases:
        phases = "not known: no infusion start was charted"
    elif record.session.closed_at is None:
        phases += " (session still open when exported)"
    schedule = record.reading_schedule
    grace = record.profile.settings.overdue_grace_minutes
    missed = DUE_STYLE[DueStatus.MISSED][0]
    listed, rest = marks.due[:MAX_DUE_LISTED], marks.due[MAX_DUE_LISTED:]
    due = " · ".join(f'<b style="color:{missed}">{_e(_due_text(m, with_date))}</b>'
                     if m.status is DueStatus.MISSED else _e(_due_text(m, with_date))
                     for m in listed)
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


# -- scores and the discharge assessment -------------------------------------------------------


def _news2_section(record: SessionRecord, with_date: bool) -> str:
    time_width = DATED_TIME_WIDTH if with_date else TIME_WIDTH
    news = []
    for r in record.current_readings():
        result = news2_for(r)
        news.append([_e(_time(r.taken_at, with_date)), _e(result.total),
                     _e(result.band.value),
                     _e(f"partial: no {', '.join(p.label for p in result.missing)}"
                        if result.partial else "complete")])
    return ("<h2>NEWS2</h2><p class='muted'>A partial score is a lower bound: a parameter "
            "not observed can only add points.</p>"
            + _table(("Time", "NEWS2", "Band", "Parameters"), news, "No readings scored.",
                     (time_width, 10, 10, 80 - time_width)))


#: Each score's items in the order the scoring tables give them, as stored (scores keys).
ITEM_ORDER: Mapping[str, tuple[str, ...]] = {
    DischargeKind.ALDRETE: ("activity", "respiration", "circulation", "consciousness", "spo2"),
    DischargeKind.PADSS: ("vital signs", "activity", "pain, nausea and vomiting", "bleeding",
                          "intake and output"),
}
#: The items worked out from the charted vitals rather than answered by the nurse.
COMPUTED_LABELS = {"circulation": "Circulation (blood pressure)",
                   "spo2": "Oxygen saturation (SpO2)",
                   "vital signs": "Vital signs (blood pressure and pulse)"}
#: Keys of a stored assessment's items that are not items (DischargeAssessment.to_items).
_ITEM_SECTIONS = ("scores", "observed", "basis", "unmet", "escort_present", "on_oxygen")


def _words(value: object) -> str:
    """A stored answer as a clinician reads it: never a Python repr, never ``None``."""
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(str(k))}: {_words(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple | set):
        return "; ".join(_words(v) for v in value) or "none"
    text = str(value)
    # An enum member's name (STEADY_GAIT_AND_ORIENTED) reads as its words.
    return text.replace("_", " ").lower() if re.fullmatch(r"[A-Z0-9_]+", text) else text


def _label(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _observed_field(kind: str, key: str) -> tuple[str, type[ScoreItem]] | None:
    """The observation field and its choices for a stored score key (``pain, nausea and
    vomiting`` is the field ``pain_nausea_vomiting``), None for a computed item."""
    try:
        fields = OBSERVED_ITEMS[DischargeKind(kind)]
    except ValueError:
        return None
    for name, (label, choices) in fields.items():
        if key in (name, label.lower()):
            return name, choices
    return None


def _answer(kind: str, key: str, points: int | None, items: Mapping[str, Any]) -> str:
    """What was answered or charted for one item, in words."""
    field = _observed_field(kind, key)
    if field is not None:
        name, choices = field
        chosen = (items.get("observed") or {}).get(name)
        if isinstance(chosen, str) and chosen in choices.__members__:
            return choices[chosen].label.capitalize()
        if chosen is not None:
            return _words(chosen).capitalize()
        if points is not None:
            # An older record keeps only the points: each scores one choice.
            try:
                return choices(points).label.capitalize()
            except ValueError:
                pass
        return "not assessed"
    basis = (items.get("basis") or {}).get(key)
    if basis:
        # The points have their own column; the basis ends with them (→ 2).
        return "From the chart: " + re.sub(r"\s*→\s*\d+$", "", str(basis))
    return "Worked out from the charted vitals" if points is not None else "not scored"


def _item_points(items: Mapping[str, Any]) -> dict[str, int | None]:
    """Every item's points from either stored form: ``{"scores": {...}, ...}`` (the discharge
    dialog) or a flat ``{"activity": 2, ...}`` (older records)."""
    scores = items.get("scores")
    if isinstance(scores, Mapping):
        return {str(k): v for k, v in scores.items()}
    return {str(k): v for k, v in items.items()
            if v is None or (isinstance(v, int) and not isinstance(v, bool))}


def _assessment(a: StoredAssessment, with_date: bool) -> str:
    """One discharge assessment: who and when, each item's answer and points, the total
    against the pass mark, the result and what else was answered."""
    items: Mapping[str, Any] = a.items if isinstance(a.items, Mapping) else {}
    try:
        title = DischargeKind(a.kind).label
    except ValueError:
        title = _label(a.kind)
    points = _item_points(items)
    order = ITEM_ORDER.get(a.kind, ())
    keys = [k for k in order if k in points] + [k for k in points if k not in order]
    rows = []
    for key in keys:
        value = points[key]
        field = _observed_field(a.kind, key)
        label = (OBSERVED_ITEMS[DischargeKind(a.kind)][field[0]][0] if field
                 else COMPUTED_LABELS.get(key, _label(key)))
        rows.append([_e(label), _e(_answer(a.kind, key, value, items)),
                     _e(f"{value} of {ITEM_MAX}" if value is not None else "not assessed")])
    total = "not totalled" if a.total is None else f"{a.total} of {ITEM_MAX * len(keys)}"
    rows.append(["<b>Total</b>", _e(f"pass mark {DISCHARGE_PASS_MARK}"), f"<b>{_e(total)}</b>"])
    # What else was answered with the score: the escort counts for PADSS, the oxygen for
    # Aldrete's SpO2 item.
    if a.kind == DischargeKind.PADSS or items.get("escort_present") is not None:
        rows.append(["Escort present", _e(_words(items.get("escort_present")).capitalize()),
                     ""])
    if a.kind == DischargeKind.ALDRETE or items.get("on_oxygen") is not None:
        oxygen = items.get("on_oxygen")
        rows.append(["Breathing", "Not recorded" if oxygen is None
                     else "On oxygen" if oxygen else "On air", ""])
    for key in items:
        if key not in _ITEM_SECTIONS and key not in points:
            rows.append([_e(_label(str(key))), _e(_words(items[key])), ""])
    unmet = [str(u) for u in items.get("unmet") or ()]
    if not a.meets and not unmet and a.total is not None and a.total < DISCHARGE_PASS_MARK:
        unmet = [f"score {a.total} is below {DISCHARGE_PASS_MARK}"]
    result = ("<b>Meets the discharge criteria</b>" if a.meets else
              "<b>Does not meet the discharge criteria</b>"
              + (f": {_e('; '.join(unmet))}" if unmet else ""))
    rows.append(["<b>Result</b>", result, ""])
    return (f"<h3>{_e(title)}, assessed {_e(_time(a.at, with_date))} by "
            f"{_e(a.entered_by)}</h3>"
            + _table(("Item", "Answer", "Points"), rows, "", (30, 56, 14)))


def _close_details(record: SessionRecord, with_date: bool) -> str:
    """The discharge as confirmed when the session was closed: time, escort, instructions,
    who, and the note."""
    details = record.extra.get(DISCHARGE_DETAILS) if record.extra else None
    s = record.session
    if not isinstance(details, Mapping):
        if s.closed_at is None:
            return "<p>Not discharged: the session was still open when exported.</p>"
        return (f"<p>Session closed {_e(_time(s.closed_at, True))}; the escort and discharge "
                "instructions answered at close are in the session's audit trail.</p>")
    at = details.get("discharged_at")
    try:
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    except ValueError:
        moment = None
    when = _time(moment, with_date) if isinstance(moment, datetime) else "time not recorded"
    parts = [f"Discharged {when} by {details.get('by') or 'not recorded'}",
             f"escort present: {_words(details.get('escort_present'))}",
             f"discharge instructions given: {_words(details.get('instructions_given'))}"]
    note = str(details.get("note") or "").strip()
    if note:
        # Free text the de-identification cannot scrub any more (the name is gone).
        parts.append("note not shown in a de-identified export" if record.deidentified
                     else f"note: {note}")
    return "<p>" + _e("; ".join(parts)) + ".</p>"


def _discharge_section(record: SessionRecord, with_date: bool) -> str:
    assessments = "".join(_assessment(a, with_date) for a in record.assessments) or (
        '<p class="muted">No discharge assessment was charted.</p>')
    return ("<h2>Discharge assessment</h2><p class='muted'>Modified Aldrete or PADSS: each "
            f"item 0-{ITEM_MAX}, discharge at {DISCHARGE_PASS_MARK} of 10 or more; PADSS "
            "also needs an escort.</p>"
            f"{assessments}<h3>At discharge</h3>{_close_details(record, with_date)}")


# -- events and thresholds ---------------------------------------------------------------------


def _events_section(record: SessionRecord, with_date: bool) -> str:
    rows = []
    inf = record.session.infusion
    for label, at in (("Infusion start", inf.started_at), ("Infusion end", inf.ended_at)):
        if at is not None:
            rows.append((at, [_e(_time(at, with_date)), _e(label), "", ""]))
    for entry in record.timeline:
        kind = "Sedation" if isinstance(entry, SedationEntry) else "Event"
        text = entry.text if isinstance(entry, SedationEntry | ClinicalEvent) else ""
        rows.append((entry.at, [_e(_time(entry.at, with_date)), _e(kind), _e(text),
                                _e(entry.entered_by)]))
    for r in record.readings:
        if r.note:
            rows.append((r.taken_at, [_e(_time(r.taken_at, with_date)), "Reading note",
                                      _e(r.note), _e(r.entered_by)]))
    rows.sort(key=lambda item: item[0])
    time_width = DATED_TIME_WIDTH if with_date else TIME_WIDTH
    widths = (time_width, 14, 79 - time_width, 7)
    return "<h2>Events and notes</h2>" + _table(("Time", "Kind", "What", "By"),
                                                 [cells for _, cells in rows],
                                                 "No events or notes.", widths)


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
                     rows, "No limits.", (20, 20, 20, 20, 20))
            + (f"<p>{_e(rules)}.</p>" if rules else ""))


def report_html(record: SessionRecord, has_chart: bool = True) -> str:
    """The whole report as HTML for a QTextDocument (the chart as ``report://chart.png``)."""
    marks = chart_marks(record, None)
    with_date = spans_days(record, marks)  # once, so every table reads the same way
    chart = _chart_section(record) if has_chart else ""
    signature = ("<table width='100%' cellpadding='8'><tr>"
                 "<td width='34%'><b>Reviewed by:</b> ________________</td>"
                 "<td width='33%'><b>Signature:</b> ________________</td>"
                 "<td width='33%'><b>Date/time:</b> ______________</td></tr></table>")
    return (f"<html><head><style>{_STYLE}</style></head><body>{_header(record)}{chart}"
            f"{_course_section(record, marks, with_date)}"
            f"{_readings_section(record, with_date)}{_alerts_section(record, with_date)}"
            f"{_news2_section(record, with_date)}{_discharge_section(record, with_date)}"
            f"{_events_section(record, with_date)}{_threshold_section(record)}"
            f"<p class='muted'>Generated {_e(_time(record.generated_at.astimezone(), True))} "
            f"by Infusion Recovery Monitor.</p>{signature}</body></html>")


def build_document(record: SessionRecord, chart: QImage | None) -> QTextDocument:
    """The report as a QTextDocument, the chart image attached as a resource."""
    document = QTextDocument()
    document.setDefaultFont(QFont("DejaVu Sans", BODY_PT))
    document.setDocumentMargin(DOCUMENT_MARGIN)
    option = QTextOption()
    # A long word (a pasted reference, a file name) breaks inside itself rather than
    # widening its column past the page's edge.
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    document.setDefaultTextOption(option)
    if chart is not None and not chart.isNull():
        document.addResource(QTextDocument.ResourceType.ImageResource, CHART_URL, chart)
    document.setHtml(report_html(record, chart is not None and not chart.isNull()))
    return document


# -- pages -------------------------------------------------------------------------------------


def _is_heading(block: QTextBlock) -> bool:
    return block.blockFormat().headingLevel() > 0


def _table_row(block: QTextBlock) -> int | None:
    """The row of the table cell ``block`` is in, None outside a table."""
    table = QTextCursor(block).currentTable()
    if table is None:
        return None
    return table.cellAt(block.position()).row()


def _kept_with(heading: QTextBlock) -> QTextBlock:
    """The last block that must share a page with ``heading``: through any headings and
    lead-in paragraphs after it, to the first line of its content, and for a table to its
    first row below the header row (a header row alone at a page's foot is no better)."""
    block = heading.next()
    while block.isValid():
        if not _is_heading(block) and block.text():
            row = _table_row(block)
            if row is not None:
                if row >= 1:
                    return block
            else:
                following = block.next()
                if not following.isValid() or _table_row(following) is None:
                    return block
        block = block.next()
    return heading


def _page_of(document: QTextDocument, block: QTextBlock) -> int:
    top = document.documentLayout().blockBoundingRect(block).top()
    return int(top // document.pageSize().height())


def lay_out(document: QTextDocument, body: QSizeF) -> int:
    """Lay ``document`` out on pages of ``body`` (layout pixels), moving a heading to the
    next page where it would otherwise end a page with its section starting on the next;
    returns the number of pages.

    Qt's CSS has no ``page-break-after: avoid``, so each heading found on a page before the
    start of its content gets a page break before it, in document order: a break moves
    everything after it, so the headings below are checked with the new layout."""
    document.setPageSize(body)
    block = document.begin()
    while block.isValid():
        # A document laid out before (printed, then saved as PDF) starts afresh.
        if _is_heading(block) and block.blockFormat().pageBreakPolicy() != \
                QTextFormat.PageBreakFlag.PageBreak_Auto:
            _set_break(block, QTextFormat.PageBreakFlag.PageBreak_Auto)
        block = block.next()
    block = document.begin()
    while block.isValid():
        if _is_heading(block):
            page = _page_of(document, block)
            if page < _page_of(document, _kept_with(block)):
                _set_break(block, QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
        block = block.next()
    return document.pageCount()


def _set_break(block: QTextBlock, policy: QTextFormat.PageBreakFlag) -> None:
    change = QTextBlockFormat()
    change.setPageBreakPolicy(policy)
    QTextCursor(block).mergeBlockFormat(change)
    # Qt relays out only around the changed block: the blocks after it kept stale
    # positions, and were then painted off their page (the headings of the last page went
    # missing). Laying out again from the break on puts everything where it sends it.
    document = block.document()
    document.markContentsDirty(block.position(), document.characterCount() - block.position())


def body_size(layout: QPageLayout, dpi: int) -> QSizeF:
    """The part of a page of ``layout`` the report's text fills (above the footer), in
    layout pixels."""
    rect = layout.paintRectPixels(dpi)
    scale = dpi / LAYOUT_DPI
    footer_px = FOOTER_MM / 25.4 * dpi
    return QSizeF(rect.width() / scale, (rect.height() - footer_px) / scale)


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
        dpi = device.logicalDpiX()
        rect = device.pageLayout().paintRectPixels(dpi)
        scale = dpi / LAYOUT_DPI
        footer_px = FOOTER_MM / 25.4 * device.logicalDpiY()
        body = body_size(device.pageLayout(), dpi)
        pages = lay_out(document, body)
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
