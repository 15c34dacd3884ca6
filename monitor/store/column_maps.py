"""Store methods for remembered column mappings (table ``column_mappings``, migration m010).
Mixed into :class:`monitor.store.database.Store`; ``monitor.app.importing`` is the caller."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .database import Store


@dataclass(frozen=True)
class SavedColumnMap:
    """A mapping someone chose for one header set: header text -> role."""

    header_key: str
    headers: tuple[str, ...]
    mapping: dict[str, str]
    saved_by: str
    saved_at: datetime


class ColumnMapRecords:
    """Mixin: needs the Store core (``_write``, ``_query``, ``_audit``)."""

    def has_column_maps(self: Store) -> bool:
        """Whether any mapping was ever remembered (most databases: none)."""
        return bool(self._db.execute(
            "SELECT EXISTS (SELECT 1 FROM column_mappings)").fetchone()[0])

    def saved_column_map(self: Store, header_key: str) -> SavedColumnMap | None:
        """The mapping remembered for ``header_key``, or None."""
        rows = self._query("SELECT * FROM column_mappings WHERE header_key = ?", [header_key])
        if not rows:
            return None
        row = rows[0]
        return SavedColumnMap(row["header_key"], tuple(json.loads(row["headers"])),
                              dict(json.loads(row["mapping"])), row["saved_by"],
                              datetime.fromisoformat(row["saved_at"]))

    def save_column_map(self: Store, header_key: str, headers: Sequence[str],
                        mapping: Mapping[str, str], by: str, at: datetime) -> None:
        """Remember ``mapping`` for ``header_key`` (replacing an earlier one), with an audit
        entry; joins the caller's transaction when there is one (an import's)."""
        row = {"header_key": header_key, "headers": json.dumps(list(headers)),
               "mapping": json.dumps(dict(mapping), sort_keys=True), "saved_by": by,
               "saved_at": at.isoformat()}
        with self._write() as db:
            db.table("column_mappings").upsert(row, pk="header_key")
            self._audit(db, by, "column mapping saved", None,
                        {"headers": list(headers), "mapping": dict(mapping)})
