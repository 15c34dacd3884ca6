"""Session browser on a big database: 100,000 sessions and 10,000,000 readings.

The database is generated once with raw ``executemany`` into the real schema (``Store.open``
creates it first) and cached in the temp folder between runs. Then the first page and a
search are timed through the store API and through the Qt model, each next to a bare
baseline: the same SQL run on a plain ``sqlite3`` connection in the same run."""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .report import Figure

FULL = (100_000, 100)  # sessions, readings per session
QUICK = (2_000, 20)
TARGET_MS = 100.0  # "instantly": well under the ~100 ms a user notices
REPEATS = 7
PAGE = 100

FIRST_NAMES = ("Ann", "Bob", "Cy", "Dana", "Eve", "Farid", "Grace", "Hiro", "Ines", "Jon",
               "Kira", "Liam", "Maya", "Noor", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tariq")
LAST_NAMES = ("Smith", "Jones", "Ng", "Garcia", "Okafor", "Müller", "Rossi", "Kowalski",
              "Haddad", "Tanaka", "Silva", "Nielsen", "Dubois", "Ivanova", "Papadopoulos")
T0 = datetime(2021, 1, 4, 8, 0, tzinfo=UTC)

# Generation drops the two per-row triggers (summary count, closed-session lock) and
# re-creates them from their stored SQL: the summary columns are written directly instead.
_BULK_TRIGGERS = ("readings_count_summary", "readings_closed_session")


def cache_path(sessions: int, per_session: int) -> Path:
    """Where the generated database is kept between runs (keyed by size and schema)."""
    from ..store import schema

    folder = Path(tempfile.gettempdir()) / "infusion-monitor-bench"
    folder.mkdir(exist_ok=True)
    return folder / f"browse-{sessions}x{per_session}-schema{schema.schema_version()}.sqlite"


def _session_rows(sessions: int, per_session: int, active: int, rng: random.Random
                  ) -> Iterator[tuple[object, ...]]:
    patients = max(1, sessions // 5)  # a series of about five infusions per patient
    for sid in range(1, sessions + 1):
        patient = rng.randrange(patients)
        started = T0 + timedelta(minutes=30 * sid)
        infusion_start = started + timedelta(minutes=15)
        infusion_end = infusion_start + timedelta(minutes=rng.choice((40, 60, 90)))
        last = started + timedelta(minutes=3 * (per_session - 1))
        is_active = sid > sessions - active
        worst = rng.choices((0, 1, 2, 3), weights=(70, 5, 17, 8))[0]
        yield (sid, f"MRN-{patient:06d}",
               f"{FIRST_NAMES[patient % 20]} {LAST_NAMES[(patient // 20) % 15]}",
               infusion_start.isoformat(), infusion_end.isoformat(),
               120.0, 78.0, 72.0, "active" if is_active else "closed",
               started.isoformat(), started.timestamp(),
               None if is_active else (last + timedelta(minutes=10)).isoformat(),
               "JM", per_session, worst, last.timestamp())


def _reading_rows(sessions: int, per_session: int, rng: random.Random
                  ) -> Iterator[tuple[object, ...]]:
    recorded = T0.isoformat()
    for sid in range(1, sessions + 1):
        started = T0 + timedelta(minutes=30 * sid)
        sbp0 = rng.uniform(105, 140)
        for i in range(per_session):
            at = started + timedelta(minutes=3 * i)
            sbp = round(sbp0 + rng.uniform(-8, 25), 0)
            dbp = round(sbp * 0.62, 0)
            yield (sid, at.isoformat(), at.timestamp(), sbp, dbp,
                   round(dbp + (sbp - dbp) / 3, 1), round(rng.uniform(60, 105), 0),
                   round(rng.uniform(10, 20), 0), round(rng.uniform(93, 100), 0), 1,
                   "device", "bench", "", recorded)


def _chunks(rows: Iterator[tuple[object, ...]], size: int = 200_000
            ) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def populate(path: Path, sessions: int, per_session: int, seed: int = 6,
             active: int = 10) -> None:
    """Create the real schema at ``path`` and fill it with generated sessions (the newest
    ``active`` ones still active) and readings, fast (one transaction, raw executemany)."""
    from ..store import Store

    Store.open(path).close()
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    try:
        triggers = dict(conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)",
            _BULK_TRIGGERS).fetchall())
        # A throw-away cache file: no journal, no syncs, a big page cache. It is renamed
        # into place only once complete, and put back in WAL mode like the app's files.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -400000")
        conn.execute("BEGIN")
        for name in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.executemany(
            "INSERT INTO sessions (id, patient_id, patient_name, infusion_start, infusion_end,"
            " baseline_sbp, baseline_dbp, baseline_hr, status, started_at, started_ts,"
            " closed_at, created_by, reading_count, worst_alert, last_reading_ts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _session_rows(sessions, per_session, active, rng))
        for chunk in _chunks(_reading_rows(sessions, per_session, rng)):
            conn.executemany(
                "INSERT INTO readings (session_id, taken_at, taken_ts, sbp, dbp, map, hr, rr,"
                " spo2, map_derived, source, source_detail, note, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chunk)
        for sql in triggers.values():
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def database(sessions: int, per_session: int, log: Callable[[str], None] = print) -> Path:
    """The cached generated database, generating it when missing."""
    path = cache_path(sessions, per_session)
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        log(f"generating {sessions:,} sessions x {per_session} readings into {path} ...")
        began = time.perf_counter()
        populate(partial, sessions, per_session)
        partial.rename(path)
        log(f"  generated in {time.perf_counter() - began:,.1f} s "
            f"({path.stat().st_size / 1e6:,.0f} MB)")
    return path


def _median_ms(action: Callable[[], object], repeats: int = REPEATS) -> float:
    action()  # warm the page cache and statement cache first
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


_BARE_PAGE = ("SELECT id, patient_id, patient_name, started_at, closed_at, status, "
              "reading_count, worst_alert, last_reading_ts FROM sessions{where} "
              "ORDER BY started_ts DESC, id DESC LIMIT ? OFFSET 0")
_BARE_SEARCH = " WHERE (patient_id LIKE ? ESCAPE '\\' OR patient_name LIKE ? ESCAPE '\\')"


def run(quick: bool = False) -> list[Figure]:
    """First page and search: store API and Qt model against bare sqlite3."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ..store import Store
    from ..store.browse import SessionQuery
    from ..ui.session_browser import PAGE_SIZE, SessionBrowserModel

    _qt = QApplication.instance() or QApplication([])
    sessions, per_session = QUICK if quick else FULL
    path = database(sessions, per_session)
    store = Store.open(path, read_only=True)
    bare = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    search = "okafor"
    like = f"%{search}%"

    def bare_first_page(limit: int = PAGE) -> None:
        bare.execute("SELECT count(*) FROM sessions").fetchone()
        bare.execute(_BARE_PAGE.format(where=""), [limit]).fetchall()

    def bare_search(limit: int = PAGE) -> None:
        bare.execute("SELECT count(*) FROM sessions" + _BARE_SEARCH, [like, like]).fetchone()
        bare.execute(_BARE_PAGE.format(where=_BARE_SEARCH), [like, like, limit]).fetchall()

    def api(query: SessionQuery) -> Callable[[], None]:
        def call() -> None:
            store.count_sessions(query)
            store.browse_sessions(query, limit=PAGE)
        return call

    model = SessionBrowserModel(store)

    def in_model(query: SessionQuery) -> Callable[[], None]:
        def call() -> None:
            model.set_query(query)
            for row in range(min(40, model.rowCount())):  # what one screen shows
                for column in range(model.columnCount()):
                    model.index(row, column).data()
        return call

    newest, found = SessionQuery(), SessionQuery(text=search)
    label = f"{sessions:,} sessions, {sessions * per_session:,} readings"
    matches = store.count_sessions(found)
    figures = []
    try:
        for name, app_call, bare_call in (
            (f"first page via store API ({label})", api(newest), bare_first_page),
            (f"search '{search}' ({matches:,} matches) via store API", api(found),
             bare_search),
            ("first page via Qt model (count + 200 rows + one screen)", in_model(newest),
             lambda: bare_first_page(PAGE_SIZE)),
            (f"search '{search}' via Qt model", in_model(found),
             lambda: bare_search(PAGE_SIZE)),
        ):
            app_ms, bare_ms = _median_ms(app_call), _median_ms(bare_call)
            figures.append(Figure(name, app_ms, bare_ms, "ms", target=f"< {TARGET_MS:g} ms",
                                  met=app_ms < TARGET_MS))
    finally:
        bare.close()
        store.close()
    return figures


if __name__ == "__main__":
    import sys

    for figure in run(quick="--quick" in sys.argv):
        print(figure.line())
