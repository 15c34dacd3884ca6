"""JSON text read from a binary stream one value at a time, in memory bounded by one value.

A FHIR Bundle may hold millions of entries, and ``json.load`` holds the whole document and
every object in it (3.3 GB for 600,000 Observations). :class:`JsonText` reads the UTF-8 text
in chunks and decodes one value at a time with the standard library's C decoder
(``JSONDecoder.raw_decode``), so only the value being read is held whole: a caller walks the
top-level object key by key (:meth:`JsonText.object_keys`) and a big array element by element
(:meth:`JsonText.elements`). Nothing here parses JSON itself beyond the punctuation between
values; every value is decoded by the standard library.

Every value is held to the same rules, each a :class:`JsonProblem` naming the line and
column: at most ``max_chars`` characters (a larger one is not held: it is refused as soon as
the buffer passes the limit), nested at most ``max_depth`` levels from the document's top,
no key repeated within one object (FHIR forbids it, and which of two values a sender meant
cannot be told), and valid UTF-8 JSON.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

CHUNK_BYTES = 1 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# A decoding failure this close to the end of the buffer may only mean the value goes on in
# the next chunk.
_NEAR_END = 16


class JsonProblem(Exception):
    """The text is not JSON this reader accepts. ``kind`` is ``"syntax"`` (not valid JSON,
    or a repeated key), ``"size"`` (a value over ``max_chars``), ``"depth"`` (nested deeper
    than ``max_depth``) or ``"encoding"`` (not UTF-8)."""

    def __init__(self, kind: str, message: str, line: int, column: int, *,
                 cut_off: bool = False):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.cut_off = cut_off  # the text ended inside a value

    @property
    def where(self) -> str:
        return f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"


class _RepeatedKey(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return found


def nesting(value: Any) -> int:
    """How many levels of objects and arrays ``value`` holds (a scalar: 0), without
    recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children
                     if isinstance(child, dict | list))
    return deepest


