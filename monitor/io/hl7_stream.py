"""An HL7 v2 file read message by message, never whole.

A batch file of ORU^R01 messages (with or without FHS/BHS/BTS/FTS) can hold a million
readings; reading it whole held every message, and every parsed segment, at once. Here the
file is read a megabyte at a time and cut into messages at each MSH segment, so memory holds
one message. What one message may hold is bounded by :data:`~monitor.io.limits.MESSAGE_BYTES`
and :data:`~monitor.io.limits.SEGMENT_BYTES`: a file that is one endless line, or one endless
message, is refused as soon as it goes beyond them, with where (segment number, message id).

The segment rules are those of the whole-file reader (``hl7v2._messages``): segments end at
CR, LF or CRLF; MLLP frame bytes (VT, FS) are dropped; FHS, BHS, BTS and FTS are skipped;
text before the first MSH is reported once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from .limits import MESSAGE_BYTES, SEGMENT_BYTES
from .parsed import RowError

_CHUNK = 1024 * 1024
_SEGMENT_END = re.compile(rb"\r\n|\r|\n")
_BATCH_SEGMENTS = (b"FHS", b"BHS", b"BTS", b"FTS")


def raw_messages(stream: BinaryIO, head: bytes = b"") -> Iterator[bytes | RowError]:
    """Each message of ``stream`` (after ``head``, bytes already read from it) as bytes with
    CR segment ends, or a :class:`RowError`: text before the first MSH (once, not fatal), or
    a limit hit (fatal: nothing follows it)."""
    segments: list[bytes] = []
    size = 0
    number = 0
    in_batch = 0  # messages since the last BHS (or the start)
    warned = False
    pending = head
    while True:
        chunk = stream.read(_CHUNK)
        data = pending + chunk
        pieces = _SEGMENT_END.split(data.replace(b"\x0b", b"").replace(b"\x1c", b"\r"))
        # The last piece may be cut short by the chunk: keep it for the next round.
        pending = pieces.pop() if chunk else b""
        if len(pending) > SEGMENT_BYTES.value:
            yield SEGMENT_BYTES.refusal(f"segment {number + len(pieces) + 1}")
            return
        if not chunk and pending:
            pieces.append(pending)
            pending = b""
        for piece in pieces:
            segment = piece.strip(b"\n ")
            if not segment:
                continue
            number += 1
            if len(segment) > SEGMENT_BYTES.value:
                yield SEGMENT_BYTES.refusal(f"segment {number}")
                return
            name = segment[:3]
            if name in _BATCH_SEGMENTS:
                if name == b"BHS":
                    in_batch = 0
                elif name == b"BTS":
                    if segments:  # the batch's last message ends here
                        yield b"\r".join(segments) + b"\r"
                        segments = []
                    problem = _count_problem(segment, in_batch)
                    if problem:
                        yield RowError(f"segment {number} (BTS)", problem)
                continue
            if name == b"MSH":
                if segments:
                    yield b"\r".join(segments) + b"\r"
                segments, size = [segment], len(segment)
                in_batch += 1
            elif not segments:
                if not warned:
                    warned = True
                    yield RowError(f"segment {number}", "text before the first MSH segment is "
                                   "not HL7 v2; ignored")
            else:
                segments.append(segment)
                size += len(segment) + 1
                if size > MESSAGE_BYTES.value:
                    yield MESSAGE_BYTES.refusal(f"message starting at segment "
                                                f"{number - len(segments) + 1}")
                    return
        if not chunk:
            break
    if segments:
        yield b"\r".join(segments) + b"\r"


def _count_problem(trailer: bytes, held: int) -> str | None:
    """Why a batch trailer (BTS) does not match the messages its batch held, or None. A
    gateway that lost messages on the way says so in BTS-1; importing the rest in silence
    would chart a record with a hole in it."""
    fields = trailer.split(trailer[3:4] or b"|")
    declared = fields[1].strip() if len(fields) > 1 else b""
    if not declared.isdigit() or int(declared) == held:
        return None
    return (f"BTS-1 says the batch holds {int(declared)} message"
            f"{'s' * (int(declared) != 1)}, but it holds {held}: messages may be missing; "
            "ask the sender for the whole batch")
