"""Wall-clock times without a UTC offset, placed in a time zone without guessing.

A file that writes ``2024-10-27 02:30`` in Central Europe names two moments an hour apart
(the clocks went back at 03:00), and ``2024-03-31 02:30`` names none (they went forward at
02:00). Taking either silently would chart a reading an hour out, or in the wrong order, so
such a time is refused with the reason and the fix (write the offset). Every other wall time
has exactly one moment, found here once per hour of the file rather than once per row."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

_HOUR = timedelta(hours=1) - timedelta(microseconds=1)


class LocalZone:
    """Makes naive times aware in ``zone`` (None: this computer's zone, DST included)."""

    def __init__(self, zone: tzinfo | None):
        self.zone = zone
        self._hours: dict[tuple[int, int, int, int], timezone | None] = {}

    def _offset(self, naive: datetime, fold: int) -> timedelta:
        moment = naive.replace(fold=fold)
        if self.zone is None:
            return moment.astimezone().utcoffset() or timedelta(0)
        return moment.replace(tzinfo=self.zone).utcoffset() or timedelta(0)

    def _hour_offset(self, naive: datetime) -> timezone | None:
        """The one offset every wall time of ``naive``'s hour has, or None when the clocks
        change within that hour."""
        key = (naive.year, naive.month, naive.day, naive.hour)
        if key in self._hours:
            return self._hours[key]
        start = naive.replace(minute=0, second=0, microsecond=0)
        offsets = {self._offset(t, fold) for t in (start, start + _HOUR) for fold in (0, 1)}
        fixed = timezone(offsets.pop()) if len(offsets) == 1 else None
        if len(self._hours) > 10_000:  # a file spanning years: keep the cache small
            self._hours.clear()
        self._hours[key] = fixed
        return fixed

    def aware(self, naive: datetime) -> tuple[datetime | None, str | None]:
        """``naive`` in this zone, or (None, why) when the zone's clock shows that wall time
        twice or never. An aware ``naive`` is returned unchanged."""
        if naive.tzinfo is not None and naive.utcoffset() is not None:
            return naive, None
        fixed = self._hour_offset(naive)
        if fixed is not None:
            return naive.replace(tzinfo=fixed), None
        early, late = self._offset(naive, 0), self._offset(naive, 1)
        if early == late:
            return naive.replace(tzinfo=timezone(early)), None
        where = "this computer's time zone" if self.zone is None else f"time zone {self.zone}"
        shown = naive.isoformat(sep=" ")
        if early > late:
            return None, (f"'{shown}' happens twice in {where} (the clocks went back): give the "
                          f"UTC offset, e.g. {(naive.replace(tzinfo=timezone(early))).isoformat()}")
        return None, (f"'{shown}' does not exist in {where} (the clocks went forward): check "
                      "the time, or give its UTC offset")
