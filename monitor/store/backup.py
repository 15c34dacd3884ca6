"""Backups with SQLite's online backup API: consistent while the app is writing, checked
after writing, rotated, and restorable.

A backup is a complete database file named ``monitor-YYYYmmdd-HHMMSS.sqlite`` in the backup
folder, readable by its owner only. Restoring first checks the backup, then keeps the
current database beside it as ``<name>.before-restore-<time>`` so a restore never loses
anything either."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import DatabaseCorrupt, StoreError, translated

BACKUP_PATTERN = re.compile(r"^monitor-(\d{8}-\d{6})(?:-\d+)?\.sqlite$")
DEFAULT_KEEP = 14
DAILY = timedelta(hours=24)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    size: int


def _private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)


def check_file(path: Path) -> None:
    """Raise DatabaseCorrupt unless ``path`` is a sound SQLite database."""
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseCorrupt(f"{path} is not a usable database ({error}).") from error
    if result != ["ok"]:
        raise DatabaseCorrupt(f"{path} failed its integrity check ({result[0]}).")


def _copy(source: Path, target: Path) -> None:
    """Copy a live database with the online backup API (safe while others write)."""
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True, timeout=10)
    try:
        _private_file(target)
        dst = sqlite3.connect(str(target))
        try:
            with translated(str(target)):
                src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        finally:
            dst.close()
    finally:
        src.close()


def backup_database(database: Path, folder: Path, *, keep: int = DEFAULT_KEEP,
                    now: datetime | None = None) -> BackupInfo:
    """Write a checked backup of ``database`` into ``folder`` and keep the ``keep`` newest.

    A backup that fails its check is removed and the error raised; older backups are only
    rotated away after a new one has passed its check."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / f"monitor-{stamp}.sqlite"
    n = 1
    while target.exists():
        target = folder / f"monitor-{stamp}-{n}.sqlite"
        n += 1
    partial = target.with_suffix(".partial")
    try:
        _copy(database, partial)
        check_file(partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    for old in list_backups(folder)[keep:]:
        old.path.unlink(missing_ok=True)
    return BackupInfo(target, moment, target.stat().st_size)


def list_backups(folder: Path) -> list[BackupInfo]:
    """Backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = BACKUP_PATTERN.match(path.name)
        if match:
            taken = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
            found.append(BackupInfo(path, taken, path.stat().st_size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def backup_due(folder: Path, now: datetime | None = None) -> bool:
    """True when the newest backup is more than a day old (or there is none)."""
    backups = list_backups(folder)
    moment = now or datetime.now(UTC)
    return not backups or moment - backups[0].taken_at >= DAILY


def restore_database(backup: Path, database: Path, *, now: datetime | None = None) -> Path:
    """Replace ``database`` with ``backup`` after checking it. Returns where the replaced
    database was kept. The app must not have ``database`` open while this runs."""
    check_file(backup)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    kept = database.with_name(f"{database.name}.before-restore-{stamp}")
    if database.exists():
        try:
            _copy(database, kept)
        except (sqlite3.DatabaseError, StoreError):
            # The current file is damaged (often why one restores): keep its raw bytes.
            for suffix in ("", "-wal"):
                source = Path(f"{database}{suffix}")
                if source.exists():
                    shutil.copyfile(source, Path(f"{kept}{suffix}"))
    restoring = database.with_suffix(".restoring")
    try:
        _copy(backup, restoring)
        check_file(restoring)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        restoring.replace(database)
    except (StoreError, sqlite3.DatabaseError):
        restoring.unlink(missing_ok=True)
        raise
    return kept
