"""Store methods for the alert workflow and the clinical timeline: threshold profile
versions, alerts and acknowledgements, sedation scores and events, discharge assessments
and reading schedules. Mixed into :class:`monitor.store.database.Store`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..domain.alerts import Acknowledgement, Alert, AlertEvent, AlertEventType, AlertSettings
from ..domain.events import TimelineEntry, entry_from_dict
from ..domain.profile_history import replaced_version
from ..domain.profiles import (
    ProfileScope,
    ProfileVersion,
    version_changes,
    version_from_json,
    version_to_json,
)
from ..domain.records import StoredAlert, StoredAssessment
from ..domain.schedule import DEFAULT_SCHEDULE, ReadingSchedule, schedule_from_dict
from ..domain.thresholds import ThresholdProfile
from ..resources import default_profile

if TYPE_CHECKING:
    from .database import Store


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ClinicalRecords:
    """Mixin: needs the Store core (``_write``, ``_query``, ``_audit``)."""

    # -- threshold profiles ----------------------------------------------------------------

    def _profile_rows(self: Store, where: str, params: list[Any]) -> list[ProfileVersion]:
        rows = self._query(f"SELECT * FROM threshold_profiles WHERE {where} ORDER BY id", params)
        result = []
        for row in rows:
            profile, settings = version_from_json(json.loads(row["profile"]))
            result.append(ProfileVersion(
                profile, settings, ProfileScope(row["scope"]), row["changed_by"],
                datetime.fromisoformat(row["changed_at"]), row["reason"], row["session_id"]))
        return result

    def clinic_profile(self: Store) -> ProfileVersion | None:
        """The clinic default as last saved, or None when never changed from the preset."""
        rows = self._profile_rows("scope = 'clinic'", [])
        return rows[-1] if rows else None

    def session_profile(self: Store, session_id: int) -> ProfileVersion | None:
        """The session's own override, or None when it follows the clinic default."""
        rows = self._profile_rows("scope = 'session' AND session_id = ?", [session_id])
        return rows[-1] if rows else None

    def profile_versions(self: Store, session_id: int) -> list[ProfileVersion]:
        """Every clinic and session version that could apply to ``session_id``, oldest first."""
        return self._profile_rows(
            "scope = 'clinic' OR (scope = 'session' AND session_id = ?)", [session_id])

    def save_profile(self: Store, profile: ThresholdProfile, settings: AlertSettings, *,
                     by: str, reason: str, session_id: int | None = None,
                     shipped: ProfileVersion | None = None) -> ProfileVersion:
        """Store a new version (clinic default when ``session_id`` is None). The audit trail
        records, with who, the scope and the reason, every limit, baseline rule and alert
        setting that differs from the version this one replaces, old -> new: for a session
        override what was in force for that session, for a clinic default the previous
        clinic default or ``shipped`` (the shipped preset; the adult preset when None)."""
        scope = ProfileScope.CLINIC if session_id is None else ProfileScope.SESSION
        at = _now()
        version = ProfileVersion(profile, settings, scope, by, datetime.fromisoformat(at),
                                 reason, session_id)
        with self._write() as db:
            # Read in the write transaction: what another workstation saved is replaced too.
            earlier = (self.profile_versions(session_id) if session_id is not None
                       else self._profile_rows("scope = 'clinic'", []))
            replaced = replaced_version(earlier, scope,
                                        shipped or ProfileVersion(default_profile()))
            db.table("threshold_profiles").insert({
                "scope": scope.value, "session_id": session_id,
                "profile": json.dumps(version_to_json(profile, settings), sort_keys=True),
                "changed_by": by, "changed_at": at, "reason": reason,
            })
            self._audit(db, by, f"thresholds changed ({scope.value})", session_id, {
                "changes": version_changes(replaced, version), "reason": reason,
                "scope": scope.value, "replaces": replaced.scope.value,
                "profile": profile.name})
        return version

    # -- alerts ----------------------------------------------------------------------------

    def record_alert_events(self: Store, session_id: int, events: Iterable[AlertEvent]
                            ) -> None:
        """Record what the alert engine reported: each alert's latest state (keyed by its
        condition and the moment it was raised) and an append-only event log."""
        events = list(events)
        if not events:
            return
        with self._write() as db:
            # An import of a long, unsettled record reports hundreds of thousands of events:
            # each alert is written once, in its latest state, and the events in one go
            # (an alert's priority never drops, so the session's worst alert, kept by a
            # trigger, comes out the same as writing every state in turn).
            conn = db.conn
            now = _now()
            latest: dict[tuple[str, str], Alert] = {}
            for event in events:
                latest[(event.alert.condition, event.alert.raised_at.isoformat())] = event.alert
            row_ids = _write_alerts(conn, session_id, latest)
            conn.executemany(
                "INSERT INTO alert_events (session_id, alert_row, type, at, detail, "
                "recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(session_id, row_ids[(e.alert.condition, e.alert.raised_at.isoformat())],
                  e.type.value, e.at.isoformat(), _alert_json(e.alert), now)
                 for e in events])
            for event in events:
                if event.type is AlertEventType.ACKNOWLEDGED:
                    a = event.alert
                    db.table("alert_acks").insert({
                        "session_id": session_id, "condition": a.condition,
                        "acked_by": a.acknowledged_by or "",
                        "acked_at": (a.acknowledged_at or event.at).isoformat(),
                        "message": a.message, "recorded_at": _now(),
                    })
                    self._audit(db, a.acknowledged_by or "", "alert acknowledged", session_id,
                                {"alert": a.message, "priority": a.priority.word})

    def acknowledgements(self: Store, session_id: int) -> list[Acknowledgement]:
        """Every acknowledgement given in a session, oldest first (for replays)."""
        rows = self._query("SELECT * FROM alert_acks WHERE session_id = ? ORDER BY id",
                           [session_id])
        return [Acknowledgement(r["condition"], r["acked_by"],
                                datetime.fromisoformat(r["acked_at"])) for r in rows]

    def alert_history(self: Store, session_id: int) -> list[StoredAlert]:
        """Every alert ever recorded for a session, in the order raised. Never shrinks."""
        rows = self._query("SELECT * FROM alerts WHERE session_id = ? ORDER BY raised_ts, id",
                           [session_id])
        return [
            StoredAlert(r["id"], r["session_id"], Alert.from_dict(json.loads(r["snapshot"])),
                        datetime.fromisoformat(r["withdrawn_at"]) if r["withdrawn_at"]
                        else None, r["withdrawn_reason"] or "")
            for r in rows
        ]

    def sync_alerts(self: Store, session_id: int, alerts: Iterable[Alert], *,
                    withdraw_reason: str = "reading corrected or entered in error") -> None:
        """Make the recorded alerts match a replay: each alert's latest state is stored, and
        recorded physiological alerts the replay no longer produces are marked withdrawn
        (never deleted)."""
        alerts = list(alerts)
        with self._write() as db:
            _write_alerts(db.conn, session_id,
                          {(a.condition, a.raised_at.isoformat()): a for a in alerts})
        self.withdraw_alerts_except(session_id, alerts, withdraw_reason)

    def withdraw_alerts_except(self: Store, session_id: int, keep: Iterable[Alert],
                               reason: str) -> int:
        """Mark recorded physiological alerts that a replay no longer produces (their reading
        was corrected or entered in error) as withdrawn. They stay in the history."""
        kept = {(a.condition, a.raised_at.isoformat()) for a in keep}
        stale = [r for r in self._query(
            "SELECT id, condition, raised_at FROM alerts WHERE session_id = ? "
            "AND kind = 'physiological' AND withdrawn_at IS NULL", [session_id])
            if (r["condition"], r["raised_at"]) not in kept]
        if stale:
            with self._write() as db:
                for row in stale:
                    db.execute("UPDATE alerts SET withdrawn_at = ?, withdrawn_reason = ? "
                               "WHERE id = ?", [_now(), reason, row["id"]])
        return len(stale)

    # -- timeline: sedation scores and clinical events ---------------------------------------

    def add_timeline_entry(self: Store, session_id: int, entry: TimelineEntry) -> TimelineEntry:
        """Commit a RASS/MOAA/S score or a clinical event."""
        with self._write() as db:
            self._require_session(db, session_id)
            row_id = db.table("timeline_entries").insert({
                "session_id": session_id, "at": entry.at.isoformat(),
                "at_ts": entry.at.timestamp(),
                "entry": json.dumps(entry.to_dict(), sort_keys=True),
                "entered_by": entry.entered_by, "recorded_at": _now(),
            }).last_pk
        return self._timeline_rows("id = ?", [row_id])[0]

    def timeline(self: Store, session_id: int) -> list[TimelineEntry]:
        """A session's sedation scores and events in time order."""
        return self._timeline_rows("session_id = ?", [session_id])

    def _timeline_rows(self: Store, where: str, params: list[Any]) -> list[TimelineEntry]:
        rows = self._query(
            f"SELECT * FROM timeline_entries WHERE {where} ORDER BY at_ts, id", params)
        result = []
        for r in rows:
            data = json.loads(r["entry"])
            data.update(id=r["id"], session_id=r["session_id"])
            result.append(entry_from_dict(data))
        return result

    # -- discharge assessments ---------------------------------------------------------------

    def add_assessment(self: Store, session_id: int, *, kind: str, at: datetime,
                       items: Mapping[str, Any], total: int | None, meets: bool,
                       by: str) -> StoredAssessment:
        """Commit a modified Aldrete or PADSS assessment."""
        with self._write() as db:
            self._require_session(db, session_id)
            row_id = db.table("assessments").insert({
                "session_id": session_id, "at": at.isoformat(), "kind": kind,
                "items": json.dumps(dict(items), sort_keys=True, default=str),
                "total": total, "meets": int(meets), "entered_by": by, "recorded_at": _now(),
            }).last_pk
            self._audit(db, by, f"{kind} assessment", session_id,
                        {"total": total, "meets": meets})
        return self.assessments(session_id, row_id=int(row_id))[0]

    def assessments(self: Store, session_id: int, row_id: int | None = None
                    ) -> list[StoredAssessment]:
        sql, params = "SELECT * FROM assessments WHERE session_id = ?", [session_id]
        if row_id is not None:
            sql += " AND id = ?"
            params.append(row_id)
        return [
            StoredAssessment(r["id"], r["session_id"], datetime.fromisoformat(r["at"]),
                             r["kind"], json.loads(r["items"]), r["total"], bool(r["meets"]),
                             r["entered_by"])
            for r in self._query(sql + " ORDER BY at, id", params)
        ]

    # -- reading schedule --------------------------------------------------------------------

    def set_schedule(self: Store, session_id: int, schedule: ReadingSchedule, by: str) -> None:
        """Choose the reading schedule of a session (kept as a new version; the audit trail
        records it with the schedule it replaced, the default when it had none)."""
        with self._write() as db:
            self._require_session(db, session_id)
            before = self.schedule(session_id) or DEFAULT_SCHEDULE  # in the transaction
            db.table("session_schedules").insert({
                "session_id": session_id,
                "schedule": json.dumps(schedule.to_dict(), sort_keys=True),
                "changed_by": by, "changed_at": _now()})
            self._audit(db, by, "schedule changed", session_id, {
                "schedule": schedule.name,
                "changes": {"schedule": {"old": before.to_dict(), "new": schedule.to_dict()}}})

    def schedule(self: Store, session_id: int) -> ReadingSchedule | None:
        """The session's reading schedule, or None when it follows the default."""
        rows = self._query("SELECT schedule FROM session_schedules WHERE session_id = ? "
                           "ORDER BY id DESC LIMIT 1", [session_id])
        return schedule_from_dict(json.loads(rows[0]["schedule"])) if rows else None


