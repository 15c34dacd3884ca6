"""Settings > Live feed…: receive readings from a monitor gateway over HL7 MLLP.

:class:`LiveFeed` owns the MLLP listener and its handler (monitor.app.live_feed), which commit
each message on the listener's own handler thread with their own Store connection. Listener
callbacks arrive on other threads; they only post what happened into a small mailbox and
emit one ``wake`` signal, which Qt queues to the GUI thread. There the news is applied at
most every ``STATUS_MS`` (status line, feed-silent alert clock) and the open session is
re-read at most every ``RELOAD_MS``, so a flood of messages never floods the event loop.
"""

from __future__ import annotations

import threading
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from monitor.app.live_feed import FeedCommit, FeedTicker, LiveFeedHandler
from monitor.io.mllp import DEFAULT_PORT, FeedStatus, MllpListener
from monitor.ui.alerts.alert_controller import AlertController
from monitor.ui.session_controller import SessionController
from monitor.ui.wheel_guard import guard_choices

STATUS_MS = 100
RELOAD_MS = 300
#: How often the fed sessions' technical alerts are brought up to date.
TICK_MS = 2000


class _Mailbox(QObject):
    """Where listener threads leave news for the GUI thread."""

    wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._status: FeedStatus | None = None
        self._sessions: set[int] = set()
        self._waiting = False

    def post_status(self, status: FeedStatus) -> None:
        with self._lock:
            self._status = status
            self._wake()

    def post_commit(self, commit: FeedCommit) -> None:
        with self._lock:
            self._sessions.update(commit.session_ids)
            self._wake()

    def _wake(self) -> None:
        if not self._waiting:  # one queued signal at a time, however many messages arrive
            self._waiting = True
            self.wake.emit()

    def take(self) -> tuple[FeedStatus | None, set[int]]:
        with self._lock:
            self._waiting = False
            status, sessions = self._status, self._sessions
            self._status, self._sessions = None, set()
            return status, sessions


class LiveFeed(QObject):
    """The listener as the GUI sees it. ``statusChanged`` carries a FeedStatus."""

    statusChanged = Signal(object)
    readingsArrived = Signal(int)  # a session id, after its readings were re-read

    def __init__(self, controller: SessionController, alerts: AlertController,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self.alerts = alerts
        self.listener: MllpListener | None = None
        self.handler: LiveFeedHandler | None = None
        self.status = FeedStatus()
        self._mailbox = _Mailbox()
        self._mailbox.wake.connect(self._schedule_drain)
        self._drain_timer = QTimer(self, singleShot=True, interval=STATUS_MS)
        self._drain_timer.timeout.connect(self._drain)
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_MS)
        self._reload_timer.timeout.connect(self._reload)
        self._reload_pending: set[int] = set()
        # Every fed session's technical alerts (feed silent, reading overdue), open or not,
        # recorded by the window's own recorder (the open one's are also ticked by the
        # alert controller: the same recorder, so never twice).
        self._ticker = FeedTicker(controller.store, alerts=controller.recorder)
        self._tick_timer = QTimer(self, interval=TICK_MS)
        self._tick_timer.timeout.connect(self._tick)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Close:
            self.stop()
        return False

    @property
    def running(self) -> bool:
        return self.listener is not None

    def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port``. Raises OSError when it cannot bind."""
        if self.listener is not None:
            return
        handler = LiveFeedHandler(self.controller.store.path,
                                  on_committed=self._mailbox.post_commit)
        listener = MllpListener(handler, host=host, port=port,
                                on_status_changed=self._mailbox.post_status)
        listener.start()
        self.listener, self.handler = listener, handler
        self._tick_timer.start()
        self._apply(listener.status())

    def stop(self) -> None:
        """Stop listening (the message being handled is still answered)."""
        listener, handler = self.listener, self.handler
        self.listener = self.handler = None
        self._tick_timer.stop()
        if listener is None:
            return
        listener.stop()
        if handler is not None:
            handler.close()
        self.alerts.feed_disconnected()
        self._apply(listener.status())

    @Slot()
    def _tick(self) -> None:
        """Let time pass for the fed sessions; sound what another chair's feed raised."""
        handler = self.handler
        if handler is None or self.controller.store.closed:
            return
        open_id = self.controller.session.id if self.controller.session else None
        for session_id, alert in self._ticker.tick(handler.fed_sessions()):
            if session_id != open_id:  # the open one sounds through its alert controller
                self.alerts.sound_elsewhere(alert)

    # -- news from the listener (GUI thread) -----------------------------------------------

    @Slot()
    def _schedule_drain(self) -> None:
        if not self._drain_timer.isActive():
            self._drain_timer.start()

    @Slot()
    def _drain(self) -> None:
        status, sessions = self._mailbox.take()
        if status is not None and self.listener is not None:
            self._apply(status)
        if sessions:
            self._reload_pending |= sessions
            if not self._reload_timer.isActive():
                self._reload_timer.start()

    def _apply(self, status: FeedStatus) -> None:
        previous = self.status.last_message_at
        self.status = status
        if status.last_message_at is not None and status.last_message_at != previous:
            self.alerts.feed_message_received(status.last_message_at)
        self.statusChanged.emit(status)

    @Slot()
    def _reload(self) -> None:
        sessions, self._reload_pending = self._reload_pending, set()
        session = self.controller.session
        if session is not None and session.id in sessions:
            # New rows are appended in place and evaluated one by one (alerts raise and
            # sound as at the bedside); a long session is never re-read for a message.
            self.controller.refresh_from_store()
            self.readingsArrived.emit(session.id)


