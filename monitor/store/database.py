"""The embedded SQLite store: sessions, append-only readings, marks and the audit log.

Durability: WAL journal with ``synchronous=FULL``, so a write that returned is on disk and
survives a crash or power loss. Every public write is one transaction; nothing is ever
updated in place or deleted from readings, marks or the audit log (triggers enforce it).

A connection belongs to the thread that opened it: worker threads open their own Store.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..domain.readings import Reading, ReadingStatus, Source
from ..domain.sessions import Infusion, Patient, Session, SessionStatus
from ..domain.vitals import Vital
from . import schema
from .alert_state import AlertStateRecords
from .amendments import AmendmentRecords
from .browse import BrowseRecords
from .clinical import ClinicalRecords
from .column_maps import ColumnMapRecords
from .errors import DatabaseCorrupt, DatabaseTooNew, NotFound, StoreError, translated
from .imports import ImportRecords
from .opening import OpeningRecords

BUSY_TIMEOUT_S = 5.0
VITAL_COLUMNS = tuple(v.value for v in Vital)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse_dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class AuditEntry:
    """One line of a session's audit trail."""

    at: datetime
    actor: str
    action: str
    session_id: int | None
    detail: Mapping[str, Any]


class Store(BrowseRecords, ClinicalRecords, ImportRecords, AmendmentRecords,
            OpeningRecords, AlertStateRecords, ColumnMapRecords):
    """All persistent data. Open with :meth:`open`; rows come back as domain objects."""

    def __init__(self, db: Database, path: str, read_only: bool):
        self._db = db
        self.path = path
        self.read_only = read_only

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False,
             check: bool = True) -> Store:
        """Open (creating if missing) the database at ``path`` and bring its schema up to date.

        Raises a :class:`StoreError` subclass with a user-facing message when the file is
        damaged, too new, locked or not writable."""
        path_str = str(Path(path))
        if read_only:
            if not Path(path).exists():
                raise NotFound(f"There is no database at {path_str}.")
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            in_use = any(Path(f"{path_str}{suffix}").exists() for suffix in ("-wal", "-shm"))
            if not in_use:
                # A closed copy (an archive, a colleague's file): immutable means SQLite
                # creates no -wal/-shm beside it and takes no locks, so a read-only folder
                # works and nothing on disk changes. A file some app has open is read
                # normally, so its new writes stay visible.
                uri += "&immutable=1"
        else:
            _create_private(Path(path))
            uri = Path(path).resolve().as_uri()
        with translated(path_str):
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
            try:
                store = cls(Database(conn, execute_plugins=False), path_str, read_only)
                store._prepare(check)
            except BaseException:
                conn.close()
                raise
        return store

    def _prepare(self, check: bool) -> None:
        conn = self._db.conn
        conn.execute("PRAGMA foreign_keys = ON")
        if check:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if [r[0] for r in rows] != ["ok"]:
                raise DatabaseCorrupt(
                    f"The database {self.path} failed its integrity check "
                    f"({rows[0][0]}). Restore it from a backup."
                )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > schema.schema_version():
            raise DatabaseTooNew(
                f"The database {self.path} was written by a newer version of this app "
                f"(schema {version}, this app knows {schema.schema_version()}). "
                "Update the app to open it; it has not been changed."
            )
        if self.read_only:
            return
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        if version < schema.schema_version():
            schema.migrations.apply(self._db)
            conn.execute(f"PRAGMA user_version = {schema.schema_version()}")

    def close(self) -> None:
        """Close the connection; everything written is already on disk."""
        self._db.close()
        self.closed = True

    closed = False

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        if self.read_only:
            from .errors import DatabaseReadOnly

            raise DatabaseReadOnly(f"{self.path} is open read-only; nothing can be changed.")
        conn = self._db.conn
        with translated(self.path):
            if conn.in_transaction:  # nested: a savepoint inside the caller's transaction
                with self._db.atomic() as db:
                    yield db
                return
            # IMMEDIATE takes the write lock up front, waiting up to BUSY_TIMEOUT_S for another
            # writer. A deferred BEGIN that reads first cannot wait: in WAL mode SQLite refuses
            # the later upgrade to a write lock at once with "database is locked".
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction around several store calls (each of them then joins it):
        all of them are committed together, or none. What the app layer wraps around a
        change and the alerts it raises."""
        with self._write():
            yield

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with translated(self.path):
            return list(self._db.query(sql, list(params)))

    def pragma(self, name: str) -> Any:
        """The value of a read-only pragma (journal_mode, synchronous, foreign_keys, ...)."""
        if not name.isidentifier():
            raise ValueError(name)
        return self._db.execute(f"PRAGMA {name}").fetchone()[0]

    def _audit(self, db: Database, actor: str, action: str, session_id: int | None,
               detail: Mapping[str, Any]) -> None:
        db.table("audit_log").insert(
            {
                "at": utc_now().isoformat(),
                "actor": actor,
                "action": action,
                "session_id": session_id,
                "detail": json.dumps(detail, sort_keys=True, default=str),
            }
        )

    # -- sessions ------------------------------------------------------------------------

    def create_session(self, session: Session, by: str) -> Session:
        """Store a new session and return it with its id."""
        started = session.started_at or utc_now()
        row = _session_row(replace(session, started_at=started, created_by=by))
        with self._write() as db:
            session_id = db.table("sessions").insert(row).last_pk
            self._audit(db, by, "session started", session_id,
                        {"patient_id": session.patient.identifier})
            self._start_alert_state(db, int(session_id), session)
        return self.get_session(int(session_id))

    def get_session(self, session_id: int) -> Session:
        """The session with ``session_id``; raises NotFound."""
        rows = self._query("SELECT * FROM sessions WHERE id = ?", [session_id])
        if not rows:
            raise NotFound(f"There is no session {session_id}.")
        return _session_from_row(rows[0])

    def active_session_for_patient(self, patient_id: str) -> Session | None:
        """The patient's most recent active session, if any."""
        rows = self._query(
            "SELECT * FROM sessions WHERE patient_id = ? AND status = 'active' "
            "ORDER BY started_ts DESC, id DESC LIMIT 1",
            [patient_id],
        )
        return _session_from_row(rows[0]) if rows else None

    def sessions(self, *, patient_id: str | None = None, limit: int | None = None
                 ) -> list[Session]:
        """Sessions, newest first."""
        sql, params = "SELECT * FROM sessions", []
        if patient_id is not None:
            sql += " WHERE patient_id = ?"
            params.append(patient_id)
        sql += " ORDER BY started_ts DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_session_from_row(r) for r in self._query(sql, params)]

    def update_session(self, session: Session, by: str, reason: str = "") -> Session:
        """Change a session's details (patient, infusion, baseline); the audit trail records
        every changed field with its old and new value."""
        if session.id is None:
            raise ValueError("session has no id")
        old_row = self._query("SELECT * FROM sessions WHERE id = ?", [session.id])
        if not old_row:
            raise NotFound(f"There is no session {session.id}.")
        new_row = _session_row(session)
        changes = {
            key: {"old": old_row[0].get(key), "new": value}
            for key, value in new_row.items()
            if key not in ("started_at", "started_ts", "created_by")
            and old_row[0].get(key) != value
        }
        if changes:
            with self._write() as db:
                db.table("sessions").update(
                    session.id, {k: v["new"] for k, v in changes.items()}
                )
                self._audit(db, by, "session changed", session.id,
                            {"changes": changes, "reason": reason})
        return self.get_session(session.id)

    def close_session(self, session_id: int, by: str, at: datetime | None = None,
                      details: Mapping[str, Any] | None = None) -> Session:
        """Close (lock) a session."""
        closed_at = at or utc_now()
        with self._write() as db:
            self._require_session(db, session_id)
            db.table("sessions").update(
                session_id, {"status": SessionStatus.CLOSED.value, "closed_at": _iso(closed_at)}
            )
            self._audit(db, by, "session closed", session_id, dict(details or {}))
        return self.get_session(session_id)

    # -- readings ------------------------------------------------------------------------

    def add_reading(self, session_id: int, reading: Reading) -> Reading:
        """Commit one reading; when this returns it is on disk."""
        return self.add_readings(session_id, [reading])[0]

    def add_readings(self, session_id: int, readings: Iterable[Reading]) -> list[Reading]:
        """Commit many readings in one transaction: all of them or none."""
        now = utc_now()
        ids: list[int] = []
        with self._write() as db:
            self._require_session(db, session_id)
            table = db.table("readings")
            for reading in readings:
                ids.append(int(table.insert(_reading_row(session_id, reading, now)).last_pk))
        return [self.get_reading(i) for i in ids]

    def get_reading(self, reading_id: int) -> Reading:
        """One reading with its current status; raises NotFound."""
        rows = self._query(_READINGS_SQL + " WHERE r.id = ?", [reading_id])
        if not rows:
            raise NotFound(f"There is no reading {reading_id}.")
        return _reading_from_row(rows[0])

    def readings(self, session_id: int) -> list[Reading]:
        """Every reading of a session in time order, corrected and in-error ones included."""
        with translated(self.path), _no_gc_pauses():
            rows = self._db.execute(
                _READINGS_ROWS_SQL + " WHERE r.session_id = ? ORDER BY r.taken_ts, r.id",
                [session_id]).fetchall()
            return _readings_from_rows(rows)

    def readings_after(self, session_id: int, after_id: int) -> list[Reading]:
        """Readings of a session stored after reading ``after_id`` (cheap: by primary key)."""
        with translated(self.path):
            rows = self._db.execute(
                _READINGS_ROWS_SQL + " WHERE r.session_id = ? AND r.id > ? ORDER BY r.id",
                [session_id, after_id]).fetchall()
        return _readings_from_rows(rows)

    def last_reading_id(self, session_id: int) -> int:
        """The id of the newest stored row of a session (corrections included), 0 if none."""
        rows = self._query("SELECT max(id) AS n FROM readings WHERE session_id = ?",
                           [session_id])
        return int(rows[0]["n"] or 0)

    def mark_count(self, session_id: int) -> int:
        """How many readings of a session are marked entered in error."""
        return int(self._query(
            "SELECT count(*) AS n FROM reading_marks m JOIN readings r ON r.id = m.reading_id "
            "WHERE r.session_id = ?", [session_id])[0]["n"])

    def current_readings(self, session_id: int) -> list[Reading]:
        """The readings that count: neither corrected nor entered in error."""
        return [r for r in self.readings(session_id) if r.is_current]

    def correct_reading(self, reading_id: int, replacement: Reading, by: str,
                        reason: str) -> Reading:
        """Record ``replacement`` as the correction of reading ``reading_id``. The original
        stays in the record, marked as corrected."""
        if not reason.strip():
            raise ValueError("a correction needs a reason")
        original = self.get_reading(reading_id)
        if not original.is_current:
            raise StoreError(f"Reading {reading_id} is already {original.status.value}.")
        new = replace(replacement, supersedes=reading_id, correction_reason=reason.strip(),
                      entered_by=by)
        with self._write() as db:
            new_id = db.table("readings").insert(
                _reading_row(original.session_id or 0, new, utc_now())
            ).last_pk
            self._audit(db, by, "reading corrected", original.session_id,
                        {"reading_id": reading_id, "correction_id": new_id, "reason": reason,
                         "old": _values_json(original.values),
                         "new": _values_json(replacement.values)})
        return self.get_reading(int(new_id))

    def mark_entered_in_error(self, reading_id: int, by: str, reason: str,
                              amendment_reason: str | None = None) -> Reading:
        """Mark a reading as entered in error. It stays in the record, struck out.
        ``amendment_reason`` is set only by an amendment of a closed session."""
        if not reason.strip():
            raise ValueError("marking a reading in error needs a reason")
        original = self.get_reading(reading_id)
        if not original.is_current:
            raise StoreError(f"Reading {reading_id} is already {original.status.value}.")
        with self._write() as db:
            db.table("reading_marks").insert(
                {"reading_id": reading_id, "kind": ReadingStatus.ENTERED_IN_ERROR.value,
                 "marked_by": by, "marked_at": utc_now().isoformat(), "reason": reason.strip(),
                 "amendment_reason": amendment_reason}
            )
            self._audit(db, by, "reading entered in error", original.session_id,
                        {"reading_id": reading_id, "reason": reason})
        return self.get_reading(reading_id)

    def audit_trail(self, session_id: int) -> list[AuditEntry]:
        """Everything done to a session, oldest first."""
        rows = self._query("SELECT * FROM audit_log WHERE session_id = ? ORDER BY id",
                           [session_id])
        return [
            AuditEntry(datetime.fromisoformat(r["at"]), r["actor"], r["action"],
                       r["session_id"], json.loads(r["detail"]))
            for r in rows
        ]

    def data_version(self) -> int:
        """Changes when another connection commits: cheap polling for live updates."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def _require_session(self, db: Database, session_id: int) -> None:
        row = db.execute("SELECT status FROM sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no session {session_id}.")


# -- rows <-> domain objects ---------------------------------------------------------------

_READINGS_SQL = """
SELECT r.*, c.id AS superseded_by, c.correction_reason AS superseded_reason,
       c.entered_by AS superseded_by_who, c.recorded_at AS superseded_at,
       m.reason AS mark_reason, m.marked_by, m.marked_at
