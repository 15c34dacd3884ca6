"""MLLP transport: frame decoding, a TCP listener that hands each HL7 v2 message to a handler,
and the fallback ACK sent when the handler cannot answer. No Qt, no SQL.

MLLP wraps every message as ``0x0B + message + 0x1C 0x0D`` on a TCP stream, and the receiver
answers each message with an ACK framed the same way (MSA-1 AA, AE or AR; MSA-2 echoes MSH-10).

Contract with the handler (:data:`MessageHandler`): it gets one de-framed message and the peer,
parses it, commits what it keeps, and returns the ACK message (unframed). The listener frames
and sends that ACK only after the handler returned, so an ACK always means "committed". If the
handler raises or returns something that is not an ACK, the listener answers AE itself
(:func:`monitor.io.hl7v2.build_ack`). Messages on one connection are handled strictly in order.

Threading: one accept thread, one thread per connection, and one handler thread. Every handler
call runs on that single handler thread, one at a time, so the handler may keep a store it opens
on first use (an SQLite connection belongs to the thread that opened it) and never needs a lock.
``on_status_changed`` and ``on_message`` are called from listener threads (often, up to once
per message): a Qt user must marshal them to the GUI thread (emit a signal; a queued connection
does the rest), and they must not call :meth:`MllpListener.stop`.

Privacy: messages carry names and identifiers, so nothing here logs message contents. Logs name
the peer address, the control id (MSH-10), the size and the error class, nothing more.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

from .hl7v2 import build_ack

log = logging.getLogger(__name__)

SB = b"\x0b"  # start block
EB = b"\x1c"  # end block, followed by CR
CR = b"\x0d"

DEFAULT_PORT = 2575  # IANA port for HL7 over MLLP
DEFAULT_MAX_FRAME = 1024 * 1024
#: A connection that sends nothing for this long is closed. Gateways reconnect when they next
#: have data, and a peer that vanished without a FIN would otherwise hold a thread forever.
DEFAULT_IDLE_TIMEOUT = 600.0
DEFAULT_MAX_CONNECTIONS = 32
#: How many leading bytes of a dropped frame are kept: enough for a long MSH segment, so an
#: oversize message can still be answered with its control id.
HEAD_BYTES = 1024

_RECV_SIZE = 65536
_POLL_S = 0.2  # how often blocked threads look at the stop flag
_SEND_TIMEOUT_S = 10.0
_BLANK = b" \t\r\n"
_SEGMENT_END = re.compile(rb"\r\n|\r|\n")


def frame(message: bytes) -> bytes:
    """``message`` wrapped in the MLLP start and end blocks."""
    return SB + message + EB + CR


# -- decoding --------------------------------------------------------------------------------


class FrameErrorKind(StrEnum):
    """What went wrong in a byte stream."""

    GARBAGE = "garbage"  # bytes outside any frame: skipped
    UNFRAMED = "unframed"  # content ended by an end block with no start block: a lost 0x0B
    RESTARTED = "restarted"  # a start block inside a frame: the partial frame is dropped
    OVERSIZE = "oversize"  # longer than max_frame: dropped up to its end or the next start
    TRUNCATED = "truncated"  # the stream ended inside a frame


@dataclass(frozen=True)
class FrameError:
    """Bytes the decoder dropped. ``head`` holds the first bytes of what was dropped (for the
    control id); it may contain patient data, so it must never be logged."""

    kind: FrameErrorKind
    size: int  # bytes dropped; for OVERSIZE max_frame + 1 ("more than allowed")
    head: bytes = field(default=b"", repr=False)


class _State(Enum):
    OUTSIDE = "outside"
    IN_FRAME = "in-frame"
    DISCARD = "discard"


class MllpDecoder:
    """Incremental MLLP decoder: feed it whatever each ``recv`` returned, get back the complete
    frames (``bytes``, without framing) and :class:`FrameError` items, in stream order.

    Never raises on any input. Whitespace between frames (CR, LF) is ignored. A frame ends at
    the end block; the CR after it is optional, since some senders omit it."""

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        if max_frame < 1:
            raise ValueError("max_frame must be positive")
        self.max_frame = max_frame
        self._state = _State.OUTSIDE
        self._frame = bytearray()
        self._skip_cr = False
        self._garbage_size = 0
        self._garbage_head = bytearray()
        self._garbage_blank = True

    @property
    def in_frame(self) -> bool:
        """True while part of a frame has arrived and its end has not."""
        return self._state is not _State.OUTSIDE

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        """Decode the next piece of the stream."""
        out: list[bytes | FrameError] = []
        view = memoryview(data)
        pos, size = 0, len(data)
        # Cached positions of the next start and end block, so a stream of many blocks with no
        # partner (0x0B 0x0B ...) stays linear instead of rescanning to the end for each one.
        next_sb = next_eb = -2
        while pos < size:
            if self._skip_cr:
                self._skip_cr = False
                if data[pos] == CR[0]:
                    pos += 1
                    continue
            if next_sb != -1 and next_sb < pos:
                next_sb = data.find(SB, pos)
            if next_eb != -1 and next_eb < pos:
                next_eb = data.find(EB, pos)
            marks = [m for m in (next_sb, next_eb) if m != -1]
            stop = min(marks) if marks else size
            self._take(view[pos:stop], out)
            if stop == size:
                break
            pos = stop + 1
            if stop == next_sb:
                self._start_block(out)
            else:
                self._end_block(out)
        return out

    def finish(self) -> list[FrameError]:
        """The stream ended: report what was left unfinished and reset."""
        out: list[bytes | FrameError] = []
        if self._state is _State.IN_FRAME:
            out.append(FrameError(FrameErrorKind.TRUNCATED, len(self._frame), self._head()))
        self._flush_garbage(out)
        self._state = _State.OUTSIDE
        self._frame.clear()
        self._skip_cr = False
        return [e for e in out if isinstance(e, FrameError)]

    def _head(self) -> bytes:
        return bytes(self._frame[:HEAD_BYTES])

    def _take(self, chunk: memoryview, out: list[bytes | FrameError]) -> None:
        if self._state is _State.IN_FRAME:
            if len(self._frame) + len(chunk) > self.max_frame:
                head = bytes(self._frame[:HEAD_BYTES]) + bytes(chunk[:HEAD_BYTES])
                out.append(FrameError(FrameErrorKind.OVERSIZE, self.max_frame + 1,
                                      head[:HEAD_BYTES]))
                self._frame.clear()
                self._state = _State.DISCARD
            else:
                self._frame += chunk
        elif self._state is _State.OUTSIDE:
            # A long run of garbage is reported every max_frame bytes rather than only when it
            # ends; cutting at fixed offsets keeps the result independent of how reads split.
            while chunk:
                piece = chunk[: self.max_frame - self._garbage_size]
                chunk = chunk[len(piece):]
                self._garbage_size += len(piece)
                if len(self._garbage_head) < HEAD_BYTES:
                    self._garbage_head += piece[: HEAD_BYTES - len(self._garbage_head)]
                if self._garbage_blank and bytes(piece).strip(_BLANK):
                    self._garbage_blank = False
                if self._garbage_size >= self.max_frame:
                    self._flush_garbage(out)
        # DISCARD: the rest of an oversize frame, already reported.

    def _start_block(self, out: list[bytes | FrameError]) -> None:
        if self._state is _State.IN_FRAME:
            out.append(FrameError(FrameErrorKind.RESTARTED, len(self._frame), self._head()))
            self._frame.clear()
        else:
            self._flush_garbage(out)
        self._state = _State.IN_FRAME

    def _end_block(self, out: list[bytes | FrameError]) -> None:
        if self._state is _State.IN_FRAME:
            out.append(bytes(self._frame))
            self._frame.clear()
        elif self._state is _State.OUTSIDE:
            if self._garbage_blank:
                self._garbage_size += 1  # a stray end block is garbage too
                self._garbage_blank = False
                self._flush_garbage(out)
            else:
                out.append(FrameError(FrameErrorKind.UNFRAMED, self._garbage_size,
                                      bytes(self._garbage_head.lstrip(_BLANK))))
                self._reset_garbage()
        self._state = _State.OUTSIDE
        self._skip_cr = True

    def _flush_garbage(self, out: list[bytes | FrameError]) -> None:
        if self._garbage_size and not self._garbage_blank:
            out.append(FrameError(FrameErrorKind.GARBAGE, self._garbage_size,
                                  bytes(self._garbage_head)))
        self._reset_garbage()

    def _reset_garbage(self) -> None:
        self._garbage_size = 0
        self._garbage_head.clear()
        self._garbage_blank = True


# -- ACKs ------------------------------------------------------------------------------------


def _first_segment(message: bytes) -> bytes:
    return _SEGMENT_END.split(message.lstrip(_BLANK), maxsplit=1)[0]


def _msh_fields(message: bytes) -> list[bytes] | None:
    """MSH split on its field separator (index n-1 is MSH-n), or None when there is none."""
    msh = _first_segment(message)
    if len(msh) < 8 or not msh.startswith(b"MSH"):
        return None
    return msh.split(msh[3:4])


def control_id(message: bytes) -> str | None:
    """MSH-10 of ``message`` (printable characters only, at most 64), or None. Safe to log:
    a control id identifies the message, not the patient."""
    fields = _msh_fields(message)
    if fields is None or len(fields) < 10:
        return None
    text = "".join(c for c in fields[9].decode("latin-1") if c.isprintable())[:64]
    return text or None


def ack_code(ack: bytes) -> str:
    """MSA-1 of an ACK message, or '' when it has none."""
    for segment in _SEGMENT_END.split(ack):
        if segment.startswith(b"MSA") and len(segment) > 4:
            return segment[4:].split(segment[3:4])[0].decode("latin-1")
    return ""


class InvalidAck(ValueError):
    """The handler returned something that cannot be sent as an ACK."""


def _checked_ack(ack: object) -> bytes:
    if not isinstance(ack, bytes | bytearray) or not ack:
        raise InvalidAck(f"handler returned {type(ack).__name__}, not ACK bytes")
    if SB in ack or EB in ack:
        raise InvalidAck("handler returned an ACK containing MLLP framing bytes")
    return bytes(ack)


# -- listener --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerInfo:
    """The other end of one connection."""

    host: str
    port: int
    connected_at: datetime

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class PeerStatus:
    """One connected peer as seen at snapshot time."""

    peer: PeerInfo
    messages: int = 0
    errors: int = 0
    last_message_at: datetime | None = None


@dataclass(frozen=True)
class FeedStatus:
    """A snapshot of the feed. ``errors`` counts framing errors, handler failures, ACKs other
    than AA, refused peers and socket errors; ``last_error`` says what the latest one was
    (never with patient data)."""

    listening: bool = False
    address: tuple[str, int] | None = None
    peers: tuple[PeerStatus, ...] = ()
    total_messages: int = 0
    errors: int = 0
    refused_peers: int = 0
    last_message_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class MessageEvent:
    """One message handled and answered (for ``on_message``)."""

    peer: PeerInfo
    control_id: str | None
    ack_code: str
    size: int
    received_at: datetime


MessageHandler = Callable[[bytes, PeerInfo], bytes]
StatusCallback = Callable[[FeedStatus], None]
MessageCallback = Callable[[MessageEvent], None]


def _parse_allow_list(
    allow_peers: Collection[str] | None,
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    if allow_peers is None:
        return None
    # Addresses or networks only: resolving names at accept time is slow and spoofable.
    return [ipaddress.ip_network(entry, strict=False) for entry in allow_peers]


class _Connection:
    """Book-keeping for one accepted socket (guarded by the listener's lock)."""

    def __init__(self, sock: socket.socket, peer: PeerInfo) -> None:
        self.sock = sock
        self.peer = peer
        self.status = PeerStatus(peer)
        self.thread: threading.Thread | None = None


class MllpListener:
    """Accepts MLLP connections and answers every message through ``handler``, which runs on
    one dedicated thread, one message at a time (see the module docstring for the contract).

    Binds to loopback unless ``host`` says otherwise; ``port=0`` picks a free port (see
    :attr:`address`). ``allow_peers`` lists the addresses or networks that may connect (None:
    any); others are closed at once and logged. ``idle_timeout`` (seconds, None for never)
    closes connections that send nothing. Use as a context manager, or call :meth:`start`
    and :meth:`stop`. A stopped listener cannot be started again: make a new one."""

    def __init__(
        self,
        handler: MessageHandler,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        allow_peers: Collection[str] | None = None,
        max_frame: int = DEFAULT_MAX_FRAME,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        on_status_changed: StatusCallback | None = None,
        on_message: MessageCallback | None = None,
    ) -> None:
        if max_frame < 1:
            raise ValueError("max_frame must be positive")
        self._handler = handler
        self._host = host
        self._port = port
        self._allowed = _parse_allow_list(allow_peers)
        self.max_frame = max_frame
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.on_status_changed = on_status_changed
        self.on_message = on_message
        self._lock = threading.Lock()
        self._notify_lock = threading.Lock()  # keeps snapshots reaching the callback in order
        self._stopping = threading.Event()
        self._server: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._connections: dict[int, _Connection] = {}
        self._status = FeedStatus()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Bind and start serving in background threads. Raises OSError when the address
        cannot be bound (port in use, no such interface)."""
        if self._server is not None:
            raise RuntimeError("listener already started")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        server = socket.create_server((self._host, self._port), family=family, backlog=16)
        server.settimeout(_POLL_S)
        self._server = server
        address = server.getsockname()[:2]
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllp-handler")
        with self._lock:
            self._status = replace(self._status, listening=True, address=address)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"mllp-accept-{address[1]}", daemon=True
        )
        self._accept_thread.start()
        log.info("MLLP listener on %s:%d", address[0], address[1])
        self._notify_status()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection and join the threads.

        A message already in the handler is finished and answered first (its ACK still goes
        out); frames not yet handled are dropped unanswered, so their sender resends them.
        Waits at most about ``timeout`` seconds for a stuck handler, then logs and returns."""
        if self._server is None or self._stopping.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes accept() at once where supported
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
        self._server.close()  # new peers are refused from here on
        with self._lock:
            connections = list(self._connections.values())
        for conn in connections:
            # Shutting down only the read side wakes a blocked recv at once but still lets a
            # handler that is finishing send its ACK.
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RD)
        deadline = time.monotonic() + timeout
        for conn in connections:
            if conn.thread is not None:
                conn.thread.join(max(0.0, deadline - time.monotonic()))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        stuck = [c.peer for c in connections if c.thread is not None and c.thread.is_alive()]
        if stuck:
            log.warning("MLLP listener stopped with %d connection(s) still busy", len(stuck))
        with self._lock:
            self._status = replace(self._status, listening=False)
        log.info("MLLP listener stopped")
        self._notify_status()

    def __enter__(self) -> MllpListener:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); useful with ``port=0``. Only after :meth:`start`."""
        address = self._status.address
        if address is None:
            raise RuntimeError("listener not started")
        return address

    def status(self) -> FeedStatus:
        """A consistent snapshot of the feed; safe from any thread."""
        with self._lock:
            peers = tuple(c.status for c in self._connections.values())
            return replace(self._status, peers=peers)

    # -- accepting -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stopping.is_set():
            try:
                sock, addr = self._server.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stopping.is_set():
                    break
                # Out of file descriptors and the like: note it, back off, keep serving.
                self._note_error(None, f"accept failed: {type(exc).__name__}")
                self._stopping.wait(_POLL_S)
                continue
            self._admit(sock, addr)

    def _admit(self, sock: socket.socket, addr: tuple) -> None:
        peer = PeerInfo(str(addr[0]), int(addr[1]), datetime.now(UTC))
        with self._lock:
            busy = len(self._connections) >= self.max_connections
        refusal = None
        if not self._peer_allowed(peer.host):
            refusal = "not in the allow-list"
        elif busy:
            refusal = f"already {self.max_connections} connections"
        if refusal is not None:
            log.warning("MLLP: refused connection from %s (%s)", peer, refusal)
            sock.close()
            with self._lock:
                self._status = replace(
                    self._status, refused_peers=self._status.refused_peers + 1,
                    errors=self._status.errors + 1, last_error=f"refused {peer.host}: {refusal}",
                )
            self._notify_status()
            return
        sock.settimeout(_POLL_S)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # ACKs go out at once
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except OSError:
            pass  # an optimisation only; the peer may already be gone
        conn = _Connection(sock, peer)
        conn.thread = threading.Thread(
            target=self._serve, args=(conn,), name=f"mllp-{peer}", daemon=True
        )
        with self._lock:
            self._connections[id(conn)] = conn
        log.info("MLLP: connection from %s", peer)
        conn.thread.start()
        self._notify_status()

    def _peer_allowed(self, host: str) -> bool:
        if self._allowed is None:
            return True
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._allowed)

    # -- serving one connection ------------------------------------------------------------

    def _serve(self, conn: _Connection) -> None:
        decoder = MllpDecoder(self.max_frame)
        reason = "closed by peer"
        last_data = time.monotonic()
        try:
            while not self._stopping.is_set():
                try:
                    data = conn.sock.recv(_RECV_SIZE)
                except TimeoutError:
                    idle_s = time.monotonic() - last_data
                    if self.idle_timeout is not None and idle_s >= self.idle_timeout:
                        reason = "idle timeout"
                        break
                    continue
                if not data:
                    if not self._stopping.is_set():
                        for error in decoder.finish():
                            self._framing_error(conn, error)
                    break
                for item in decoder.feed(data):
                    if self._stopping.is_set():
                        break  # unanswered frames are resent by their sender
                    if isinstance(item, bytes):
                        self._handle(conn, item)
                    else:
                        self._framing_error(conn, item)
                last_data = time.monotonic()  # time spent in the handler is not idleness
            else:
                reason = "listener stopped"
        except OSError as exc:
            reason = f"socket error {type(exc).__name__}"
            if not self._stopping.is_set():
                self._note_error(conn, reason)
        finally:
            conn.sock.close()
            with self._lock:
                self._connections.pop(id(conn), None)
            log.info("MLLP: connection from %s ended (%s)", conn.peer, reason)
            self._notify_status()

    def _handle(self, conn: _Connection, message: bytes) -> None:
        received_at = datetime.now(UTC)
        msg_id = control_id(message)
        assert self._executor is not None
        try:
            # The single handler thread runs it; waiting here keeps this connection in order.
            ack = _checked_ack(self._executor.submit(self._handler, message, conn.peer).result())
        except Exception as exc:  # noqa: BLE001 - any handler failure must still be answered
            # Only the class: an exception's text may quote the message, which holds patient data.
            log.error("MLLP: handler failed on message %s from %s (%d bytes): %s",
                      msg_id, conn.peer, len(message), type(exc).__name__)
            ack = build_ack(message, "AE", "message could not be processed")
            self._note_error(conn, f"handler failed: {type(exc).__name__}")
        code = ack_code(ack)
        with self._lock:
            status = self._status
            errors = 0 if code in ("AA", "CA") else 1
            self._status = replace(
                status, total_messages=status.total_messages + 1, last_message_at=received_at,
                errors=status.errors + errors,
                last_error=f"answered {code or 'without MSA'}" if errors else status.last_error,
            )
            conn.status = replace(
                conn.status, messages=conn.status.messages + 1, last_message_at=received_at,
                errors=conn.status.errors + errors,
            )
        self._send(conn, ack)
        self._notify_status()
        if self.on_message is not None:
            event = MessageEvent(conn.peer, msg_id, code, len(message), received_at)
            self._call_back(self.on_message, event)

    def _framing_error(self, conn: _Connection, error: FrameError) -> None:
        msg_id = control_id(error.head)
        log.warning("MLLP: %s from %s (%d bytes, message %s)",
                    error.kind.value, conn.peer, error.size, msg_id)
        self._note_error(conn, f"framing: {error.kind.value}")
        # The sender of an oversize or unframed message waits for an answer; say why it was
        # rejected so it does not resend forever. Other bytes were not a message to answer.
        if error.kind is FrameErrorKind.OVERSIZE:
            why = f"frame exceeds {self.max_frame} bytes"
        elif error.kind is FrameErrorKind.UNFRAMED:
            why = "message without MLLP start block"
        else:
            return
        self._send(conn, build_ack(error.head, "AR", why))

    def _send(self, conn: _Connection, ack: bytes) -> None:
        # One sendall of the whole framed ACK: simple clients read the answer with one recv.
        conn.sock.settimeout(_SEND_TIMEOUT_S)
        try:
            conn.sock.sendall(frame(ack))
        finally:
            conn.sock.settimeout(_POLL_S)

    # -- status ----------------------------------------------------------------------------

    def _note_error(self, conn: _Connection | None, what: str) -> None:
        with self._lock:
            self._status = replace(self._status, errors=self._status.errors + 1, last_error=what)
            if conn is not None:
                conn.status = replace(conn.status, errors=conn.status.errors + 1)
        self._notify_status()

    def _notify_status(self) -> None:
        callback = self.on_status_changed
        if callback is None:
            return
        with self._notify_lock:
            self._call_back(callback, self.status())

    def _call_back(self, callback: Callable[[Any], None], arg: object) -> None:
        try:
            callback(arg)
        except Exception:  # noqa: BLE001 - a broken observer must not break the feed
            log.exception("MLLP: %s callback failed", getattr(callback, "__name__", "a"))