class JsonText:
    """The text of ``stream`` (UTF-8, an optional BOM), buffered a chunk at a time.

    ``head`` is what the caller already read from the stream (to sniff the format)."""

    def __init__(self, stream: BinaryIO, *, head: bytes = b"", max_chars: int,
                 max_depth: int, chunk_bytes: int = CHUNK_BYTES):
        self._stream = stream
        self._pending = head
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._json = json.JSONDecoder(object_pairs_hook=_unique_keys)
        self.max_chars = max_chars
        self.max_depth = max_depth
        self._chunk = chunk_bytes
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._lines_dropped = 0  # newlines in text dropped from the front of the buffer
        self._column_base = 0  # characters of the current line dropped with them
        self._bytes_read = 0
        self.depth = 0  # levels the caller has entered (the top-level object, an array)

    # -- the buffer ------------------------------------------------------------------------

    def fill(self) -> bool:
        """Append the next chunk to the buffer; False at the end of the text."""
        if self.eof:
            return False
        if self.pos > self._chunk:  # keep the buffer to the value being read
            dropped = self.buf[:self.pos]
            newlines = dropped.count("\n")
            if newlines:
                self._lines_dropped += newlines
                self._column_base = len(dropped) - dropped.rfind("\n") - 1
            else:
                self._column_base += len(dropped)
            self.buf = self.buf[self.pos:]
            self.pos = 0
        data = self._pending or self._stream.read(self._chunk)
        self._pending = b""
        final = not data
        try:
            text = self._decoder.decode(data, final=final)
        except UnicodeDecodeError as e:
            # e.object is what the decoder held: this chunk after any bytes kept from the last.
            held = bytes(e.object)
            line = (self._lines_dropped + self.buf.count("\n") + held[:e.start].count(b"\n")
                    + 1)
            raise JsonProblem("encoding", f"not UTF-8 text (byte 0x{held[e.start]:02X})",
                              line, 0) from None
        self._bytes_read += len(data)
        self.buf += text
        if final:
            self.eof = True
        return True

    def location(self, index: int | None = None) -> tuple[int, int]:
        """(line, column), 1-based, of ``index`` in the buffer (default: the position)."""
        index = self.pos if index is None else index
        newlines = self.buf.count("\n", 0, index)
        line = self._lines_dropped + newlines + 1
        if newlines:
            column = index - self.buf.rfind("\n", 0, index)
        else:
            column = self._column_base + index + 1
        return line, column

    def problem(self, kind: str, message: str, index: int | None = None, *,
                cut_off: bool = False) -> JsonProblem:
        line, column = self.location(index)
        return JsonProblem(kind, message, line, column, cut_off=cut_off)

    def peek(self) -> str:
        """The next character that is not white space ('' at the end), not consumed."""
        while True:
            end = _WHITESPACE.match(self.buf, self.pos).end()
            self.pos = end
            if end < len(self.buf):
                return self.buf[end]
            if not self.fill():
                return ""

    def take(self, expected: str) -> None:
        """Consume the next character, which must be one of ``expected``."""
        found = self.peek()
        if not found or found not in expected:
            shown = " or ".join(f"'{c}'" for c in expected)
            if not found:
                raise self.problem("syntax", f"Expecting {shown}: the text ends here (the file "
                                   "may be cut off)", cut_off=True)
            raise self.problem("syntax", f"Expecting {shown}, found '{found}'")
        self.pos += 1

    @property
    def at_end(self) -> bool:
        return self.peek() == ""

    # -- values ----------------------------------------------------------------------------

    def value(self) -> Any:
        """Decode the value at the position and move past it."""
        self.peek()
        start = self.pos
        scan = self._json.scan_once
        while True:
            try:
                try:
                    value, end = scan(self.buf, start)
                except StopIteration:
                    # Decode again for the standard library's message and position.
                    value, end = self._json.raw_decode(self.buf, start)
            except json.JSONDecodeError as e:
                near_end = e.msg.startswith("Unterminated string") or (
                    e.pos >= len(self.buf) - _NEAR_END)
                if near_end and self._more(start):
                    start = self.pos
                    continue
                raise self.problem("syntax", e.msg, e.pos,
                                   cut_off=near_end and self.eof) from None
            except _RepeatedKey as e:
                raise self.problem("syntax", f"the key '{e.key[:60]}' appears twice in one "
                                   "object; which value the sender meant cannot be told",
                                   start) from None
            except RecursionError:
                raise self._too_deep(start) from None
            if end + _NEAR_END >= len(self.buf) and not self.eof and self._more(start):
                start = self.pos
                continue  # a number may go on in the next chunk
            break
        if end - start > self.max_chars:
            raise self.problem("size", f"{end - start:,} characters", start)
        # Only a value with enough brackets in its text can be too deep: counting them is
        # cheap, walking the value is not.
        if (self.buf.count("{", start, end) + self.buf.count("[", start, end) + self.depth
                > self.max_depth) and self.depth + nesting(value) > self.max_depth:
            raise self._too_deep(start)
        self.pos = end
        return value

    def _more(self, start: int) -> bool:
        """Read on for the value starting at ``start``; False when there is no more text.
        Raises the size problem once the value would pass ``max_chars``."""
        if len(self.buf) - start > self.max_chars:
            raise self.problem("size", f"more than {self.max_chars:,} characters", start)
        self.pos = start
        filled = self.fill()
        return filled

    def _too_deep(self, start: int) -> JsonProblem:
        return self.problem("depth", f"more than {self.max_depth} levels", start)

    def object_keys(self) -> Iterator[str]:
        """The keys of the object at the position, one at a time: after each, the caller
        reads the key's value (:meth:`value` or :meth:`elements`) before asking for the
        next."""
        self.take("{")
        self.depth += 1
        if self.peek() == "}":
            self.pos += 1
            self.depth -= 1
            return
        while True:
            if self.peek() != '"':
                self.take('"')
            key = self.value()
            self.take(":")
            yield key
            self.take(",}")
            if self.buf[self.pos - 1] == "}":
                self.depth -= 1
                return

    def elements(self) -> Iterator[Any]:
        """The elements of the array at the position, decoded one at a time."""
        self.take("[")
        self.depth += 1
        if self.peek() == "]":
            self.pos += 1
            self.depth -= 1
            return
        while True:
            yield self.value()
            if self.pos < len(self.buf) and self.buf[self.pos] == ",":
                self.pos += 1  # the usual case, without the general look-ahead
                continue
            self.take(",]")
            if self.buf[self.pos - 1] == "]":
                self.depth -= 1
                return

    def line(self) -> str | None:
        """The rest of the current line (for NDJSON), without its newline; None at the end.
        A line over ``max_chars`` is a size problem."""
        start = self.pos
        while True:
            newline = self.buf.find("\n", start)
            if newline >= 0:
                if newline - start > self.max_chars:
                    raise self.problem("size", f"more than {self.max_chars:,} characters",
                                       start)
                self.pos = newline + 1
                return self.buf[start:newline]
            if len(self.buf) - start > self.max_chars:
                raise self.problem("size", f"more than {self.max_chars:,} characters", start)
            self.pos = start
            if not self.fill():
                if start >= len(self.buf):
                    return None
                self.pos = len(self.buf)
                return self.buf[start:]
            start = self.pos

    def decode_line(self, text: str, line: int) -> Any:
        """The value of NDJSON line number ``line``, held to the same rules as
        :meth:`value`."""
        try:
            value = self._json.decode(text)
        except json.JSONDecodeError as e:
            raise JsonProblem("syntax", e.msg, line, e.colno) from None
        except _RepeatedKey as e:
            raise JsonProblem("syntax", f"the key '{e.key[:60]}' appears twice in one object; "
                              "which value the sender meant cannot be told", line, 0) from None
        except RecursionError:
            raise JsonProblem("depth", f"more than {self.max_depth} levels", line, 0) from None
        if (text.count("{") + text.count("[") > self.max_depth
                and nesting(value) > self.max_depth):
            raise JsonProblem("depth", f"more than {self.max_depth} levels", line, 0)
        return value