FROM readings r
LEFT JOIN readings c ON c.supersedes = r.id
LEFT JOIN reading_marks m ON m.reading_id = r.id
"""


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a long session is loaded: each of its
    hundreds of thousands of new tuples and dicts counts towards a collection, and each
    collection walks everything built so far (half the load time). Readings hold no
    cycles, so nothing is kept longer than it would be."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: The vitals in the order of their columns in _READINGS_ROWS_SQL.
_ROW_VITALS: tuple[Vital, ...] = tuple(Vital)
#: The columns _readings_from_rows unpacks, in its order (the last ones are mostly NULL).
#: Its unpacking names the six vitals, so a new vital fails loudly there until added.
_READINGS_ROWS_SQL = f"""
SELECT r.id, r.session_id, r.taken_at, {", ".join(f"r.{v.value}" for v in _ROW_VITALS)},
       r.map_derived, r.source, r.source_detail, r.entered_by, r.note, r.recorded_at,
       r.supersedes, r.correction_reason, r.consciousness, r.on_oxygen, r.temperature,
       r.amendment_reason, c.id, c.correction_reason, c.entered_by, c.recorded_at,
       m.reason, m.marked_by, m.marked_at
FROM readings r
LEFT JOIN readings c ON c.supersedes = r.id
LEFT JOIN reading_marks m ON m.reading_id = r.id
"""
_SOURCES = {s.value: s for s in Source}


def _readings_from_rows(rows: Iterable[tuple[Any, ...]]) -> list[Reading]:
    """Readings from plain rows of _READINGS_ROWS_SQL: what _reading_from_row makes, at a
    fraction of the cost for a long session. The frozen dataclass's __init__ sets each of
    its two dozen fields through object.__setattr__, which was most of the time, so the
    instance gets its attribute dict at once (Reading has no __post_init__ to skip).
    Strings and times that repeat from row to row (device, initials, when recorded) are
    kept once."""
    shared: dict[str, str] = {}
    times: dict[str, datetime] = {}
    vitals, sources = _ROW_VITALS, _SOURCES
    valid, corrected, in_error = (ReadingStatus.VALID, ReadingStatus.CORRECTED,
                                  ReadingStatus.ENTERED_IN_ERROR)
    new, set_attribute, fromiso = object.__new__, object.__setattr__, datetime.fromisoformat
    result: list[Reading] = []
    for (id_, session_id, taken_at, sbp, dbp, map_, hr, rr, spo2, map_derived, source,
         detail, by, note, recorded_at, supersedes, correction_reason, consciousness,
         on_oxygen, temperature, amendment, c_id, c_reason, c_by, c_at, m_reason, m_by,
         m_at) in rows:
        measured = (sbp, dbp, map_, hr, rr, spo2)
        values = ({v: float(x) for v, x in zip(vitals, measured, strict=True) if x is not None}
                  if None in measured else dict(zip(vitals, map(float, measured), strict=True)))
        if m_reason is not None:
            status, reason, status_by, status_at = in_error, m_reason, m_by, _parse_dt(m_at)
        elif c_id is not None:
            status, reason, status_by, status_at = corrected, c_reason, c_by, _parse_dt(c_at)
        else:
            status, reason, status_by, status_at = valid, "", "", None
        recorded = times.get(recorded_at) if recorded_at else None
        if recorded is None and recorded_at:
            recorded = times[recorded_at] = fromiso(recorded_at)
        reading = new(Reading)
        set_attribute(reading, "__dict__", {
            "taken_at": fromiso(taken_at), "values": values, "source": sources[source],
            "entered_by": shared.setdefault(by, by), "note": note,
            "source_detail": shared.setdefault(detail, detail),
            "map_derived": bool(map_derived), "id": id_, "session_id": session_id,
            "recorded_at": recorded, "supersedes": supersedes,
            "correction_reason": correction_reason, "status": status,
            "status_reason": reason, "status_by": status_by, "status_at": status_at,
            "late": bool(amendment), "amendment_reason": amendment or "", "extra": {},
            "consciousness": consciousness,
            "on_oxygen": None if on_oxygen is None else bool(on_oxygen),
            "temperature_c": temperature})
        result.append(reading)
    return result


def _create_private(path: Path) -> None:
    """Create a missing database file readable by its owner only."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _values_json(values: Mapping[Vital, float]) -> dict[str, float]:
    return {v.value: x for v, x in values.items()}


