"""Backups from the GUI: automatic (daily, and when a session is closed) in a worker
thread, and File > Backups… to back up now, change the folder, or restore."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QObject,
    QRunnable,
    QSettings,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.domain.sessions import SessionStatus
from monitor.store import StoreError
from monitor.store.backup import DEFAULT_KEEP, backup_database, backup_due, list_backups
from monitor.ui.formatting import fmt_datetime
from monitor.ui.settings_keys import BACKUP_FOLDER, BACKUP_KEEP

if TYPE_CHECKING:
    from monitor.ui.main_window import MainWindow

DAILY_CHECK_DELAY_MS = 30_000


class _BackupJob(QRunnable):
    """Runs one backup off the GUI thread (the backup API opens its own connections)."""

    def __init__(self, service: BackupService, database: Path, folder: Path, keep: int):
        super().__init__()
        self.service, self.database, self.folder, self.keep = service, database, folder, keep

    def run(self) -> None:
        try:
            info = backup_database(self.database, self.folder, keep=self.keep)
        except (StoreError, OSError) as error:
            self.service.job_failed.emit(str(error))
        else:
            self.service.job_done.emit(str(info.path))


class BackupService(QObject):
    """Decides when to back up and does it in the background. When the window closes it
    stops: no more daily check, nothing queued starts, and the backup under way is waited
    for (never left half written, nor reported to a window that is gone)."""

    finished = Signal(str)  # path of the new backup
    failed = Signal(str)  # what went wrong
    job_done = Signal(str)  # from the pool's thread; relayed as ``finished`` unless closed
    job_failed = Signal(str)

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.settings: QSettings = window.settings
        self.database = Path(window.controller.store.path)
        self._backed_up_closed: set[int] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one backup at a time
        self.closed = False
        self.job_done.connect(lambda path: self.closed or self.finished.emit(path))
        self.job_failed.connect(lambda message: self.closed or self.failed.emit(message))
        #: The daily check, not at once: a window opened for a moment (a script, a test)
        #: should not start one.
        self.daily = QTimer(self, singleShot=True, interval=DAILY_CHECK_DELAY_MS)
        self.daily.timeout.connect(self.back_up_if_due)
        window.controller.sessionChanged.connect(self._session_changed)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """The window is closing: stop checking, drop what is queued, wait for the backup
        under way."""
        self.closed = True
        self.daily.stop()
        self.pool.clear()
        self.pool.waitForDone()

    @property
    def folder(self) -> Path:
        value = BACKUP_FOLDER.read(self.settings)
        return Path(str(value)) if value else self.database.parent / "backups"

    def set_folder(self, folder: Path) -> None:
        BACKUP_FOLDER.write(str(folder), self.settings)

    @property
    def keep(self) -> int:
        return int(BACKUP_KEEP.read(self.settings) or DEFAULT_KEEP)

    def back_up_now(self) -> None:
        """Start a backup in the background."""
        if self.closed or self.window.controller.store.read_only:
            return  # an archive opened read-only is somebody else's to back up
        self.pool.start(_BackupJob(self, self.database, self.folder, self.keep))

    def back_up_if_due(self) -> None:
        """The daily backup, when the newest one is more than a day old."""
        if backup_due(self.folder):
            self.back_up_now()

    def _session_changed(self) -> None:
        session = self.window.controller.session
        if (session is not None and session.id is not None
                and session.status is SessionStatus.CLOSED
                and session.closed_at is not None
                and session.id not in self._backed_up_closed):
            self._backed_up_closed.add(session.id)
            self.back_up_now()


class BackupsDialog(QDialog):
    """List the backups; back up now; change the folder; restore one."""

    def __init__(self, service: BackupService, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Backups")
        self.service = service
        self.folder_label = QLabel()
        self.list = QListWidget()
        self.list.setObjectName("backupsList")
        self.status = QLabel("")
        self.status.setObjectName("backupsStatus")
        self.status.setWordWrap(True)
        now_button = QPushButton("Back up now")
        now_button.setObjectName("backupNowButton")
        folder_button = QPushButton("Change folder…")
        self.restore_button = QPushButton("Restore selected…")
        self.restore_button.setObjectName("restoreButton")
        buttons = QHBoxLayout()
        for button in (now_button, folder_button, self.restore_button):
            buttons.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(close)
        now_button.clicked.connect(self._back_up)
        folder_button.clicked.connect(self._change_folder)
        self.restore_button.clicked.connect(self._restore)
        service.finished.connect(self._done)
        service.failed.connect(lambda message: self.status.setText(f"Backup FAILED: {message}"))
        self.refresh()

    def refresh(self) -> None:
        self.folder_label.setText(f"Folder: {self.service.folder}  (keeps the newest "
                                  f"{self.service.keep})")
        self.list.clear()
        for info in list_backups(self.service.folder):
            item = QListWidgetItem(f"{fmt_datetime(info.taken_at)}   {info.path.name}   "
                                   f"{info.size / 1024:.0f} KiB")
            item.setData(256, str(info.path))
            self.list.addItem(item)
        self.restore_button.setEnabled(self.list.count() > 0)

    def _back_up(self) -> None:
        self.status.setText("Backing up…")
        self.service.back_up_now()

    def _done(self, path: str) -> None:
        self.status.setText(f"Backup written and checked: {path}")
        self.refresh()

    def _change_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Backup folder", str(self.service.folder))
        if folder:
            self.service.set_folder(Path(folder))
            self.refresh()

    def _restore(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.status.setText("Select a backup to restore.")
            return
        path = Path(str(item.data(256)))
        answer = QMessageBox.question(
            self, "Restore backup",
            f"Replace the database with the backup of {item.text().split('   ')[0]}?\n\n"
            "The current database is kept beside it, and the app reopens on the restored "
            "one.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            window = self.service.window
            # run_gui closes this window's connection, restores, and reopens the app.
            window.pending_restore = path
            window.restart_requested = True
            self.accept()
            window.close()


def install_backups(window: MainWindow) -> BackupService:
    """Automatic backups plus File > Backups…; the daily one starts with the app."""
    service = BackupService(window)
    window.add_menu_action("&File", "&Backups…", lambda: BackupsDialog(service, window).exec(),
                           None, "backupsAction")
    service.failed.connect(lambda message: _notify(window, f"Automatic backup FAILED: {message}"))
    service.finished.connect(lambda path: window.statusBar().showMessage(
        f"Backup written and checked: {path}", 15_000))
    service.daily.start()
    return service


def _notify(window: MainWindow, message: str) -> None:
    """A message that stays visible without blocking the nurse's work."""
    window.statusBar().showMessage(message)
    box = QMessageBox(QMessageBox.Icon.Warning, "Backups", message, parent=window)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
