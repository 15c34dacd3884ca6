"""File > Export…, File > Print report…, and the toolbar's PDF report button.

An export runs in three steps so the window never waits on the disk:

1. a worker thread reads the session with its own read-only Store connection;
2. the GUI thread draws the chart (widgets belong to it; a fraction of a second);
3. the worker writes the file (through a temporary file, renamed when complete, so a failed
   or cancelled export never leaves half a file) or paints the report on the printer.

A progress dialog with Cancel shows the steps. The steps themselves are monitor.app.export's
(which, run one after the other, serve ``python main.py export``); this module only runs them
off the GUI thread and shows them.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QSpinBox,
    QToolBar,
    QWidget,
)

from monitor.app.export import (
    PRINT,
    ExportCancelled,
    ExportRequest,
    Pictures,
    load_record,
    prepare_pictures,
    write_export,
)
from monitor.app.export_marks import TimeRange
from monitor.domain.profiles import ProfileVersion
from monitor.io.deidentify import deidentify
from monitor.io.export_data import (
    FORMAT_LABELS,
    FORMATS,
    SUFFIXES,
    FhirOptions,
    SessionRecord,
)
from monitor.render import CHART_SIZE, MAX_SIDE, MIN_SIDE
from monitor.store import Store, StoreError
from monitor.ui import shortcuts
from monitor.ui.settings_keys import FHIR_PATIENT_ID_SYSTEM
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices
from monitor.ui.workers.thread import WorkerThread

REPORT_SHORTCUT = shortcuts.PDF_REPORT


# -- the worker ------------------------------------------------------------------------------


class _Worker(QObject):
    """Runs steps 1 and 3 in its thread."""

    loaded = Signal(object)  # SessionRecord
    written = Signal()
    failed = Signal(str)

    def __init__(self, db_path: str, session_id: int, shipped: ProfileVersion,
                 anonymise: bool, cancel: threading.Event):
        super().__init__()
        self.db_path, self.session_id, self.shipped = db_path, session_id, shipped
        self.anonymise, self.cancel = anonymise, cancel

    @Slot()
    def load(self) -> None:
        try:
            with Store.open(self.db_path, read_only=True, check=False) as store:
                record = load_record(store, self.session_id, self.shipped)
        except StoreError as error:
            self.failed.emit(str(error))
            return
        self.loaded.emit(deidentify(record) if self.anonymise else record)

    @Slot(object, object, object)
    def write(self, record: SessionRecord, request: ExportRequest, pictures: Pictures) -> None:
        try:
            write_export(record, request, pictures, self.cancel.is_set)
        except ExportCancelled:
            self.failed.emit("")
            return
        except (OSError, ValueError) as error:
            where = request.path if request.path is not None else "the printer"
            self.failed.emit(f"Cannot write {where}: {getattr(error, 'strerror', None) or error}")
            return
        self.written.emit()


class ExportJob(QObject):
    """One export, from reading the store to the written file, off the GUI thread except
    for drawing the chart. ``finished`` carries the request; ``failed`` a message (empty
    when cancelled)."""

    progress = Signal(int, str)
    finished = Signal(object)
    failed = Signal(str)
    _write = Signal(object, object, object)
    STEPS = 3

    def __init__(self, db_path: str, session_id: int, shipped: ProfileVersion,
                 request: ExportRequest, anonymise: bool, parent: QObject | None = None):
        super().__init__(parent)
        self.request = request
        self._cancel = threading.Event()
        self._worker = _Worker(db_path, session_id, shipped, anonymise, self._cancel)
        self._thread = WorkerThread(self._worker, self._worker.load)
        self._worker.loaded.connect(self._draw)
        self._write.connect(self._worker.write)
        self._worker.written.connect(self._done)
        self._worker.failed.connect(self._fail)
        self.running = False

    def start(self) -> None:
        self.running = True
        self.progress.emit(0, "Reading the session…")
        self._thread.start()

    def cancel(self) -> None:
        """Stop as soon as the current step ends; nothing is written."""
        self._cancel.set()

    @Slot(object)
    def _draw(self, record: SessionRecord) -> None:
        if self._cancel.is_set():
            self._fail("")
            return
        self.progress.emit(1, "Drawing the chart…")
        try:
            pictures = prepare_pictures(record, self.request)
        except (OSError, ValueError) as error:
            self._fail(str(error))
            return
        self.progress.emit(2, "Writing…" if self.request.fmt != PRINT else "Printing…")
        self._write.emit(record, self.request, pictures)

    def shutdown(self) -> None:
        """Cancel and wait for the worker to stop (the window is closing)."""
        self.cancel()
        self._stop()

    def _stop(self) -> None:
        self.running = False
        self._thread.stop()

    @Slot()
    def _done(self) -> None:
        self._stop()
        self.progress.emit(self.STEPS, "Done")
        self.finished.emit(self.request)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._stop()
        self.failed.emit(message)


# -- the dialog ------------------------------------------------------------------------------


class ExportDialog(QDialog):
    """Format, de-identification, chart range and size; then a file dialog."""

    def __init__(self, visible_range: TimeRange | None, parent: QWidget | None = None,
                 fmt: str = "pdf"):
        super().__init__(parent)
        self.setWindowTitle("Export session")
        self.setObjectName("exportDialog")
        self.format_box = QComboBox()
        self.format_box.setObjectName("exportFormat")
        for key in FORMATS:
            self.format_box.addItem(FORMAT_LABELS[key], key)
        self.format_box.setCurrentIndex(FORMATS.index(fmt))
        self.deidentify_box = QCheckBox("De-identify (remove name, date of birth and "
                                        "identifier; pseudonym instead)")
        self.deidentify_box.setObjectName("exportDeidentify")
        self.range_box = QComboBox()
        self.range_box.setObjectName("exportRange")
        self.range_box.addItem("Whole session", None)
        if visible_range is not None:
            self.range_box.addItem(
                f"Visible range {visible_range.start:%H:%M}–{visible_range.end:%H:%M}",
                visible_range)
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        for box, value, name in ((self.width_box, CHART_SIZE[0], "exportWidth"),
                                 (self.height_box, CHART_SIZE[1], "exportHeight")):
            box.setRange(MIN_SIDE, MAX_SIDE)
            box.setValue(value)
            box.setSuffix(" px")
            box.setObjectName(name)
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box)
        size_row.addWidget(QLabel("(2400 × 1500 = 8 × 5 in at 300 dpi)"))
        self.bundle_box = QComboBox()
        self.bundle_box.setObjectName("exportFhirBundle")
        self.bundle_box.addItem("collection (an archive of the session)", "collection")
        self.bundle_box.addItem("transaction (to POST to a FHIR server)", "transaction")
        self.patient_system = QLineEdit(FHIR_PATIENT_ID_SYSTEM.read())
        self.patient_system.setObjectName("exportPatientIdSystem")
        self.patient_system.setToolTip("The system of the Patient identifier: your hospital's "
                                       "MRN system URI, e.g. urn:oid:1.2.3.4")
        self.fhir_error = error_label("exportFhirError")
        self.fhir_error.hide()
        form = QFormLayout(self)
        form.addRow("Format", self.format_box)
        form.addRow("", self.deidentify_box)
        form.addRow("Chart", self.range_box)
        form.addRow("Image size", size_row)
        form.addRow("FHIR Bundle", self.bundle_box)
        form.addRow("Patient ID system", self.patient_system)
        form.addRow("", self.fhir_error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export…",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format_box.currentIndexChanged.connect(self._enable)
        self._enable()
        guard_choices(self)  # the wheel never changes an unfocused choice

    @property
    def fmt(self) -> str:
        return str(self.format_box.currentData())

    def _enable(self) -> None:
        picture = self.fmt in ("png", "svg", "pdf")
        self.range_box.setEnabled(picture)
        for box in (self.width_box, self.height_box):
            box.setEnabled(self.fmt in ("png", "svg"))
        for widget in (self.bundle_box, self.patient_system):
            widget.setEnabled(self.fmt == "fhir")

    def fhir_options(self) -> FhirOptions:
        """The FHIR choices; raises ValueError naming what is wrong."""
        return FhirOptions(str(self.bundle_box.currentData()), self.patient_system.text().strip())

    def _accept_if_valid(self) -> None:
        if self.fmt == "fhir":
            try:
                self.fhir_options()
            except ValueError as error:
                self.fhir_error.setText(f"Patient ID system: {error}")
                self.fhir_error.show()
                self.patient_system.setFocus()
                return
            # This workstation's site keeps its identifier system for the next export.
            FHIR_PATIENT_ID_SYSTEM.write(self.patient_system.text().strip())
        self.accept()

    def request(self, path: Path) -> ExportRequest:
        """The export the dialog describes, to ``path``."""
        chosen: TimeRange | None = self.range_box.currentData()
        size = (self.width_box.value(), self.height_box.value())
        return ExportRequest(self.fmt, path, size if self.fmt in ("png", "svg") else None,
                             chosen.start if chosen else None, chosen.end if chosen else None,
                             fhir=self.fhir_options() if self.fmt == "fhir" else FhirOptions())


class ExportActions(QObject):
    """The window's export actions and the job in progress."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window = window
        self.job: ExportJob | None = None
        self.progress: QProgressDialog | None = None
        self.last_message = ""
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close and watched is self.window:
            # An export under way is cancelled and waited for: its thread must not outlive
            # the window.
            if self.job is not None and self.job.running:
                self.job.shutdown()
            self._close_progress()
        return False

    # -- entry points -------------------------------------------------------------------

    def export(self, fmt: str = "pdf") -> None:
        """File > Export…: choose the format, then the file."""
        if not self._session_open():
            return
        dialog = ExportDialog(self._visible_range(), self.window, fmt)
        if not dialog.exec():
            return
        path = self._choose_file(dialog.fmt)
        if path is not None:
            self.start(dialog.request(path), dialog.deidentify_box.isChecked())

    def export_report(self) -> None:
        """The toolbar's PDF report, in one click: the whole session, straight to the file
        dialog."""
        if not self._session_open():
            return
        path = self._choose_file("pdf")
        if path is not None:
            self.start(ExportRequest("pdf", path), False)

    def _choose_file(self, fmt: str) -> Path | None:
        suffix = SUFFIXES[fmt]
        default = Path.home() / f"{self._default_name()}{suffix}"
        name, _ = QFileDialog.getSaveFileName(self.window, "Export session to",
                                              str(default), FORMAT_LABELS[fmt])
        if not name:
            return None
        path = Path(name)
        if not path.name.endswith(suffix) and not path.suffix:
            path = path.with_name(path.name + suffix)
        return path

    def print_report(self) -> None:
        """File > Print report…: the system print dialog, then the report on the printer."""
        if not self._session_open():
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.window)
        dialog.setWindowTitle("Print session report")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.start(ExportRequest(PRINT, None, printer=printer), False)

    def start(self, request: ExportRequest, anonymise: bool) -> ExportJob | None:
        """Run ``request`` for the open session in the background, with progress."""
        if self.job is not None and self.job.running:
            QMessageBox.information(self.window, "Export", "An export is still running.")
            return None
        controller = self.window.controller
        assert controller.session is not None and controller.session.id is not None
        job = ExportJob(controller.store.path, controller.session.id,
                        self.window.alerts.shipped, request, anonymise, self)
        progress = QProgressDialog("Exporting…", "Cancel", 0, ExportJob.STEPS, self.window)
        progress.setObjectName("exportProgress")
        progress.setWindowTitle("Export")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.canceled.connect(job.cancel)
        job.progress.connect(lambda step, text: (progress.setValue(step),
                                                 progress.setLabelText(text)))
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        self.job, self.progress = job, progress
        job.start()
        return job

    # -- outcome ------------------------------------------------------------------------

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None

    def _finished(self, request: ExportRequest) -> None:
        self._close_progress()
        where = "the printer" if request.fmt == PRINT else str(request.path)
        self.last_message = f"Exported to {where}"
        status = getattr(self.window, "statusBar", None)
        if status is not None:
            status().showMessage(self.last_message, 10_000)

    def _failed(self, message: str) -> None:
        self._close_progress()
        self.last_message = message or "Export cancelled; nothing was written."
        if message:
            QMessageBox.warning(self.window, "Export", message)

    # -- helpers ------------------------------------------------------------------------

    def _session_open(self) -> bool:
        session = self.window.controller.session
        if session is None or session.id is None:
            QMessageBox.information(self.window, "Export", "Open a session to export it.")
            return False
        return True

    def _default_name(self) -> str:
        session = self.window.controller.session
        patient = "".join(c if c.isalnum() or c in "-_" else "_"
                          for c in session.patient.identifier)
        return f"session-{session.id}-{patient}"

    def _visible_range(self) -> TimeRange | None:
        low, high = self.window.chart.plots[0].viewRange()[0]
        try:
            return TimeRange(datetime.fromtimestamp(low).astimezone(),
                             datetime.fromtimestamp(high).astimezone())
        except (OverflowError, OSError, ValueError):
            return None


