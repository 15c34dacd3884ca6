"""How values, times and states read on screen (shared by tiles, table and banner)."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.domain.thresholds import Classification, Severity

#: Priority shown by symbol as well as colour (DOMAIN.md: ***, **, *).
SEVERITY_SYMBOL = {Severity.NORMAL: "", Severity.CAUTION: "**", Severity.CRITICAL: "***"}


def fmt_value(value: float | None) -> str:
    """A vital value as a nurse writes it: no trailing .0."""
    if value is None:
        return ""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def fmt_time(moment: datetime | None) -> str:
    """Local wall-clock time HH:MM."""
    return moment.astimezone().strftime("%H:%M") if moment else ""


def fmt_datetime(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def fmt_duration(delta: timedelta) -> str:
    """'1 h 05 min' or '42 min'."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def state_text(result: Classification | None) -> str:
    """The state in words and arrows, e.g. '▲ CRITICAL HIGH' or '✓ normal'."""
    if result is None:
        return "no reading"
    if result.severity is Severity.NORMAL:
        return "✓ normal"
    arrow = "▲" if result.direction == "high" else "▼"
    word = result.severity.word
    if result.severity is Severity.CRITICAL:
        word = word.upper()
    return f"{arrow} {word} {result.direction}"