def _reading_row(session_id: int, reading: Reading, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "session_id": session_id,
        "taken_at": reading.taken_at.isoformat(),
        "taken_ts": reading.taken_at.timestamp(),
        "map_derived": int(reading.map_derived),
        "source": reading.source.value,
        "source_detail": reading.source_detail,
        "entered_by": reading.entered_by,
        "note": reading.note,
        "recorded_at": now.isoformat(),
        "supersedes": reading.supersedes,
        "correction_reason": reading.correction_reason,
        "dedup_key": reading.extra.get("dedup_key") if reading.extra else None,
        "consciousness": reading.consciousness,
        "on_oxygen": None if reading.on_oxygen is None else int(reading.on_oxygen),
        "temperature": reading.temperature_c,
        "amendment_reason": reading.amendment_reason.strip() or None,
    }
    for vital in Vital:
        row[vital.value] = reading.values.get(vital)
    return row


def _reading_from_row(row: Mapping[str, Any]) -> Reading:
    values = {v: float(row[v.value]) for v in Vital if row.get(v.value) is not None}
    status, reason, by, at = ReadingStatus.VALID, "", "", None
    if row.get("mark_reason") is not None:
        status, reason = ReadingStatus.ENTERED_IN_ERROR, row["mark_reason"]
        by, at = row["marked_by"], _parse_dt(row["marked_at"])
    elif row.get("superseded_by") is not None:
        status, reason = ReadingStatus.CORRECTED, row["superseded_reason"]
        by, at = row["superseded_by_who"], _parse_dt(row["superseded_at"])
    return Reading(
        taken_at=datetime.fromisoformat(row["taken_at"]),
        values=values,
        source=Source(row["source"]),
        entered_by=row["entered_by"],
        note=row["note"],
        source_detail=row["source_detail"],
        map_derived=bool(row["map_derived"]),
        id=int(row["id"]),
        session_id=int(row["session_id"]),
        recorded_at=_parse_dt(row["recorded_at"]),
        supersedes=row["supersedes"],
        correction_reason=row["correction_reason"],
        status=status,
        status_reason=reason,
        status_by=by,
        status_at=at,
        consciousness=row.get("consciousness"),
        on_oxygen=None if row.get("on_oxygen") is None else bool(row["on_oxygen"]),
        temperature_c=row.get("temperature"),
        amendment_reason=row.get("amendment_reason") or "",
        late=bool(row.get("amendment_reason")),
    )


