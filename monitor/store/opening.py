"""What a window needs first when it opens a long session, read without the rest of it.

A device session of 100,000 readings takes most of a second to read as readings; the window
shows its newest rows, its latest values and its recorded alerts from these cheap queries
and reads everything else in a worker thread (ui/session_loader.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..domain.readings import Reading
from ..domain.vitals import Vital
from .errors import NotFound, translated

if TYPE_CHECKING:
    from .database import Store

_VITAL_COLUMNS = ", ".join(v.value for v in Vital)
#: Rows that count: not corrected by a later row, not marked entered in error.
_CURRENT = ("NOT EXISTS (SELECT 1 FROM readings c WHERE c.supersedes = r.id) "
            "AND NOT EXISTS (SELECT 1 FROM reading_marks m WHERE m.reading_id = r.id)")


#: Rows converted to arrays at a time by :meth:`OpeningRecords.current_columns`.
COLUMN_BLOCK_ROWS = 10_000


@dataclass(frozen=True)
class ReadingColumns:
    """A session's current readings column by column, in time order (then id): ``times``
    as UTC timestamps, ``values`` one column per vital in ``Vital`` order, NaN where a vital
    was not measured. What the chart draws, without a Reading per row."""

    ids: np.ndarray
    times: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


class OpeningRecords:
    """Mixin: needs the Store core (``_db``, ``path``, ``readings`` row helpers)."""

    def _require_session_id(self: Store, session_id: int) -> None:
        row = self._db.execute("SELECT 1 FROM sessions WHERE id = ?", [session_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no session {session_id}.")

    def reading_count(self: Store, session_id: int) -> int:
        """How many rows a session has, corrected and in-error ones included (cheap: the
        time index alone). Raises NotFound for an unknown session."""
        with translated(self.path):
            self._require_session_id(session_id)
            return int(self._db.execute("SELECT count(*) FROM readings WHERE session_id = ?",
                                        [session_id]).fetchone()[0])

    def opening_readings(self: Store, session_id: int, newest: int) -> list[Reading]:
        """The newest ``newest`` rows of a session (every status) and, for each vital, the
        newest current reading that has it, however old: in time order, each once. Enough
        for the first page of the readings table, the tiles and the alerts' latest values.
        Raises NotFound for an unknown session, ValueError for a negative count."""
        if newest < 0:
            raise ValueError("newest must not be negative")
        with translated(self.path):
            self._require_session_id(session_id)
            ids = [row[0] for row in self._db.execute(
                "SELECT id FROM readings WHERE session_id = ? "
                "ORDER BY taken_ts DESC, id DESC LIMIT ?", [session_id, newest])]
            for vital in Vital:
                # The time index walks back from the newest row, so this stops at the
                # first current row with the vital: at once for anything charted lately.
                row = self._db.execute(
                    f"SELECT r.id FROM readings r WHERE r.session_id = ? "
                    f"AND r.{vital.value} IS NOT NULL AND {_CURRENT} "
                    "ORDER BY r.taken_ts DESC, r.id DESC LIMIT 1", [session_id]).fetchone()
                if row is not None:
                    ids.append(row[0])
        return self.readings_with_ids(ids)

    def readings_with_ids(self: Store, ids: Iterable[int]) -> list[Reading]:
        """The readings with these ids, as stored now (status included), in time order,
        each once; ids that are not readings are left out. Cheap: by primary key."""
        from .database import _READINGS_ROWS_SQL, _readings_from_rows

        wanted = sorted(set(ids))
        if not wanted:
            return []
        with translated(self.path):
            rows = self._db.execute(
                _READINGS_ROWS_SQL + f" WHERE r.id IN ({', '.join('?' * len(wanted))})"
                " ORDER BY r.taken_ts, r.id", wanted).fetchall()
        return _readings_from_rows(rows)

    def readings_stored_after(self: Store, session_id: int, after_id: int) -> list[Reading]:
        """Rows of a session stored after row ``after_id``, in the order they were stored.
        Walks the primary key from ``after_id`` on (the ``+`` keeps SQLite off the
        session's time index, which would visit every row of a long session), so a live
        feed's poll costs the same on the first reading and on the 100,000th."""
        from .database import _READINGS_ROWS_SQL, _readings_from_rows

        with translated(self.path):
            rows = self._db.execute(
                _READINGS_ROWS_SQL + " WHERE r.id > ? AND +r.session_id = ? ORDER BY r.id",
                [after_id, session_id]).fetchall()
        return _readings_from_rows(rows)

    def marked_reading_ids(self: Store, session_id: int) -> frozenset[int]:
        """Ids of the session's rows marked entered in error. Walks the marks, not the
        session's rows (CROSS JOIN fixes that order): marks are few, a device session has
        100,000 rows. Raises nothing for an unknown session (no marks)."""
        with translated(self.path):
            rows = self._db.execute(
                "SELECT m.reading_id FROM reading_marks m CROSS JOIN readings r "
                "ON r.id = m.reading_id WHERE r.session_id = ?", [session_id]).fetchall()
        return frozenset(int(row[0]) for row in rows)

    def current_columns(self: Store, session_id: int) -> ReadingColumns:
        """The session's current readings as columns straight from SQL (see
        :class:`ReadingColumns`). Raises NotFound for an unknown session."""
        width = 2 + len(Vital)
        blocks = [np.empty((0, width))]
        with translated(self.path):
            self._require_session_id(session_id)
            cursor = self._db.execute(
                f"SELECT r.id, r.taken_ts, {_VITAL_COLUMNS} FROM readings r "
                f"WHERE r.session_id = ? AND {_CURRENT} ORDER BY r.taken_ts, r.id",
                [session_id])
            # In blocks, so a long session never holds all its rows as Python tuples at
            # once. None becomes NaN in a float array: the honest gap for a vital not
            # measured.
            while rows := cursor.fetchmany(COLUMN_BLOCK_ROWS):
                blocks.append(np.array(rows, dtype=np.float64).reshape(len(rows), width))
        table = np.concatenate(blocks)
        return ReadingColumns(table[:, 0].astype(np.int64), np.ascontiguousarray(table[:, 1]),
                              np.ascontiguousarray(table[:, 2:]))
