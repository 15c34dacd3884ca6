"""Store methods for reviewing past sessions: paged, filtered, sorted session summaries that
stay fast on 100,000 sessions (indexed columns kept by triggers, no full-table loads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain.sessions import SessionStatus

if TYPE_CHECKING:
    from .database import Store

#: Sort keys the browser offers -> SQL expression (each backed by an index or cheap).
SORT_COLUMNS: dict[str, str] = {
    "started": "started_ts",
    "patient": "patient_id",
    "name": "patient_name COLLATE NOCASE",
    "readings": "reading_count",
    "worst_alert": "worst_alert",
    "status": "status",
    "duration": "(coalesce(last_reading_ts, started_ts) - started_ts)",
}


@dataclass(frozen=True)
class SessionQuery:
    """What the browser asks for. Empty fields do not filter."""

    text: str = ""  # patient identifier (prefix) or name (substring), case-insensitive
    started_from: datetime | None = None
    started_to: datetime | None = None
    status: SessionStatus | None = None
    min_alert_priority: int = 0  # 3 = sessions that had a high-priority (critical) alert
    patient_id: str | None = None  # exactly this patient (a patient's series)
    sort: str = "started"
    descending: bool = True


@dataclass(frozen=True)
class SessionSummary:
    """One row of the session browser."""

    id: int
    patient_id: str
    patient_name: str
    started_at: datetime
    closed_at: datetime | None
    status: SessionStatus
    reading_count: int
    worst_alert: int  # 0 none, 1 low, 2 medium, 3 high
    last_reading_at: datetime | None

    @property
    def duration(self) -> timedelta:
        """From the start of the session to its close, or to its last reading."""
        end = self.closed_at or self.last_reading_at or self.started_at
        return max(end - self.started_at, timedelta(0))


def _where(query: SessionQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    text = query.text.strip()
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(patient_id LIKE ? ESCAPE '\\' OR patient_name LIKE ? ESCAPE '\\')")
        params += [like, like]
    if query.patient_id is not None:
        clauses.append("patient_id = ?")
        params.append(query.patient_id)
    if query.started_from is not None:
        clauses.append("started_ts >= ?")
        params.append(query.started_from.timestamp())
    if query.started_to is not None:
        clauses.append("started_ts < ?")
        params.append(query.started_to.timestamp())
    if query.status is not None:
        clauses.append("status = ?")
        params.append(query.status.value)
    if query.min_alert_priority:
        clauses.append("worst_alert >= ?")
        params.append(int(query.min_alert_priority))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class BrowseRecords:
    """Mixin: needs the Store core (``_query``)."""

    def count_sessions(self: Store, query: SessionQuery) -> int:
        """How many sessions match ``query``."""
        where, params = _where(query)
        return int(self._query(f"SELECT count(*) AS n FROM sessions{where}", params)[0]["n"])

    def browse_sessions(self: Store, query: SessionQuery, offset: int = 0, limit: int = 100
                        ) -> list[SessionSummary]:
        """One page of matching sessions, sorted as asked (ties broken by id)."""
        if query.sort not in SORT_COLUMNS:
            raise ValueError(f"unknown sort column {query.sort!r}")
        where, params = _where(query)
        direction = "DESC" if query.descending else "ASC"
        rows = self._query(
            "SELECT id, patient_id, patient_name, started_at, closed_at, status, "
            f"reading_count, worst_alert, last_reading_ts FROM sessions{where} "
            f"ORDER BY {SORT_COLUMNS[query.sort]} {direction}, id {direction} "
            "LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        return [_summary(r) for r in rows]


def _summary(row: dict[str, Any]) -> SessionSummary:
    started = datetime.fromisoformat(row["started_at"])
    last = row["last_reading_ts"]
    return SessionSummary(
        id=int(row["id"]),
        patient_id=row["patient_id"],
        patient_name=row["patient_name"],
        started_at=started,
        closed_at=datetime.fromisoformat(row["closed_at"]) if row["closed_at"] else None,
        status=SessionStatus(row["status"]),
        reading_count=int(row["reading_count"]),
        worst_alert=int(row["worst_alert"]),
        last_reading_at=(datetime.fromtimestamp(last, tz=started.tzinfo) if last is not None
                         else None),
    )
