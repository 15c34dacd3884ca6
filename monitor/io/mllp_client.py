"""A small blocking MLLP sender: frames each message and waits for its ACK. For tests, the
benchmark and tools; the app itself only listens."""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Iterable

from .mllp import DEFAULT_MAX_FRAME, MllpDecoder, frame


class NoAck(ConnectionError):
    """The receiver closed the connection before answering."""


class MllpClient:
    """One connection to an MLLP receiver. ``timeout`` (seconds) bounds the connect and each
    wait for data; a late ACK raises TimeoutError."""

    def __init__(self, host: str, port: int, timeout: float = 10.0,
                 max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._decoder = MllpDecoder(max_frame)
        self._acks: deque[bytes] = deque()

    def send(self, message: bytes) -> bytes:
        """Send one message (unframed) and return its ACK (unframed)."""
        self.send_raw(frame(message))
        return self.receive()

    def send_raw(self, data: bytes) -> None:
        """Send bytes exactly as given: no framing (for tests of broken senders)."""
        self.sock.sendall(data)

    def receive(self) -> bytes:
        """The next ACK frame from the receiver; bytes outside frames are skipped."""
        while not self._acks:
            data = self.sock.recv(65536)
            if not data:
                raise NoAck("the receiver closed the connection without an ACK")
            self._acks.extend(item for item in self._decoder.feed(data) if isinstance(item, bytes))
        return self._acks.popleft()

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()

    def __enter__(self) -> MllpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def send_messages(host: str, port: int, messages: Iterable[bytes],
                  timeout: float = 10.0) -> list[bytes]:
    """Send each message on one connection, waiting for each ACK before the next; return the
    ACKs (unframed) in order."""
    with MllpClient(host, port, timeout) as client:
        return [client.send(message) for message in messages]
