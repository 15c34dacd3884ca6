"""Named store errors. The environment's faults become these, each with a message that says
what to do; the code's own faults (bad SQL, programming errors) are re-raised unchanged."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class StoreError(Exception):
    """Base for every error the store reports to the user."""


class NotFound(StoreError):
    """A session or reading that does not exist."""


class DatabaseBusy(StoreError):
    """Another program holds a lock on the database for too long."""


class DatabaseReadOnly(StoreError):
    """The database file or its folder cannot be written."""


class DiskFull(StoreError):
    """The disk is full or failing."""


class DatabaseCorrupt(StoreError):
    """The file is not a database, or failed its integrity check."""


class DatabaseTooNew(StoreError):
    """The database was written by a newer version of the app."""


class AppendOnlyViolation(StoreError):
    """Something tried to change or delete a recorded reading, mark or audit entry."""


class SessionClosed(StoreError):
    """Something tried to change a closed session other than by an amendment."""


def translate(error: sqlite3.Error, path: str) -> Exception:
    """Map an sqlite3 error caused by the environment to a StoreError with advice."""
    text = str(error).lower()
    if "append-only" in text:
        return AppendOnlyViolation(str(error))
    if "session is closed" in text:
        return SessionClosed(
            "This session is closed and locked. A late entry or a correction needs "
            "Amend… with your initials and a reason."
        )
    if "locked" in text or "busy" in text:
        return DatabaseBusy(
            f"The database {path} is in use by another program and did not become free. "
            "Close the other copy of the app, or wait a moment and try again."
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseReadOnly(
            f"The database {path} cannot be written (read-only file or folder). "
            "Check its permissions, or open a writable copy."
        )
    if "full" in text or "disk i/o" in text:
        return DiskFull(
            f"Could not write to {path}: the disk is full or failing. "
            "Free some space; nothing that was already saved is lost."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseCorrupt(
            f"The file {path} is damaged or is not a database of this app. "
            "Restore it from a backup."
        )
    if "unable to open" in text:
        return DatabaseReadOnly(
            f"Could not open {path}: check that its folder exists and can be written."
        )
    return error


@contextmanager
def translated(path: str) -> Iterator[None]:
    """Run a block, turning environmental sqlite3 errors into StoreErrors."""
    try:
        yield
    except (sqlite3.OperationalError, sqlite3.DatabaseError) as error:
        converted = translate(error, path)
        if converted is error:
            raise
        raise converted from error
