"""Times a nurse types for a reading: read as meant, described in words, and the slips
(before the session, hours back) asked about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain.confirmation import describe_time, time_questions
from monitor.domain.timeparse import parse_recent_time

NOW = datetime(2026, 3, 4, 0, 20, tzinfo=UTC)


def test_hh_mm_is_today_or_last_night_and_a_full_date_is_kept():
    assert parse_recent_time("Time", "00:05", NOW)[0] == NOW - timedelta(minutes=15)
    assert parse_recent_time("Time", "23:35", NOW)[0] == NOW - timedelta(minutes=45)
    assert parse_recent_time("Time", "2026-03-05 10:00", NOW)[0] == datetime(
        2026, 3, 5, 10, 0, tzinfo=UTC)  # a full date in the future stays (refused later)
    moment, error = parse_recent_time("Time", "8.20", NOW)
    assert moment is None and error.field == "Time" and "'8.20' is not a time" in error.message


def test_times_in_words():
    assert describe_time(NOW - timedelta(minutes=15), NOW).endswith("(15 min ago)")
    assert describe_time(NOW, NOW).endswith("(now)")
    assert describe_time(NOW + timedelta(hours=1), NOW).endswith("(in the future)")
    assert describe_time(NOW - timedelta(days=3, hours=2), NOW).endswith("(3 d 2 h ago)")


def test_before_the_session_or_hours_back_is_asked_recent_is_not():
    started = NOW - timedelta(hours=1)
    assert time_questions(NOW - timedelta(minutes=10), NOW, started) == []
    (before,) = time_questions(NOW - timedelta(hours=2), NOW, started)
    assert "before this session began" in before
    (late,) = time_questions(NOW - timedelta(hours=5), NOW, NOW - timedelta(hours=8))
    assert "more than 3 hours ago" in late
