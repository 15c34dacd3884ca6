"""Reading the times nurses type: '14:05' (today), '2026-11-24 14:05', or ISO 8601."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from .errors import FieldError


def local_tz() -> tzinfo:
    """The workstation's time zone (with its current UTC offset)."""
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def parse_time_text(field: str, text: str, *, today: date, tz: tzinfo | None = None
                    ) -> tuple[datetime | None, FieldError | None]:
    """Parse ``text`` as a moment; empty means not set. Naive input is read in ``tz``, or
    in the workstation's zone (with the offset in force on that date) when ``tz`` is None."""
    cleaned = text.strip()
    if not cleaned:
        return None, None
    try:
        if len(cleaned) <= 5 and ":" in cleaned:
            moment = datetime.combine(today, time.fromisoformat(cleaned.zfill(5)))
        else:
            moment = datetime.fromisoformat(cleaned.replace("T", " "))
    except ValueError:
        return None, FieldError(field, f"'{cleaned}' is not a time (use HH:MM or "
                                       "YYYY-MM-DD HH:MM)")
    if moment.tzinfo is None:
        # astimezone() on a naive time applies the local offset of that date, so a time
        # typed across a daylight-saving change keeps its true instant.
        moment = moment.replace(tzinfo=tz) if tz is not None else moment.astimezone()
    # Python compares and subtracts datetimes that share one tzinfo by wall clock, which
    # is wrong across a DST change; a fixed offset per moment keeps every instant true.
    offset = moment.utcoffset()
    assert offset is not None
    return moment.astimezone(timezone(offset)), None


def parse_recent_time(field: str, text: str, now: datetime
                      ) -> tuple[datetime | None, FieldError | None]:
    """A time a nurse charts for a reading just taken or charted late: like
    :func:`parse_time_text`, except that a bare ``HH:MM`` later than now is taken from the
    day before (at 00:20, ``23:35`` means last night, not tonight)."""
    moment, error = parse_time_text(field, text, today=now.astimezone().date())
    cleaned = text.strip()
    if moment is not None and len(cleaned) <= 5 and moment > now + timedelta(minutes=5):
        earlier = datetime.combine(moment.date() - timedelta(days=1), moment.time())
        moment, error = parse_time_text(field, f"{earlier:%Y-%m-%d %H:%M}", today=now.date())
    return moment, error


def parse_date_text(field: str, text: str) -> tuple[date | None, FieldError | None]:
    """Parse an ISO date (YYYY-MM-DD); empty means not set."""
    cleaned = text.strip()
    if not cleaned:
        return None, None
    try:
        return date.fromisoformat(cleaned), None
    except ValueError:
        return None, FieldError(field, f"'{cleaned}' is not a date (use YYYY-MM-DD)")


def parse_number_text(field: str, text: str, *, integer: bool = False
                      ) -> tuple[float | None, FieldError | None]:
    """Parse an optional number typed by a person (decimal comma allowed)."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None, None
    try:
        value = int(cleaned) if integer else float(cleaned)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        return None, FieldError(field, f"'{text.strip()}' is not {kind}")
    if value != value or value in (float("inf"), float("-inf")):
        return None, FieldError(field, f"'{text.strip()}' is not a number")
    return value, None
