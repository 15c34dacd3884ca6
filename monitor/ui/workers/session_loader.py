"""Reading a long session in a worker thread, after its window is already showing it.

The worker opens its own Store connection (a SQLite connection belongs to the thread that
opened it), reads every reading, the chart's columns straight from SQL, and runs the steps
other controllers registered (the alert replay, the NEWS2 trend), so the GUI thread only
swaps the results in. Closing the window or opening another session cancels it."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from monitor.domain.alert_timeline import ReplayCancelled
from monitor.domain.readings import Reading
from monitor.store import Store, StoreError
from monitor.store.opening import ReadingColumns
from monitor.ui.workers.thread import WorkerThread

#: A step run in the worker on the loaded readings: (its Store, the readings, cancelled).
BackgroundStep = Callable[[Store, "LoadedReadings", Callable[[], bool]], Any]
#: Called in the GUI thread when a load starts, to capture what its step needs; None when
#: it has nothing to do for this load.
StepFactory = Callable[[], BackgroundStep | None]


class LoadedReadings(list[Reading]):
    """Every reading of a session as the worker read it (a list, in the store's order),
    carrying what was derived from it there: the current readings, the chart's columns
    and the registered steps' results by name."""

    def __init__(self, readings: list[Reading]):
        super().__init__(readings)
        self.current: list[Reading] = [r for r in readings if r.is_current]
        self.columns: ReadingColumns | None = None
        self.derived: dict[str, Any] = {}


@dataclass
class LoadResult:
    """What a finished load hands to the GUI thread."""

    session_id: int
    readings: LoadedReadings
    marks: int
    error: str = ""
    derived: dict[str, Any] = field(default_factory=dict)
    #: Ids of the rows marked entered in error.
    marked: frozenset[int] = frozenset()


class _Cancelled(Exception):
    pass


class _Worker(QObject):
    done = Signal(object)  # LoadResult, or None when cancelled

    def __init__(self, path: str, read_only: bool, session_id: int,
                 steps: dict[str, BackgroundStep], given: list[Reading] | None = None):
        super().__init__()
        self.path, self.read_only, self.session_id, self.steps = (path, read_only,
                                                                  session_id, steps)
        self.given = given
        self.cancel_event = threading.Event()
        self.store: Store | None = None

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def _check(self) -> None:
        if self.cancelled():
            raise _Cancelled

    def run(self) -> None:
        try:
            self.done.emit(self._load())
        except (_Cancelled, ReplayCancelled):
            self.done.emit(None)
        except (StoreError, OSError, sqlite3.Error) as error:
            if self.cancelled():  # an interrupted query ends here too
                self.done.emit(None)
            else:
                self.done.emit(LoadResult(self.session_id, LoadedReadings([]), 0,
                                          error=str(error)))

    def _load(self) -> LoadResult:
        store = self.store = Store.open(self.path, read_only=self.read_only, check=False)
        try:
            self._check()
            marked: frozenset[int] = frozenset()
            if self.given is not None:
                readings = LoadedReadings(self.given)  # in hand already: steps only
            else:
                readings = LoadedReadings(store.readings(self.session_id))
                self._check()
                readings.columns = store.current_columns(self.session_id)
                marked = store.marked_reading_ids(self.session_id)
            for name, step in self.steps.items():
                self._check()
                readings.derived[name] = step(store, readings, self.cancelled)
            self._check()
            return LoadResult(self.session_id, readings, len(marked), marked=marked)
        finally:
            self.store = None
            store.close()


class SessionLoader(QObject):
    """Runs one load at a time in its own thread; ``loaded`` is emitted in the GUI thread
    with the :class:`LoadResult` (never for a cancelled load). It also runs steps alone
    on readings already in hand (:meth:`rederive`), announced by ``rederived``."""

    loaded = Signal(object)
    rederived = Signal(object)  # LoadResult of a rederive: its steps' results only

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._factories: dict[str, StepFactory] = {}
        self._thread: WorkerThread | None = None
        self._worker: _Worker | None = None

    def add_step(self, name: str, factory: StepFactory) -> None:
        """Run ``factory()``'s step in the worker of every load from now on."""
        self._factories[name] = factory

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self, store: Store, session_id: int) -> None:
        """Cancel any load under way and start reading ``session_id`` afresh."""
        steps = {name: step for name, factory in self._factories.items()
                 if (step := factory()) is not None}
        self._run(_Worker(store.path, store.read_only, session_id, steps))

    def rederive(self, store: Store, session_id: int, readings: list[Reading],
                 steps: dict[str, BackgroundStep]) -> None:
        """Cancel any job under way and run ``steps`` in the worker on ``readings`` (the
        session's rows in hand; nothing is read again). ``rederived`` brings the results
        in ``LoadResult.readings.derived``. Readings are never changed in place, so the
        worker may read the list while the GUI thread goes on."""
        self._run(_Worker(store.path, store.read_only, session_id, steps, list(readings)))

    @property
    def rederiving(self) -> bool:
        """True while a :meth:`rederive` job runs."""
        return self._worker is not None and self._worker.given is not None

    def _run(self, worker: _Worker) -> None:
        self.cancel()
        thread = WorkerThread(worker, worker.run)
        worker.done.connect(self._done)  # queued: this object lives in the GUI thread
        self._thread, self._worker = thread, worker
        thread.start()

    def _done(self, result: LoadResult | None) -> None:
        worker = self.sender()
        if worker is not self._worker:
            return  # a cancelled load that finished anyway
        self._finish()
        if result is not None:
            given = isinstance(worker, _Worker) and worker.given is not None
            (self.rederived if given else self.loaded).emit(result)

    def cancel(self) -> None:
        """Stop the load under way, if any, and wait for its thread (promptly: the worker
        checks between steps, a running query is interrupted, a replay checks as it goes)."""
        worker = self._worker
        if worker is None:
            return
        worker.cancel_event.set()
        store = worker.store
        if store is not None:
            # Safe from another thread (sqlite3 docs); closed meanwhile: nothing to stop.
            with contextlib.suppress(sqlite3.Error):
                store._db.conn.interrupt()
        self._finish()

    def _finish(self) -> None:
        thread = self._thread
        self._thread = self._worker = None
        if thread is not None:
            thread.stop()
