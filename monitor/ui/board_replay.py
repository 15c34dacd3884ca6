"""Replaying a long background session's alerts for the active sessions board in a worker
thread: a day of one-second readings takes a second or two to read and replay, and the
board asks again whenever another workstation or the live feed writes to that session.

One session at a time, in the order asked; a session asked for again while it waits is
replayed once, with what is stored by then. The worker opens its own Store connection (a
SQLite connection belongs to the thread that opened it)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Hashable

from PySide6.QtCore import QObject, QThread, Signal

from ..domain.alert_timeline import ReplayCancelled, rebuild
from ..domain.board import Replayed, latest_values
from ..domain.profiles import ProfileVersion
from ..store import Store, StoreError


class _Job(QObject):
    done = Signal(object)  # (session id, signature, Replayed or None when it failed)

    def __init__(self, path: str, read_only: bool, shipped: ProfileVersion,
                 session_id: int, signature: Hashable):
        super().__init__()
        self.path, self.read_only, self.shipped = path, read_only, shipped
        self.session_id, self.signature = session_id, signature
        self.cancel_event = threading.Event()
        self.store: Store | None = None

    def run(self) -> None:
        try:
            replayed: Replayed | None = self._replay()
        except ReplayCancelled:
            return
        except (StoreError, OSError, sqlite3.Error):
            replayed = None  # asked again at the next refresh
        if not self.cancel_event.is_set():
            self.done.emit((self.session_id, self.signature, replayed))

    def _replay(self) -> Replayed:
        store = self.store = Store.open(self.path, read_only=self.read_only, check=False)
        try:
            session = store.get_session(self.session_id)
            readings = store.readings(self.session_id)
            engine = rebuild(store.profile_versions(self.session_id), self.shipped,
                             session.baseline, readings,
                             store.acknowledgements(self.session_id), None,
                             self.cancel_event.is_set)
            values, newest = latest_values(readings)
            return engine, values, newest
        finally:
            self.store = None
            store.close()


class BoardReplayer(QObject):
    """Replays sessions for the board in one worker thread; ``replayed`` is emitted in the
    GUI thread with (session id, the signature it was asked with, Replayed or None)."""

    replayed = Signal(int, object, object)

    def __init__(self, path: str, read_only: bool, shipped: ProfileVersion,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.path, self.read_only, self.shipped = path, read_only, shipped
        self._waiting: dict[int, Hashable] = {}
        self._thread: QThread | None = None
        self._job: _Job | None = None

    def request(self, session_id: int, signature: Hashable) -> None:
        """Replay ``session_id`` (described by ``signature``) once the worker is free."""
        running = self._job
        if running is not None and (running.session_id, running.signature) == (
                session_id, signature):
            return  # under way already
        self._waiting[session_id] = signature
        self._next()

    def pending(self, session_id: int) -> bool:
        """True while ``session_id`` waits for or is in a replay."""
        job = self._job
        return session_id in self._waiting or (job is not None
                                               and job.session_id == session_id)

    def _next(self) -> None:
        if self._job is not None or not self._waiting:
            return
        session_id = next(iter(self._waiting))
        job = _Job(self.path, self.read_only, self.shipped, session_id,
                   self._waiting.pop(session_id))
        thread = QThread()
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.done.connect(self._done)  # queued: this object lives in the GUI thread
        self._thread, self._job = thread, job
        thread.start()

    def _done(self, result: tuple[int, Hashable, Replayed | None]) -> None:
        if self.sender() is not self._job:
            return
        self._finish()
        self.replayed.emit(*result)
        self._next()

    def forget(self, session_id: int) -> None:
        """No replay of ``session_id`` is wanted any more (the window has opened it and
        shows it from its own engine): drop it, and stop it if it is under way."""
        self._waiting.pop(session_id, None)
        job = self._job
        if job is not None and job.session_id == session_id:
            self._cancel(job)
            self._next()

    def shutdown(self) -> None:
        """Stop the replay under way (promptly: the replay checks as it goes, a running
        query is interrupted) and forget the waiting ones."""
        self._waiting.clear()
        job = self._job
        if job is None:
            return
        self._cancel(job)

    def _cancel(self, job: _Job) -> None:
        job.cancel_event.set()
        store = job.store
        if store is not None:
            with contextlib.suppress(sqlite3.Error):  # safe from another thread
                store._db.conn.interrupt()
        self._finish()

    def _finish(self) -> None:
        thread = self._thread
        self._thread = self._job = None
        if thread is not None:
            thread.quit()
            thread.wait()
