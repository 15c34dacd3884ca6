"""Live feed over MLLP: messages per second and ACK latency percentiles for the app's
handler (parse, route, commit with synchronous=FULL, then ACK), next to the same listener
with a bare handler that only builds the ACK, measured in the same run. Each sender sends
one message, waits for its ACK, and sends the next, as a monitor gateway does."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..app.live_feed import LiveFeedHandler
from ..io.hl7v2 import build_ack
from ..io.mllp import MllpListener
from ..io.mllp_client import MllpClient
from .report import Figure

T0 = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
SENDERS = 4  # four monitors on one gateway


def message(sender: int, i: int) -> bytes:
    when = (T0 + timedelta(seconds=i)).strftime("%Y%m%d%H%M%S+0000")
    return (
        f"MSH|^~\\&|GW{sender}|WARD|MONITOR|CLINIC|{when}||ORU^R01^ORU_R01|M{sender}-{i}|P|2.6\r"
        f"PID|||BENCH-{sender}^^^H^MR||Bench^Patient\r"
        f"OBR|1|||85353-1^Vital signs^LN|||{when}\r"
        f"OBX|1|NM|8480-6^SBP^LN||{120 + i % 30}|mm[Hg]|||||F|||{when}\r"
        f"OBX|2|NM|8462-4^DBP^LN||{75 + i % 10}|mm[Hg]|||||F|||{when}\r"
        f"OBX|3|NM|8867-4^HR^LN||{70 + i % 25}|/min|||||F|||{when}\r"
        f"OBX|4|NM|59408-5^SpO2^LN||{95 + i % 5}|%|||||F|||{when}\r"
    ).encode()


def _drive(handler, per_sender: int) -> tuple[float, list[float]]:
    """Messages per second over all senders, and every ACK latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    with MllpListener(handler, port=0) as listener:
        host, port = listener.address[:2]

        def sender(index: int) -> None:
            mine = []
            with MllpClient(host, port, timeout=30) as client:
                for i in range(per_sender):
                    began = time.perf_counter()
                    client.send(message(index, i))
                    mine.append((time.perf_counter() - began) * 1000)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    return SENDERS * per_sender / elapsed, latencies


def _p(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100)[pct - 1]


def run(quick: bool = False) -> list[Figure]:
    per_sender = 100 if quick else 500
    with tempfile.TemporaryDirectory() as folder:
        handler = LiveFeedHandler(Path(folder) / "feed.sqlite")
        try:
            app_rate, app_lat = _drive(handler, per_sender)
        finally:
            handler.close()
    bare_rate, bare_lat = _drive(lambda data, peer: build_ack(data, "AA"), per_sender)
    return [
        Figure(f"MLLP messages/s, {SENDERS} senders, commit before ACK", app_rate, bare_rate,
               "msg/s", lower_is_better=False, target=">= 200 msg/s", met=app_rate >= 200),
        Figure("MLLP ACK latency p50", _p(app_lat, 50), _p(bare_lat, 50), "ms"),
        Figure("MLLP ACK latency p99", _p(app_lat, 99), _p(bare_lat, 99), "ms",
               target="< 50 ms", met=_p(app_lat, 99) < 50),
    ]
