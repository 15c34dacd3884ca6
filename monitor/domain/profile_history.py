"""Which threshold profile version each saved one replaced, and what it changed: the rule
the audit trail (when a version is saved) and the threshold editor's *Changes* tab (when
the versions are listed) share, so both say the same old -> new."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .alert_timeline import effective_version
from .profiles import ProfileScope, ProfileVersion, version_changes


def replaced_version(earlier: Sequence[ProfileVersion], scope: ProfileScope,
                     shipped: ProfileVersion) -> ProfileVersion:
    """The version a new one of ``scope`` replaces, given the versions saved before it that
    could apply to its session (oldest first): for a clinic default the newest earlier clinic
    default, else the shipped preset; for a session override whatever was in force for the
    session (its own newest override, else the clinic default, else the preset)."""
    if scope is ProfileScope.CLINIC:
        earlier = [v for v in earlier if v.scope is ProfileScope.CLINIC]
    return effective_version(earlier, shipped)


@dataclass(frozen=True)
class VersionChange:
    """One saved version, the version it replaced and what it changed."""

    version: ProfileVersion
    replaced: ProfileVersion
    changes: dict[str, dict[str, Any]]  # {"SBP caution high": {"old": 160, "new": 140}}


def change_history(versions: Sequence[ProfileVersion], shipped: ProfileVersion
                   ) -> list[VersionChange]:
    """Every saved version (oldest first, as the store lists them for a session), each
    compared with the version it replaced."""
    history = []
    for index, version in enumerate(versions):
        replaced = replaced_version(versions[:index], version.scope, shipped)
        history.append(VersionChange(version, replaced, version_changes(replaced, version)))
    return history
