"""Readings in bulk: many valid rows of one file held column by column, and the two rules a
bulk import needs per row, kept here beside the rules they must agree with.

A million-row monitor export would otherwise become a million :class:`Reading` objects, each
built, routed and taken apart again on the way to the database. A parser that can vouch for
a run of rows (every one of them passes :func:`plausible_row`, so :func:`validate_values`
would find nothing) hands them over as one :class:`ReadingBlock`; any row it cannot vouch
for still goes through :class:`Reading` and gets its reasons from ``validate_values``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .readings import Reading, ReadingStatus, Source
from .vitals import VITAL_SPECS, Vital

#: The order of the values in a row tuple: the vitals' declaration order, which is also the
#: order of the value columns in the database.
VITAL_ORDER: tuple[Vital, ...] = tuple(Vital)
_RANGES = tuple((VITAL_SPECS[v].plausible_min, VITAL_SPECS[v].plausible_max)
                for v in VITAL_ORDER)

#: One row's values in :data:`VITAL_ORDER`, None where not measured.
RowValues = tuple[float | None, ...]
#: What makes two readings the same reading: their instant and their values to 0.01.
Identity = tuple[float | None, ...]


def plausible_row(values: RowValues) -> bool:
    """True when :func:`validate_values` would find nothing wrong with ``values`` (given in
    :data:`VITAL_ORDER`): at least one value, each within its plausible range, DBP below SBP,
    a MAP between them, and never half a blood pressure. A test holds the two in step.

    This is the yes/no a bulk parser asks for every row; only for a no does it ask
    ``validate_values`` why."""
    measured = False
    for value, (low, high) in zip(values, _RANGES, strict=True):
        if value is not None:
            if not low <= value <= high:  # NaN fails here too
                return False
            measured = True
    if not measured:
        return False
    sbp, dbp, mean = values[0], values[1], values[2]
    if sbp is not None and dbp is not None:
        return dbp < sbp and (mean is None or dbp <= mean <= sbp)
    return sbp is None and dbp is None or mean is not None


def identity(taken_ts: float, values: RowValues) -> Identity:
    """What two readings share when they record the same moment and values: the instant (a
    UTC timestamp, so +05:00 and the same moment in UTC match) and each value to 0.01. An
    import skips a reading whose identity its session already holds, whichever file or
    system it came from, and whether it was charted by hand or imported."""
    return (taken_ts, *[None if v is None else round(v, 2) for v in values])


def reading_identity(reading: Reading) -> Identity:
    """:func:`identity` of a :class:`Reading`."""
    get = reading.values.get
    return identity(reading.taken_at.timestamp(), tuple(get(v) for v in VITAL_ORDER))


#: One row of a block: (line in the file, its time as ISO 8601 with offset, the same instant
#: as a UTC timestamp, values in VITAL_ORDER with MAP included, whether that MAP was derived).
#: Plain text and numbers, so a block crosses to another process cheaply.
BlockRow = tuple[int, str, float, RowValues, bool]


@dataclass
class ReadingBlock:
    """Consecutive valid rows of one file, all current (status valid), with the same source
    and source detail, and without note, initials or NEWS2 context: one :data:`BlockRow`
    each, a tuple rather than a :class:`Reading`."""

    source: Source
    source_detail: str
    rows: list[BlockRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def readings(self) -> Iterator[tuple[int, Reading]]:
        """Each row as (line, :class:`Reading`), for code that wants one reading at a time."""
        for line, taken_at, _, values, derived in self.rows:
            yield line, Reading(
                taken_at=datetime.fromisoformat(taken_at),
                values={v: x for v, x in zip(VITAL_ORDER, values, strict=True) if x is not None},
                source=self.source, source_detail=self.source_detail, map_derived=derived,
                status=ReadingStatus.VALID)
