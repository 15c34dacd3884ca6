"""The NEWS2 trend kept up to date by changes is the trend scored afresh: new readings,
late ones, corrections and entries in error, in any order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.domain.charted_scores import news2_trend, news2_trend_updated, reading_order
from monitor.domain.ordered import replaced_in_order
from monitor.domain.readings import Reading, ReadingStatus, new_reading
from monitor.domain.vitals import Vital

T0 = datetime(2026, 2, 2, 8, 0, tzinfo=UTC)

# (what happens, minutes after T0 or which reading, a value)
steps = st.lists(st.tuples(st.sampled_from(["new", "correct", "error"]),
                           st.integers(0, 60), st.integers(8, 40)), max_size=40)


def store_order(readings: list[Reading]) -> list[Reading]:
    return sorted(readings, key=reading_order)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_updating_the_trend_by_each_change_equals_scoring_it_afresh(changes):
    readings: list[Reading] = []
    trend = news2_trend(readings)
    next_id = 1
    for kind, at, value in changes:
        current = [r for r in readings if r.is_current]
        removed: list[Reading] = []
        added: list[Reading] = []
        if kind == "new" or not current:
            added = [replace(new_reading(T0 + timedelta(minutes=at), {
                Vital.RR: value, Vital.SBP: 80 + value * 3, Vital.HR: 40 + value * 2},
                entered_by="JM", consciousness="A" if value % 2 else None), id=next_id)]
        else:
            old = current[at % len(current)]
            removed = [old]
            if kind == "correct":
                added = [replace(old, status=ReadingStatus.CORRECTED),
                         replace(old, id=next_id, values={Vital.RR: value}, supersedes=old.id)]
            else:
                added = [replace(old, status=ReadingStatus.ENTERED_IN_ERROR)]
        next_id += 1
        readings = replaced_in_order(readings, [reading_order(r) for r in removed], added,
                                     key=reading_order)
        assert readings == store_order(readings)
        trend = news2_trend_updated(trend, removed, added)
        assert trend == news2_trend(readings)


def test_only_the_added_current_readings_are_scored():
    first = replace(new_reading(T0, {Vital.RR: 14}, entered_by="JM"), id=1)
    trend = news2_trend([first])
    scored: list[int | None] = []

    def score(reading: Reading):
        scored.append(reading.id)
        from monitor.domain.charted_scores import reading_news2
        return reading_news2(reading)

    second = replace(new_reading(T0 + timedelta(minutes=5), {Vital.RR: 26},
                                 entered_by="JM"), id=2)
    trend = news2_trend_updated(trend, [], [second], score)
    assert scored == [2]
    marked = replace(first, status=ReadingStatus.ENTERED_IN_ERROR)
    trend = news2_trend_updated(trend, [first], [marked], score)
    assert scored == [2]  # an entry in error leaves the trend, nothing is scored
    assert [p.reading_id for p in trend] == [2]


def test_replaced_in_order_puts_each_item_in_place_and_ignores_unknown_removals():
    assert replaced_in_order([1, 3, 5], [3, 4], [0, 6, 2], key=int) == [0, 1, 2, 5, 6]
    assert replaced_in_order([], [], [2, 1], key=int) == [1, 2]
    items = [(1, "a"), (2, "b")]
    assert replaced_in_order(items, [], [(1, "c")], key=lambda x: x[0]) == [
        (1, "a"), (1, "c"), (2, "b")]  # after an equal key, as a stable sort would
