"""Bulk rows: the quick plausibility check agrees with validate_values, identities, blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.domain.reading_blocks import (
    VITAL_ORDER,
    ReadingBlock,
    identity,
    plausible_row,
    reading_identity,
)
from monitor.domain.readings import Reading, ReadingStatus, Source, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _dict(row: tuple[float | None, ...]) -> dict[Vital, float]:
    return {v: x for v, x in zip(VITAL_ORDER, row, strict=True) if x is not None}


# Values around and beyond each vital's plausible range, its edges, and not measured.
_value = st.one_of(
    st.none(),
    st.floats(min_value=-10, max_value=400, allow_nan=False),
    st.sampled_from([0.0, float("nan"), float("inf"), 29.999, 300.0, 300.01]),
)
_edges = st.sampled_from([None] + [x for s in VITAL_SPECS.values()
                                    for x in (s.plausible_min, s.plausible_max)])


@settings(max_examples=600, deadline=None)
@given(st.tuples(*[st.one_of(_value, _edges) for _ in VITAL_ORDER]))
def test_plausible_row_says_yes_exactly_when_validate_values_finds_nothing(row):
    assert plausible_row(row) == (validate_values(_dict(row)) == [])


@pytest.mark.parametrize(("row", "expected"), [
    ((120.0, 80.0, None, 70.0, 14.0, 97.0), True),
    ((None, None, None, None, None, None), False),  # nothing measured
    ((120.0, None, None, None, None, None), False),  # half a blood pressure
    ((120.0, None, 90.0, None, None, None), True),  # with a measured MAP it may stand
    ((80.0, 80.0, None, None, None, None), False),  # DBP not below SBP
    ((120.0, 80.0, 130.0, None, None, None), False),  # MAP outside
    ((None, None, None, None, 0.0, None), True),  # RR 0 is plausible (apnoea)
    ((None, None, None, 500.0, None, None), False),
])
def test_plausible_row_examples(row, expected):
    assert plausible_row(row) is expected


def test_identity_is_the_instant_and_values_to_a_hundredth():
    here = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    a = Reading(here, {Vital.HR: 70.0})
    b = Reading(here.astimezone(UTC), {Vital.HR: 70.001})
    c = Reading(here, {Vital.HR: 70.02})
    assert reading_identity(a) == reading_identity(b) != reading_identity(c)
    assert identity(1.0, (None, None, None, 70.0, None, None)) == (1.0, None, None, None,
                                                                    70.0, None, None)


def test_a_block_gives_back_the_readings_it_holds():
    block = ReadingBlock(Source.IMPORT, "f.csv (CSV)")
    block.rows.append((3, T0.isoformat(), T0.timestamp(),
                       (120.0, 80.0, 93.3, 70.0, None, None), True))
    later = T0 + timedelta(minutes=5)
    block.rows.append((4, later.isoformat(), later.timestamp(),
                       (None, None, None, 72.0, 14.0, None), False))
    assert len(block) == 2
    (line, first), (_, second) = block.readings()
    assert line == 3 and first.taken_at == T0 and first.map_derived
    assert dict(first.values) == {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 93.3, Vital.HR: 70}
    assert first.status is ReadingStatus.VALID and first.source is Source.IMPORT
    assert dict(second.values) == {Vital.HR: 72, Vital.RR: 14}
    assert second.source_detail == "f.csv (CSV)"
