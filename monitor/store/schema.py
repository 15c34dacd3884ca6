"""Versioned schema. Each migration runs once, in its own transaction, with its record.

``PRAGMA user_version`` holds the number of migrations applied, so an older app can tell
that a database is newer than it understands and refuse to touch it."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("infusion-monitor")
_names: list[str] = []


def migration(fn):  # type: ignore[no-untyped-def]
    """Register ``fn`` as the next migration."""
    _names.append(fn.__name__)
    return migrations()(fn)

_APPEND_ONLY_TABLES = ("readings", "reading_marks", "audit_log")


def _forbid_changes(db: Database, table: str) -> None:
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"""
        )


@migration
def m001_sessions_readings(db: Database) -> None:
    """Sessions, append-only readings, marks and the audit log."""
    db.execute(
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            patient_id TEXT NOT NULL,
            patient_name TEXT NOT NULL DEFAULT '',
            date_of_birth TEXT,
            age_years INTEGER,
            weight_kg REAL,
            drug TEXT NOT NULL DEFAULT 'ketamine',
            dose_mg REAL,
            rate_mg_per_kg_h REAL,
            infusion_start TEXT,
            infusion_end TEXT,
            indication TEXT NOT NULL DEFAULT '',
            baseline_sbp REAL, baseline_dbp REAL, baseline_map REAL,
            baseline_hr REAL, baseline_rr REAL, baseline_spo2 REAL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
            started_at TEXT NOT NULL,
            started_ts REAL NOT NULL,
            closed_at TEXT,
            created_by TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX sessions_patient ON sessions (patient_id, status)")
    db.execute("CREATE INDEX sessions_started ON sessions (started_ts)")
    db.execute(
        """
        CREATE TABLE readings (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            taken_at TEXT NOT NULL,
            taken_ts REAL NOT NULL,
            sbp REAL, dbp REAL, map REAL, hr REAL, rr REAL, spo2 REAL,
            map_derived INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL CHECK (source IN ('manual', 'import', 'device')),
            source_detail TEXT NOT NULL DEFAULT '',
            entered_by TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            recorded_at TEXT NOT NULL,
            supersedes INTEGER REFERENCES readings (id),
            correction_reason TEXT NOT NULL DEFAULT '',
            dedup_key TEXT
        )"""
    )
    db.execute("CREATE INDEX readings_session_time ON readings (session_id, taken_ts)")
    # A reading is corrected at most once; a later correction corrects the correction.
    db.execute(
        "CREATE UNIQUE INDEX readings_superseded_once ON readings (supersedes) "
        "WHERE supersedes IS NOT NULL"
    )
    db.execute(
        "CREATE UNIQUE INDEX readings_dedup ON readings (session_id, dedup_key) "
        "WHERE dedup_key IS NOT NULL"
    )
    db.execute(
        """
        CREATE TABLE reading_marks (
            id INTEGER PRIMARY KEY,
            reading_id INTEGER NOT NULL UNIQUE REFERENCES readings (id),
            kind TEXT NOT NULL CHECK (kind IN ('entered-in-error')),
            marked_by TEXT NOT NULL,
            marked_at TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0)
        )"""
    )
    db.execute(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            session_id INTEGER REFERENCES sessions (id),
            detail TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    db.execute("CREATE INDEX audit_session ON audit_log (session_id)")
    for table in _APPEND_ONLY_TABLES:
        _forbid_changes(db, table)


def schema_version() -> int:
    """The schema version this app writes: the number of migrations it knows."""
    return len(_names)


@migration
def m002_alerts_and_clinical_records(db: Database) -> None:
    """Threshold profile history, alerts and acknowledgements, timeline entries, discharge
    assessments, reading schedules, and the NEWS2 inputs on readings."""
    db.execute(
        """
        CREATE TABLE threshold_profiles (
            id INTEGER PRIMARY KEY,
            scope TEXT NOT NULL CHECK (scope IN ('clinic', 'session')),
            session_id INTEGER REFERENCES sessions (id),
            profile TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            CHECK ((scope = 'clinic') = (session_id IS NULL))
        )"""
    )
    db.execute("CREATE INDEX threshold_profiles_scope ON threshold_profiles (scope, session_id)")
    db.execute(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            condition TEXT NOT NULL,
            kind TEXT NOT NULL,
            vital TEXT,
            priority INTEGER NOT NULL,
            value REAL,
            limit_value REAL,
            message TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            raised_ts REAL NOT NULL,
            escalated_at TEXT,
            acknowledged_by TEXT,
            acknowledged_at TEXT,
            resolved_at TEXT,
            latched INTEGER NOT NULL DEFAULT 0,
            withdrawn_at TEXT,
            withdrawn_reason TEXT,
            snapshot TEXT NOT NULL,
            UNIQUE (session_id, condition, raised_at)
        )"""
    )
    db.execute("CREATE INDEX alerts_session ON alerts (session_id, raised_ts)")
    db.execute(
        """CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
           BEGIN SELECT RAISE(ABORT, 'alerts are append-only'); END"""
    )
    db.execute(
        """
        CREATE TABLE alert_acks (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            condition TEXT NOT NULL,
            acked_by TEXT NOT NULL,
            acked_at TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            recorded_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX alert_acks_session ON alert_acks (session_id)")
    db.execute(
        """
        CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            alert_row INTEGER REFERENCES alerts (id),
            type TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX alert_events_session ON alert_events (session_id)")
    db.execute(
        """
        CREATE TABLE timeline_entries (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            at TEXT NOT NULL,
            at_ts REAL NOT NULL,
            entry TEXT NOT NULL,
            entered_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX timeline_session ON timeline_entries (session_id, at_ts)")
    db.execute(
        """
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            items TEXT NOT NULL,
            total INTEGER,
            meets INTEGER NOT NULL,
            entered_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX assessments_session ON assessments (session_id)")
    db.execute(
        """
        CREATE TABLE session_schedules (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions (id),
            schedule TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )"""
    )
    for table in ("threshold_profiles", "alert_acks", "alert_events", "timeline_entries",
                  "assessments", "session_schedules"):
        _forbid_changes(db, table)
    db.execute("ALTER TABLE readings ADD COLUMN consciousness TEXT")
    db.execute("ALTER TABLE readings ADD COLUMN on_oxygen INTEGER")
    db.execute("ALTER TABLE readings ADD COLUMN temperature REAL")


@migration
def m003_imports(db: Database) -> None:
    """One row per import run (file, format, counts, who), linked from its readings."""
    db.execute(
        """
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            session_id INTEGER REFERENCES sessions (id),
            file_name TEXT NOT NULL,
            format TEXT NOT NULL,
            sha256 TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            imported INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            imported_by TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}'
        )"""
    )
    _forbid_changes(db, "imports")
    db.execute("ALTER TABLE readings ADD COLUMN import_id INTEGER REFERENCES imports (id)")


@migration
def m004_session_summaries(db: Database) -> None:
    """Per-session summary columns kept by triggers, so the session browser can sort and
    filter 100,000 sessions by reading count or worst alert with indexed queries."""
    db.execute("ALTER TABLE sessions ADD COLUMN reading_count INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE sessions ADD COLUMN worst_alert INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE sessions ADD COLUMN last_reading_ts REAL")
    db.execute(
        """UPDATE sessions SET
             reading_count = (SELECT count(*) FROM readings r
                              WHERE r.session_id = sessions.id AND r.supersedes IS NULL),
             last_reading_ts = (SELECT max(taken_ts) FROM readings r
                                WHERE r.session_id = sessions.id),
             worst_alert = coalesce((SELECT max(priority) FROM alerts a
                                     WHERE a.session_id = sessions.id
                                     AND a.kind = 'physiological'), 0)"""
    )
    # Corrections are new rows but not new readings, so only originals count.
    db.execute(
        """CREATE TRIGGER readings_count_summary AFTER INSERT ON readings
           WHEN NEW.supersedes IS NULL
           BEGIN UPDATE sessions SET reading_count = reading_count + 1,
                 last_reading_ts = max(coalesce(last_reading_ts, NEW.taken_ts), NEW.taken_ts)
                 WHERE id = NEW.session_id; END"""
    )
    for event in ("INSERT", "UPDATE OF priority"):
        name = "alerts_worst_" + event.split()[0].lower()
        db.execute(
            f"""CREATE TRIGGER {name} AFTER {event} ON alerts
                WHEN NEW.kind = 'physiological'
                BEGIN UPDATE sessions SET worst_alert = max(worst_alert, NEW.priority)
                      WHERE id = NEW.session_id; END"""
        )
    db.execute("CREATE INDEX sessions_patient_name ON sessions (patient_name COLLATE NOCASE)")
    db.execute("CREATE INDEX sessions_status_started ON sessions (status, started_ts)")
    db.execute("CREATE INDEX sessions_worst_started ON sessions (worst_alert, started_ts)")


@migration
def m005_closed_sessions_and_amendments(db: Database) -> None:
    """A closed session is locked: its details cannot change and nothing can be added to it,
    except an amendment, which carries its reason on the row it adds (a late reading, a
    correction, an entered-in-error mark) and is therefore marked late for good."""
    db.execute("ALTER TABLE readings ADD COLUMN amendment_reason TEXT")
    db.execute("ALTER TABLE reading_marks ADD COLUMN amendment_reason TEXT")
    closed = "(SELECT status FROM sessions WHERE id = {}) = 'closed'"
    no_reason = "coalesce(trim(NEW.amendment_reason), '') = ''"
    db.execute(
        f"""CREATE TRIGGER readings_closed_session BEFORE INSERT ON readings
            WHEN {no_reason} AND {closed.format('NEW.session_id')}
            BEGIN SELECT RAISE(ABORT, 'session is closed'); END"""
    )
    db.execute(
        f"""CREATE TRIGGER reading_marks_closed_session BEFORE INSERT ON reading_marks
            WHEN {no_reason} AND {closed.format(
                '(SELECT session_id FROM readings WHERE id = NEW.reading_id)')}
            BEGIN SELECT RAISE(ABORT, 'session is closed'); END"""
    )
    db.execute(
        f"""CREATE TRIGGER timeline_closed_session BEFORE INSERT ON timeline_entries
            WHEN {closed.format('NEW.session_id')}
            BEGIN SELECT RAISE(ABORT, 'session is closed'); END"""
    )
    # The summary columns (reading_count, worst_alert, last_reading_ts) stay writable: the
    # triggers that keep them must follow an amendment.
    details = ", ".join((
        "patient_id", "patient_name", "date_of_birth", "age_years", "weight_kg", "drug",
        "dose_mg", "rate_mg_per_kg_h", "infusion_start", "infusion_end", "indication",
        "baseline_sbp", "baseline_dbp", "baseline_map", "baseline_hr", "baseline_rr",
        "baseline_spo2", "status", "started_at", "started_ts", "closed_at", "created_by"))
    db.execute(
        f"""CREATE TRIGGER sessions_closed_locked BEFORE UPDATE OF {details} ON sessions
            WHEN OLD.status = 'closed'
            BEGIN SELECT RAISE(ABORT, 'session is closed'); END"""
    )


@migration
def m006_bulk_import_counts(db: Database) -> None:
    """Readings an import run writes (those with an ``import_id``) are counted in the session
    summary by the store once per batch, in the same transaction, instead of by one UPDATE
    per row; every other insert (charting, corrections, amendments, the live feed) is still
    counted by the trigger."""
    db.execute("DROP TRIGGER readings_count_summary")
    db.execute(
        """CREATE TRIGGER readings_count_summary AFTER INSERT ON readings
           WHEN NEW.supersedes IS NULL AND NEW.import_id IS NULL
           BEGIN UPDATE sessions SET reading_count = reading_count + 1,
                 last_reading_ts = max(coalesce(last_reading_ts, NEW.taken_ts), NEW.taken_ts)
                 WHERE id = NEW.session_id; END"""
    )


@migration
def m007_duplicates_by_time(db: Database) -> None:
    """Imports find duplicates through the session-and-time index (same instant, same
    values) instead of a unique index of hashed keys. That index took every imported row at a
    random place, which made a million-row import a third slower; the ``dedup_key`` column
    stays (rows are never changed) and new rows leave it empty."""
    db.execute("DROP INDEX IF EXISTS readings_dedup")


@migration
def m008_import_checks_the_lock_once(db: Database) -> None:
    """An import run (rows with an ``import_id``) checks that its session is open once, when
    it starts writing to it inside its own write transaction, so the lock cannot change
    underneath it; the per-row trigger, a tenth of a million-row import's time, now guards
    every other insert (charting, corrections, amendments, the live feed)."""
    db.execute("DROP TRIGGER readings_closed_session")
    db.execute(
        """CREATE TRIGGER readings_closed_session BEFORE INSERT ON readings
            WHEN NEW.import_id IS NULL AND coalesce(trim(NEW.amendment_reason), '') = ''
                 AND (SELECT status FROM sessions WHERE id = NEW.session_id) = 'closed'
            BEGIN SELECT RAISE(ABORT, 'session is closed'); END"""
    )


@migration
def m009_alert_state(db: Database) -> None:
    """Where each session's alert evaluation stands: the engine's state (unresolved alerts,
    newest value per vital, pending device runs) and how far into the session's readings,
    marks, acknowledgements and threshold versions it has seen. Every writer brings it up
    to date in the transaction that adds what it concerns (``monitor.app.alerting``), so a
    long session carries on from here instead of replaying its readings. A cache of what
    the record implies, so it is updated in place; a session without a row (every session
    of a database from before this version) is replayed once, and its alerts recorded."""
    db.execute(
        """
        CREATE TABLE alert_state (
            session_id INTEGER PRIMARY KEY REFERENCES sessions (id),
            token TEXT NOT NULL,
            state TEXT NOT NULL,
            readings_through INTEGER NOT NULL,
            marks INTEGER NOT NULL,
            acks_through INTEGER NOT NULL,
            profiles INTEGER NOT NULL,
            baseline TEXT NOT NULL,
            evaluated_until TEXT,
            saved_at TEXT NOT NULL
        )
        """
    )


@migration
def m010_column_mappings(db: Database) -> None:
    """How the columns of a spreadsheet the app does not recognise map to vitals, chosen by
    a user and remembered per header set (``header_key``: a hash of the sorted header
    texts), so the next file from that device imports as the last one did, in the window or
    on the command line. A preference, so it is replaced when chosen again; each save is in
    the audit log with the mapping."""
    db.execute(
        """
        CREATE TABLE column_mappings (
            header_key TEXT PRIMARY KEY,
            headers TEXT NOT NULL,
            mapping TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            saved_at TEXT NOT NULL
        )
        """
    )
