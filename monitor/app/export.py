"""Exporting a session, for the export dialog and ``python main.py export``.

An export runs in three steps: read the session (:func:`load_record`), draw what the format
needs (:func:`prepare_pictures`; widgets belong to the GUI thread), then write the file
through a temporary file renamed when complete, or paint the report on a printer
(:func:`write_export`, any thread). The dialog runs them on a worker and the GUI thread;
:func:`export_session` runs them one after the other for the command line.

Only png, svg, pdf and printing load Qt, and only through monitor.render, imported inside
the functions that draw: importing this module, or exporting csv, json or fhir, imports no
Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.alert_timeline import effective_version
from ..domain.profiles import ProfileVersion
from ..io.deidentify import deidentify as deidentified
from ..io.export_data import (
    DATA_WRITERS,
    DISCHARGE_DETAILS,
    FhirOptions,
    SessionRecord,
    atomic_output,
    write_fhir,
)
from ..render import CHART_SIZE, REPORT_CHART_SIZE, check_size
from ..store import Store
from .alerting import SessionAlerts
from .export_marks import TimeRange

if TYPE_CHECKING:
    from PySide6.QtGui import QImage
    from PySide6.QtPrintSupport import QPrinter

#: The report painted on a printer (the dialog's File > Print report…), not a file format.
PRINT = "print"
#: What is drawn with Qt: a chart, or the report with its chart.
DRAWN = ("png", "svg", "pdf", PRINT)


class ExportCancelled(Exception):
    """The user cancelled; nothing was written."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export and where: ``fmt`` is one of export_data.FORMATS or PRINT; ``size`` the
    png / svg size in pixels (None: CHART_SIZE). Raises ValueError for a size that cannot be
    drawn."""

    fmt: str
    path: Path | None
    size: tuple[int, int] | None = None
    start: datetime | None = None
    end: datetime | None = None
    printer: QPrinter | None = None
    fhir: FhirOptions = field(default_factory=FhirOptions)

    def __post_init__(self) -> None:
        if self.size is not None:
            check_size(self.size)

    @property
    def time_range(self) -> TimeRange | None:
        if self.start is None or self.end is None:
            return None
        return TimeRange(self.start, self.end)

    @property
    def pixels(self) -> tuple[int, int]:
        """The chart's size as (width, height)."""
        return self.size or CHART_SIZE


@dataclass(frozen=True)
class Pictures:
    """What the GUI thread drew for the writer."""

    image: QImage | None = None
    svg: bytes | None = None


def load_record(store: Store, session_id: int, shipped: ProfileVersion,
                now: datetime | None = None) -> SessionRecord:
    """Read session ``session_id`` with everything an export needs, its alerts brought up
    to date first (a session stored by an older version gets them recorded). Raises
    NotFound."""
    session = store.get_session(session_id)
    versions = store.profile_versions(session_id)
    alerts = SessionAlerts(store, shipped).history(session_id)
    return SessionRecord(
        session=session,
        readings=store.readings(session_id),
        alerts=alerts,
        timeline=store.timeline(session_id),
        assessments=store.assessments(session_id),
        profile=effective_version(versions, shipped),
        profile_versions=versions,
        generated_at=now or datetime.now(UTC),
        schedule=store.schedule(session_id),
        extra=_discharge_details(store, session_id),
    )


def _discharge_details(store: Store, session_id: int) -> dict[str, object]:
    """The escort, instructions and note answered at the (last) close, as the audit trail
    keeps them: the report shows them under *At discharge*."""
    closes = [e for e in store.audit_trail(session_id) if e.action == "session closed"]
    return {DISCHARGE_DETAILS: dict(closes[-1].detail)} if closes else {}


def prepare_pictures(record: SessionRecord, request: ExportRequest) -> Pictures:
    """Draw what ``request`` needs (GUI thread, a QApplication running). Data formats need
    nothing, and import no Qt."""
    if request.fmt not in DRAWN:
        return Pictures()
    from ..render.chart_render import render_image, render_svg

    if request.fmt == "png":
        return Pictures(image=render_image(record, request.pixels, request.time_range))
    if request.fmt == "svg":
        return Pictures(svg=render_svg(record, request.pixels, request.time_range))
    return Pictures(image=render_image(record, REPORT_CHART_SIZE, request.time_range))


def write_export(record: SessionRecord, request: ExportRequest, pictures: Pictures,
                 cancelled: Callable[[], bool] = lambda: False) -> None:
    """Write the export (any thread). Raises OSError when the file cannot be written and
    ExportCancelled when ``cancelled()`` turned true before the file was complete."""
    if request.fmt == PRINT:
        if request.printer is None:
            raise ValueError("no printer chosen")
        from ..render.report import build_document, paint_report

        paint_report(build_document(record, pictures.image), request.printer, record)
        return
    if request.path is None:
        raise ValueError("no file chosen")
    with atomic_output(request.path) as temp:
        if request.fmt == "fhir":
            with temp.open("w", encoding="utf-8", newline="") as stream:
                write_fhir(record, stream, request.fhir)
        elif request.fmt in DATA_WRITERS:
            with temp.open("w", encoding="utf-8", newline="") as stream:
                DATA_WRITERS[request.fmt](record, stream)
        elif request.fmt == "png":
            from ..render.chart_render import png_bytes

            assert pictures.image is not None
            temp.write_bytes(png_bytes(pictures.image))
        elif request.fmt == "svg":
            assert pictures.svg is not None
            temp.write_bytes(pictures.svg)
        elif request.fmt == "pdf":
            from ..render.report import write_pdf

            write_pdf(record, pictures.image, str(temp))
        else:
            raise ValueError(f"unknown format '{request.fmt}'")
        if cancelled():
            raise ExportCancelled()


def export_session(store: Store, session_id: int, request: ExportRequest, *,
                   shipped: ProfileVersion, now: datetime, deidentify: bool = False) -> None:
    """Export session ``session_id`` of ``store`` as ``request`` asks, every step in this
    thread (the command line's export); the record describes the session as it stood at
    ``now``. A drawn format gets a QApplication (offscreen without a display) if none runs.
    Raises StoreError (NotFound for an unknown session) when the session cannot be read, and
    OSError or ValueError when the file cannot be written."""
    record = load_record(store, session_id, shipped, now)
    if deidentify:
        record = deidentified(record)
    if request.fmt in DRAWN:
        from ..render.application import drawing_application

        drawing_application()
    write_export(record, request, prepare_pictures(record, request))
