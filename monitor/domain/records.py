"""Records as the store keeps them, for whoever shows or exports them: an alert with its
row id and whether it was withdrawn, a discharge assessment as charted. Plain data, no
Qt, no SQL (the store builds them; exports and the window read them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .alerts import Alert


@dataclass(frozen=True)
class StoredAlert:
    """An alert as recorded, with its database id and whether it was withdrawn (its reading
    was later corrected or marked entered in error)."""

    row_id: int
    session_id: int
    alert: Alert
    withdrawn_at: datetime | None = None
    withdrawn_reason: str = ""


@dataclass(frozen=True)
class StoredAssessment:
    """A discharge-readiness assessment as charted."""

    id: int
    session_id: int
    at: datetime
    kind: str  # "aldrete" or "padss"
    items: Mapping[str, Any]
    total: int | None
    meets: bool
    entered_by: str