def install_export(window: QWidget) -> ExportActions:
    """Add File > Export…, File > Print report… and a toolbar button for the PDF report."""
    actions = ExportActions(window)
    export = window.add_menu_action("&File", "&Export…", actions.export, shortcuts.EXPORT,
                                    "exportAction")
    report = window.add_menu_action("&File", "PDF session &report…", actions.export_report,
                                    REPORT_SHORTCUT, "reportAction")
    printing = window.add_menu_action("&File", "&Print report…", actions.print_report,
                                      shortcuts.PRINT_REPORT, "printReportAction")
    menu = export.associatedObjects()[0] if export.associatedObjects() else None
    quit_action = next((a for a in menu.actions() if a.text() == "&Quit"), None) \
        if menu is not None else None
    if quit_action is not None:  # keep Quit last
        for action in (export, report, printing):
            menu.removeAction(action)
            menu.insertAction(quit_action, action)
        menu.insertSeparator(quit_action)
    # In the menu bar's corner: one click away without a toolbar row of its own, which
    # the chart needs on a 720-line screen.
    toolbar = QToolBar("Export", window)
    toolbar.setObjectName("exportToolBar")
    window.menuBar().setCornerWidget(toolbar)
    report.setToolTip("Save the PDF session report (" + REPORT_SHORTCUT + ")")
    toolbar.addAction(report)

    def follow_session() -> None:
        # Nothing to export before a session is open: the buttons say so by being greyed.
        has_session = window.controller.session is not None
        for action in (export, report, printing):
            action.setEnabled(has_session)

    window.controller.sessionChanged.connect(follow_session)
    follow_session()
    window.export_actions = actions
    return actions
