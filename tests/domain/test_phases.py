"""Phase spans cut to a chart's time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain.phases import PhaseSpan, phase_spans, spans_within
from monitor.domain.sessions import Infusion, Patient, Phase, Session

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def minutes(m: int) -> datetime:
    return T0 + timedelta(minutes=m)


def spans() -> list[PhaseSpan]:
    session = Session(Patient("P-1"), Infusion(started_at=minutes(0), ended_at=minutes(60)),
                      started_at=minutes(-20))
    return phase_spans(session, minutes(120))


def test_spans_are_cut_at_the_edges_of_the_range():
    cut = spans_within(spans(), minutes(-10), minutes(90))
    assert [(s.phase, s.start, s.end) for s in cut] == [
        (Phase.BASELINE, minutes(-10), minutes(0)), (Phase.INFUSION, minutes(0), minutes(60)),
        (Phase.RECOVERY, minutes(60), minutes(90))]
    assert [s.label for s in cut] == ["baseline", "infusion", "recovery"]


def test_spans_outside_the_range_or_touching_it_are_dropped():
    assert [s.phase for s in spans_within(spans(), minutes(0), minutes(30))] == [
        Phase.INFUSION]
    assert spans_within(spans(), minutes(200), minutes(300)) == []


def test_a_session_without_infusion_times_has_no_phases():
    session = Session(Patient("P-2"), Infusion(), started_at=minutes(0))
    assert phase_spans(session, minutes(60)) == []
