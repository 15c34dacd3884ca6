"""Reading a big file in a second process while this one writes what was read so far.

Parsing a monitor export is Python work; writing it is mostly SQLite's. One process does
them one after the other. Two threads would not overlap them: ``executemany`` gives up the
GIL for every row's ``sqlite3_step`` and must win it back from the busy parser thread for
the next, which costs more than the row. A second process parses batch N+1 while this one
writes batch N; the pipe between them holds about one batch, so memory stays bounded and
the parser never runs far ahead of the writer.

The second process only reads the file: every write, the transaction and the decision to
commit stay here. If this process is killed the reader finds its pipe closed and ends (a
forked reader first closes the copy of this process's end it inherited, or the pipe would
never close).

It is forked when that is safe, and spawned otherwise. A forked reader starts in
milliseconds with every module already imported; a spawned one starts a new interpreter and
imports the parser again (a third of a second here), during which the writer waits. Forking
is safe on Linux in a process with one thread and no Qt (the command line): the window runs
imports on a Qt worker thread, and forking a process with other threads can copy a lock
some thread held. The forked child never touches the writer's database connection and
leaves with ``os._exit`` (what multiprocessing does), so no finaliser closes it."""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Generator, Iterator
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

Batch = TypeVar("Batch")
Result = TypeVar("Result")
Progress = Callable[[int, int], None]  # (bytes done, bytes in the file)
#: Makes the batches, given where to report progress; what it returns at the end is the
#: result. It must be picklable (a module-level function, or a partial of one).
Producer = Callable[[Progress], Generator[Any, None, Any]]

#: How often (seconds) the writer looks at its cancel flag while it waits for a batch.
_POLL_S = 0.1


def start_method() -> str:
    """``fork`` where it is safe and quick (see the module docstring), else ``spawn``."""
    single = threading.active_count() == 1 and "PySide6" not in sys.modules
    return "fork" if single and sys.platform.startswith("linux") else "spawn"


class ReaderFailed(RuntimeError):
    """The reading process ended without saying why (it was killed, or crashed)."""


def _read(pipe: Connection, produce: Producer, writers_end: Connection | None = None) -> None:
    """The reading process: send each batch with the latest progress, then the result.

    ``writers_end`` is the writer's end of the pipe as a forked reader inherits it: closed
    at once, so that when the writer dies the pipe has no reader left and the next send
    fails instead of waiting for ever on a full pipe."""
    if writers_end is not None:
        writers_end.close()
    latest = [0, 0]

    def progress(done: int, total: int) -> None:
        latest[0], latest[1] = done, total

    try:
        batches = produce(progress)
        while True:
            try:
                batch = next(batches)
            except StopIteration as end:
                pipe.send(("end", end.value, latest[0], latest[1]))
                return
            pipe.send(("batch", batch, latest[0], latest[1]))
    except (BrokenPipeError, EOFError):  # the writer has gone: nothing left to do
        return
    except BaseException as error:  # noqa: BLE001 (handed to the writer, which raises it)
        try:
            pipe.send(("error", error, 0, 0))
        except Exception:  # noqa: BLE001 (not picklable: say what it was)
            pipe.send(("error", ReaderFailed(f"{type(error).__name__}: {error}"), 0, 0))


class ReadAhead(Generic[Batch, Result]):
    """Batches from ``produce`` run in a second process; iterate :meth:`batches`, then read
    :attr:`result`. ``cancelled()`` is asked while waiting and between batches; when it turns
    true, ``on_cancel()`` is raised and the reading process is stopped."""

    def __init__(self, produce: Producer, *, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 on_cancel: Callable[[], BaseException] | None = None):
        self._produce = produce
        self._progress = progress
        self._cancelled = cancelled or (lambda: False)
        self._on_cancel = on_cancel or (lambda: RuntimeError("cancelled"))
        self.result: Result | None = None

    def batches(self) -> Iterator[Batch]:
        """Each batch as the reading process sends it."""
        method = start_method()
        context = multiprocessing.get_context(method)
        mine, theirs = context.Pipe(duplex=False)
        # A forked reader inherits this end too; a spawned one gets only what it is given.
        inherited = mine if method == "fork" else None
        reader = context.Process(target=_read, args=(theirs, self._produce, inherited),
                                 daemon=True, name="import-reader")
        reader.start()
        theirs.close()  # only the reader holds its end: its exit shows as EOF here
        try:
            while True:
                kind, payload, done, total = self._receive(mine)
                if kind == "error":
                    raise payload
                if self._progress is not None and total:
                    self._progress(done, total)
                if kind == "end":
                    self.result = payload
                    return
                yield payload
                if self._cancelled():
                    raise self._on_cancel()
        finally:
            mine.close()
            if reader.is_alive():
                reader.terminate()
            reader.join()

    def _receive(self, pipe: Connection) -> tuple[str, Any, int, int]:
        while not pipe.poll(_POLL_S):
            if self._cancelled():
                raise self._on_cancel()
        try:
            return pipe.recv()
        except EOFError:
            raise ReaderFailed("the process reading the file ended unexpectedly; "
                               "nothing was saved") from None
