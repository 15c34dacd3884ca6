"""Settings > Live feed…: start, readings arriving on the open chart, status, flood, stop."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from monitor.domain.vitals import Vital
from monitor.io.mllp import frame
from monitor.io.mllp_client import MllpClient
from monitor.store import Store
from monitor.ui.dialogs.feed_panel import FeedPanel, FeedStrip
from monitor.ui.main_window import MainWindow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def oru(ctrl: str, hr: int, second: int, patient: str = "P-100") -> bytes:
    time = f"20240501{10 + second // 3600:02d}{second // 60 % 60:02d}{second % 60:02d}+0000"
    return (f"MSH|^~\\&|GW|WARD|MON|REC|{time}||ORU^R01|{ctrl}|P|2.6\r"
            f"PID|||{patient}^^^HOSP^MR||Doe^John\rOBR|1|||VITALS|||{time}\r"
            f"OBX|1|NM|8867-4^HR^LN||{hr}|/min|||||F\r").encode()


@pytest.fixture
def panel(window: MainWindow, qtbot) -> Iterator[FeedPanel]:
    window.findChild(QAction, "liveFeedAction").trigger()
    [shown] = window.feed_panel
    qtbot.waitExposed(shown)
    yield shown
    window.live_feed.stop()


def start(panel: FeedPanel, qtbot) -> int:
    port = free_port()
    panel.port.setValue(port)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.state.text().startswith(f"Listening on 127.0.0.1:{port}")
    return port


def test_readings_from_the_feed_appear_on_the_open_session(window: MainWindow, panel: FeedPanel,
                                                           qtbot, other_connection: Store) -> None:
    assert panel.host.text() == "127.0.0.1" and panel.port.value() == 2575  # the defaults
    port = start(panel, qtbot)
    strip = window.findChild(FeedStrip)
    assert strip.isVisible() and "listening on 127.0.0.1" in strip.text()
    with MllpClient("127.0.0.1", port) as client:
        client.send(oru("M1", 72, 0))
        qtbot.waitUntil(lambda: window.table_model.rowCount() == 1, timeout=30_000)
        qtbot.waitUntil(lambda: panel.peers.text().startswith("127.0.0.1:"), timeout=30_000)
        assert panel.last.text() != "—"
    session = window.controller.session
    assert session is not None
    assert [dict(r.values) for r in other_connection.readings(session.id or 0)] == [
        {Vital.HR: 72}]
    assert window.table_model.index(0, 7).data() == "device: MLLP (HL7 v2), device GW"
    assert window.alerts.last_feed_message_at is not None  # the feed-silent clock runs
    qtbot.waitUntil(lambda: panel.peers.text() == "nobody", timeout=30_000)

    panel.stop_button.click()
    assert panel.state.text() == "Stopped" and panel.start_button.isEnabled()
    assert not strip.isVisible()
    assert window.alerts.last_feed_message_at is None  # silence is no longer an alarm


def test_a_flood_of_messages_is_shown_with_few_reloads(window: MainWindow, panel: FeedPanel,
                                                      qtbot) -> None:
    port = start(panel, qtbot)
    reloads: list[int] = []
    window.controller.readingsChanged.connect(lambda: reloads.append(1))
    with MllpClient("127.0.0.1", port) as client:
        # A gateway catching up after an outage: every message at once, then the ACKs.
        client.send_raw(b"".join(frame(oru(f"F{n}", 60 + n % 40, n)) for n in range(200)))
        acks = [client.receive() for _ in range(200)]
    assert all(b"MSA|AA|" in a for a in acks)
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 200, timeout=30_000)
    assert len(reloads) < 40  # coalesced, not one re-read per message
    qtbot.waitUntil(lambda: "200 messages received" in panel.state.text(), timeout=30_000)


def test_other_patients_do_not_reload_the_open_session(window: MainWindow, panel: FeedPanel,
                                                       qtbot, other_connection: Store) -> None:
    port = start(panel, qtbot)
    reloads: list[int] = []
    window.controller.readingsChanged.connect(lambda: reloads.append(1))
    with MllpClient("127.0.0.1", port) as client:
        client.send(oru("O1", 90, 0, patient="P-555"))
    qtbot.waitUntil(lambda: other_connection.active_session_for_patient("P-555") is not None,
                    timeout=30_000)
    qtbot.waitUntil(lambda: "1 message received" in panel.state.text(), timeout=30_000)
    assert reloads == [] and window.table_model.rowCount() == 0


def test_bad_address_and_busy_port_are_explained(panel: FeedPanel, qtbot) -> None:
    panel.host.setText("")
    panel.start_button.click()
    assert "Enter the address" in panel.problem.text()
    panel.host.setText("127.0.0.1")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        panel.port.setValue(busy.getsockname()[1])
        panel.start_button.click()
        assert panel.problem.text().startswith(
            f"Cannot listen on 127.0.0.1:{busy.getsockname()[1]}")
    assert panel.state.text() == "Stopped"
    panel.host.setText("not-an-address.invalid")
    panel.start_button.click()
    assert "Cannot listen on not-an-address.invalid" in panel.problem.text()


def test_a_critical_value_from_the_feed_sounds_without_rereading_the_session(
        window: MainWindow, panel: FeedPanel, qtbot, monkeypatch) -> None:
    """Feed readings are appended and evaluated one by one, as at the bedside: the alert is
    raised and sounded, and the open session is not read again for a message."""
    rereads: list[int] = []
    monkeypatch.setattr(window.controller, "reload", lambda: rereads.append(1))
    port = start(panel, qtbot)
    with qtbot.waitSignal(window.alerts.alertSounded, timeout=30_000) as sounded, \
            MllpClient("127.0.0.1", port) as client:
        client.send(oru("M1", 72, 0))
        client.send(oru("M2", 190, 60))
    assert sounded.args[0].vital is Vital.HR
    qtbot.waitUntil(lambda: window.table_model.rowCount() == 2, timeout=30_000)
    assert [a.vital for a in window.alerts.active_alerts()] == [Vital.HR]
    assert rereads == []
