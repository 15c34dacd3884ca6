"""The import service: real sample files into the database, bad input, duplicates, cancel."""

from __future__ import annotations

import io
import json
import sqlite3
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from monitor.app.importing import (
    ImportCancelled,
    ImportOptions,
    ImportRejected,
    import_file,
    is_notice,
    preview_file,
)
from monitor.domain.readings import Reading, ReadingStatus, Source, new_reading
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.io.csv_format import write_canonical_csv
from monitor.io.parsed import RowError
from monitor.store import Store
from monitor.store.imports import ImportTarget, SessionClosed

PLUS5 = timezone(timedelta(hours=5))
# The caller gives the start of an elapsed-time file; MIMIC shifts its own dates centuries
# ahead, which an import refuses as the future, so the tests start it on a real day.
MIMIC_START = datetime(2024, 5, 4, 10, 44, 18, 529000, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
TABLES = ("sessions", "readings", "reading_marks", "imports", "audit_log")


def snapshot(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import may touch, read through a fresh connection."""
    with sqlite3.connect(db_path) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}


def session_for(store: Store, patient: str = "P-100") -> int:
    session = store.create_session(Session(patient=Patient(patient)), by="AB")
    assert session.id is not None
    return session.id


def into(session_id: int, **kwargs: Any) -> ImportOptions:
    return ImportOptions(target=ImportTarget(session_id=session_id), **kwargs)


def values_at(store: Store, session_id: int, when: datetime) -> dict[Vital, float]:
    [reading] = [r for r in store.readings(session_id) if r.taken_at == when]
    return dict(reading.values)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def csv_rows(n: int, start: datetime = T0) -> str:
    lines = ["time,SBP,DBP,HR,RR,SpO2"]
    lines += [f"{(start + timedelta(seconds=i)).isoformat()},{100 + i % 50},{60 + i % 20},"
              f"{60 + i % 40},{12 + i % 8},{94 + i % 6}" for i in range(n)]
    return "\n".join(lines) + "\n"


# --- every shared sample, values checked in the database -------------------------------------


def test_hl7_blood_pressure_sample_goes_to_a_new_session_for_its_patient(
        store: Store, shared_fixtures: Path) -> None:
    name, patient = "ipf__valid-pcd01-request.hl7v2", "789567"
    report = import_file(store, shared_fixtures / "hl7v2" / name, ImportOptions(default_tz=UTC))
    assert report.clean and report.new == 1
    session = store.active_session_for_patient(patient)
    assert session is not None and report.sessions[0].created
    [reading] = store.readings(session.id or 0)
    assert dict(reading.values) == {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 100}
    assert reading.taken_at == datetime(2009, 8, 13, 9, 57, 15, tzinfo=PLUS5)
    assert reading.source is Source.IMPORT
    assert reading.source_detail.startswith(f"{name} (HL7 v2), device ")
    [run] = store.import_runs(session.id or 0)
    assert (run["file_name"], run["format"], run["imported"]) == (name, "hl7", 1)
    assert len(run["sha256"]) == 64


def test_hl7_gateway_sample_with_codes_the_app_does_not_chart(
        store: Store, db_path: Path, shared_fixtures: Path) -> None:
    path = shared_fixtures / "hl7v2" / "ipf__valid-pcd01-request2.hl7v2"
    # PVC count, arterial and pulmonary pressures are not charted: notices, never a rejection
    # of the message's heart rate.
    report = import_file(store, path, ImportOptions(default_tz=UTC))
    assert report.rejected == 0 and report.invalid == []
    assert "148065 MDC_ECG_V_P_C_CNT: an arrhythmia count is not charted" in str(
        report.notices[0])
    assert sum("invasive arterial pressure" in n.message for n in report.notices) == 3
    assert sum("pulmonary arterial pressure" in n.message for n in report.notices) == 3
    session = store.active_session_for_patient("AB60001")
    assert session is not None and report.new == 1
    assert values_at(store, session.id or 0, datetime(2008, 12, 11, 14, 45, tzinfo=UTC)) == {
        Vital.HR: 60}


def test_hl7_sample_with_every_status_is_rejected_then_imported_with_skip_invalid(
        store: Store, db_path: Path, shared_fixtures: Path) -> None:
    path = shared_fixtures / "hl7v2" / "ipf__valid-pcd01-MaximumRequest2.hl7"
    before = snapshot(db_path)
    with pytest.raises(ImportRejected) as rejected:
        import_file(store, path)
    assert snapshot(db_path) == before
    report = rejected.value.report
    # The deletion, the lone systolic and a mistyped code (1500212) whose text names a vital;
    # the device profile row (MDC_DEV_SPEC_PROFILE_BP) is a not charted notice.
    assert report.rejected == 3
    assert any("OBX-11 D deletes a value" in str(e) for e in report.invalid)
    assert any("1500212" in str(e) for e in report.invalid)
    assert any("OBX-11 is X (cannot be obtained)" in str(n) for n in report.notices)
    report = import_file(store, path, ImportOptions(skip_invalid=True))
    session = store.active_session_for_patient("111222333444")
    assert session is not None and report.new == 1
    assert values_at(store, session.id or 0,
                     datetime(2009, 8, 13, 9, 57, 15, tzinfo=PLUS5)) == {Vital.MAP: 100}


@pytest.mark.parametrize("name", ["ipf__valid-pcd01-response.hl7v2",
                                  "ms-fhir-converter__ORU-R01-01.hl7"])
def test_hl7_samples_without_vital_signs_save_nothing(
        store: Store, db_path: Path, shared_fixtures: Path, name: str) -> None:
    before = snapshot(db_path)
    report = import_file(store, shared_fixtures / "hl7v2" / name,
                         ImportOptions(skip_invalid=True))
    assert report.new == 0 and report.rejected >= 1
    assert snapshot(db_path) == before


FHIR_SAMPLES = [
    ("r4core__observation-example-bloodpressure.json", datetime(2012, 9, 17, tzinfo=UTC),
     {Vital.SBP: 107, Vital.DBP: 60, Vital.MAP: 75.7}),
    ("r4core__observation-example-heart-rate.json", datetime(1999, 7, 2, tzinfo=UTC),
     {Vital.HR: 44}),
    ("r4core__observation-example-respiratory-rate.json", datetime(1999, 7, 2, tzinfo=UTC),
     {Vital.RR: 26}),
    ("uscore9__blood-pressure.json", datetime(1999, 7, 2, tzinfo=UTC),
     {Vital.SBP: 109, Vital.DBP: 44, Vital.MAP: 65.7}),
    ("uscore9__oxygen-saturation.json", datetime(1999, 7, 2, tzinfo=UTC), {Vital.SPO2: 99}),
    ("r4core__observation-example-satO2.json",
     datetime(2014, 12, 5, 9, 30, 10, tzinfo=timezone(timedelta(hours=1))), {Vital.SPO2: 95}),
]


@pytest.mark.parametrize(("name", "when", "expected"), FHIR_SAMPLES)
def test_fhir_samples(store: Store, db_path: Path, shared_fixtures: Path, name: str,
                      when: datetime, expected: dict[Vital, float]) -> None:
    path = shared_fixtures / "fhir-r4" / name
    if "satO2" not in name:  # a date without a time is refused unless asked for
        before = snapshot(db_path)
        with pytest.raises(ImportRejected) as rejected:
            import_file(store, path, ImportOptions(default_tz=UTC))
        assert "is a date without a time of day" in str(rejected.value.report.invalid[0])
        assert snapshot(db_path) == before
    report = import_file(store, path, ImportOptions(default_tz=UTC, date_only_as_midnight=True))
    assert report.clean and report.new == 1
    session = store.active_session_for_patient("example")
    assert session is not None
    assert values_at(store, session.id or 0, when) == expected


def test_fhir_vitals_panel_alone_has_nothing_to_import(store: Store, db_path: Path,
                                                       shared_fixtures: Path) -> None:
    before = snapshot(db_path)
    panel = "r4core__observation-example-vitals-panel.json"
    report = preview_file(store, shared_fixtures / "fhir-r4" / panel)
    assert [str(e) for e in report.invalid] == ["file: no vital-sign readings found in the file"]
    assert "hasMember" in str(report.notices[0])
    with pytest.raises(ImportRejected):
        import_file(store, report.path)
    assert snapshot(db_path) == before


def test_synthea_bundle_with_body_weight_mixed_in(store: Store, shared_fixtures: Path) -> None:
    path = shared_fixtures / "fhir-r4" / "synthea-derived__Gloria696_vitals-subset_bundle.json"
    # Weight and temperature are not charted: notices, and the vitals beside them import.
    report = import_file(store, path)
    assert report.invalid == []
    assert [n.message.split(":")[0] for n in report.notices] == [
        "code 29463-7 'Body Weight' is not a vital sign the monitor charts",
        "code 8310-5 'Body temperature' is not a vital sign the monitor charts"]
    assert report.new == 21
    session = store.active_session_for_patient("7d5833ca-50c4-8891-dc81-89cce6fed8a8")
    assert session is not None
    first = datetime(2017, 1, 25, 18, 52, 6, tzinfo=timezone(timedelta(hours=-5)))
    assert values_at(store, session.id or 0, first) == {
        Vital.SBP: 100, Vital.DBP: 74, Vital.MAP: 82.7, Vital.HR: 70, Vital.RR: 13}
    assert len(store.readings(session.id or 0)) == 21


def test_mimic_numerics_long_record(store: Store, shared_fixtures: Path) -> None:
    sid = session_for(store, "MIMIC-s00001")
    report = import_file(store, shared_fixtures / "timeseries" / "s00001-2896-10-10-00-31n.csv",
                         into(sid, start=MIMIC_START, zero_is_missing=True, skip_invalid=True))
    # One real artefact: HR 11.5 cannot be a heart rate.
    assert [str(e) for e in report.invalid] == [
        "line 1391, column 'HR[bpm]': Heart rate: 11.5 /min is outside the plausible range "
        "20-300 /min; row skipped"]
    readings = store.readings(sid)
    assert len(readings) == report.new > 1800
    assert values_at(store, sid, MIMIC_START + timedelta(seconds=60)) == {
        Vital.HR: 62.8, Vital.RR: 12.7}
    assert any("invasive arterial pressure" in n.message for n in report.notices)


def test_mimic_numerics_with_artefacts_need_skip_invalid(store: Store, db_path: Path,
                                                         shared_fixtures: Path) -> None:
    sid = session_for(store, "MIMIC-s25047")
    path = shared_fixtures / "timeseries" / "s25047-2704-05-04-10-44n.csv"
    before = snapshot(db_path)
    with pytest.raises(ImportRejected) as rejected:
        import_file(store, path, into(sid, start=MIMIC_START, zero_is_missing=True))
    assert snapshot(db_path) == before
    assert "line 43, column 'SpO2[%]': SpO2: 42.9 %" in str(rejected.value.report.invalid[0])
    report = import_file(store, path, into(sid, start=MIMIC_START, zero_is_missing=True,
                                           skip_invalid=True))
    assert report.new == 65 and report.rejected == 4
    assert values_at(store, sid, MIMIC_START + timedelta(seconds=120)) == {
        Vital.HR: 89.5, Vital.RR: 21.2, Vital.SPO2: 95.7, Vital.SBP: 87, Vital.DBP: 46,
        Vital.MAP: 62}


def test_mimic_without_start_time_says_what_to_give(store: Store, shared_fixtures: Path) -> None:
    sid = session_for(store)
    report = preview_file(store, shared_fixtures / "timeseries" / "s25047-2704-05-04-10-44n.csv",
                          into(sid))
    assert "give the start time" in report.invalid[0].message


# --- bad input for each format ---------------------------------------------------------------


GOOD_CSV = "time,SBP,DBP,HR\n2024-05-01T10:00:00Z,120,80,70\n2024-05-01T10:05:00Z,125,82,72\n"
ORU = ("MSH|^~\\&|GW|WARD|MON|REC|20240501120000+0000||ORU^R01|{ctrl}|P|2.6\r"
       "PID|||P-100^^^HOSP^MR||Doe^John\rOBR|1|||VITALS|||20240501120000+0000\r{obx}")
BAD_INPUT = [
    ("truncated.csv", GOOD_CSV + "2024-05-01T10:10:00Z,13", "line 4"),
    ("latin1.csv", ("time,SBP,DBP,HR,note\n2024-05-01T10:00:00Z,120,80,70,schläfrig\n"
                    ).encode("latin-1"), "not UTF-8"),
    ("utf16.csv", GOOD_CSV.encode("utf-16"), "UTF-16"),
    ("nocolumns.csv", "time,colour\n2024-05-01T10:00:00Z,blue\n", "no vital-sign columns"),
    ("notime.csv", "SBP,DBP\n120,80\n", "no time column"),
    ("impossible.csv", GOOD_CSV + "2024-05-01T10:10:00Z,400,80,70\n", "plausible range"),
    ("letters.csv", GOOD_CSV + "2024-05-01T10:10:00Z,abc,80,70\n", "'abc' is not a number"),
    ("clash.csv", GOOD_CSV + "2024-05-01T10:05:00Z,150,90,72\n", "with different values"),
    ("garbage.csv", bytes(range(256)) * 8, "binary"),
    ("empty.csv", b"", "empty"),
    ("unknown.hl7", ORU.format(ctrl="C1", obx="OBX|1|NM|99999-9^NIBP Sys^LN||5|/min|||||F\r"
                               "OBX|2|NM|8867-4^HR^LN||70|/min|||||F\r"),
     "99999-9 NIBP Sys: code 99999-9 is not in the vocabulary but its text names a vital"),
    ("unknown.json", '{"resourceType":"Observation","status":"final","code":{"coding":[{"syst'
     'em":"http://loinc.org","code":"1234-5","display":"NIBP systolic"}]},"subject":{"refere'
     'nce":"Patient/P-100"},"effectiveDateTime":"2024-05-01T10:00:00Z","valueQuantity":{"val'
     'ue":5}}', "code 1234-5 'NIBP systolic' is not in the vocabulary but its display names"),
    ("impossible.hl7", ORU.format(ctrl="C2", obx="OBX|1|NM|8867-4^HR^LN||70|/min|||||F\r"
                                  "OBX|2|NM|59408-5^SpO2^LN||130|%|||||F\r"), "plausible range"),
    ("letters.hl7", ORU.format(ctrl="C3", obx="OBX|1|NM|8867-4^HR^LN||seventy|/min|||||F\r"),
     "not a number"),
    ("truncated.hl7", ORU.format(ctrl="C4", obx="OBX|1|NM|8867-4^HR^LN||70|/min|||||F\r"
                                 "OBX|2|NM|59408-5^SpO2^LN||9"), "incomplete OBX"),
    ("badunit.hl7", ORU.format(ctrl="C5", obx="OBX|1|NM|8867-4^HR^LN||70|furlong|||||F\r"),
     "unknown unit"),
    ("garbage.hl7", b"MSH" + bytes(range(256)), "binary"),
    ("empty.hl7", b"", "empty"),
    ("truncated.json", '{"resourceType": "Observation", "status": "final", "code": {', "JSON"),
    ("letters.json", '{"resourceType":"Observation","status":"final","code":{"coding":[{"system'
     '":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/P-100"},'
     '"effectiveDateTime":"2024-05-01T10:00:00Z","valueQuantity":{"value":"fast"}}',
     "not a number"),
    ("latin1.json", '{"resourceType":"Patient","name":[{"text":"Jürgen"}]}'.encode("latin-1"),
     "not UTF-8"),
    ("empty.json", b"", "empty"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_INPUT,
                         ids=[b[0] for b in BAD_INPUT])
def test_bad_input_gives_a_reason_and_saves_nothing(
        store: Store, db_path: Path, tmp_path: Path, name: str, data: str | bytes,
        reason: str | None) -> None:
    sid = session_for(store)
    path = write(tmp_path, name, data)
    before = snapshot(db_path)
    with pytest.raises(ImportRejected) as rejected:
        import_file(store, path, into(sid))
    report = rejected.value.report
    assert report.rejected >= 1 and report.invalid
    if reason is not None:
        assert any(reason in str(e) for e in report.invalid), report.invalid
    assert snapshot(db_path) == before


def test_device_statuses_and_extra_columns_are_notices(store: Store, tmp_path: Path) -> None:
    sid = session_for(store)
    path = write(tmp_path, "m.hl7", ORU.format(
        ctrl="C1", obx="OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|||%|||||X\r"
                       "OBX|2|NM|8867-4^HR^LN||70|/min|||||F\rOBX|3|NM|59408-5^SpO2^LN||99|%|||||F\r"))
    report = import_file(store, path, into(sid))
    assert report.clean and report.new == 1
    assert "OBX-11 is X (cannot be obtained)" in report.notices[0].message
    assert dict(store.readings(sid)[0].values) == {Vital.HR: 70, Vital.SPO2: 99}
    extra = write(tmp_path, "extra.csv", "time,SBP,DBP,Temp\n2024-05-01T11:00:00Z,120,80,37\n")
    report = import_file(store, extra, into(sid))
    assert report.clean and report.new == 1
    assert report.notices[0].location == "line 1, column 'Temp'"


def test_skip_invalid_saves_only_the_valid_rows(store: Store, tmp_path: Path) -> None:
    sid = session_for(store)
    path = write(tmp_path, "mixed.csv", GOOD_CSV + "2024-05-01T10:10:00Z,abc,80,70\n"
                 "2024-05-01T10:15:00Z,130,400,70\n2024-05-01T10:20:00Z,118,78,66\n")
    report = import_file(store, path, into(sid, skip_invalid=True))
    assert (report.new, report.rejected) == (3, 2)
    assert [e.location for e in report.invalid] == ["line 4, column 'SBP'",
                                                    "line 5, column 'DBP'"]
    assert [r.values[Vital.SBP] for r in store.readings(sid)] == [120, 125, 118]
    [run] = store.import_runs(sid)
    assert (run["imported"], run["rejected"]) == (3, 2)


def test_notice_rules() -> None:
    assert is_notice(RowError("line 1, column 'ABP'", "invasive arterial pressure is not "
                              "charted (only non-invasive BP); column ignored"))
    assert not is_notice(RowError("line 1, column 'SBP [psi]'",
                                  "unknown unit 'psi' for Systolic BP; column ignored"))
    assert not is_notice(RowError("message M OBX 1", "8867-4 HR: OBX-11 is Q (unknown status); "
                                  "skipped"))
    assert not is_notice(RowError("message M OBX 2", "1500212 MDC_X: not a vital sign the "
                                  "monitor charts; skipped"))
    assert not is_notice(RowError("entry 1", "component 1234 x is not a vital sign the monitor "
                                  "charts; Systolic BP: no value; skipped"))


# --- routing --------------------------------------------------------------------------------


def test_csv_without_patient_needs_a_target(store: Store, db_path: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", GOOD_CSV)
    with pytest.raises(ImportRejected) as rejected:
        import_file(store, path)
    assert "2 readings do not say which patient" in str(rejected.value.report.invalid[0])
    report = import_file(store, path, ImportOptions(target=ImportTarget(patient_id="P-7")))
    assert report.sessions[0].created and report.sessions[0].patient_id == "P-7"


def test_readings_go_to_the_patients_active_session(store: Store, tmp_path: Path) -> None:
    sid = session_for(store, "P-100")
    two = (ORU.format(ctrl="A", obx="OBX|1|NM|8867-4^HR^LN||70|/min|||||F\r")
           + ORU.format(ctrl="B", obx="OBX|1|NM|8867-4^HR^LN||80|/min|||||F\r")
           .replace("P-100^^^", "P-200^^^").replace("120000", "120500"))
    report = import_file(store, write(tmp_path, "two.hl7", two))
    assert {(s.patient_id, s.created) for s in report.sessions} == {("P-100", False),
                                                                    ("P-200", True)}
    assert [r.values[Vital.HR] for r in store.readings(sid)] == [70]
    other = store.active_session_for_patient("P-200")
    assert other is not None and [r.values[Vital.HR] for r in store.readings(other.id or 0)] \
        == [80]


def test_closed_session_refuses_and_nothing_changes(store: Store, db_path: Path,
                                                    tmp_path: Path) -> None:
    sid = session_for(store)
    store.close_session(sid, by="AB")
    before = snapshot(db_path)
    with pytest.raises(SessionClosed):
        import_file(store, write(tmp_path, "v.csv", GOOD_CSV), into(sid))
    with pytest.raises(SessionClosed):
        preview_file(store, write(tmp_path, "v.csv", GOOD_CSV), into(sid))
    assert snapshot(db_path) == before


# --- preview, duplicates, cancel ------------------------------------------------------------


def test_preview_counts_and_writes_nothing(store: Store, db_path: Path, tmp_path: Path) -> None:
    sid = session_for(store)
    import_file(store, write(tmp_path, "first.csv", GOOD_CSV), into(sid))
    path = write(tmp_path, "more.csv", GOOD_CSV + "2024-05-01T10:10:00Z,abc,80,70\n"
                 "2024-05-01T10:15:00Z,130,85,70\n2024-05-01T10:15:00Z,130,85,70\n")
    before = snapshot(db_path)
    report = preview_file(store, path, into(sid))
    assert (report.new, report.duplicates, report.rejected) == (1, 3, 1)
    assert [str(e) for e in report.invalid] == ["line 4, column 'SBP': 'abc' is not a number"]
    assert not report.committed
    assert snapshot(db_path) == before


def test_importing_the_same_file_twice_adds_nothing(store: Store, db_path: Path,
                                                    tmp_path: Path) -> None:
    sid = session_for(store)
    path = write(tmp_path, "v.csv", csv_rows(2500))  # more than one batch
    first = import_file(store, path, into(sid))
    assert first.new == 2500
    before = snapshot(db_path)
    again = import_file(store, path, into(sid))
    assert (again.new, again.duplicates) == (0, 2500)
    assert snapshot(db_path) == before


def test_hand_charted_reading_with_the_same_time_and_values_is_a_duplicate(
        store: Store, tmp_path: Path) -> None:
    sid = session_for(store)
    store.add_reading(sid, new_reading(T0, {Vital.SBP: 120, Vital.DBP: 80, Vital.HR: 70},
                                       entered_by="AB"))
    report = import_file(store, write(tmp_path, "v.csv", GOOD_CSV), into(sid))
    assert (report.new, report.duplicates) == (1, 1)


def test_cancel_mid_import_leaves_the_database_unchanged(store: Store, db_path: Path,
                                                         tmp_path: Path) -> None:
    sid = session_for(store)
    import_file(store, write(tmp_path, "old.csv", GOOD_CSV), into(sid))
    path = write(tmp_path, "big.csv", csv_rows(9000, T0 + timedelta(days=1)))
    before = snapshot(db_path)
    progress: list[int] = []
    with pytest.raises(ImportCancelled):
        # Cancel once a third of the file is read: two batches are already written.
        import_file(store, path, into(sid), progress=lambda done, total: progress.append(done),
                    cancel=lambda: bool(progress) and progress[-1] > path.stat().st_size / 3)
    assert snapshot(db_path) == before
    assert import_file(store, path, into(sid)).new == 9000  # and it still works afterwards


def test_progress_reaches_the_file_size(store: Store, tmp_path: Path) -> None:
    sid = session_for(store)
    path = write(tmp_path, "v.csv", csv_rows(3000))
    seen: list[tuple[int, int]] = []
    import_file(store, path, into(sid), progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_bulk_commit_keeps_memory_bounded(store: Store) -> None:
    """The store side of an import holds one batch at a time, whatever the row count."""
    from monitor.io.parsed import imported_reading

    def batches(rows: int, offset: int):
        for first in range(0, rows, 500):
            yield [(ImportTarget(patient_id=f"P-{rows}"), imported_reading(
                T0 + timedelta(seconds=offset + i), {Vital.HR: 60 + i % 40},
                source=Source.IMPORT, detail="bench")) for i in range(first, first + 500)]

    def peak(rows: int) -> int:
        tracemalloc.start()
        try:
            totals = store.commit_import(batches(rows, rows))
            assert totals.imported == rows
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1500), peak(7500)
    assert large < small * 1.5  # five times the rows, about the same peak


# --- the canonical CSV ----------------------------------------------------------------------


def test_canonical_export_imports_losslessly(store: Store, tmp_path: Path) -> None:
    sid = session_for(store)
    kept = store.add_reading(sid, new_reading(T0, {Vital.SBP: 150, Vital.DBP: 90, Vital.HR: 88,
                                                   Vital.RR: 14, Vital.SPO2: 97},
                                              entered_by="AB", note="=after fall"))
    wrong = store.add_reading(sid, new_reading(T0 + timedelta(minutes=5), {Vital.HR: 200},
                                               entered_by="AB"))
    store.correct_reading(kept.id or 0, new_reading(T0, {Vital.SBP: 140, Vital.DBP: 85},
                                                    entered_by="CD"), "CD", "typo")
    store.mark_entered_in_error(wrong.id or 0, "AB", "artefact")
    store.add_reading(sid, Reading(T0 + timedelta(minutes=10), {Vital.MAP: 95},
                                   source=Source.DEVICE))

    def export(session_id: int) -> str:
        out = io.StringIO(newline="")
        write_canonical_csv(store.readings(session_id), out)
        return out.getvalue()

    exported = export(sid)
    path = write(tmp_path, "export.csv", exported)
    assert import_file(store, path, into(sid)).new == 0  # all already there
    copy = session_for(store, "P-COPY")
    report = import_file(store, path, into(copy))
    assert report.clean and report.new == 4
    assert export(copy) == exported
    statuses = [r.status for r in store.readings(copy)]
    assert statuses == [ReadingStatus.CORRECTED, ReadingStatus.VALID,
                        ReadingStatus.ENTERED_IN_ERROR, ReadingStatus.VALID]


def test_bulk_rows_match_the_rows_a_single_reading_gets(store: Store, db_path: Path) -> None:
    """The importer builds its rows itself for speed; they must equal what add_reading writes."""

    sid = session_for(store)
    reading = Reading(T0, {Vital.SBP: 150, Vital.DBP: 90, Vital.MAP: 110, Vital.HR: 88,
                           Vital.RR: 14, Vital.SPO2: 97}, source=Source.DEVICE, entered_by="AB",
                      note="n", source_detail="file.csv (CSV)", consciousness="A",
                      on_oxygen=True, temperature_c=37.2)
    store.add_reading(sid, reading)
    other = session_for(store, "P-200")
    store.commit_import([[(ImportTarget(session_id=other), reading)]])
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        single, bulk = (dict(r) for r in conn.execute("SELECT * FROM readings ORDER BY id"))
    ignored = {"id", "session_id", "recorded_at", "dedup_key", "import_id"}
    assert {k: v for k, v in single.items() if k not in ignored} == \
        {k: v for k, v in bulk.items() if k not in ignored}


def test_benchmark_prints_app_and_floor_rates_and_memory(monkeypatch, capsys) -> None:
    from monitor.bench import __main__ as bench
    from monitor.bench import import_csv, import_fhir, import_hl7

    monkeypatch.setattr(import_csv, "QUICK_SIZES", (300,))
    monkeypatch.setattr(import_csv, "SHAPES", {"comma": import_csv.SHAPES["comma"]})
    monkeypatch.setattr(import_hl7, "QUICK_SIZES", (50,))
    monkeypatch.setattr(import_fhir, "QUICK_SIZES", (40,))
    assert bench.main(["--quick", "import"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "== import"
    assert lines[1].startswith("CSV comma (semicolons, decimal commas), 300 rows")
    assert "rows/s" in lines[1] and "baseline" in lines[1] and ">= 0.5x floor" in lines[1]
    assert lines[2].startswith("  peak memory (max RSS), 300 rows") and "MB" in lines[2]
    assert lines[3].startswith("HL7 batch file, 50 readings") and ">= 0.5x floor" in lines[3]
    assert lines[4].startswith("  peak memory (max RSS), 50 readings")
    assert lines[5].startswith("FHIR Bundle, 40 readings") and ">= 0.5x floor" in lines[5]
    assert lines[6].startswith("  peak memory (max RSS), 40 readings")
    with pytest.raises(SystemExit):
        bench.main(["nonsense"])


def test_an_import_uses_a_bounded_page_cache_and_gives_it_back(store: Store) -> None:
    """SQLite's page cache is what an import's memory grows with: it is capped while the
    import writes, and the connection's own setting is back afterwards."""
    from monitor.io.parsed import imported_reading
    from monitor.store.imports import IMPORT_CACHE_KIB

    def cache_kib() -> int:
        return -store._db.conn.execute("PRAGMA cache_size").fetchone()[0]

    before = cache_kib()
    during: list[int] = []

    def batches():
        during.append(cache_kib())
        yield [(ImportTarget(patient_id="P-CACHE"), imported_reading(
            T0, {Vital.HR: 60}, source=Source.IMPORT, detail="test"))]

    store.commit_import(batches())
    assert during == [IMPORT_CACHE_KIB] and IMPORT_CACHE_KIB <= 16 * 1024
    assert cache_kib() == before


def test_a_file_overlapping_what_was_imported_adds_only_the_new_readings(
        store: Store, db_path: Path, tmp_path: Path) -> None:
    sid = session_for(store)
    import_file(store, write(tmp_path, "first.csv", csv_rows(2500)), into(sid))
    # Starts 1,200 s later (values repeat every 1,200 s): its first 1,300 rows are there.
    later = csv_rows(3000, start=T0 + timedelta(seconds=1200))
    report = import_file(store, write(tmp_path, "later.csv", later), into(sid))
    assert (report.new, report.duplicates) == (1700, 1300)
    times = [r.taken_at for r in store.readings(sid)]
    assert len(times) == len(set(times)) == 4200
    [listing] = [s for s in store.session_listings() if s.id == sid]
    assert listing.readings == 4200


def test_blocks_and_readings_repeated_across_and_within_batches_are_written_once(
        store: Store) -> None:
    """The store does not rely on the parser to find repeats: a block row repeated in the
    same batch, in a later batch, or as a single reading is a duplicate."""
    from monitor.domain.reading_blocks import ReadingBlock

    sid = session_for(store)
    target = ImportTarget(session_id=sid)

    def block(*minutes: int) -> ReadingBlock:
        b = ReadingBlock(Source.IMPORT, "f.csv (CSV)")
        for m in minutes:
            moment = T0 + timedelta(minutes=m)
            b.rows.append((m + 2, moment.isoformat(), moment.timestamp(),
                           (None, None, None, 60.0 + m, None, None), False))
        return b

    same_as_minute_1 = new_reading(T0 + timedelta(minutes=1), {Vital.HR: 61},
                                   source=Source.IMPORT)
    totals = store.commit_import([
        [(target, block(0, 1, 2)), (target, block(2, 3))],
        [(target, block(1, 4)), (target, same_as_minute_1)],
    ])
    assert (totals.imported, totals.duplicates) == (5, 3)
    assert [r.value(Vital.HR) for r in store.readings(sid)] == [60, 61, 62, 63, 64]


def test_rows_from_a_block_match_the_rows_of_the_same_readings(store: Store,
                                                               db_path: Path) -> None:
    from monitor.domain.reading_blocks import ReadingBlock

    values = {Vital.SBP: 150.0, Vital.DBP: 90.0, Vital.MAP: 110.0, Vital.HR: 88.0}
    one, other = session_for(store, "P-1"), session_for(store, "P-2")
    store.commit_import([[(ImportTarget(session_id=one), Reading(
        T0, values, source=Source.IMPORT, source_detail="f.csv (CSV)", map_derived=True))]])
    block = ReadingBlock(Source.IMPORT, "f.csv (CSV)")
    block.rows.append((2, T0.isoformat(), T0.timestamp(),
                       (150.0, 90.0, 110.0, 88.0, None, None), True))
    store.commit_import([[(ImportTarget(session_id=other), block)]])
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        from_reading, from_block = (dict(r) for r in conn.execute(
            "SELECT * FROM readings ORDER BY id"))
    ignored = {"id", "session_id", "recorded_at"}
    assert {k: v for k, v in from_reading.items() if k not in ignored} == \
        {k: v for k, v in from_block.items() if k not in ignored}


def test_databases_from_before_m007_lose_the_hashed_key_index(db_path: Path) -> None:
    with Store.open(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE UNIQUE INDEX readings_dedup ON readings (session_id, dedup_key) "
                     "WHERE dedup_key IS NOT NULL")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm007_duplicates_by_time'")
        conn.execute("PRAGMA user_version = 6")
    with Store.open(db_path) as store:
        assert store.pragma("user_version") >= 7
        indexes = {r["name"] for r in store._query(
            "SELECT name FROM sqlite_master WHERE type = 'index'", [])}
    assert "readings_dedup" not in indexes and "readings_session_time" in indexes


def test_a_blood_pressure_panel_missing_its_diastolic_imports_the_systolic(
        store: Store, tmp_path: Path) -> None:
    panel = {"resourceType": "Observation", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
             "subject": {"reference": "Patient/P-100"},
             "effectiveDateTime": "2024-05-01T10:00:00Z",
             "component": [
                 {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                  "valueQuantity": {"value": 141, "code": "mm[Hg]"}},
                 {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                  "dataAbsentReason": {"text": "cuff error"}}]}
    path = tmp_path / "bp.json"
    path.write_text(json.dumps(panel), encoding="utf-8")
    report = import_file(store, path)
    assert report.new == 1 and report.invalid == []
    assert "dataAbsentReason cuff error" in str(report.notices[0])
    session = store.active_session_for_patient("P-100")
    assert session is not None
    assert values_at(store, session.id or 0, datetime(2024, 5, 1, 10, tzinfo=UTC)) == {
        Vital.SBP: 141}
