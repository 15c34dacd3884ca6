"""The course of a session on its time axis: pre-infusion baseline, infusion and recovery as
spans of time, for whatever draws them (the live chart's shading, exported charts, the PDF
report's summary)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .sessions import Phase, Session

#: What each span is called where it is drawn or listed.
PHASE_LABELS = {Phase.BASELINE: "baseline", Phase.INFUSION: "infusion",
                Phase.RECOVERY: "recovery"}


@dataclass(frozen=True)
class PhaseSpan:
    """One phase, from ``start`` to ``end``."""

    phase: Phase
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return PHASE_LABELS.get(self.phase, self.phase.value)


def phase_spans(session: Session, now: datetime) -> list[PhaseSpan]:
    """The spans of each phase that has begun, up to discharge (or ``now``). A session
    without an infusion start has none: nothing tells where its phases lie."""
    inf = session.infusion
    stop = session.closed_at or now
    spans: list[PhaseSpan] = []
    if session.started_at and inf.started_at and session.started_at < inf.started_at:
        spans.append(PhaseSpan(Phase.BASELINE, session.started_at, inf.started_at))
    if inf.started_at:
        end = inf.ended_at if inf.ended_at and inf.ended_at <= stop else stop
        if end > inf.started_at:
            spans.append(PhaseSpan(Phase.INFUSION, inf.started_at, end))
    if inf.ended_at and stop > inf.ended_at:
        spans.append(PhaseSpan(Phase.RECOVERY, inf.ended_at, stop))
    return spans


def spans_within(spans: list[PhaseSpan], start: datetime, end: datetime) -> list[PhaseSpan]:
    """The parts of ``spans`` between ``start`` and ``end`` (spans wholly outside dropped),
    for a chart that shows only part of the session."""
    clipped = []
    for span in spans:
        low, high = max(span.start, start), min(span.end, end)
        if high > low:
            clipped.append(PhaseSpan(span.phase, low, high))
    return clipped
