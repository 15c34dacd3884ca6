"""File > Import… and dropping a file on the window: preview, then commit, off the GUI thread.

The dialog shows where the readings will go (the open session by default, or the patient the
file names), then reads the file in a worker thread with its own Store connection, behind a
progress dialog with Cancel: how many readings are new, duplicates or invalid, and every
invalid row with its reason. *Import* commits in the worker too, in one transaction; a
cancel or a failure leaves the database as it was. The rules live in monitor.app.importing."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.app.importing import (
    ImportCancelled,
    ImportOptions,
    ImportRejected,
    ImportReport,
    import_file,
    preview_file,
)
from monitor.domain.readings import initials_errors
from monitor.io.csv_format import parse_timestamp
from monitor.io.read_ahead import ReaderFailed
from monitor.store import Store, StoreError
from monitor.store.imports import ImportTarget
from monitor.ui import shortcuts
from monitor.ui.dialogs.column_map_dialog import ColumnMapDialog
from monitor.ui.session_controller import SessionController
from monitor.ui.theme import error_label
from monitor.ui.wheel_guard import guard_choices
from monitor.ui.workers.thread import WorkerThread

log = logging.getLogger(__name__)

FILE_FILTER = ("Readings (*.csv *.tsv *.txt *.xlsx *.xlsm *.hl7 *.hl7v2 *.oru *.json *.ndjson "
               "*.xml);;"
               "All files (*)")


class _Worker(QObject):
    """Runs one preview or import in its thread, on its own Store connection."""

    progress = Signal(int)  # percent of the file read
    done = Signal(object)  # ImportReport
    failed = Signal(str)  # a message; empty when cancelled

    def __init__(self, db_path: str, path: Path, options: ImportOptions, commit: bool,
                 cancel: threading.Event):
        super().__init__()
        self.db_path, self.path, self.options = db_path, path, options
        self.commit, self.cancel = commit, cancel

    @Slot()
    def run(self) -> None:
        def progress(done: int, total: int) -> None:
            self.progress.emit(done * 100 // total if total else 100)

        action = import_file if self.commit else preview_file
        try:
            with Store.open(self.db_path, check=False) as store:
                report = action(store, self.path, self.options, progress, self.cancel.is_set)
        except ImportCancelled:
            self.failed.emit("")
        except ImportRejected as rejected:
            self.failed.emit(f"{rejected}. Tick 'Import the valid rows' to leave the invalid "
                             "ones out.")
        except (StoreError, OSError, ReaderFailed) as error:
            self.failed.emit(f"Nothing was imported: {error}")
        except Exception as error:  # noqa: BLE001 (a bug must not leave the dialog waiting)
            # The transaction rolled back. The log names the error's kind only: its text may
            # quote the file's contents.
            log.error("import of a file failed unexpectedly: %s", type(error).__name__)
            self.failed.emit("Nothing was imported: an unexpected error "
                             f"({type(error).__name__}) stopped the import. The database is "
                             "unchanged; please report this.")
        else:
            self.done.emit(report)


class ImportJob(QObject):
    """One preview or import in a worker thread. ``finished`` carries the ImportReport,
    ``failed`` a message (empty when cancelled)."""

    progress = Signal(int)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, db_path: str, path: Path, options: ImportOptions, *, commit: bool,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._cancel = threading.Event()
        self._worker = _Worker(db_path, path, options, commit, self._cancel)
        self._thread = WorkerThread(self._worker, self._worker.run)
        self._worker.progress.connect(self.progress)
        self._worker.done.connect(self._finish)
        self._worker.failed.connect(self._fail)
        self.running = False

    def start(self) -> None:
        self.running = True
        self._thread.start()

    def cancel(self) -> None:
        """Stop at the next batch; nothing is saved."""
        self._cancel.set()

    def shutdown(self) -> None:
        """Cancel and wait for the worker to stop (the window is closing; nothing is
        saved)."""
        self.cancel()
        self._stop()

    def _stop(self) -> None:
        self.running = False
        self._thread.stop()

    @Slot(object)
    def _finish(self, report: ImportReport) -> None:
        self._stop()
        self.finished.emit(report)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._stop()
        self.failed.emit(message)


class ImportDialog(QDialog):
    """Preview and import one file."""

    imported = Signal(object)  # the ImportReport of a committed import

    def __init__(self, controller: SessionController, path: Path,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.path = path
        self.report: ImportReport | None = None
        #: The column mapping chosen here (None: the one remembered for the file, if any).
        self.columns: dict[str, str] | None = None
        self.column_dialog: ColumnMapDialog | None = None
        self.job: ImportJob | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.setWindowTitle(f"Import {path.name}")
        self.setObjectName("importDialog")
        self.resize(760, 560)

        self.target_box = QComboBox()
        self.target_box.setObjectName("importTarget")
        self._fill_targets()
        self.zero_box = QCheckBox("0 means 'no value' (monitor numerics exports)")
        self.midnight_box = QCheckBox("Read a date without a time of day as 00:00 (FHIR)")
        self.start_edit = QLineEdit()
        self.start_edit.setObjectName("importStart")
        self.start_edit.setPlaceholderText("only for files with elapsed seconds, e.g. "
                                           "2024-05-01 10:00")
        form = QFormLayout()
        form.addRow("File:", QLabel(f"<b>{path.name}</b>"))
        form.addRow("Import into:", self.target_box)
        form.addRow("Start time:", self.start_edit)
        form.addRow("", self.zero_box)
        form.addRow("", self.midnight_box)

        self.preview_button = QPushButton("&Preview")
        self.preview_button.setObjectName("importPreview")
        self.map_button = QPushButton("&Map columns…")
        self.map_button.setObjectName("importMapColumns")
        self.map_button.setToolTip("Say what each column of a spreadsheet holds, for a file "
                                   "whose headers are not recognised")
        self.summary = QLabel("Reading the file…")
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.problems = QTableWidget(0, 2)
        self.problems.setObjectName("importProblems")
        self.problems.setHorizontalHeaderLabels(["Where", "Why it is not imported"])
        self.problems.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.problems.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.problems.verticalHeader().setVisible(False)
        self.skip_box = QCheckBox("Import the valid rows and leave the invalid ones out")
        self.skip_box.setObjectName("importSkipInvalid")
        self.initials = QLineEdit()
        self.initials.setObjectName("importInitials")
        self.initials.setMaxLength(6)
        self.initials.setPlaceholderText("your initials")
        self.message = error_label("importMessage")
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("&Import",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importCommit")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        initials_form = QFormLayout()
        initials_form.addRow("Imported by:", self.initials)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        actions = QHBoxLayout()
        actions.addWidget(self.preview_button)
        actions.addWidget(self.map_button)
        actions.addStretch(1)
        layout.addLayout(actions)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.skip_box)
        layout.addLayout(initials_form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self.preview_button.clicked.connect(self.preview)
        self.map_button.clicked.connect(self.map_columns)
        self.import_button.clicked.connect(self.commit)
        self.buttons.rejected.connect(self.reject)
        self.skip_box.toggled.connect(self._update_buttons)
        for signal in (self.target_box.currentIndexChanged, self.zero_box.toggled,
                       self.midnight_box.toggled, self.start_edit.textEdited):
            signal.connect(self._options_changed)
        self._update_buttons()
        guard_choices(self)  # the wheel never changes an unfocused choice

    # -- choices ---------------------------------------------------------------------------

    def _fill_targets(self) -> None:
        open_session = self.controller.session
        if open_session is not None and open_session.id is not None:
            name = f" ({open_session.patient.name})" if open_session.patient.name else ""
            self.target_box.addItem(
                f"Open session: {open_session.patient.identifier}{name}",
                ImportTarget(session_id=open_session.id))
        self.target_box.addItem("The patient named in the file (their active session, or a "
                                "new one)", None)
        try:
            others = [s for s in self.controller.store.sessions(limit=200)
                      if s.status.value == "active" and s.id is not None
                      and (open_session is None or s.id != open_session.id)]
        except StoreError:
            others = []
        for s in others:
            name = f" ({s.patient.name})" if s.patient.name else ""
            self.target_box.addItem(f"Session {s.id}: {s.patient.identifier}{name}",
                                    ImportTarget(session_id=s.id))

    def options(self) -> ImportOptions | str:
        """The options chosen, or what is wrong with them."""
        start = None
        if self.start_edit.text().strip():
            start, problem = parse_timestamp(self.start_edit.text(), None)
            if problem:
                return f"Start time: {problem}"
        return ImportOptions(target=self.target_box.currentData(),
                             skip_invalid=self.skip_box.isChecked(), start=start,
                             zero_is_missing=self.zero_box.isChecked(),
                             date_only_as_midnight=self.midnight_box.isChecked(),
                             by=self.initials.text().strip().upper(), columns=self.columns)

    def _options_changed(self) -> None:
        self.report = None
        self.summary.setText("The options changed: press Preview to read the file again.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.job is not None and self.job.running
        report = self.report
        importable = (report is not None and report.new > 0
                      and (report.clean or self.skip_box.isChecked()))
        self.import_button.setEnabled(importable and not busy)
        self.preview_button.setEnabled(not busy)
        self.map_button.setEnabled(not busy and report is not None and bool(report.header))
        self.skip_box.setEnabled(report is not None and not report.clean)

    # -- preview and commit ----------------------------------------------------------------

    def showEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        if self.report is None and self.job is None:
            QTimer.singleShot(0, self.preview)

    @Slot()
    def map_columns(self) -> None:
        """Let the user say what each column holds, then read the file again with it."""
        report = self.report
        if report is None or not report.header:
            return
        dialog = ColumnMapDialog(report.header, report.sample, report.columns, self)
        self.column_dialog = dialog
        dialog.accepted.connect(lambda: self._mapped(dialog.mapping()))
        dialog.open()

    def _mapped(self, mapping: dict[str, str]) -> None:
        self.columns = mapping
        self.preview()

    @Slot()
    def preview(self) -> None:
        """Read the file in a worker and show what an import would do."""
        self._run(commit=False)

    @Slot()
    def commit(self) -> None:
        """Import the file in a worker, in one transaction."""
        errors = initials_errors(self.initials.text())
        if errors:
            self.message.setText("; ".join(str(e) for e in errors)
                                 + " (the import is recorded with them)")
            self.initials.setFocus()
            return
        self._run(commit=True)

    def _run(self, *, commit: bool) -> None:
        options = self.options()
        if isinstance(options, str):
            self.message.setText(options)
            return
        self.message.setText("")
        self.job = ImportJob(self.controller.store.path, self.path, options, commit=commit,
                             parent=self)
        progress = QProgressDialog("Importing…" if commit else f"Reading {self.path.name}…",
                                   "Cancel", 0, 100, self)
        progress.setObjectName("importProgress")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)  # no flash for small files
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(self.job.cancel)
        self.job.progress.connect(progress.setValue)
        self.job.finished.connect(self._committed if commit else self._previewed)
        self.job.failed.connect(self._failed)
        self.progress_dialog = progress
        self.job.start()
        self._update_buttons()

    def _close_progress(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    @Slot(object)
    def _previewed(self, report: ImportReport) -> None:
        self._close_progress()
        self.report = report
        self._show(report)
        self._update_buttons()

    @Slot(object)
    def _committed(self, report: ImportReport) -> None:
        self._close_progress()
        self.report = report
        self._update_buttons()
        self.imported.emit(report)
        self.accept()

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._close_progress()
        self.message.setText(message or "Cancelled: nothing was imported.")
        self._update_buttons()

    def _show(self, report: ImportReport) -> None:
        where = []
        for s in report.sessions:
            if s.session_id is None:
                where.append(f"a new session for patient {s.patient_id}")
            else:
                where.append(f"session {s.session_id} (patient {s.patient_id})")
        text = (f"<b>{report.new}</b> new reading{'s' * (report.new != 1)}, "
                f"<b>{report.duplicates}</b> already recorded (duplicates), "
                f"<b>{report.rejected}</b> invalid — {report.format_label}")
        if where:
            text += "<br>Into " + ", ".join(where) + "."
        mismatch = self._patient_mismatch(report)
        if mismatch:
            text += f"<br><span style='color:#d93025'><b>{mismatch}</b></span>"
        if report.rejected and report.new:
            text += ("<br>A file with invalid rows is imported only if you choose to leave "
                     "them out.")
        text += self._columns_text(report)
        self.summary.setText(text)
        rows = [(str(e.location), e.message) for e in report.invalid]
        rows += [(str(n.location), f"not charted: {n.message}") for n in report.notices]
        self.problems.setRowCount(len(rows))
        for row, (location, reason) in enumerate(rows):
            self.problems.setItem(row, 0, QTableWidgetItem(location))
            self.problems.setItem(row, 1, QTableWidgetItem(reason))
        self.problems.resizeColumnToContents(0)

    def _columns_text(self, report: ImportReport) -> str:
        saved = report.columns_saved
        if saved is not None:
            by = f" by {saved.saved_by}" if saved.saved_by else ""
            return (f"<br>Columns mapped as saved{by} on {saved.saved_at:%Y-%m-%d} "
                    "(<i>Map columns…</i> to change).")
        if report.columns:
            return "<br>Columns mapped as you chose; remembered for these columns on import."
        if report.columns_unrecognised:
            return "<br>Columns not recognised? <i>Map columns…</i> says what each holds."
        return ""

    def _patient_mismatch(self, report: ImportReport) -> str:
        target = self.target_box.currentData()
        if not isinstance(target, ImportTarget) or target.session_id is None:
            return ""
        chosen = {s.patient_id for s in report.sessions}
        other = sorted(report.patient_ids - chosen)
        if not other:
            return ""
        return (f"The file is for patient {', '.join(other)}, not {', '.join(chosen)}: "
                "check the session before importing.")

    def reject(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            return  # closes when the worker has stopped and reported
        super().reject()


class ImportActions(QObject):
    """Opens the import dialog from the menu or for files dropped on the window."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window = window
        self.controller: SessionController = window.controller  # type: ignore[attr-defined]
        self.dialog: ImportDialog | None = None
        self._queue: list[Path] = []

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Import readings", "", FILE_FILTER)
        if name:
            self.open_files([Path(name)])

    def open_files(self, paths: list[Path]) -> None:
        """Import each file in turn, one dialog at a time."""
        self._queue.extend(paths)
        if self.dialog is None:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self.dialog = None
            return
        dialog = ImportDialog(self.controller, self._queue.pop(0), self.window)
        dialog.imported.connect(self._show_imported)
        dialog.finished.connect(lambda _result: QTimer.singleShot(0, self._next))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _show_imported(self, report: ImportReport) -> None:
        session = self.controller.session
        filled = [s.session_id for s in report.sessions if s.imported and s.session_id]
        if session is not None and session.id in filled:
            self.controller.reload()  # the readings appear in the table and on the chart
        elif session is None and len(filled) == 1:
            self.window.open_session(filled[0])  # type: ignore[attr-defined]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close and watched is self.window:
            # A preview or import under way is cancelled and waited for: its thread must
            # not outlive the window (nothing is saved; the transaction rolls back).
            job = self.dialog.job if self.dialog is not None else None
            if job is not None and job.running:
                job.shutdown()
        elif event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if _local_files(event):  # type: ignore[arg-type]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif event.type() == QEvent.Type.Drop:
            files = _local_files(event)  # type: ignore[arg-type]
            if files:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                self.open_files(files)
                return True
        return False


def _local_files(event: QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()
            and Path(url.toLocalFile()).is_file()]


def install_import(window: QWidget) -> ImportActions:
    """Add File > Import… (Ctrl+I) and accept readings files dropped on the window."""
    actions = ImportActions(window)
    action = window.add_menu_action(  # type: ignore[attr-defined]
        "&File", "&Import…", actions.choose_file, shortcuts.IMPORT, "importAction")
    menus = [m for m in action.associatedObjects() if isinstance(m, QMenu)]
    quit_action = next((a for a in menus[0].actions() if a.text() == "&Quit"), None) \
        if menus else None
    if quit_action is not None:  # keep Quit last
        menu = menus[0]
        menu.removeAction(action)
        menu.insertAction(quit_action, action)
    window.setAcceptDrops(True)
    window.installEventFilter(actions)
    window.import_actions = actions  # type: ignore[attr-defined]
    return actions
