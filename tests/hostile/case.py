"""One hostile input: how to write it, and the answer the importer must give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostileCase:
    """A file to import and what must come of it.

    ``write(path)`` creates the file (big ones streamed to disk, never built in memory).
    ``message`` must appear in what ``main.py import`` prints on stderr (it names what is
    wrong and where: a line, message id or entry). ``status`` is the exit status; ``saved``
    how many readings end up in the database (0 for a refused file). ``big`` marks a case
    the test suite writes at a reduced ``scale`` and the bench at full size; ``bench_only``
    one the suite leaves to a test of its own (with the limit lowered)."""

    name: str
    file_name: str
    write: Callable[[Path, float], None]  # (path, scale 0..1]
    message: str | tuple[str, ...]  # each must appear in what the command prints
    status: int = 1
    saved: int = 0
    big: bool = False
    bench_only: bool = False  # too slow to cross at any scale in the suite: see its own test
    options: tuple[str, ...] = ()  # extra ``main.py import`` options

    @property
    def messages(self) -> tuple[str, ...]:
        return (self.message,) if isinstance(self.message, str) else self.message

    def make(self, folder: Path, scale: float = 1.0) -> Path:
        """Write the case into ``folder`` and return its path."""
        path = folder / self.file_name
        self.write(path, scale)
        return path


def text_file(content: str, encoding: str = "utf-8") -> Callable[[Path, float], None]:
    """A writer of ``content`` in ``encoding``, whatever the scale."""
    def write(path: Path, scale: float) -> None:
        path.write_bytes(content.encode(encoding))
    return write


def bytes_file(content: bytes) -> Callable[[Path, float], None]:
    """A writer of ``content`` as it is."""
    def write(path: Path, scale: float) -> None:
        path.write_bytes(content)
    return write
