"""Store methods for imported and device readings: routing to a session, bulk commits that
skip duplicates, the record of each import run, and session summaries for the command line.
Mixed into :class:`monitor.store.database.Store`.

Duplicates: a reading is a duplicate when its session already holds a reading with the same
instant and values (:func:`monitor.domain.reading_blocks.identity`), charted by hand or
imported, from this file or another. Duplicates are counted, never written. They are found
through the session-and-time index, and only where they can be: a batch whose readings are
all newer than anything the session holds, the usual case for a monitor export, is written
without a look-up."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..domain.reading_blocks import (
    VITAL_ORDER,
    Identity,
    ReadingBlock,
    identity,
    reading_identity,
)
from ..domain.readings import Reading, ReadingStatus
from ..domain.sessions import Patient, Session, SessionStatus
from .errors import SessionClosed

if TYPE_CHECKING:
    from sqlite3 import Connection

    from .database import Store

_INSERT_COLUMNS = (
    "session_id", "taken_at", "taken_ts", "sbp", "dbp", "map", "hr", "rr", "spo2",
    "map_derived", "source", "source_detail", "entered_by", "note", "recorded_at",
    "supersedes", "correction_reason", "dedup_key", "consciousness", "on_oxygen",
    "temperature", "import_id",
)
_INSERT_SQL = (f"INSERT INTO readings ({', '.join(_INSERT_COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})")
# A block row binds only what differs from the column defaults: the first nine columns are
# those of _INSERT_SQL, in the same order.
_BLOCK_COLUMNS = (*_INSERT_COLUMNS[:_INSERT_COLUMNS.index("map_derived") + 1], "source",
                  "source_detail", "recorded_at", "import_id")
_BLOCK_INSERT_SQL = (f"INSERT INTO readings ({', '.join(_BLOCK_COLUMNS)}) "
                     f"VALUES ({', '.join('?' for _ in _BLOCK_COLUMNS)})")
# The summary trigger leaves rows with an import_id to the store (migration m006): after each
# batch, one statement adds what the batch wrote. Corrections (supersedes set) are not new
# readings and are not counted.
_COUNT_BATCH_SQL = """
    UPDATE sessions SET reading_count = reading_count + ?,
           last_reading_ts = max(coalesce(last_reading_ts, ?), ?)
    WHERE id = ?"""
_VITALS = VITAL_ORDER
#: Page cache (KiB) while an import commits; SQLite's default is 2 MB. It is most of what an
#: import's memory grows by with the file. Measured on a 1,000,000-row file: 64 MB peaked at
#: 156 MB, 16 MB at 99 MB for 5% less speed, 8 MB at 90 MB for 10% less.
IMPORT_CACHE_KIB = 16 * 1024
_VALUE_COLUMNS = ", ".join(v.value for v in _VITALS)
#: Instants per look-up query (SQLite allows 32,766 parameters; keep statements small).
_STAMPS_PER_QUERY = 900


@dataclass(frozen=True)
class ImportTarget:
    """Where readings go: a session by id, or a patient's active session (started when the
    patient has none)."""

    session_id: int | None = None
    patient_id: str | None = None

    def __post_init__(self) -> None:
        if (self.session_id is None) == (self.patient_id is None):
            raise ValueError("give either a session id or a patient id")


@dataclass(frozen=True)
class ImportRun:
    """What the ``imports`` table records about one run (one row per session it filled)."""

    file_name: str
    format: str
    sha256: str = ""
    by: str = ""
    rejected: int = 0
    started_at: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class SessionImport:
    """What one import did to one session."""

    session_id: int | None
    patient_id: str
    created: bool = False  # the session was started for this import
    imported: int = 0
    duplicates: int = 0
    import_id: int | None = None


@dataclass
class ImportTotals:
    """What a commit (or a preview of it) did, per target session."""

    sessions: list[SessionImport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(s.imported for s in self.sessions)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.sessions)


@dataclass(frozen=True)
class SessionListing:
    """One line of ``main.py sessions``."""

    id: int
    patient_id: str
    patient_name: str
    started_at: datetime
    status: str
    readings: int
    alerts: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "patient_id": self.patient_id, "name": self.patient_name,
                "started_at": self.started_at.isoformat(), "status": self.status,
                "readings": self.readings, "alerts": self.alerts}


#: Batches of (where it goes, a reading or a block of them), as the importer streams them.
Batches = Iterable[Sequence[tuple[ImportTarget, Reading | ReadingBlock]]]


class ImportRecords:
    """Mixin: needs the Store core (``_write``, ``_query``, ``_audit``)."""

    # -- sessions --------------------------------------------------------------------------

    def session_for_patient(self: Store, patient_id: str, by: str = "") -> tuple[Session, bool]:
        """The patient's active session, or a new one started now; and whether it is new."""
        session = self.active_session_for_patient(patient_id)
        if session is not None:
            return session, False
        return self.create_session(Session(patient=Patient(patient_id.strip())), by), True

    def session_listings(self: Store, *, limit: int | None = None) -> list[SessionListing]:
        """Sessions newest first with their reading count (kept by triggers; corrections do
        not count as new readings) and alert count (one look-up in the alerts index per
        session; withdrawn alerts do not count), so this stays fast on a large database."""
        sql = """
            SELECT s.id, s.patient_id, s.patient_name, s.started_at, s.status,
                   s.reading_count AS readings,
                   (SELECT count(*) FROM alerts a WHERE a.session_id = s.id
                                                   AND a.withdrawn_at IS NULL) AS alerts
            FROM sessions s ORDER BY s.started_ts DESC, s.id DESC"""
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [SessionListing(r["id"], r["patient_id"], r["patient_name"],
                               datetime.fromisoformat(r["started_at"]), r["status"],
                               r["readings"], r["alerts"]) for r in self._query(sql, params)]

    def import_runs(self: Store, session_id: int) -> list[dict[str, Any]]:
        """The recorded import runs into a session, oldest first, as plain rows."""
        return self._query("SELECT * FROM imports WHERE session_id = ? ORDER BY id",
                           [session_id])

    # -- committing ------------------------------------------------------------------------

    def commit_import(self: Store, batches: Batches, *,
                      run: Callable[[], ImportRun] | None = None,
                      by: str = "",
                      before_commit: Callable[[list[SessionImport]], None] | None = None
                      ) -> ImportTotals:
        """Write the readings of ``batches`` in ONE transaction, skipping duplicates.

        Each batch is written with bulk inserts. Sessions for patients without an active one
        are started inside the same transaction. ``run`` is asked for the run's description
        once every batch was read (so it can count the rejected rows) and recorded in
        ``imports`` for each session the readings went to; None records nothing (the live
        feed). If iterating ``batches`` raises (a cancel, a parse failure) or anything
        fails, everything is rolled back: the database is exactly as before.

        Readings the file marks 'entered-in-error' get that mark; a reading marked
        'corrected' is superseded by the next reading of the file with the same time, which
        is how the canonical CSV export writes a correction.

        ``before_commit`` is called with what was written to each session, inside the
        transaction, after the last row: what it writes (the alerts the readings raise)
        is committed with them or not at all."""
        conn: Connection = self._db.conn
        cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        # A big file inserts keys all over the dedup index: a larger (still fixed) page cache
        # saves re-reading its pages; pages beyond it spill to the WAL, so memory stays bounded.
        conn.execute(f"PRAGMA cache_size = {min(int(cache), -IMPORT_CACHE_KIB)}")
        try:
            with self._write() as db:
                # Readings point at their import row, which is written last with the final
                # counts (the table is append-only): check that reference at COMMIT.
                conn.execute("PRAGMA defer_foreign_keys = ON")
                writer = _BulkWriter(self, conn, by, numbered=run is not None)
                for batch in batches:
                    writer.add(batch)
                if run is not None:
                    self._record_runs(db, writer.results(), run())
                if before_commit is not None:
                    before_commit(writer.results())
        finally:
            conn.execute(f"PRAGMA cache_size = {int(cache)}")
        return ImportTotals(writer.results())

    def preview_import(self: Store, batches: Batches) -> ImportTotals:
        """What :meth:`commit_import` would do with ``batches``, without writing anything to
        the database: how many readings are new and how many are duplicates, per session (a
        patient without an active session shows as a session to be started, id None).

        Identities seen so far live in a temporary table of this connection, not in memory,
        so a file of millions of rows previews in bounded memory."""
        conn: Connection = self._db.conn
        slots: dict[ImportTarget, _Slot] = {}
        by_session: dict[tuple[int | None, str], _Slot] = {}
        try:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_preview "
                         "(slot INTEGER, key TEXT, PRIMARY KEY (slot, key))")
            conn.execute("DELETE FROM temp.import_preview")
            for batch in batches:
                pending: dict[int, list[Identity]] = {}
                for target, item in batch:
                    slot = slots.get(target)
                    if slot is None:
                        slot = self._preview_slot(target)
                        same = (slot.result.session_id, slot.result.patient_id
                                if slot.result.session_id is None else "")
                        slot = slots[target] = by_session.setdefault(same, slot)
                    pending.setdefault(id(slot), []).extend(_identities(item))
                for slot in by_session.values():
                    keys = pending.get(id(slot))
                    if keys:
                        self._preview_keys(conn, slot, keys)
        finally:
            conn.execute("DELETE FROM temp.import_preview")
            conn.commit()  # ends the implicit transaction the temp table writes began
        return ImportTotals([slot.result for slot in by_session.values()])

    def _preview_slot(self: Store, target: ImportTarget) -> _Slot:
        if target.session_id is not None:
            session: Session | None = self.get_session(target.session_id)
        else:
            session = self.active_session_for_patient(target.patient_id or "")
        if session is None:
            return _Slot(SessionImport(None, target.patient_id or "", created=True), None)
        if session.status is SessionStatus.CLOSED:
            raise SessionClosed(f"Session {session.id} ({session.patient.identifier}) is "
                                "closed; readings cannot be added to it.")
        assert session.id is not None
        return _Slot(SessionImport(session.id, session.patient.identifier),
                     self._latest_instant(session.id))

    def _preview_keys(self: Store, conn: Connection, slot: _Slot, keys: list[Identity]) -> None:
        session_id = slot.result.session_id
        stored = (self.stored_identities(session_id, [k[0] for k in keys])
                  if session_id is not None and slot.may_hold(min(k[0] for k in keys))
                  else set())
        fresh = [k for k in keys if k not in stored]
        slot.result.duplicates += len(keys) - len(fresh)
        if fresh:
            cursor = conn.executemany("INSERT OR IGNORE INTO temp.import_preview VALUES (?, ?)",
                                      [(id(slot), repr(k)) for k in fresh])
            slot.result.imported += cursor.rowcount
            slot.result.duplicates += len(fresh) - cursor.rowcount

    def open_import_slot(self: Store, target: ImportTarget, by: str
                         ) -> tuple[SessionImport, float | None]:
        """The session ``target`` names (started when the patient has none; inside the
        caller's transaction) and the newest instant it holds (None: no readings yet)."""
        if target.session_id is not None:
            session, created = self.get_session(target.session_id), False
        else:
            session, created = self.session_for_patient(target.patient_id or "", by)
        if session.status is SessionStatus.CLOSED:
            raise SessionClosed(f"Session {session.id} ({session.patient.identifier}) is "
                                "closed; readings cannot be added to it.")
        assert session.id is not None
        return (SessionImport(session.id, session.patient.identifier, created),
                self._latest_instant(session.id))

    def _latest_instant(self: Store, session_id: int) -> float | None:
        # Every reading counts here, corrections too: they can be duplicated like any other.
        return self._db.execute("SELECT max(taken_ts) FROM readings WHERE session_id = ?",
                                [session_id]).fetchone()[0]

    def stored_identities(self: Store, session_id: int,
                          instants: Iterable[float]) -> set[Identity]:
        """The identities of the session's readings (all of them, whatever their status)
        taken at any of ``instants`` (UTC timestamps): indexed look-ups by time."""
        wanted = sorted(set(instants))
        found: set[Identity] = set()
        for start in range(0, len(wanted), _STAMPS_PER_QUERY):
            chunk = wanted[start:start + _STAMPS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            found.update(identity(row[0], row[1:]) for row in self._db.execute(
                f"SELECT taken_ts, {_VALUE_COLUMNS} FROM readings WHERE session_id = ? "
                f"AND taken_ts IN ({marks})", [session_id, *chunk]))
        return found

    def _record_runs(self: Store, db: Any, results: list[SessionImport], run: ImportRun
                     ) -> None:
        finished = datetime.now(UTC).isoformat()
        # A run that added nothing (a file imported twice) leaves no trace: "adds nothing".
        results = [s for s in results if s.imported]
        for s in results:
            detail = {**run.detail, "sessions_in_file": len(results),
                      "created_session": s.created}
            db.table("imports").insert({
                "id": s.import_id, "session_id": s.session_id, "file_name": run.file_name,
                "format": run.format, "sha256": run.sha256,
                "started_at": (run.started_at or datetime.now(UTC)).isoformat(),
                "finished_at": finished, "imported": s.imported, "duplicates": s.duplicates,
                "rejected": run.rejected, "imported_by": run.by,
                "detail": json.dumps(detail, sort_keys=True),
            })
            self._audit(db, run.by, "readings imported", s.session_id, {
                "import_id": s.import_id, "file": run.file_name, "format": run.format,
                "imported": s.imported, "duplicates": s.duplicates, "rejected": run.rejected,
            })


def _identities(item: Reading | ReadingBlock) -> list[Identity]:
    if isinstance(item, Reading):
        return [reading_identity(item)]
    return [identity(ts, values) for _, _, ts, values, _ in item.rows]


class _Slot:
    """A target session during one commit (or preview)."""

    def __init__(self, result: SessionImport, latest: float | None):
        self.result = result
        # The newest instant the session holds, this import's rows included: a reading
        # taken after it cannot be a duplicate of a stored one.
        self.latest = latest
        self.corrected_at: dict[float, int] = {}  # time -> row id of a 'corrected' row

    def may_hold(self, instant: float) -> bool:
        """Whether the session may hold a reading taken at ``instant``."""
        return self.latest is not None and instant <= self.latest


#: A row ready for INSERT (see _INSERT_COLUMNS) and the reading it was made from (None when
#: it came from a block: a plain current reading).
_Pending = tuple[tuple[Any, ...], Reading | None]
_TS = _INSERT_COLUMNS.index("taken_ts")
_VALUES = slice(_INSERT_COLUMNS.index("sbp"), _INSERT_COLUMNS.index("spo2") + 1)


class _BulkWriter:
    """Writes batches inside the caller's transaction, counting per session."""

    def __init__(self, store: Store, conn: Connection, by: str, *, numbered: bool):
        self.store = store
        self.conn = conn
        self.by = by
        self.numbered = numbered
        self.now = datetime.now(UTC)
        self.recorded_at = self.now.isoformat()
        self.slots: dict[ImportTarget, _Slot] = {}
        self.by_session: dict[int, _Slot] = {}
        self.next_import_id = (conn.execute("SELECT coalesce(max(id), 0) + 1 FROM imports")
                               .fetchone()[0] if numbered else None)

    def results(self) -> list[SessionImport]:
        return [slot.result for slot in self.by_session.values()]

    def _slot(self, target: ImportTarget) -> _Slot:
        slot = self.slots.get(target)
        if slot is None:
            result, latest = self.store.open_import_slot(target, self.by)
            slot = self.by_session.setdefault(result.session_id or 0, _Slot(result, latest))
            if self.next_import_id is not None and slot.result.import_id is None:
                slot.result.import_id = self.next_import_id
                self.next_import_id += 1
            self.slots[target] = slot
        return slot

    def add(self, batch: Sequence[tuple[ImportTarget, Reading | ReadingBlock]]) -> None:
        pending: dict[int, list[_Pending]] = {}
        for target, item in batch:
            slot = self._slot(target)
            rows = pending.setdefault(slot.result.session_id or 0, [])
            if isinstance(item, Reading):
                rows.append((self._row(slot, item), item))
            else:
                rows.extend(self._block_rows(slot, item))
        for session_id, items in pending.items():
            self._write_session(self.by_session[session_id], items)

    def _write_session(self, slot: _Slot, items: list[_Pending]) -> None:
        stamps = [row[_TS] for row, _ in items]
        if slot.may_hold(min(stamps)) or len(set(stamps)) != len(stamps):
            items = self._without_duplicates(slot, items, stamps)
        plain: list[tuple[Any, ...]] = []  # full rows of current readings
        bulk: list[tuple[Any, ...]] = []  # block rows
        counted = 0
        for row, reading in items:
            if reading is None:
                bulk.append(row)
            elif (reading.status is ReadingStatus.VALID
                  and row[_TS] not in slot.corrected_at):
                plain.append(row)
            else:
                counted += self._insert_many(slot, _INSERT_SQL, plain)
                counted += self._insert_many(slot, _BLOCK_INSERT_SQL, bulk)
                plain, bulk = [], []
                counted += self._insert_marked(slot, reading, row)
        counted += self._insert_many(slot, _INSERT_SQL, plain)
        counted += self._insert_many(slot, _BLOCK_INSERT_SQL, bulk)
        if items:
            newest = max(row[_TS] for row, _ in items)
            slot.latest = newest if slot.latest is None else max(slot.latest, newest)
            if self.numbered and counted:
                self.conn.execute(_COUNT_BATCH_SQL,
                                  [counted, newest, newest, slot.result.session_id])

    def _without_duplicates(self, slot: _Slot, items: list[_Pending],
                            stamps: list[float]) -> list[_Pending]:
        """``items`` less those the session holds and those repeated within ``items``."""
        session_id = slot.result.session_id or 0
        known = self.store.stored_identities(
            session_id, [t for t in stamps if slot.may_hold(t)]) if slot.may_hold(
                min(stamps)) else set()
        fresh: list[_Pending] = []
        for row, reading in items:
            key = identity(row[_TS], row[_VALUES])
            if key in known:
                slot.result.duplicates += 1
                continue
            known.add(key)
            fresh.append((row, reading))
        return fresh

    def _row(self, slot: _Slot, reading: Reading) -> tuple[Any, ...]:
        # The same columns as database._reading_row (a test holds them equal), built as a
        # tuple directly: this runs once per imported row.
        get = reading.values.get
        on_oxygen = reading.on_oxygen
        return (slot.result.session_id, reading.taken_at.isoformat(),
                reading.taken_at.timestamp(), *[get(v) for v in _VITALS],
                int(reading.map_derived), reading.source.value, reading.source_detail,
                reading.entered_by, reading.note, self.recorded_at, reading.supersedes,
                reading.correction_reason, None, reading.consciousness,
                None if on_oxygen is None else int(on_oxygen), reading.temperature_c,
                slot.result.import_id)

    def _block_rows(self, slot: _Slot, block: ReadingBlock) -> list[_Pending]:
        # Rows for _BLOCK_INSERT_SQL, made from the block's columns without a Reading per row;
        # the columns left out take their defaults, which is what _row gives a plain current
        # reading without note or initials (a test holds the two rows equal).
        head = slot.result.session_id
        tail = (block.source.value, block.source_detail, self.recorded_at,
                slot.result.import_id)
        return [((head, taken_at, ts, *values, int(derived), *tail), None)
                for _, taken_at, ts, values, derived in block.rows]

    def _insert_many(self, slot: _Slot, sql: str, rows: list[tuple[Any, ...]]) -> int:
        if rows:
            self.conn.executemany(sql, rows)
            slot.result.imported += len(rows)
        return len(rows)

    def _insert_marked(self, slot: _Slot, reading: Reading, row: tuple[Any, ...]) -> int:
        """A reading with a status or a correction link, inserted on its own for its id;
        returns how many new readings it counts as (a correction counts as none)."""
        values = list(row)
        taken_ts = row[_TS]
        if reading.status is ReadingStatus.VALID:
            values[_SUPERSEDES] = slot.corrected_at.pop(taken_ts)
            values[_REASON] = "correction recorded in the imported file"
        cursor = self.conn.execute(_INSERT_SQL, values)
        slot.result.imported += 1
        row_id = int(cursor.lastrowid or 0)
        if reading.status is ReadingStatus.CORRECTED:
            slot.corrected_at[taken_ts] = row_id
        elif reading.status is ReadingStatus.ENTERED_IN_ERROR:
            self.conn.execute(
                "INSERT INTO reading_marks (reading_id, kind, marked_by, marked_at, reason) "
                "VALUES (?, ?, ?, ?, ?)",
                [row_id, ReadingStatus.ENTERED_IN_ERROR.value, self.by or "import",
                 self.now.isoformat(), "entered in error in the imported file"])
        return 0 if values[_SUPERSEDES] is not None else 1


_SUPERSEDES = _INSERT_COLUMNS.index("supersedes")
_REASON = _INSERT_COLUMNS.index("correction_reason")
