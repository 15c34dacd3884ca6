"""Which values a nurse must confirm before they are saved.

A plausible value beyond a critical limit is accepted only after the nurse confirms it,
so that a typo (180 for 108) is caught before it raises a high-priority alert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from .readings import needs_apnoea_confirmation
from .thresholds import Classification, Severity, ThresholdProfile, classify
from .vitals import Vital


def confirmation_questions(
    profile: ThresholdProfile,
    values: Mapping[Vital, float],
    baseline: Mapping[Vital, float] | None = None,
) -> list[str]:
    """One sentence per value that needs explicit confirmation; empty when none does."""
    questions: list[str] = []
    if needs_apnoea_confirmation(values):
        questions.append("Respiratory rate 0 /min means apnoea.")
    for vital, value in values.items():
        result: Classification = classify(profile, vital, value, baseline)
        if result.severity is Severity.CRITICAL and not (vital is Vital.RR and value == 0):
            # The message names the vital already ("SBP 184 > 180 mmHg").
            questions.append(f"{result.message} is beyond the critical limit.")
    return questions


#: A reading charted for longer ago than this asks the nurse to confirm its time.
LATE_CHARTING = timedelta(hours=3)


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "now"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * (
        bool(minutes) and not days)
    return " ".join(parts) + " ago"


def describe_time(moment: datetime, now: datetime) -> str:
    """A charted time in words, as the nurse checks it before saving: ``today 08:20 (35 min
    ago)``, ``yesterday 23:50 (8 h 30 min ago)``, ``2026-02-01 08:20 (…)``; ``in the future``
    for a time after ``now``."""
    local, here = moment.astimezone(), now.astimezone()
    days = (here.date() - local.date()).days
    day = {0: "today", 1: "yesterday"}.get(days, f"{local:%Y-%m-%d}")
    when = f"{day} {local:%H:%M}"
    if moment > now + timedelta(minutes=1):
        return f"{when} (in the future)"
    return f"{when} ({_ago(now - moment)})"


def time_questions(taken_at: datetime, now: datetime, session_started_at: datetime | None
                   ) -> list[str]:
    """A sentence to confirm when a reading's time looks like a slip: before the session
    began, or more than :data:`LATE_CHARTING` ago (late charting is fine, a wrong date is
    not). A time in the future is refused by ``validate_reading``, not asked about."""
    if session_started_at is not None and taken_at < session_started_at:
        return [f"The time {describe_time(taken_at, now)} is before this session began "
                f"({describe_time(session_started_at, now)})."]
    if now - taken_at > LATE_CHARTING:
        return [f"The time {describe_time(taken_at, now)} is more than "
                f"{int(LATE_CHARTING.total_seconds() // 3600)} hours ago."]
    return []
