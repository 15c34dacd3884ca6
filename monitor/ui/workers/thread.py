"""The one way the window runs work off the GUI thread: a QObject worker moved into its
own QThread, started on one of its slots, and always stopped and waited for (a QThread
destroyed while running aborts the whole program). Cancelling the work itself is the
worker's business (a threading.Event it checks); this only owns the thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread


class WorkerThread:
    """``worker`` in a thread of its own; ``entry`` (one of its slots) runs when started."""

    def __init__(self, worker: QObject, entry: Callable[[], None]):
        self.worker = worker
        self._thread = QThread()
        worker.moveToThread(self._thread)
        self._thread.started.connect(entry)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def stop(self) -> None:
        """End the thread's event loop and wait for it (the worker's slot must return: cancel
        it first). Safe to call twice."""
        self._thread.quit()
        self._thread.wait()