_ALERT_COLUMNS = ("session_id", "condition", "kind", "vital", "priority", "value",
                  "limit_value", "message", "raised_at", "raised_ts", "escalated_at",
                  "acknowledged_by", "acknowledged_at", "resolved_at", "latched", "snapshot")
_INSERT_ALERT = (f"INSERT INTO alerts (id, {', '.join(_ALERT_COLUMNS)}) "
                 f"VALUES (?, {', '.join('?' * len(_ALERT_COLUMNS))})")
_UPDATE_ALERT = (f"UPDATE alerts SET {', '.join(f'{c} = ?' for c in _ALERT_COLUMNS)} "
                 "WHERE id = ?")


def _alert_json(alert: Alert) -> str:
    # to_dict gives its keys sorted: the same text as sort_keys=True, which costs more.
    return json.dumps(alert.to_dict())


def _alert_row(session_id: int, alert: Alert) -> tuple[Any, ...]:
    """The alerts row of ``alert``, in :data:`_ALERT_COLUMNS` order."""
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return (session_id, alert.condition, alert.kind.value,
            alert.vital.value if alert.vital else None, int(alert.priority), alert.value,
            alert.limit, alert.message, alert.raised_at.isoformat(),
            alert.raised_at.timestamp(), iso(alert.escalated_at), alert.acknowledged_by,
            iso(alert.acknowledged_at), iso(alert.resolved_at), int(alert.latched),
            _alert_json(alert))


def _write_alerts(conn: Any, session_id: int, latest: dict[tuple[str, str], Alert]
                  ) -> dict[tuple[str, str], int]:
    """Insert or update each alert (keyed by condition and raised-at); their row ids."""
    row_ids: dict[tuple[str, str], int] = {}
    fresh: list[tuple[tuple[str, str], Alert]] = []
    updates: list[tuple[Any, ...]] = []
    find = "SELECT id FROM alerts WHERE session_id = ? AND condition = ? AND raised_at = ?"
    for key, alert in latest.items():
        existing = conn.execute(find, [session_id, *key]).fetchone()
        if existing is None:
            fresh.append((key, alert))
        else:
            row_ids[key] = int(existing[0])
            updates.append((*_alert_row(session_id, alert), int(existing[0])))
    if updates:
        conn.executemany(_UPDATE_ALERT, updates)
    if fresh:
        # The transaction is ours (write lock held): new rows take the next ids in turn.
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM alerts").fetchone()[0]
        rows = []
        for offset, (key, alert) in enumerate(fresh):
            row_ids[key] = next_id + offset
            rows.append((next_id + offset, *_alert_row(session_id, alert)))
        conn.executemany(_INSERT_ALERT, rows)
    return row_ids
