"""The active sessions board, Qt-free: one row per active session from what is recorded
(the recorder keeps every session's alerts current, whoever charted), and which alerts of
other chairs newly need attention. The board widget only shows and sounds what this says."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from ..domain.alerts import Alert
from ..domain.board import BoardRow, Replayed, board_row, latest_values, order_board
from ..domain.profiles import ProfileVersion
from ..domain.sessions import SessionStatus
from ..store import Store
from ..store.browse import SessionQuery
from .alerting import SessionAlerts

#: The board shows at most this many sessions (the newest started).
MAX_SESSIONS = 40


def recorded(store: Store, alerts: SessionAlerts, session_id: int) -> Replayed:
    """A session's alerts as recorded (the recorder catches up only what no writer
    evaluated, e.g. a session from an older version) and its latest values (its newest
    rows, read cheaply)."""
    values, newest = latest_values(store.opening_readings(session_id, 1))
    return alerts.engine(session_id), values, newest


def board_rows(store: Store, alerts: SessionAlerts, shipped: ProfileVersion, now: datetime,
               live: Callable[[int], Replayed | None] = lambda _: None) -> list[BoardRow]:
    """The board's rows at ``now``, most urgent first. ``live`` gives what a window has in
    hand for a session (its open one), so that one is not read again."""
    rows = []
    summaries = store.browse_sessions(SessionQuery(status=SessionStatus.ACTIVE, sort="started"),
                                      limit=MAX_SESSIONS)
    for summary in summaries:
        shown = live(summary.id) or recorded(store, alerts, summary.id)
        rows.append(board_row(store.get_session(summary.id), (),
                              store.acknowledgements(summary.id),
                              store.profile_versions(summary.id), shipped,
                              store.schedule(summary.id), now, replayed=shown))
    return order_board(rows)


class AlertNotices:
    """Which unacknowledged alerts are new since the last look (new, or escalated), across
    chairs. What is active at the first look is not news: it was sounded when it began."""

    def __init__(self) -> None:
        self._noticed: set[tuple[int, str, datetime, int]] | None = None

    def fresh(self, alerts: SessionAlerts, session_ids: Iterable[int],
              skip: int | None = None) -> list[Alert]:
        """The alerts of ``session_ids`` (but ``skip``, the open session: its window sounds
        it) that need attention and were not seen before."""
        first = self._noticed is None
        noticed = self._noticed if self._noticed is not None else set()
        found: list[Alert] = []
        for session_id in session_ids:
            if session_id == skip:
                continue
            for alert in alerts.active(session_id):
                key = (session_id, alert.condition, alert.raised_at, int(alert.priority))
                if alert.acknowledged_at is None and key not in noticed:
                    noticed.add(key)
                    found.append(alert)
        self._noticed = noticed
        return [] if first else found
