"""``python main.py listen``: receive readings from a monitor gateway over HL7 MLLP, headless.

Binds to 127.0.0.1:2575 unless told otherwise, answers every message with an ACK after its
readings are committed, prints one line per message, and stops cleanly on Ctrl+C (SIGINT)
or SIGTERM: the message being handled is finished and answered first. The alerts each
message raises are recorded with its readings; every two seconds the fed sessions'
technical alerts (feed silent, reading overdue) are brought up to date, and each alert
that sounds is printed."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from ..app.live_feed import FeedCommit, FeedTicker, LiveFeedHandler
from ..io.mllp import DEFAULT_PORT, MessageEvent, MllpListener
from ..paths import default_db_path
from ..store import Store, StoreError

#: How often the technical alerts of the fed sessions (feed silent, reading overdue) are
#: brought up to date.
TICK_SECONDS = 2.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py listen",
        description="Receive HL7 v2 ORU^R01 messages over MLLP and chart their readings: "
                    "each goes to the patient's active session (PID-3), or a new one.")
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help=f"database (default {default_db_path()})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--session", type=int, metavar="ID",
                        help="put every reading in this session instead of routing by PID-3")
    parser.add_argument("--allow", action="append", metavar="ADDRESS",
                        help="only accept these peers (address or network; repeatable)")
    return parser


def _print_message(event: MessageEvent) -> None:
    print(f"{event.received_at.astimezone():%H:%M:%S} message {event.control_id or '?'} "
          f"from {event.peer}: {event.ack_code}", flush=True)


def _print_commit(commit: FeedCommit) -> None:
    sessions = ", ".join(str(s) for s in commit.session_ids)
    new = f" (new session {', '.join(map(str, commit.created_sessions))})" \
        if commit.created_sessions else ""
    print(f"  {commit.readings} reading{'s' * (commit.readings != 1)} -> session "
          f"{sessions}{new}", flush=True)
    for alert in commit.alerts:
        print(f"  alert: {alert.text}", flush=True)


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port} is not a TCP port (0-65535)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    db_path = args.db or default_db_path()
    try:
        with Store.open(db_path) as store:  # create or migrate it now, before peers connect
            if args.session is not None:
                store.get_session(args.session)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    handler = LiveFeedHandler(db_path, session_id=args.session, on_committed=_print_commit)
    try:
        listener = MllpListener(handler, host=args.host, port=args.port,
                                allow_peers=args.allow, on_message=_print_message)
        listener.start()
    except (OSError, ValueError) as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    host, port = listener.address
    print(f"listening on {host}:{port}, database {db_path}; Ctrl+C stops", flush=True)
    ticks = Store.open(db_path, check=False)
    ticker = FeedTicker(ticks)
    try:
        while not stop.wait(TICK_SECONDS):
            for session_id, alert in ticker.tick(handler.fed_sessions()):
                print(f"  alert: session {session_id}: {alert.text}", flush=True)
    finally:
        listener.stop()
        handler.close()
        ticks.close()
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)
    print("stopped", flush=True)
    return 0
