"""Exports of vital-sign recorders, ambulatory and home BP monitors, with the headers those
devices write (VitalDB / Vital Recorder track names, ABPM pulse pressure, Microlife, Beurer,
Withings): what each charts, what it leaves out and says so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.app.importing import is_notice
from monitor.cli import main
from monitor.domain.vitals import Vital
from monitor.io.csv_format import parse_csv
from monitor.io.parsed import ParseResult

VITALDB = ("Time,Solar8000/HR,Solar8000/PLETH_SPO2,Solar8000/NIBP_SBP,Solar8000/NIBP_DBP,"
           "Solar8000/NIBP_MBP,Solar8000/ART_SBP,Solar8000/BT,Solar8000/PLETH_HR,"
           "Solar8000/RR_CO2\n"
           "0,72,98,,,,,36.5,71,12\n"
           "2.5,73,97,121,79,93,130,36.5,72,13\n")


def parse(text: str, **options: object) -> ParseResult:
    return parse_csv(text.encode(), name="export.csv", default_tz=UTC, **options)  # type: ignore[arg-type]


def test_a_vitaldb_case_counts_its_time_from_the_start_given() -> None:
    result = parse(VITALDB, start=datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    assert [(p.reading.taken_at, p.reading.values) for p in result.readings] == [
        (datetime(2024, 5, 1, 10, 0, tzinfo=UTC), {Vital.HR: 72, Vital.SPO2: 98, Vital.RR: 12}),
        (datetime(2024, 5, 1, 10, 0, 2, 500000, tzinfo=UTC),
         {Vital.SBP: 121, Vital.DBP: 79, Vital.MAP: 93, Vital.HR: 73, Vital.SPO2: 97,
          Vital.RR: 13}),
    ]
    assert [str(e) for e in result.errors] == [
        "line 1, column 'Solar8000/ART_SBP': invasive arterial pressure is not charted (only "
        "non-invasive BP); column ignored",
        "line 1, column 'Solar8000/BT': not a vital sign the monitor charts; column ignored",
        "line 1, column 'Solar8000/PLETH_HR': Heart rate is already read from column "
        "'Solar8000/HR'; this column is ignored",
    ]
    assert all(is_notice(e) for e in result.errors)  # what the import counts as not charted


def test_a_vitaldb_case_without_a_start_says_what_to_give(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    path = tmp_path / "case.csv"
    path.write_text(VITALDB, encoding="utf-8")
    db = tmp_path / "monitor.sqlite"
    assert main(["import", str(path), "--db", str(db), "--patient", "P-1"]) == 1
    assert ("line 1, column 'Time': this column counts seconds from a start time: give the "
            "start time to import the file") in capsys.readouterr().err
    assert main(["import", str(path), "--db", str(db), "--patient", "P-1",
                 "--start", "2024-05-01T10:00:00+00:00"]) == 0
    assert "2 imported" in capsys.readouterr().out


def test_a_vitaldb_time_that_is_not_seconds_is_named() -> None:
    result = parse(VITALDB.replace("\n2.5,", "\n00:02.5,"),
                   start=datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    assert "line 3, column 'Time': '00:02.5' is not a number of seconds" in [
        str(e) for e in result.errors]


def test_an_abpm_export_leaves_out_pulse_pressure_and_reads_pr_as_heart_rate() -> None:
    text = ("Date,Time,SYS,DIA,MAP,PR,PP,Comment\n"
            "01.05.2024,07:30,131,84,100,72,47,awake\n"
            "01.05.2024,23:30,112,,,60,,asleep: cuff error\n")
    result = parse(text)
    assert [p.reading.values for p in result.readings] == [
        {Vital.SBP: 131, Vital.DBP: 84, Vital.MAP: 100, Vital.HR: 72}]
    assert [str(e) for e in result.errors] == [
        "line 1, column 'PP': pulse pressure is worked out from SBP and DBP; column ignored",
        "line 3, column 'DIA': Diastolic BP: blood pressure needs both systolic and "
        "diastolic; row skipped",
    ]


def test_a_german_home_monitor_export() -> None:
    text = ("Datum;Uhrzeit;Sys;Dia;Puls;Pulsdruck;Bemerkung\n"
            "01.05.2024;07:30;131;84;72;47;nach dem Frühstück\n")
    result = parse(text)
    [reading] = [p.reading for p in result.readings]
    assert reading.taken_at == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert reading.values == {Vital.SBP: 131, Vital.DBP: 84, Vital.MAP: 99.7, Vital.HR: 72}
    assert reading.note == "nach dem Frühstück"
    assert [str(e) for e in result.errors] == [
        "line 1, column 'Pulsdruck': pulse pressure is worked out from SBP and DBP; column "
        "ignored"]


@pytest.mark.parametrize(("header", "row"), [
    ("Date;Time;SYS;DIA;PUL;AFib", "2024-05-01;07:30;131;84;72;0"),  # Microlife
    ('"Date","Heart rate","Systolic","Diastolic","Comments"',
     '"2024-05-01 07:30:00","72","131","84",""'),  # Withings
    ("Date,Time,Systolic (mmHg),Diastolic (mmHg),Pulse (bpm),Notes",
     "2024-05-01,07:30,131,84,72,"),  # Omron-style
])
def test_home_bp_monitor_headers(header: str, row: str) -> None:
    result = parse(f"{header}\n{row}\n")
    assert [p.reading.values for p in result.readings] == [
        {Vital.SBP: 131, Vital.DBP: 84, Vital.MAP: 99.7, Vital.HR: 72}]
    assert not [e for e in result.errors if not is_notice(e)]


def test_an_omron_connect_export_with_month_names() -> None:
    # The header and date forms Omron Connect writes (as public importers of it document).
    text = ("Date,Time,Systolic (mmHg),Diastolic (mmHg),Pulse (bpm),Symptoms,Consumed,TruRead,"
            "Notes\n"
            '"Apr 28, 2026",11:25,143,84,59,-,-,Off,\n'
            "Jan 12 2025,08:15,128,82,-,-,-,Off,ok\n"
            "Jan 32 2025,08:20,128,82,64,-,-,Off,\n"
            "Jan 12 2025,13:00 pm,128,82,64,-,-,Off,\n")
    result = parse(text)
    assert [(p.reading.taken_at, p.reading.values.get(Vital.HR)) for p in result.readings] == [
        (datetime(2026, 4, 28, 11, 25, tzinfo=UTC), 59),
        (datetime(2025, 1, 12, 8, 15, tzinfo=UTC), None)]
    errors = [str(e) for e in result.errors if not is_notice(e)]
    assert errors == [
        "line 4, column 'Date' + 'Time': 'Jan 32 2025 08:20:00' is not a date and time (use "
        "ISO 8601, e.g. 2024-05-01T10:15:00+02:00, or YYYY-MM-DD HH:MM)",
        "line 5, column 'Date' + 'Time': '13:00 pm' is not a time of day (use HH:MM or "
        "HH:MM:SS)"]


@pytest.mark.parametrize(("date", "clock", "expected"), [
    ("28 Apr 2026", "6:00 pm", datetime(2026, 4, 28, 18, 0, tzinfo=UTC)),
    ("28-Apr-2026", "12:30 AM", datetime(2026, 4, 28, 0, 30, tzinfo=UTC)),
    ("September 3, 2026", "12:05 p.m.", datetime(2026, 9, 3, 12, 5, tzinfo=UTC)),
])
def test_dates_with_month_names_and_twelve_hour_clocks(date: str, clock: str,
                                                       expected: datetime) -> None:
    result = parse(f'date,time,HR\n"{date}",{clock},70\n')
    assert [p.reading.taken_at for p in result.readings] == [expected]
