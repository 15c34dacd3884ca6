"""Shared fixtures. Qt runs headless; every test gets its own temp-file database."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from monitor.store import Store  # noqa: E402

SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test read or write the real user data folder or settings."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # Qt caches where settings live once it has looked; point it at this test's folder
    # explicitly, so a theme chosen in one test never leaks into the next.
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


class _StartedQtThreads:
    """Every QThread and QThreadPool job started from Python, with where it was started,
    so a test can be failed for one still running (Qt's threads are not Python threads:
    ``threading.enumerate`` never lists them)."""

    def __init__(self) -> None:
        self.threads: list[tuple[object, str]] = []
        self.pools: list[tuple[object, str]] = []

    def install(self) -> None:
        from PySide6.QtCore import QThread, QThreadPool

        real_start, real_pool_start = QThread.start, QThreadPool.start

        def start(thread, *args):
            self.threads.append((thread, _caller()))
            return real_start(thread, *args)

        def pool_start(pool, *args):
            self.pools.append((pool, _caller()))
            return real_pool_start(pool, *args)

        QThread.start, QThreadPool.start = start, pool_start

    def running(self, wait_ms: int) -> list[str]:
        """What is still running after up to ``wait_ms`` each; forgets what has ended."""
        still: list[str] = []
        for kind, started in (("QThread", self.threads), ("QThreadPool job", self.pools)):
            keep = []
            for obj, where in started:
                try:
                    if kind == "QThread":
                        busy = obj.isRunning() and not obj.wait(wait_ms)
                    else:
                        busy = obj.activeThreadCount() > 0 and not obj.waitForDone(wait_ms)
                except RuntimeError:  # its C++ object is gone, and the thread with it
                    continue
                if busy:
                    keep.append((obj, where))
                    name = obj.objectName() or type(obj).__name__
                    still.append(f"{kind} {name} started at {where}")
            started[:] = keep  # running ones stay referenced: never destroyed while running
        return still

    def stop_all(self, wait_ms: int) -> None:
        """Ask whatever is still running to stop and wait for it (the end of the run)."""
        for thread, _ in self.threads:
            with contextlib.suppress(RuntimeError):
                thread.requestInterruption()
                thread.quit()
        for pool, _ in self.pools:
            with contextlib.suppress(RuntimeError):
                pool.clear()
        self.running(wait_ms)


def _caller() -> str:
    """Who started the thread: the caller and, past a helper, its caller."""
    frame, where = sys._getframe(2), []
    while frame is not None and len(where) < 2:
        where.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno} "
                     f"({frame.f_code.co_name})")
        frame = frame.f_back
    return " <- ".join(where)


_QT_THREADS = _StartedQtThreads()
_QT_THREADS.install()


@pytest.fixture(autouse=True)
def no_thread_left_running() -> Iterator[None]:
    """A test that leaves a thread running fails, naming it: every listener, worker and
    background job (Python threads, QThreads, QThreadPool jobs) must be stopped by whatever
    started it (a thread left over made later tests flaky and could abort the run at exit
    with "QThread: Destroyed while thread is still running"). Threads get up to two
    seconds to finish."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()
            and not isinstance(t, threading._DummyThread)]  # Qt's own threads, seen by Python
    for thread in left:
        thread.join(timeout=2.0)
    still = [f"thread {t.name}" for t in left if t.is_alive()]
    still += _QT_THREADS.running(wait_ms=2000)
    assert not still, f"threads left running after the test: {', '.join(still)}"


@pytest.fixture(scope="session", autouse=True)
def leftover_threads_stopped() -> Iterator[None]:
    """At the end of the run, what a failed test left running is stopped and waited for,
    so the run never ends with "QThread: Destroyed while thread is still running"."""
    yield
    _QT_THREADS.stop_all(wait_ms=5000)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a real database file under tmp."""
    return tmp_path / "monitor.sqlite"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A fresh store on a temp file."""
    s = Store.open(db_path)
    yield s
    s.close()


@pytest.fixture
def shared_fixtures() -> Path:
    """../shared/fixtures, or skip when this clone has none beside it."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"real sample files not found at {SHARED_FIXTURES} (only in the dev workspace)")
    return SHARED_FIXTURES


_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """End the process as soon as pytest is done, with its exit status. Tearing down the
    interpreter after a whole run (a thousand closed windows and their charts, still
    referenced by Qt) took twenty seconds and could only fail; everything a test writes is
    on disk by then, and no test leaves a thread running (see ``no_thread_left_running``
    where present)."""
    if _EXIT_STATUS and os.environ.get("IRM_TESTS_FULL_TEARDOWN") != "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