def _session_row(session: Session) -> dict[str, Any]:
    p, inf = session.patient, session.infusion
    started = session.started_at or utc_now()
    row: dict[str, Any] = {
        "patient_id": p.identifier.strip(),
        "patient_name": p.name.strip(),
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
        "age_years": p.age_years,
        "weight_kg": session.weight_kg,
        "drug": inf.drug,
        "dose_mg": inf.dose_mg,
        "rate_mg_per_kg_h": inf.rate_mg_per_kg_h,
        "infusion_start": _iso(inf.started_at),
        "infusion_end": _iso(inf.ended_at),
        "indication": inf.indication,
        "status": session.status.value,
        "started_at": started.isoformat(),
        "started_ts": started.timestamp(),
        "closed_at": _iso(session.closed_at),
        "created_by": session.created_by,
    }
    for vital in Vital:
        row[f"baseline_{vital.value}"] = session.baseline.get(vital)
    return row


def _session_from_row(row: Mapping[str, Any]) -> Session:
    return Session(
        patient=Patient(
            identifier=row["patient_id"],
            name=row["patient_name"],
            date_of_birth=date.fromisoformat(row["date_of_birth"]) if row["date_of_birth"]
            else None,
            age_years=row["age_years"],
        ),
        infusion=Infusion(
            drug=row["drug"],
            dose_mg=row["dose_mg"],
            rate_mg_per_kg_h=row["rate_mg_per_kg_h"],
            started_at=_parse_dt(row["infusion_start"]),
            ended_at=_parse_dt(row["infusion_end"]),
            indication=row["indication"],
        ),
        weight_kg=row["weight_kg"],
        baseline={v: float(row[f"baseline_{v.value}"]) for v in Vital
                  if row.get(f"baseline_{v.value}") is not None},
        status=SessionStatus(row["status"]),
        id=int(row["id"]),
        started_at=_parse_dt(row["started_at"]),
        closed_at=_parse_dt(row["closed_at"]),
        created_by=row["created_by"],
    )