def describe(status: FeedStatus) -> str:
    """One line for the window: state, peers, last message."""
    if not status.listening or status.address is None:
        return "Live feed: stopped"
    host, port = status.address
    peers = len(status.peers)
    last = _clock(status.last_message_at) if status.last_message_at else "none yet"
    text = (f"Live feed: listening on {host}:{port} · {peers} connected · "
            f"last message {last} · {status.total_messages} received")
    if status.errors:
        text += f" · {status.errors} problem{'s' * (status.errors != 1)}"
    return text


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


class FeedPanel(QDialog):
    """Start and stop the listener; see who is connected and when the last message came."""

    def __init__(self, feed: LiveFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self.feed = feed
        self.setWindowTitle("Live feed (HL7 MLLP)")
        self.setObjectName("feedPanel")
        self.host = QLineEdit("127.0.0.1")
        self.host.setObjectName("feedHost")
        self.host.setToolTip("127.0.0.1 accepts only this computer; the gateway's network "
                             "address (or 0.0.0.0) accepts others")
        self.port = QSpinBox()
        self.port.setObjectName("feedPort")
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.start_button = QPushButton("&Start")
        self.start_button.setObjectName("feedStart")
        self.stop_button = QPushButton("S&top")
        self.stop_button.setObjectName("feedStop")
        self.state = QLabel()
        self.state.setObjectName("feedState")
        self.peers = QLabel()
        self.peers.setObjectName("feedPeers")
        self.last = QLabel()
        self.last.setObjectName("feedLast")
        self.problem = QLabel("none")
        self.problem.setObjectName("feedProblem")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Listen on address:", self.host)
        form.addRow("Port:", self.port)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        info = QFormLayout()
        info.addRow("State:", self.state)
        info.addRow("Connected:", self.peers)
        info.addRow("Last message:", self.last)
        info.addRow("Problems:", self.problem)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addLayout(info)
        layout.addWidget(QLabel("Readings go to the patient's active session (PID-3), or a new "
                                "one. The feed-silent alert uses the alert settings."))
        layout.addWidget(close)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        feed.statusChanged.connect(self.show_status)
        self.show_status(feed.status)
        guard_choices(self)  # the wheel never changes an unfocused choice

    @Slot()
    def start(self) -> None:
        host = self.host.text().strip()
        if not host:
            self.problem.setText("Enter the address to listen on (127.0.0.1 for this "
                                 "computer only).")
            return
        try:
            self.feed.start(host, self.port.value())
        except (OSError, ValueError) as error:
            self.problem.setText(f"Cannot listen on {host}:{self.port.value()}: "
                                 f"{getattr(error, 'strerror', None) or error}")
            return
        self.problem.setText("none")

    @Slot()
    def stop(self) -> None:
        self.feed.stop()

    @Slot(object)
    def show_status(self, status: FeedStatus) -> None:
        listening = status.listening and self.feed.running
        self.start_button.setEnabled(not listening)
        self.stop_button.setEnabled(listening)
        self.host.setEnabled(not listening)
        self.port.setEnabled(not listening)
        if listening and status.address is not None:
            self.state.setText(f"Listening on {status.address[0]}:{status.address[1]} · "
                               f"{status.total_messages} message"
                               f"{'s' * (status.total_messages != 1)} received")
        else:
            self.state.setText("Stopped")
        self.peers.setText(", ".join(str(p.peer) for p in status.peers) or "nobody")
        self.last.setText(_clock(status.last_message_at) if status.last_message_at else "—")
        if status.errors:
            self.problem.setText(f"{status.errors}: last {status.last_error or 'unknown'}")


class FeedStrip(QLabel):
    """A line under the alert banner while the feed listens."""

    def __init__(self, feed: LiveFeed, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("feedStrip")
        self.setVisible(False)
        feed.statusChanged.connect(self.show_status)

    @Slot(object)
    def show_status(self, status: FeedStatus) -> None:
        self.setText(describe(status))
        self.setVisible(status.listening)


def install_feed(window: QWidget) -> LiveFeed:
    """Add Settings > Live feed… and the feed's status line; stop the feed with the app."""
    feed = LiveFeed(window.controller, window.alerts, window)  # type: ignore[attr-defined]
    panel: list[FeedPanel] = []

    def show_panel() -> None:
        if not panel:
            panel.append(FeedPanel(feed, window))
        panel[0].show()
        panel[0].raise_()
        panel[0].activateWindow()

    window.add_menu_action("&Settings", "&Live feed…", show_panel,  # type: ignore[attr-defined]
                           None, "liveFeedAction")
    window.add_strip(FeedStrip(feed))  # type: ignore[attr-defined]
    window.installEventFilter(feed)  # stop listening when the window closes
    window.live_feed = feed  # type: ignore[attr-defined]
    window.feed_panel = panel  # type: ignore[attr-defined]
    return feed
