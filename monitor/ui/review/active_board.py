"""View > Active sessions board: every active session at a glance, most urgent first.

Rows come from the application layer (``monitor.app.board``), alerts from its recorder
(``monitor.app.alerting``): every writer
(this window, another workstation, an import, a monitor feed, a headless listener) records
the alerts of what it stores in the same transaction and keeps each session's engine state,
so a line costs a few indexed look-ups, never a replay, however long the session. The board
re-reads when this window saves something, when another connection commits (``PRAGMA
data_version`` changes), and every half minute for the countdowns; what asks for it within
one turn of the event loop gets one refresh. An alert that newly needs attention in a chair
other than the open one is announced with ``alertSounded`` (the window sounds it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from monitor.app.alerting import SessionAlerts
from monitor.app.board import AlertNotices, board_rows
from monitor.domain.alerts import AlertPriority
from monitor.domain.board import BoardRow, Replayed, latest_values
from monitor.domain.profiles import ProfileVersion
from monitor.domain.vitals import Vital
from monitor.store import Store, StoreError
from monitor.ui.formatting import fmt_duration, fmt_time, fmt_value

POLL_MS = 2000
REFRESH_MS = 30_000

PRIORITY_COLOURS = {AlertPriority.HIGH: ("#c62828", "#ffffff"),
                    AlertPriority.MEDIUM: ("#ffd54a", "#3a2a00"),
                    AlertPriority.LOW: ("#b2ebf2", "#00363a")}


def values_text(row: BoardRow) -> str:
    """The latest values in the order nurses read them, e.g. ``BP 142/88  HR 91``."""
    v = row.last_values
    parts: list[str] = []
    if Vital.SBP in v and Vital.DBP in v:
        parts.append(f"BP {fmt_value(v[Vital.SBP])}/{fmt_value(v[Vital.DBP])}")
    for vital, label in ((Vital.HR, "HR"), (Vital.RR, "RR"), (Vital.SPO2, "SpO2")):
        if vital in v:
            parts.append(f"{label} {fmt_value(v[vital])}")
    if not parts:
        return "no readings yet"
    return "  ".join(parts) + f"  at {fmt_time(row.last_reading_at)}"


def row_text(row: BoardRow, now: datetime, open_id: int | None) -> str:
    """Four short lines (the board is a narrow column): who; the worst alert; phase and
    timing; latest values."""
    if row.worst_alert is not None:
        alert = row.worst_alert.text
    elif row.overdue:  # never "no active alert" beside a reading that is overdue
        alert = "⚙ reading overdue"
    else:
        alert = "✓ no active alert"
    if row.active_alert_count > 1:
        alert += f" (+{row.active_alert_count - 1} more)"
    marker = "▶ " if row.session_id == open_id else ""
    first = f"{marker}{row.patient_id}  {row.patient_name or '(no name)'}"
    timing = [row.phase.value]
    if row.since_infusion_end is not None:
        timing.append(f"{fmt_duration(row.since_infusion_end)} since end")
    if row.next_due is not None:
        if row.overdue:
            timing.append(f"OVERDUE since {fmt_time(row.next_due)}")
        elif row.next_due <= now:
            timing.append(f"reading due now ({fmt_time(row.next_due)})")
        else:
            timing.append(f"next due {fmt_time(row.next_due)}")
    return f"{first}\n{alert}\n{' · '.join(timing)}\n{values_text(row)}"


class ActiveBoard(QWidget):
    """The list of active sessions; activating one asks to open it."""

    openRequested = Signal(int)  # session id
    updated = Signal()
    #: An alert of a chair other than the open one newly needs attention: sound it.
    alertSounded = Signal(object)

    def __init__(self, store: Store, shipped: ProfileVersion,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 parent: QWidget | None = None, *, poll_ms: int = POLL_MS,
                 recorder: SessionAlerts | None = None):
        super().__init__(parent)
        self.setObjectName("activeBoard")
        self.store = store
        self.shipped = shipped
        self.clock = clock
        self.recorder = recorder or SessionAlerts(store, shipped, clock)
        self._notices = AlertNotices()
        self.open_session_id: int | None = None
        self.rows: list[BoardRow] = []
        self.list = QListWidget()
        self.list.setObjectName("activeBoardList")
        self.list.setAlternatingRowColors(False)
        self.list.setSpacing(2)
        self.list.setWordWrap(True)
        self.setMinimumWidth(200)
        self.list.setStyleSheet("QListWidget { font-size: 11pt; }")
        self.status = QLabel("")
        self.status.setObjectName("activeBoardStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self._seen_version: int | None = None
        #: How many refreshes ran (each rebuilds every line).
        self.refresh_count = 0
        # Everything that asks for a refresh within one turn of the event loop gets one.
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(0)
        self._coalesce.timeout.connect(self.refresh)
        # The timers run only while the board is on screen: a hidden board costs nothing.
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.poll)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        # No refresh here: showing the board, opening a session and every alert change
        # refresh it, by then with the window's live engine for the open session.

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._poll.start()
        self._refresh_timer.start()
        self._coalesce.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._poll.stop()
        self._refresh_timer.stop()

    def _store_gone(self) -> bool:
        if getattr(self.store, "closed", False):
            self.shutdown()
            return True
        return False

    def shutdown(self) -> None:
        """Stop the timers (the window is closing)."""
        self._poll.stop()
        self._refresh_timer.stop()
        self._coalesce.stop()

    def watch_close(self, window: QObject) -> None:
        """Shut down when ``window`` closes."""
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def poll(self) -> None:
        """Refresh when another connection has committed since the last look."""
        if self._store_gone():
            return
        try:
            version = self.store.data_version()
        except (StoreError, sqlite3.ProgrammingError):
            return
        if version != self._seen_version:
            self.request_refresh()

    def set_open_session(self, session_id: int | None) -> None:
        """The window opened ``session_id`` (None: none): from now on its line comes from
        the window's own engine and readings."""
        self.open_session_id = session_id
        self.request_refresh()

    def request_refresh(self) -> None:
        """Refresh once the event loop comes round: every request until then is served by
        that one refresh. A hidden board waits until it is shown."""
        if self.isVisible():
            self._coalesce.start()

    def refresh(self) -> None:
        """Re-read the active sessions and their recorded alerts (now; see
        :meth:`request_refresh` for what should merely be brought up to date)."""
        if self._store_gone():
            return
        sessions = self._window_sessions()
        if sessions is not None:
            # The open session is shown as the window has it: first let the window take
            # in what other connections stored (cheap: only the rows after its newest).
            sessions.refresh_from_store()
        self._coalesce.stop()  # whatever that asked for is served now
        self.refresh_count += 1
        now = self.clock()
        try:
            self._seen_version = self.store.data_version()
            self.rows = board_rows(self.store, self.recorder, self.shipped, now, self._live)
            fresh = self._notices.fresh(self.recorder, [r.session_id for r in self.rows],
                                        skip=self.open_session_id)
        except (StoreError, sqlite3.ProgrammingError) as error:
            self.status.setText(str(error))
            return
        for alert in fresh:
            self.alertSounded.emit(alert)
        self._show(now)
        self.updated.emit()

    def _window_sessions(self) -> Any:
        """The session controller of the window the board is in, if any."""
        return getattr(getattr(self.window(), "alerts", None), "sessions", None)

    def _live(self, session_id: int) -> Replayed | None:
        """The open session's alerts from the window's own engine and its latest values
        from the window's readings (brought up to date by :meth:`refresh`). None when the
        board is not in a window with that session open."""
        engine = getattr(getattr(self.window(), "alerts", None), "engine", None)
        sessions = self._window_sessions()
        if engine is None or sessions is None or sessions.session is None \
                or sessions.session.id != session_id:
            return None
        if getattr(sessions, "loading", False):
            # A long session still loading: its newest readings are in hand.
            values, newest = latest_values(sessions.readings)
            return engine, values, newest
        return engine, sessions.latest_values(), sessions.newest_taken_at()

    def _show(self, now: datetime) -> None:
        self.list.clear()
        for row in self.rows:
            item = QListWidgetItem(row_text(row, now, self.open_session_id))
            item.setData(Qt.ItemDataRole.UserRole, row.session_id)
            item.setToolTip("Click to open this session")
            priority = row.worst_alert.priority if row.worst_alert else (
                AlertPriority.LOW if row.overdue else None)  # overdue: a low-priority prompt
            if priority is not None:
                background, text = PRIORITY_COLOURS[priority]
                item.setBackground(QBrush(QColor(background)))
                item.setForeground(QBrush(QColor(text)))
            self.list.addItem(item)
        count = len(self.rows)
        alerts = sum(1 for r in self.rows if r.worst_alert is not None)
        self.status.setText(f"{count} active session{'s' if count != 1 else ''}"
                            + (f" · {alerts} with alerts" if alerts else ""))

    def texts(self) -> list[str]:
        """What each line of the board says (for tests and screen readers)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _activated(self, item: QListWidgetItem) -> None:
        self.openRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
