"""The only package that speaks SQL. See :class:`monitor.store.database.Store`."""

from .database import Store
from .errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseReadOnly,
    DatabaseTooNew,
    DiskFull,
    NotFound,
    StoreError,
)

__all__ = [
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DatabaseReadOnly",
    "DatabaseTooNew",
    "DiskFull",
    "NotFound",
    "Store",
    "StoreError",
]
