"""Store methods for where a session's alert evaluation stands (table ``alert_state``, see
migration m009) and the inputs it follows. Mixed into :class:`monitor.store.database.Store`;
``monitor.app.alerting`` is the one caller."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..domain.alerts import Acknowledgement, AlertEngine
from ..domain.readings import Reading
from ..domain.sessions import Session
from ..domain.vitals import Vital

if TYPE_CHECKING:
    from .database import Store

#: Readings read per query when a session streams through the alert engine.
STREAM_CHUNK = 5000


@dataclass(frozen=True)
class AlertInputs:
    """How far a session's alert inputs go: the newest reading row (a new session's: the
    newest row of the database when it began, so nothing of it is older), how many in-error
    marks, the newest acknowledgement and how many threshold versions apply."""

    readings_through: int
    marks: int
    acks_through: int
    profiles: int  # how many threshold versions apply (they are never deleted)


@dataclass(frozen=True)
class AlertStateRow:
    """A session's saved alert evaluation: ``state`` is ``AlertEngine.state()``; ``token``
    changes with every save, so a copy kept in memory knows whether it is still current."""

    session_id: int
    token: str
    state: dict[str, Any]
    inputs: AlertInputs
    baseline: dict[str, float]
    evaluated_until: datetime | None


class AlertStateRecords:
    """Mixin: needs the Store core (``_write``, ``_query``, ``_db``)."""

    def alert_inputs(self: Store, session_id: int, readings_since: int = 0) -> AlertInputs:
        """Where the session's readings, marks, acknowledgements and threshold versions
        stand now. ``readings_since`` is a reading id known to be no newer than the
        session's newest (the last one evaluated): the newest is looked for after it by
        primary key ("+session_id" keeps SQLite off the session's index), so a long
        session is not scanned, only the rows stored since. Marks are few: they are read
        first (CROSS JOIN keeps that order), not the session's readings."""
        row = self._db.execute(
            """SELECT
                 (SELECT coalesce(max(id), :since) FROM readings
                   WHERE id > :since AND +session_id = :s),
                 (SELECT count(*) FROM reading_marks m CROSS JOIN readings r
                   ON r.id = m.reading_id WHERE r.session_id = :s),
                 (SELECT coalesce(max(id), 0) FROM alert_acks WHERE session_id = :s),
                 (SELECT count(*) FROM threshold_profiles
                   WHERE scope = 'clinic' OR (scope = 'session' AND session_id = :s))""",
            {"s": session_id, "since": readings_since}).fetchone()
        return AlertInputs(*(int(x) for x in row))

    def alert_state(self: Store, session_id: int) -> AlertStateRow | None:
        """The saved evaluation of a session, or None when it has never been evaluated."""
        rows = self._query("SELECT * FROM alert_state WHERE session_id = ?", [session_id])
        if not rows:
            return None
        r = rows[0]
        return AlertStateRow(
            r["session_id"], r["token"], json.loads(r["state"]),
            AlertInputs(r["readings_through"], r["marks"], r["acks_through"],
                        r["profiles"]),
            json.loads(r["baseline"]),
            datetime.fromisoformat(r["evaluated_until"]) if r["evaluated_until"] else None)

    def alert_state_token(self: Store, session_id: int) -> str | None:
        """The token of the saved evaluation (cheap: is a copy in memory still current?)."""
        row = self._db.execute("SELECT token FROM alert_state WHERE session_id = ?",
                               [session_id]).fetchone()
        return row[0] if row else None

    def save_alert_state(self: Store, row: AlertStateRow) -> None:
        """Save where a session's evaluation stands (inside the caller's transaction)."""
        with self._write() as db:
            db.execute(
                """INSERT OR REPLACE INTO alert_state (session_id, token, state,
                     readings_through, marks, acks_through, profiles, baseline,
                     evaluated_until, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [row.session_id, row.token, json.dumps(row.state, sort_keys=True),
                 row.inputs.readings_through, row.inputs.marks, row.inputs.acks_through,
                 row.inputs.profiles, json.dumps(row.baseline, sort_keys=True),
                 row.evaluated_until.isoformat() if row.evaluated_until else None,
                 datetime.now(UTC).isoformat()])

    def _start_alert_state(self: Store, db: Any, session_id: int, session: Session) -> None:
        """A new session starts evaluated: nothing seen yet, so its first readings carry on
        from here instead of replaying (inside the transaction that creates it)."""
        baseline = {v.value: float(x) for v, x in sorted(session.baseline.items())}
        db.execute(
            """INSERT INTO alert_state (session_id, token, state, readings_through, marks,
                 acks_through, profiles, baseline, evaluated_until, saved_at)
               SELECT ?, ?, ?, (SELECT coalesce(max(id), 0) FROM readings), 0, 0, count(*),
                      ?, NULL, ? FROM threshold_profiles
               WHERE scope = 'clinic' OR (scope = 'session' AND session_id = ?)""",
            [session_id, uuid.uuid4().hex, json.dumps(AlertEngine.initial_state()),
             json.dumps(baseline, sort_keys=True), datetime.now(UTC).isoformat(), session_id])

    def sessions_without_alert_state(self: Store, limit: int | None = None) -> list[int]:
        """Sessions never evaluated (from before alert states were kept), newest first."""
        sql = ("SELECT s.id FROM sessions s LEFT JOIN alert_state a ON a.session_id = s.id "
               "WHERE a.session_id IS NULL ORDER BY s.started_ts DESC, s.id DESC")
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [r[0] for r in self._db.execute(sql, params)]

    def newest_current_time(self: Store, session_id: int) -> datetime | None:
        """When the newest current reading of a session was taken (None: no readings)."""
        row = self._db.execute(
            "SELECT r.taken_at FROM readings r LEFT JOIN readings c ON c.supersedes = r.id "
            "LEFT JOIN reading_marks m ON m.reading_id = r.id WHERE r.session_id = ? "
            "AND c.id IS NULL AND m.id IS NULL ORDER BY r.taken_ts DESC, r.id DESC LIMIT 1",
            [session_id]).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def acknowledgements_after(self: Store, session_id: int, after_id: int
                               ) -> list[Acknowledgement]:
        """Acknowledgements of a session stored after row ``after_id``, oldest first."""
        rows = self._query("SELECT * FROM alert_acks WHERE session_id = ? AND id > ? "
                           "ORDER BY id", [session_id, after_id])
        return [Acknowledgement(r["condition"], r["acked_by"],
                                datetime.fromisoformat(r["acked_at"])) for r in rows]

    def reading_chunks_after(self: Store, session_id: int, after_id: int, through_id: int,
                             *, slim: bool = False) -> Iterator[list[tuple[Any, ...]]]:
        """Rows of a session with ``after_id < id <= through_id``, in id order, a chunk at
        a time (a million-row import streams through in bounded memory). Each row is a
        reading row (see :func:`reading_rows_to_readings`) with its stored time stamp
        (UTC seconds) last; ``slim`` rows hold only the id, times, values and what says a
        row is not plain and current, at the same places (the rest None): a third of the
        cost, for a caller that fetches the few full rows it needs (:meth:`full_rows`)."""
        last = after_id
        select = _SLIM_ROWS_SQL if slim else _RowsWithTs.get()
        while last < through_id:
            rows = self._db.execute(
                # "+r.session_id": walk the primary key from ``last``, not the session's
                # index (a long session has 100,000 entries there).
                select + " WHERE +r.session_id = ? AND r.id > ? AND r.id <= ? "
                "ORDER BY r.id LIMIT ?", [session_id, last, through_id, STREAM_CHUNK]
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield rows

    def current_reading_chunks(self: Store, session_id: int, *, slim: bool = False
                               ) -> Iterator[list[tuple[Any, ...]]]:
        """The current rows of a session (neither corrected nor in error) in time order
        (then id), a chunk at a time, each with its time stamp last: what a replay of a
        long session streams through (``slim``: see :meth:`reading_chunks_after`)."""
        after: tuple[float, int] = (float("-inf"), 0)
        select = _SLIM_ROWS_SQL if slim else _RowsWithTs.get()
        while True:
            rows = self._db.execute(
                select + " WHERE r.session_id = ? AND c.id IS NULL AND m.id IS NULL "
                "AND (r.taken_ts, r.id) > (?, ?) ORDER BY r.taken_ts, r.id LIMIT ?",
                [session_id, after[0], after[1], STREAM_CHUNK]).fetchall()
            if not rows:
                return
            after = (rows[-1][-1], rows[-1][0])
            yield rows


    def full_rows(self: Store, ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """The full rows (as :meth:`reading_chunks_after` gives them) of the readings
        ``ids``, in that order."""
        rows = {row[0]: row for row in self._db.execute(
            _RowsWithTs.get() + f" WHERE r.id IN ({', '.join('?' * len(ids))})", list(ids))}
        return [rows[i] for i in ids]


def reading_rows_to_readings(rows: Iterable[tuple[Any, ...]]) -> list[Reading]:
    """Readings from rows of :meth:`AlertStateRecords.reading_chunks_after` or
    :meth:`AlertStateRecords.current_reading_chunks`."""
    from .database import _readings_from_rows

    return _readings_from_rows(row[:-1] for row in rows)


#: Where things are in those rows: the vitals (in ``Vital`` order), the time stamp, and
#: what says a row is not plain and current (it supersedes one: a correction; it was
#: corrected; it was marked in error).
ROW_TAKEN_AT, ROW_VALUES, ROW_TS = 2, slice(3, 3 + len(Vital)), -1
ROW_SUPERSEDES, ROW_CORRECTED_BY, ROW_MARKED = 15, 21, 25
_ROW_WIDTH = 29  # the columns of the store's readings SELECT, taken_ts included


def _slim_rows_sql() -> str:
    columns = ["NULL"] * _ROW_WIDTH
    columns[0], columns[1], columns[ROW_TAKEN_AT] = "r.id", "r.session_id", "r.taken_at"
    columns[ROW_VALUES] = [f"r.{v.value}" for v in Vital]
    columns[ROW_SUPERSEDES], columns[ROW_CORRECTED_BY] = "r.supersedes", "c.id"
    columns[ROW_MARKED], columns[ROW_TS] = "m.id", "r.taken_ts"
    return (f"SELECT {', '.join(columns)} FROM readings r "
            "LEFT JOIN readings c ON c.supersedes = r.id "
            "LEFT JOIN reading_marks m ON m.reading_id = r.id")


#: Rows at the places of the full SELECT's, with only what the alert feed reads.
_SLIM_ROWS_SQL = _slim_rows_sql()


class _RowsWithTs:
    """The store's readings SELECT with r.taken_ts added just before FROM (built once, on
    first use: the store module imports this one)."""

    sql: str | None = None

    @classmethod
    def get(cls) -> str:
        if cls.sql is None:
            from .database import _READINGS_ROWS_SQL

            cls.sql = _READINGS_ROWS_SQL.replace("\nFROM readings r",
                                                 ", r.taken_ts\nFROM readings r", 1)
        return cls.sql
