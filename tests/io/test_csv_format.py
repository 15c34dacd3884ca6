"""CSV/TSV import and the canonical CSV writer."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.domain.readings import Reading, ReadingStatus, Source, new_reading
from monitor.domain.vitals import Vital
from monitor.io.csv_format import CANONICAL_COLUMNS, iter_csv, parse_csv, write_canonical_csv
from monitor.io.parsed import ParsedReading, RowError

BERLIN = ZoneInfo("Europe/Berlin")
PLUS2 = timezone(timedelta(hours=2))


def parse(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    kwargs.setdefault("default_tz", UTC)
    return parse_csv(data, name="vitals.csv", **kwargs)


def only_values(result) -> dict[Vital, float]:
    assert len(result.readings) == 1, result.errors
    return dict(result.readings[0].reading.values)


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


# --- canonical round trip --------------------------------------------------------------------


def _canonical_readings() -> list[Reading]:
    t = datetime(2024, 5, 1, 10, 0, tzinfo=PLUS2)
    derived = new_reading(t, {Vital.SBP: 120, Vital.DBP: 80, Vital.HR: 72}, entered_by="ab")
    measured = new_reading(
        t + timedelta(minutes=15),
        {Vital.SBP: 131.5, Vital.DBP: 79, Vital.MAP: 95, Vital.RR: 14, Vital.SPO2: 97},
        source=Source.DEVICE, note='dizzy, "a bit" nauseous\nsecond line',
    )
    corrected = new_reading(t + timedelta(minutes=30), {Vital.HR: 140}, note="=1+1")
    correction = new_reading(t + timedelta(minutes=30), {Vital.HR: 104}, note="-typo fixed")
    in_error = new_reading(datetime(2024, 5, 1, 8, 45, 30, 250000, tzinfo=UTC), {Vital.RR: 0})
    from dataclasses import replace

    return [
        derived,
        measured,
        replace(corrected, status=ReadingStatus.CORRECTED),
        correction,
        replace(in_error, status=ReadingStatus.ENTERED_IN_ERROR),
    ]


def _write(readings) -> str:
    out = io.StringIO(newline="")
    write_canonical_csv(readings, out)
    return out.getvalue()


def test_canonical_csv_has_exactly_the_documented_columns():
    text = _write(_canonical_readings())
    assert text.splitlines()[0] == ",".join(CANONICAL_COLUMNS)
    assert CANONICAL_COLUMNS == ("time", "sbp", "dbp", "map", "hr", "rr", "spo2", "source",
                                 "entered_by", "status", "note")


def test_canonical_round_trip_write_parse_write_is_identical():
    original = _canonical_readings()
    first = _write(original)
    result = parse(first)
    assert result.errors == []
    second = _write([p.reading for p in result.readings])
    assert second == first
    back = [p.reading for p in result.readings]
    for before, after in zip(original, back, strict=True):
        assert after.taken_at == before.taken_at
        assert after.taken_at.utcoffset() == before.taken_at.utcoffset()
        assert dict(after.values) == dict(before.values)
        assert after.map_derived == before.map_derived
        assert after.status == before.status
        assert after.note == before.note
        assert after.entered_by == before.entered_by
        assert after.source is Source.IMPORT
        assert after.extra["original_source"] == before.source.value


def test_derived_map_is_written_empty_and_measured_map_is_written():
    lines = _write(_canonical_readings()).splitlines()
    assert lines[1].split(",")[1:5] == ["120", "80", "", "72"]
    assert lines[2].split(",")[1:4] == ["131.5", "79", "95"]


@pytest.mark.parametrize("note", ["=1+1", "'=x", "'", "''", "'hello", "@SUM(A1)", "+49 170"])
def test_quote_guard_round_trips_every_note(note):
    reading = new_reading(datetime(2024, 5, 1, 10, tzinfo=UTC), {Vital.HR: 70}, note=note)
    text = _write([reading])
    assert parse(text).readings[0].reading.note == note


def test_formula_like_text_is_guarded_and_read_back_unguarded():
    text = _write(_canonical_readings())
    assert ",'=1+1" in text and ",'-typo fixed" in text
    notes = [p.reading.note for p in parse(text).readings]
    assert "=1+1" in notes and "-typo fixed" in notes


# --- headers, units, layouts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("time,systolic,diastolic,pulse", "2024-05-01T10:00,120,80,70",
         {Vital.SBP: 120, Vital.DBP: 80, Vital.HR: 70}),
        ("time,SBP (mmHg),DBP (mmHg),Heart rate,Resp,O2 sat", "2024-05-01T10:00,118,76,66,12,98",
         {Vital.SBP: 118, Vital.DBP: 76, Vital.HR: 66, Vital.RR: 12, Vital.SPO2: 98}),
        ("time,Sys,Dia,Mean,HR,RR,SpO2", "2024-05-01T10:00,120,80,95,60,16,97",
         {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 95, Vital.HR: 60, Vital.RR: 16,
          Vital.SPO2: 97}),
        ("time,BP,HR,SpO2 %", "2024-05-01T10:00,120/80,61,99%",
         {Vital.SBP: 120, Vital.DBP: 80, Vital.HR: 61, Vital.SPO2: 99}),
        ("time,SBP [kPa],DBP [kPa]", "2024-05-01T10:00,16,10.5",
         {Vital.SBP: 120.0, Vital.DBP: 78.8}),
        ("time,respiratory rate (breaths/min),MAP (mm[Hg])", "2024-05-01T10:00,0,70",
         {Vital.RR: 0, Vital.MAP: 70}),
    ],
)
def test_header_names_people_use_are_recognised(header, row, expected):
    values = only_values(parse(f"{header}\n{row}\n"))
    expected_full = dict(expected)
    if Vital.SBP in expected and Vital.MAP not in expected:
        expected_full[Vital.MAP] = pytest.approx(
            expected[Vital.DBP] + (expected[Vital.SBP] - expected[Vital.DBP]) / 3, abs=0.05)
    assert values == expected_full


def test_kpa_values_are_converted_to_mmhg():
    reading = parse("time,SBP (kPa),DBP (kPa)\n2024-05-01T10:00,16,10\n").readings[0].reading
    assert reading.values[Vital.SBP] == 120.0
    assert reading.values[Vital.DBP] == 75.0


def test_semicolon_delimiter_with_decimal_commas():
    text = "Zeit;time;SpO2;HR\n;2024-05-01 10:15;97,5;72,4\n"
    result = parse(text)
    assert only_values(result) == {Vital.SPO2: 97.5, Vital.HR: 72.4}
    assert result.readings[0].reading.taken_at == datetime(2024, 5, 1, 10, 15, tzinfo=UTC)
    assert any("'Zeit'" in m and "ignored" in m for m in messages(result))


def test_tab_delimited_with_bom_crlf_and_blank_lines():
    data = b"\xef\xbb\xbftime\tHR\tRR\r\n\r\n2024-05-01T10:00:00Z\t70\t14\r\n\r\n\r\n"
    result = parse(data)
    assert only_values(result) == {Vital.HR: 70, Vital.RR: 14}
    assert result.errors == []
    assert result.readings[0].location == "line 3"


def test_old_mac_cr_line_endings():
    result = parse(b"time,HR\r2024-05-01T10:00,70\r2024-05-01T10:05,71\r")
    assert [p.reading.values[Vital.HR] for p in result.readings] == [70, 71]


def test_time_with_offset_is_kept_and_naive_time_takes_the_callers_zone():
    result = parse("time,HR\n2024-07-01T10:00:00+05:00,70\n2024-07-01 10:05,71\n",
                   default_tz=BERLIN)
    first, second = (p.reading.taken_at for p in result.readings)
    assert first.utcoffset() == timedelta(hours=5)
    assert second == datetime(2024, 7, 1, 10, 5, tzinfo=BERLIN)
    assert second.utcoffset() == timedelta(hours=2)  # summer time


def test_naive_time_defaults_to_the_local_zone():
    result = parse_csv(b"time,HR\n2024-01-15 10:00,70\n", name="x.csv")
    taken = result.readings[0].reading.taken_at
    assert taken.tzinfo is not None
    assert taken.replace(tzinfo=None) == datetime(2024, 1, 15, 10, 0)


def test_separate_date_and_time_columns():
    result = parse("Date,Time,HR\n2024-05-01,9:05,70\n01.05.2024,10:15:30,72\n")
    assert [p.reading.taken_at for p in result.readings] == [
        datetime(2024, 5, 1, 9, 5, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 15, 30, tzinfo=UTC),
    ]


def test_optional_columns_are_read():
    text = ("time,HR,entered_by,note,status,source,patient_id\n"
            "2024-05-01T10:00Z,70,ab,felt dizzy,entered-in-error,manual,MRN-7\n")
    parsed = parse(text).readings[0]
    r = parsed.reading
    assert (r.entered_by, r.note, r.status) == ("AB", "felt dizzy",
                                                 ReadingStatus.ENTERED_IN_ERROR)
    assert parsed.patient_id == "MRN-7"
    assert r.source is Source.IMPORT and r.source_detail == "vitals.csv (CSV)"


def test_caller_can_mark_readings_as_from_a_device():
    result = parse("time,HR\n2024-05-01T10:00Z,70\n", source=Source.DEVICE)
    assert result.readings[0].reading.source is Source.DEVICE


def test_elapsed_seconds_count_from_the_callers_start():
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    result = parse("elapsed_s,HR\n0,70\n90,72\n", start=start)
    assert [p.reading.taken_at for p in result.readings] == [start, start + timedelta(seconds=90)]


def test_elapsed_column_without_a_start_time_is_reported():
    result = parse("elapsed_s,HR\n0,70\n")
    assert result.readings == []
    assert result.errors[0].location == "line 1, column 'elapsed_s'"
    assert "start time" in result.errors[0].message


def test_zero_is_reported_unless_the_caller_says_it_means_missing():
    text = "time,HR,SpO2\n2024-05-01T10:00Z,70,0\n"
    reported = parse(text)
    assert reported.readings == []
    assert reported.errors[0].location == "line 2, column 'SpO2'"
    assert "zeros as missing" in reported.errors[0].message
    assert only_values(parse(text, zero_is_missing=True)) == {Vital.HR: 70}


def test_rr_zero_is_kept_as_a_value_by_default():
    assert only_values(parse("time,RR\n2024-05-01T10:00Z,0\n")) == {Vital.RR: 0}


def test_placeholder_dashes_mean_not_measured():
    assert only_values(parse("time,HR,RR\n2024-05-01T10:00Z,--,12\n")) == {Vital.RR: 12}


# --- dedup key -------------------------------------------------------------------------------


def test_the_same_reading_from_any_file_has_the_same_identity():
    from monitor.domain.reading_blocks import reading_identity

    a = parse_csv(b"time,HR\n2024-05-01T12:00+02:00,70\n", name="a.csv").readings[0]
    b = parse_csv(b"timestamp;pulse\n2024-05-01T10:00:00Z;70,0\n", name="b.csv").readings[0]
    c = parse_csv(b"time,HR\n2024-05-01T12:00+02:00,71\n", name="a.csv").readings[0]
    assert reading_identity(a.reading) == reading_identity(b.reading)
    assert reading_identity(a.reading) != reading_identity(c.reading)


# --- streaming -------------------------------------------------------------------------------


def test_iter_csv_streams_and_reports_bytes_consumed():
    rows = "".join(f"2024-05-01T10:{m:02d}Z,{60 + m}\n" for m in range(50))
    data = ("time,HR\n" + rows).encode()
    seen: list[int] = []
    items = iter_csv(io.BytesIO(data), name="big.csv", progress=seen.append)
    first = next(items)
    assert isinstance(first, ParsedReading)
    rest = list(items)
    assert len(rest) == 49
    assert seen == sorted(seen) and seen[-1] == len(data)


# --- bad input -------------------------------------------------------------------------------


def test_empty_file():
    for data in (b"", b"\n\n  \r\n"):
        result = parse(data)
        assert result.readings == []
        assert [str(e) for e in result.errors] == ["file: the file is empty"]


def test_missing_time_column():
    result = parse("HR,RR\n70,12\n")
    assert result.readings == []
    assert result.errors[-1].location == "line 1"
    assert "no time column" in result.errors[-1].message


def test_no_vital_columns():
    result = parse("time,temperature,weight\n2024-05-01T10:00Z,36.6,70\n")
    assert "no vital-sign columns" in messages(result)[-1]


def test_unknown_unit_column_is_ignored_and_reported():
    result = parse("time,SBP (psi),HR\n2024-05-01T10:00Z,2.3,70\n")
    assert result.errors[0].location == "line 1, column 'SBP (psi)'"
    assert "unknown unit 'psi'" in result.errors[0].message
    assert only_values(result) == {Vital.HR: 70}


def test_non_numeric_value_names_line_and_column():
    result = parse("time,SBP,DBP\n2024-05-01T10:00Z,120,80\n2024-05-01T10:05Z,12O,80\n")
    assert len(result.readings) == 1
    assert result.errors == [RowError("line 3, column 'DBP'", "'12O' is not a number")] or \
        result.errors == [RowError("line 3, column 'SBP'", "'12O' is not a number")]


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ("400,80,70", "SBP", "outside the plausible range"),
        ("120,130,70", "DBP", "must be below systolic"),
        ("120,80,350", "HR", "outside the plausible range"),
    ],
)
def test_impossible_values_are_rejected_naming_the_column(row, column, words):
    result = parse(f"time,SBP,DBP,HR\n2024-05-01T10:00Z,{row}\n")
    assert result.readings == []
    assert result.errors[0].location == f"line 2, column '{column}'"
    assert words in result.errors[0].message


def test_bad_time_is_reported():
    result = parse("time,HR\n2024-13-01 10:00,70\n2024-05-01,71\n")
    assert [e.location for e in result.errors] == ["line 2, column 'time'",
                                                   "line 3, column 'time'"]
    assert "not a date and time" in result.errors[0].message
    assert "without a time of day" in result.errors[1].message


def test_duplicate_time_with_different_values_is_reported():
    text = ("time,HR\n2024-05-01T10:00+02:00,70\n2024-05-01T08:00Z,75\n"
            "2024-05-01T10:00+02:00,70\n")
    result = parse(text)
    assert len(result.readings) == 1
    assert result.errors[0].location == "line 3"
    assert "already on line 2 with different values" in result.errors[0].message
    assert result.errors[1] == RowError("line 4", "repeats line 2; row skipped")


def test_latin1_bytes_are_reported_as_wrong_encoding():
    data = "time,HR,note\n2024-05-01T10:00Z,70,schläfrig\n2024-05-01T10:05Z,71,ok\n"
    result = parse(data.encode("latin-1"))
    assert len(result.readings) == 1
    assert result.errors[0].location == "line 2"
    assert "not UTF-8" in result.errors[0].message and "0xE4" in result.errors[0].message


def test_utf16_file_is_reported_not_misread():
    result = parse("time,HR\n2024-05-01T10:00Z,70\n".encode("utf-16"))
    assert result.readings == []
    assert "UTF-16" in result.errors[0].message


def test_binary_garbage_is_reported():
    result = parse(bytes(range(256)) * 8)
    assert result.readings == []
    assert "binary" in result.errors[0].message


def test_truncated_file_reports_the_cut_row():
    result = parse("time,SBP,DBP,HR\n2024-05-01T10:00Z,120,80,70\n2024-05-01T10:05Z,120")
    assert len(result.readings) == 1
    assert result.errors[0].location.startswith("line 3")
    assert "needs both systolic and diastolic" in result.errors[0].message


def test_unterminated_quote_does_not_raise():
    result = parse('time,HR,note\n2024-05-01T10:00Z,70,"open quote\n2024-05-01T10:05Z,71,x\n')
    assert isinstance(result.errors, list)


def test_extra_values_beyond_the_header_are_reported():
    result = parse("time,HR\n2024-05-01T10:00Z,70,99\n2024-05-01T10:05Z,71,\n")
    assert [e.location for e in result.errors] == ["line 2"]
    assert len(result.readings) == 1


# --- real MIMIC numerics exports -------------------------------------------------------------

S25047_START = datetime(2704, 5, 4, 10, 44, 18, 529000, tzinfo=UTC)


def _mimic(shared_fixtures: Path, name: str, **kwargs):
    data = (shared_fixtures / "timeseries" / name).read_bytes()
    return parse_csv(data, name=name, start=S25047_START, **kwargs)


def test_mimic_numerics_with_zero_as_missing(shared_fixtures: Path):
    result = _mimic(shared_fixtures, "s25047-2704-05-04-10-44n.csv", zero_is_missing=True)
    by_line = {p.location: p.reading for p in result.readings}
    row = by_line["line 4"]  # 120,89.5,88.5,21.2,95.7,87,46,62
    assert row.taken_at == S25047_START + timedelta(seconds=120)
    assert dict(row.values) == {Vital.HR: 89.5, Vital.RR: 21.2, Vital.SPO2: 95.7,
                                Vital.SBP: 87, Vital.DBP: 46, Vital.MAP: 62}
    assert not row.map_derived
    # 360,0,39.9,0,99.9,86,22,44: HR and RR are 0 ('no value'); PULSE is not HR's column.
    assert dict(by_line["line 8"].values) == {Vital.SPO2: 99.9, Vital.SBP: 86, Vital.DBP: 22,
                                              Vital.MAP: 44}
    assert dict(by_line["line 2"].values) == {Vital.HR: 101.3, Vital.RR: 16.5}
    errors = messages(result)
    assert errors[0] == ("line 1, column 'PULSE[bpm]': Heart rate is already read from column "
                         "'HR[bpm]'; this column is ignored")
    assert any(m.startswith("line 43, column 'SpO2[%]': SpO2: 42.9 %") for m in errors)
    assert len(result.readings) + sum(m.startswith("line ") and "row skipped" in m
                                      for m in errors) == 72


def test_mimic_numerics_zeros_are_reported_by_default(shared_fixtures: Path):
    result = _mimic(shared_fixtures, "s25047-2704-05-04-10-44n.csv")
    assert "line 2" not in {p.location for p in result.readings}
    assert any(e.location == "line 2, column 'SpO2[%]'" and "zeros as missing" in e.message
               for e in result.errors)


def test_mimic_long_record_ignores_invasive_pressure(shared_fixtures: Path):
    result = _mimic(shared_fixtures, "s00001-2896-10-10-00-31n.csv", zero_is_missing=True)
    ignored = [e.location for e in result.errors if "invasive" in e.message]
    assert ignored == ["line 1, column 'ABPSys[mmHg]'", "line 1, column 'ABPDias[mmHg]'",
                       "line 1, column 'ABPMean[mmHg]'"]
    by_line = {p.location: p.reading for p in result.readings}
    assert dict(by_line["line 3"].values) == {Vital.HR: 62.8, Vital.RR: 12.7}
    assert len(result.readings) > 1800
    assert all(isinstance(e, RowError) for e in result.errors)


def test_memory_for_repeated_times_is_bounded_to_a_window():
    from monitor.io.csv_format import RecentMoments

    recent = RecentMoments(3)
    for second in range(10):
        recent.add(T_BOUNDED + timedelta(seconds=second), (second + 2, {}))
    assert len(recent._rows) == 3
    assert recent.get(T_BOUNDED) is None  # forgotten
    assert recent.get(T_BOUNDED + timedelta(seconds=9)) == (11, {})


T_BOUNDED = datetime(2026, 1, 1, tzinfo=UTC)


# --- issue 13: a column that looks like a vital is never ignored in silence -------------------


@pytest.mark.parametrize("header", ["Syst_L", "DIA_mmHg", "NIBP S 1", "Pulse Ox Rate",
                                    "resp_rate_x", "HeartRateECG", "SpO2L", "o2satpct",
                                    "BPM2"])
def test_a_header_that_looks_like_a_vital_and_is_not_understood_is_an_error(header: str):
    result = parse(f"time,HR,{header}\n2024-05-01T10:00:00Z,70,120\n", default_tz=UTC)
    [error] = result.errors
    assert error.location == f"line 1, column '{header}'"
    assert "looks like a vital sign but is not understood" in error.message
    assert not error.is_notice


def test_known_spellings_with_units_are_read_not_reported():
    result = parse("time,Sys.,Dia.,Pulse (bpm),SpO2 %\n2024-05-01T10:00:00Z,120,80,70,97\n")
    assert result.errors == []
    assert dict(result.readings[0].reading.values)[Vital.HR] == 70


def test_a_column_that_is_not_a_vital_is_a_notice():
    result = parse("time,HR,room\n2024-05-01T10:00:00Z,70,12\n", default_tz=UTC)
    [notice] = result.errors
    assert notice.is_notice and "column ignored" in notice.message


@pytest.mark.parametrize("time_header", ["datetime", "Timestamp", "time"])
def test_a_full_date_time_column_beside_a_date_column_is_the_time(time_header: str):
    text = (f"date,{time_header},SBP,DBP\n"
            "2024-05-01,2024-05-01 10:00:00,120,80\n"
            "2024-05-01,2024-05-01T10:15:00,122,81\n")
    result = parse(text, default_tz=UTC)
    assert [e for e in result.errors if not e.is_notice] == []
    assert [p.reading.taken_at for p in result.readings] == [
        datetime(2024, 5, 1, 10, 0, tzinfo=UTC), datetime(2024, 5, 1, 10, 15, tzinfo=UTC)]


def test_date_and_time_of_day_columns_still_combine():
    result = parse("date,time,HR\n2024-05-01,10:00,70\n", default_tz=UTC)
    assert result.errors == []
    assert result.readings[0].reading.taken_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
