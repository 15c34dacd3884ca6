"""Rebuild a session's alerts from what is stored: its readings, acknowledgements and the
threshold profile versions that were in force over time.

The engine replays everything in time order, switching profile at the moment each version
was saved, so a session's alert history is the same however its readings arrived and a
later threshold change does not rewrite what was raised before it."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from .alerts import Acknowledgement, AlertEngine, AlertEvent, AlertSettings
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
    current = sorted((r for r in readings if r.is_current), key=lambda r: (r.taken_at, r.id or 0))
    acks = list(acknowledgements)
    start = min([*(r.taken_at for r in current[:1]), *(a.at for a in acks)], default=None)
    engine, _ = start_engine(versions, shipped, baseline, start, settings)
    advance(engine, versions, shipped, current, acks,
            [v for v in versions if v.changed_at is not None
             and (start is None or v.changed_at > start)], cancelled=cancelled)
    return engine


def start_engine(versions: Sequence[ProfileVersion], shipped: ProfileVersion,
                 baseline: Mapping[Vital, float], start: datetime | None,
                 settings: AlertSettings | None = None) -> tuple[AlertEngine, ProfileVersion]:
    """A fresh engine for a replay whose first step is at ``start``: the profile in force
    then, the settings in force now (settings are not replayed over time)."""
    first = effective_version(versions, shipped, start)
    engine = AlertEngine(first.profile, baseline,
                         settings or effective_version(versions, shipped).settings)
    return engine, first


def advance(
    engine: AlertEngine,
    versions: Sequence[ProfileVersion],
    shipped: ProfileVersion,
    readings: Iterable[Reading],
    acknowledgements: Iterable[Acknowledgement] = (),
    new_versions: Iterable[ProfileVersion] = (),
    *,
    cancelled: Callable[[], bool] | None = None,
    collect: bool = False,
) -> list[AlertEvent]:
    """Feed ``engine`` the steps in time order: ``readings`` (already in time-then-id
    order; an iterator is read as it goes, so a long session streams through in bounded
    memory), ``acknowledgements`` and the profile versions ``new_versions`` at the moment
    each was saved (the version in force then is taken from all ``versions``). At one
    moment, a profile change comes first, then readings, then acknowledgements.

    Returns the events when ``collect`` (what an incremental catch-up records), else []."""
    acks = sorted(enumerate(acknowledgements), key=lambda s: (s[1].at, s[0]))
    steps = heapq.merge(
        ((v.changed_at, 0, i, v) for i, v in enumerate(new_versions)
         if v.changed_at is not None),
        ((r.taken_at, 1, i, r) for i, r in enumerate(readings)),
        ((a.at, 2, i, a) for i, a in acks),
        key=lambda s: s[:3])
    events: list[AlertEvent] = []
    in_force = effective_version(versions, shipped, None)
    profile = engine.profile
    for count, (at, _, _, step) in enumerate(steps):
        if cancelled is not None and count % CANCEL_CHECK_STEPS == 0 and cancelled():
            raise ReplayCancelled
        if isinstance(step, Reading):
            happened = engine.on_reading(step)
        elif isinstance(step, Acknowledgement):
            happened = engine.acknowledge_condition(step.condition, step.by, step.at)
        else:
            in_force = effective_version(versions, shipped, at)
            if in_force.profile is profile:
                continue
            profile = in_force.profile
            happened = engine.set_profile(profile, at)
        if collect:
            events += happened
    return events
