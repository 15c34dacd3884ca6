"""Long-format CSV (one value per row, Synthea's observations.csv and the like): rows of one
time become one reading; what is not charted is said once; what might be lost is an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.domain.vitals import Vital
from monitor.io import csv_long
from monitor.io.csv_format import parse_csv
from monitor.io.parsed import ParseResult
from monitor.store import Store

SYNTHEA_HEADER = "DATE,PATIENT,ENCOUNTER,CATEGORY,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n"
T1, T2 = "2014-08-22T18:34:30Z", "2015-02-20T18:34:30Z"


def row(time: str, code: str, description: str, value: str, units: str,
        patient: str = "p-1", kind: str = "numeric") -> str:
    return f"{time},{patient},enc-1,vital-signs,{code},{description},{value},{units},{kind}\n"


def visit(time: str, sbp: str = "112.0", dbp: str = "77.0", hr: str = "81.0",
          patient: str = "p-1") -> str:
    """The rows of one Synthea well-child visit: height, diastolic before systolic, HR."""
    return (row(time, "8302-2", "Body Height", "101.8", "cm", patient)
            + row(time, "8462-4", "Diastolic Blood Pressure", dbp, "mm[Hg]", patient)
            + row(time, "8480-6", "Systolic Blood Pressure", sbp, "mm[Hg]", patient)
            + row(time, "8867-4", "Heart rate", hr, "/min", patient))


def parse(text: str) -> ParseResult:
    return parse_csv(text.encode(), name="observations.csv", default_tz=UTC)


def errors(result: ParseResult) -> list[str]:
    return [str(e) for e in result.errors if not e.is_notice]


def notices(result: ParseResult) -> list[str]:
    return [str(e) for e in result.errors if e.is_notice]


def test_rows_of_one_time_become_one_reading_with_its_patient() -> None:
    result = parse(SYNTHEA_HEADER + visit(T1) + visit(T2, sbp="118", dbp="83", hr="85"))
    assert errors(result) == []
    got = [(p.reading.taken_at, p.reading.values, p.patient_id, p.location)
           for p in result.readings]
    assert got == [
        (datetime(2014, 8, 22, 18, 34, 30, tzinfo=UTC),
         {Vital.SBP: 112, Vital.DBP: 77, Vital.MAP: 88.7, Vital.HR: 81}, "p-1", "lines 3-5"),
        (datetime(2015, 2, 20, 18, 34, 30, tzinfo=UTC),
         {Vital.SBP: 118, Vital.DBP: 83, Vital.MAP: 94.7, Vital.HR: 85}, "p-1", "lines 7-9"),
    ]
    assert result.readings[0].reading.map_derived


def test_what_is_not_charted_is_said_once_per_code_and_unused_column() -> None:
    result = parse(SYNTHEA_HEADER + visit(T1) + visit(T2)
                   + row(T2, "72166-2", "Tobacco smoking status", "Never smoked", "", kind="text"))
    assert notices(result) == [
        "line 1, column 'ENCOUNTER': not used by the one-value-per-row layout; column ignored",
        "line 1, column 'CATEGORY': not used by the one-value-per-row layout; column ignored",
        "line 1, column 'TYPE': not used by the one-value-per-row layout; column ignored",
        "line 2, column 'CODE': LOINC 8302-2 'Body Height': body height is not charted",
        "line 10, column 'CODE': code 72166-2 'Tobacco smoking status': not a vital sign the "
        "monitor charts",
    ]
    assert len(result.readings) == 2 and errors(result) == []


def test_an_unlisted_code_named_like_a_vital_is_an_error_once_and_not_read() -> None:
    result = parse(SYNTHEA_HEADER + visit(T1)
                   + row(T1, "99999-1", "Systolic blood pressure--standing", "140", "mm[Hg]")
                   + row(T2, "99999-1", "Systolic blood pressure--standing", "150", "mm[Hg]"))
    assert errors(result) == [
        "line 6, column 'CODE': code 99999-1 'Systolic blood pressure--standing': not in the "
        "vocabulary, but its name looks like a vital sign: its rows are not read (check the "
        "code, or rename it HR, SBP...)"]
    assert result.readings[0].reading.values[Vital.SBP] == 112  # the listed code's value


@pytest.mark.parametrize(("bad_row", "message"), [
    (row(T1, "8480-6", "Systolic Blood Pressure", "high", "mm[Hg]"),
     "line 3, column 'VALUE': Systolic BP: 'high' is not a number; the reading at "
     "2014-08-22T18:34:30+00:00 (lines 2-4) is skipped"),
    (row(T1, "8480-6", "Systolic Blood Pressure", "112", "kg"),
     "line 3, column 'UNITS': unknown unit 'kg' for Systolic BP (expected mmHg); the reading"),
    (row(T1, "8480-6", "Systolic Blood Pressure", "nan", "mm[Hg]"),
     "line 3, column 'VALUE': Systolic BP: 'nan' is not a number"),
    (row(T1, "8480-6", "Systolic Blood Pressure", "412", "mm[Hg]"),
     "line 3: Systolic BP: 412 mmHg is outside the plausible range"),
    (row(T1, "8480-6", "Systolic Blood Pressure", "70", "mm[Hg]"),
     "line 2: Diastolic BP: 77 must be below systolic 70; the reading at"),
    (row("22/08/2014", "8480-6", "Systolic Blood Pressure", "112", "mm[Hg]"),
     "line 3, column 'DATE': '22/08/2014' is not a date and time"),
])
def test_a_bad_charted_row_names_its_line_and_column_and_skips_its_reading(
        bad_row: str, message: str) -> None:
    text = (SYNTHEA_HEADER + row(T1, "8462-4", "Diastolic Blood Pressure", "77", "mm[Hg]")
            + bad_row + row(T1, "8867-4", "Heart rate", "81", "/min") + visit(T2))
    result = parse(text)
    found = errors(result)
    assert found[0].startswith(message), found
    if "DATE" in message:  # without its systolic, the first visit's diastolic stands alone
        assert found[1:] == ["line 2: Systolic BP: blood pressure needs both systolic and "
                             "diastolic; the reading at 2014-08-22T18:34:30+00:00 is skipped"]
    else:
        assert len(found) == 1, found
    assert [p.reading.taken_at.year for p in result.readings] == [2015]


def test_a_lone_systolic_is_refused_like_any_half_blood_pressure() -> None:
    result = parse(SYNTHEA_HEADER + row(T1, "8480-6", "Systolic Blood Pressure", "112",
                                        "mm[Hg]"))
    assert errors(result) == ["line 2: Diastolic BP: blood pressure needs both systolic and "
                              "diastolic; the reading at 2014-08-22T18:34:30+00:00 is skipped"]
    assert result.readings == []


def test_two_different_values_for_one_vital_at_one_time_skip_the_reading() -> None:
    result = parse(SYNTHEA_HEADER + visit(T1) + row(T1, "8867-4", "Heart rate", "90", "/min"))
    assert errors(result) == ["line 6: Heart rate 90 contradicts 81 on line 5 for the same "
                              "time; the reading at 2014-08-22T18:34:30+00:00 (lines 3-6) is "
                              "skipped"]
    assert result.readings == []


def test_the_preferred_code_wins_and_the_other_is_noticed() -> None:
    result = parse(SYNTHEA_HEADER + row(T1, "8889-8", "Heart rate by Pulse oximetry", "84",
                                        "/min")
                   + row(T1, "8867-4", "Heart rate", "81", "/min"))
    assert result.readings[0].reading.values == {Vital.HR: 81}
    assert ("line 2: Heart rate 84 (LOINC 8889-8 'Heart rate by Pulse oximetry') ignored: the "
            "preferred code is on line 3") in notices(result)


def test_a_file_of_names_without_codes_and_a_bp_cell() -> None:
    text = ("timestamp;parameter;value;unit\n"
            "2024-05-01 10:00;BP;131/84;mmHg\n"
            "2024-05-01 10:00;Pulse;72;bpm\n"
            "2024-05-01 10:00;SpO2;97,5;%\n"
            "2024-05-01 10:00;Temp;37,1;C\n"
            "2024-05-01 10:05;ABPSys;150;mmHg\n")
    result = parse(text)
    assert [p.reading.values for p in result.readings] == [
        {Vital.SBP: 131, Vital.DBP: 84, Vital.MAP: 99.7, Vital.HR: 72, Vital.SPO2: 97.5}]
    assert notices(result) == [
        "line 5, column 'parameter': 'Temp': not a vital sign the monitor charts",
        "line 6, column 'parameter': 'ABPSys': invasive arterial pressure is not charted (only "
        "non-invasive BP)"]
    bad = parse("time,parameter,value\n2024-05-01T10:00:00Z,BP,131-84\n")
    assert errors(bad) == ["line 2, column 'value': '131-84' is not a blood pressure like "
                           "120/80; the reading at 2024-05-01T10:00:00+00:00 (line 2) is skipped"]


def test_mdc_codes_by_reference_id_or_with_a_system_column() -> None:
    text = ("time,system,code,value,unit\n"
            "2024-05-01T10:00:00Z,urn:iso:std:iso:11073:10101,150301,120,mm[Hg]\n"
            "2024-05-01T10:00:00Z,,MDC_PRESS_CUFF_DIA,80,mm[Hg]\n"
            "2024-05-01T10:00:00Z,http://loinc.org,8867-4,64,/min\n"
            "2024-05-01T10:00:00Z,http://snomed.info/sct,364075005,70,/min\n")
    result = parse(text)
    assert [p.reading.values for p in result.readings] == [
        {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 93.3, Vital.HR: 64}]
    assert notices(result) == ["line 5, column 'code': code HTTP://SNOMED.INFO/SCT 364075005: "
                               "not a vital sign the monitor charts"]


def test_a_status_other_than_final_is_not_charted() -> None:
    text = ("time,code,value,status\n"
            "2024-05-01T10:00:00Z,8867-4,64,final\n"
            "2024-05-01T10:05:00Z,8867-4,180,entered-in-error\n"
            "2024-05-01T10:10:00Z,8867-4,66,preliminary\n")
    result = parse(text)
    assert [p.reading.values for p in result.readings] == [{Vital.HR: 64}]
    assert notices(result) == [
        "line 3, column 'status': status 'entered-in-error' is not a result to chart; rows with "
        "it are left out",
        "line 4, column 'status': status 'preliminary' is not a result to chart; rows with it "
        "are left out"]


def test_no_time_column_is_an_error() -> None:
    result = parse("code,value\n8867-4,64\n")
    assert errors(result) == ["line 1: no time column: name one 'time' or 'date' (date and "
                              "time), or 'date' and 'time'"]
    assert result.readings == []


def test_date_and_time_columns_are_combined() -> None:
    result = parse("date,time,parameter,value\n2024-05-01,10:15,HR,64\n")
    assert result.readings[0].reading.taken_at == datetime(2024, 5, 1, 10, 15, tzinfo=UTC)


def test_a_time_that_comes_back_after_its_reading_was_closed_is_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_long, "OPEN_MOMENTS", 2)
    text = ("time,code,value\n"
            "2024-05-01T10:00:00Z,8867-4,64\n"
            "2024-05-01T10:05:00Z,8867-4,65\n"
            "2024-05-01T10:10:00Z,8867-4,66\n"
            "2024-05-01T10:00:00Z,9279-1,14\n")
    result = parse(text)
    assert [p.reading.values for p in result.readings] == [
        {Vital.HR: 64}, {Vital.HR: 65}, {Vital.HR: 66}]
    assert errors(result) == ["line 5: time 2024-05-01T10:00:00+00:00 was already read as a "
                              "reading on line 2; rows of one time must be together; row skipped"]


def test_past_the_code_cap_a_possible_loss_is_still_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_long, "KNOWN_CODES", 2)
    text = ("time,code,description,value\n"
            "2024-05-01T10:00:00Z,1-1,Weight,1\n"
            "2024-05-01T10:00:00Z,2-2,Height,1\n"
            "2024-05-01T10:00:00Z,3-3,Girth,1\n"
            "2024-05-01T10:00:00Z,4-4,Pulse standing,90\n"
            "2024-05-01T10:00:00Z,8867-4,Heart rate,64\n")
    result = parse(text)
    assert len(notices(result)) == 2  # 1-1 and 2-2; 3-3 is past the cap
    assert [e.split(":")[0] for e in errors(result)] == ["line 5, column 'code'"]
    assert [p.reading.values for p in result.readings] == [{Vital.HR: 64}]


def test_a_file_with_a_vital_column_is_read_the_wide_way() -> None:
    result = parse("time,HR,value\n2024-05-01T10:00:00Z,64,x\n")
    assert [p.reading.values for p in result.readings] == [{Vital.HR: 64}]


def test_main_import_sends_each_patient_to_their_own_session(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "observations.csv"
    path.write_text(SYNTHEA_HEADER + visit(T1, patient="p-1") + visit(T1, patient="p-2", hr="99")
                    + visit(T2, patient="p-1"), encoding="utf-8")
    db = tmp_path / "monitor.sqlite"
    assert main(["import", str(path), "--db", str(db)]) == 0
    assert "3 imported" in capsys.readouterr().out
    with Store.open(db) as store:
        by_patient = {s.patient.identifier: [r.values[Vital.HR] for r in store.readings(s.id or 0)]
                      for s in store.sessions()}
    assert by_patient == {"p-1": [81, 81], "p-2": [99]}


def test_main_import_of_a_bad_long_file_saves_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "observations.csv"
    path.write_text(SYNTHEA_HEADER + visit(T1) + visit(T2, hr="fast"), encoding="utf-8")
    db = tmp_path / "monitor.sqlite"
    assert main(["import", str(path), "--db", str(db), "--patient", "p-1"]) == 1
    err = capsys.readouterr().err
    assert "line 9, column 'VALUE': Heart rate: 'fast' is not a number" in err
    with Store.open(db) as store:
        assert [store.readings(s.id or 0) for s in store.sessions()] in ([], [[]])


def test_a_mapping_that_names_no_vital_keeps_the_one_value_per_row_layout() -> None:
    # What Map columns offers for this header and a user accepts unchanged.
    offered = {"DATE": "date", "PATIENT": "patient", "ENCOUNTER": "ignore", "CATEGORY": "ignore",
               "CODE": "ignore", "DESCRIPTION": "ignore", "VALUE": "ignore", "UNITS": "ignore",
               "TYPE": "ignore"}
    result = parse_csv((SYNTHEA_HEADER + visit(T1)).encode(), name="observations.csv",
                       default_tz=UTC, columns=offered)
    assert [p.reading.values[Vital.SBP] for p in result.readings] == [112]
    wide = parse_csv((SYNTHEA_HEADER + visit(T1)).encode(), name="observations.csv",
                     default_tz=UTC, columns={**offered, "VALUE": "hr"})
    # Naming a vital column makes the mapping the user's word: the file is read wide.
    assert [p.reading.values for p in wide.readings] == [{Vital.HR: 101.8}]
    assert len(errors(wide)) == 3 and "is already on line 2" in errors(wide)[0]
