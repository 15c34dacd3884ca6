"""The quick way through plain CSV rows (blocks) gives exactly what the general way gives:
the same readings with the same locations, and the same messages in the same order."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.domain.reading_blocks import ReadingBlock
from monitor.io.csv_format import BLOCK_ROWS, iter_csv
from monitor.io.parsed import ParsedReading, RowError

START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def _both_ways(data: bytes, **kwargs) -> tuple[list, list]:
    def run(quick: bool) -> list:
        out = []
        for item in iter_csv(io.BytesIO(data), name="f.csv", quick_rows=quick, **kwargs):
            if isinstance(item, ParsedReading):
                # A block row's time comes back with a fixed offset, the general way's with
                # the file's zone: the same instant and text (datetimes in a DST gap compare
                # unequal across zones, so compare those, and the rest of the reading).
                moment = item.reading.taken_at
                out.append((item.location, moment.isoformat(), moment.timestamp(),
                            replace(item.reading, taken_at=START), item.patient_id))
            else:
                out.append(item)
        return out

    return run(True), run(False)


def _assert_same(data: bytes, **kwargs) -> list:
    quick, general = _both_ways(data, **kwargs)
    assert quick == general
    return quick


EXAMPLES = {
    "plain": "time,SBP,DBP,HR,RR,SpO2\n2024-05-01T08:00:00+00:00,120,80,70,14,97\n"
             "2024-05-01T08:01:00+00:00,121,81,71,15,98\n",
    "decimals, gaps and a measured MAP": "time,SBP,DBP,MAP,HR\n"
             "2024-05-01T08:00:00Z,120.5,80,95,70\n2024-05-01T08:01:00Z,,,,71.25\n",
    "naive times in a zone": "time,HR\n2024-03-31 01:30,70\n2024-03-31 02:30,71\n"
                             "2024-03-31 03:30,72\n",
    "bad rows between good ones": "time,SBP,DBP,HR\n2024-05-01T08:00Z,120,80,70\n"
             "2024-05-01T08:01Z,80,120,70\n2024-05-01T08:02Z,abc,80,70\n"
             "2024-05-01T08:03Z,120,80,700\n2024-05-01T08:04Z, 120 ,80,70\n"
             "yesterday,120,80,70\n2024-05-01T08:05Z,120,80,70,9\n2024-05-01T08:06Z,120\n"
             "\n2024-05-01T08:07Z,120,80,0\n2024-05-01T08:08Z,120,,70\n"
             "2024-05-01T08:09Z,120,80,٧٠\n2024-05-01T08:10Z,,,\n",
    "repeats and clashes": "time,HR\n2024-05-01T08:00Z,70\n2024-05-01T10:00+02:00,70\n"
             "2024-05-01T08:00Z,71\n2024-05-01T08:01Z,72\n",
    "kPa and a percent column": "time,SBP (kPa),DBP (kPa),SpO2 %\n"
             "2024-05-01T08:00Z,16,10.7,97\n2024-05-01T08:01Z,16.5,11,99%\n",
    "quoted cells over two lines": 'time,HR\n2024-05-01T08:00Z,"70"\n2024-05-01T08:01Z,"7\n1"\n'
                                   "2024-05-01T08:02Z,72\n",
    "semicolons and decimal commas": "time;SBP;DBP;HR;SpO2\n2024-05-01T08:00Z;120,5;80,0;70;97,5\n"
             "2024-05-01T08:01Z;121;80,5;71,25;98\n2024-05-01T08:02Z;12,0,5;80;70;97\n",
    "not UTF-8 in the middle": None,
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_read_the_same_both_ways(name):
    text = EXAMPLES[name]
    data = (text.encode() if text is not None else
            b"time,HR\n2024-05-01T08:00Z,70\n2024-05-01T08:01Z,7\xe91\n2024-05-01T08:02Z,72\n")
    out = _assert_same(data, default_tz=ZoneInfo("Europe/Berlin"))
    assert any(isinstance(item, tuple) for item in out)


def test_a_big_file_comes_in_blocks_of_plain_rows_with_the_bad_ones_reported_between():
    lines = ["time,SBP,DBP,HR"]
    for i in range(BLOCK_ROWS + 10):
        hr = "700" if i == 5 else str(60 + i % 40)
        lines.append(f"2024-05-01T{8 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z,"
                     f"120,80,{hr}")
    data = "\n".join(lines).encode()
    items = list(iter_csv(io.BytesIO(data), name="f.csv", blocks=True))
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["ReadingBlock", "RowError", "ReadingBlock", "ReadingBlock"]
    assert [len(item) for item in items if isinstance(item, ReadingBlock)] == [
        5, BLOCK_ROWS, 4]
    assert items[1].location == "line 7, column 'HR'"
    line, _, _, values, derived = items[0].rows[0]
    assert line == 2 and values == (120.0, 80.0, 93.3, 60.0, None, None) and derived
    _assert_same(data)


def test_elapsed_seconds_read_the_same_both_ways():
    data = b"elapsed_s,HR[bpm],ABPSys[mmHg],RESP[pm],SpO2[%]\n0,0,0,16.5,0\n60,103,0,20.5,97\n"
    for zero_is_missing in (False, True):
        _assert_same(data, start=START, zero_is_missing=zero_is_missing)


@pytest.mark.parametrize("name", ["s00001-2896-10-10-00-31n.csv",
                                  "s25047-2704-05-04-10-44n.csv"])
@pytest.mark.parametrize("zero_is_missing", [False, True])
def test_icu_exports_read_the_same_both_ways(shared_fixtures: Path, name, zero_is_missing):
    data = (shared_fixtures / "timeseries" / name).read_bytes()
    out = _assert_same(data, start=START, zero_is_missing=zero_is_missing)
    assert any(isinstance(item, tuple) for item in out)


_cell = st.one_of(
    st.sampled_from(["", "0", "70", "120", "80", "97", "14", "99.5", "300", "1e3", " 70",
                     "-5", "70%", "n/a", "1.2.3", "٧"]),
    st.text(alphabet="0123456789.,-/ x", max_size=5),
)
_time = st.one_of(
    st.integers(0, 40).map(lambda m: f"2024-05-01T08:{m:02d}:00Z"),
    st.integers(0, 40).map(lambda m: f"2024-05-01 10:{m:02d}"),
    st.sampled_from(["", "later", "2024-05-01", "2024-13-01T08:00Z"]),
)


@pytest.mark.parametrize("delimiter", [",", ";"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_time, _cell, _cell, _cell, _cell), max_size=25))
def test_random_files_read_the_same_both_ways(delimiter, rows):
    # Separated by semicolons, cells may hold decimal commas: 99,5 is 99.5 both ways.
    text = delimiter.join(["time", "SBP", "DBP", "HR", "RR"]) + "\n" + "\n".join(
        delimiter.join(row) for row in rows)
    quick, general = _both_ways(text.encode(), default_tz=UTC)
    assert quick == general
    assert all(isinstance(item, tuple | RowError) for item in quick)
