"""Rebuild a session's alerts from what is stored: its readings, acknowledgements and the
threshold profile versions that were in force over time.

The engine replays everything in time order, switching profile at the moment each version
was saved, so a session's alert history is the same however its readings arrived and a
later threshold change does not rewrite what was raised before it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .alerts import Acknowledgement, AlertEngine, AlertSettings
from .profiles import ProfileScope, ProfileVersion
from .readings import Reading
from .vitals import Vital

#: How many replay steps run between two questions to ``cancelled``.
CANCEL_CHECK_STEPS = 5000


class ReplayCancelled(Exception):
    """A replay was stopped before the end (its result is not wanted any more)."""


def effective_version(versions: Sequence[ProfileVersion], shipped: ProfileVersion,
                      at: datetime | None = None) -> ProfileVersion:
    """The version in force at ``at`` (now when None): the newest session override saved by
    then, else the newest clinic default, else the shipped preset."""
    def saved_by(v: ProfileVersion) -> bool:
        return at is None or (v.changed_at is not None and v.changed_at <= at)

    for scope in (ProfileScope.SESSION, ProfileScope.CLINIC):
        candidates = [v for v in versions if v.scope is scope and saved_by(v)]
        if candidates:
            return candidates[-1]
    return shipped


def rebuild(
    versions: Sequence[ProfileVersion],
    shipped: ProfileVersion,
    baseline: Mapping[Vital, float],
    readings: Iterable[Reading],
    acknowledgements: Iterable[Acknowledgement],
    settings: AlertSettings | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> AlertEngine:
    """An engine that has seen every current reading and acknowledgement in time order,
    with each profile version applied from the moment it was saved.

    ``cancelled`` is asked every few thousand steps (a replay in a worker thread stops
    when its window closes); when it answers True, :class:`ReplayCancelled` is raised."""
    current = [r for r in readings if r.is_current]
    acks = list(acknowledgements)
    moments = [r.taken_at for r in current] + [a.at for a in acks]
    start = min(moments) if moments else None
    first = effective_version(versions, shipped, start)
    engine = AlertEngine(first.profile, baseline,
                         settings or effective_version(versions, shipped).settings)
    steps: list[tuple[Any, ...]] = [(r.taken_at, 1, i, r) for i, r in enumerate(
        sorted(current, key=lambda r: (r.taken_at, r.id or 0)))]
    steps += [(a.at, 2, i, a) for i, a in enumerate(acks)]
    steps += [(v.changed_at, 0, i, v) for i, v in enumerate(versions)
              if v.changed_at is not None and (start is None or v.changed_at > start)]
    in_force = first
    for count, (at, _, _, step) in enumerate(sorted(steps, key=lambda s: s[:3])):
        if cancelled is not None and count % CANCEL_CHECK_STEPS == 0 and cancelled():
            raise ReplayCancelled
        if isinstance(step, Reading):
            engine.on_reading(step)
        elif isinstance(step, Acknowledgement):
            engine.acknowledge_condition(step.condition, step.by, step.at)
        else:
            version = effective_version(versions, shipped, at)
            if version is not in_force:
                in_force = version
                engine.set_profile(version.profile, at)
    return engine
