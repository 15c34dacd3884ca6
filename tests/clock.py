"""A wall clock the test moves by hand (inject it wherever the code takes a clock)."""

from __future__ import annotations

from datetime import datetime


class Clock:
    """Returns ``now`` until the test sets another."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now
