"""Data exports: canonical CSV round trip, the JSON archive, the FHIR R4 Bundle."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient

from monitor.domain.readings import ReadingStatus, Source
from monitor.domain.sessions import Patient, Session
from monitor.io.csv_format import parse_csv
from monitor.io.export_data import (
    atomic_output,
    fhir_bundle,
    session_json,
    write_csv,
    write_fhir,
    write_json,
)
from monitor.io.fhir import parse_fhir
from monitor.store import Store
from tests.export_fixtures import PATIENT_ID, build_session, record_of


@pytest.fixture
def record(store: Store):
    return record_of(store, build_session(store))


def csv_text(rec) -> str:
    stream = io.StringIO(newline="")
    write_csv(rec, stream)
    return stream.getvalue()


def import_canonical(store: Store, session_id: int, data: bytes) -> None:
    """What a lossless importer does with a canonical CSV: keep each row's original source,
    record a corrected row's successor as its correction and re-mark entries in error."""
    parsed = parse_csv(data, name="export.csv")
    assert parsed.errors == []
    pending: dict = {}
    for item in parsed.readings:
        r = item.reading
        original = (r.extra or {}).get("original_source")
        plain = replace(r, source=Source(original) if original else r.source,
                        status=ReadingStatus.VALID)
        if r.status is ReadingStatus.VALID and r.taken_at in pending:
            store.correct_reading(pending.pop(r.taken_at), plain, plain.entered_by,
                                  "imported correction")
            continue
        saved = store.add_reading(session_id, plain)
        if r.status is ReadingStatus.CORRECTED:
            pending[r.taken_at] = saved.id
        elif r.status is ReadingStatus.ENTERED_IN_ERROR:
            store.mark_entered_in_error(saved.id, plain.entered_by or "X", "imported mark")


def test_csv_export_import_export_is_identical(record, tmp_path: Path):
    first = csv_text(record)
    fresh = Store.open(tmp_path / "fresh.sqlite")
    try:
        sid = fresh.create_session(Session(Patient("P-NEW")), by="JM").id
        import_canonical(fresh, sid, first.encode())
        again = csv_text(record_of(fresh, sid))
    finally:
        fresh.close()
    assert again == first
    assert len(first.splitlines()) == 1 + len(record.readings)


def test_csv_status_column_shows_corrections_and_entries_in_error(record):
    rows = list(csv.DictReader(io.StringIO(csv_text(record))))
    assert [r["status"] for r in rows].count("corrected") == 1
    assert [r["status"] for r in rows].count("entered-in-error") == 1
    corrected = next(r for r in rows if r["status"] == "corrected")
    assert corrected["hr"] == "177"
    successor = rows[rows.index(corrected) + 1]
    assert (successor["time"], successor["hr"], successor["status"]) == (
        corrected["time"], "77", "valid")
    assert list(rows[0]) == ["time", "sbp", "dbp", "map", "hr", "rr", "spo2", "source",
                             "entered_by", "status", "note"]
    assert rows[0]["time"] == "2024-05-01T08:45:00+02:00"


def test_json_archive_has_the_whole_session(record):
    data = json.loads(json.dumps(session_json(record)))
    assert set(data) >= {"session", "thresholds", "readings", "alerts", "events", "scores"}
    assert data["session"]["patient"]["identifier"] == PATIENT_ID
    assert data["session"]["infusion"]["dose_mg"] == 86
    assert data["thresholds"]["in_force"]["profile"]["limits"]["sbp"]["critical_high"] == 180
    statuses = {r["status"] for r in data["readings"]}
    assert statuses == {"valid", "corrected", "entered-in-error"}
    wrong = next(r for r in data["readings"] if r["status"] == "entered-in-error")
    assert (wrong["status_by"], wrong["status_reason"]) == ("AB", "Wrong patient")
    fix = next(r for r in data["readings"] if r["corrects"] is not None)
    assert fix["correction_reason"] == "Typing error" and fix["values"]["hr"] == 77


def test_json_alert_entries_name_priority_value_limit_and_acknowledgement(record):
    alerts = session_json(record)["alerts"]
    sbp = next(a for a in alerts if a["vital"] == "sbp")
    assert sbp["priority"] == "high"
    assert (sbp["value"], sbp["limit"], sbp["message"]) == (184, 180, "SBP 184 > 180 mmHg")
    assert sbp["acknowledged_by"] == "KL"
    assert sbp["acknowledged_at"] == "2024-05-01T09:41:00+02:00"
    assert sbp["raised_at"] == "2024-05-01T09:30:00+02:00" and sbp["resolved_at"]
    assert {a["priority"] for a in alerts} <= {"high", "medium", "low"}
    for key in ("vital", "priority", "raised_at", "value", "limit", "acknowledged_by",
                "acknowledged_at", "resolved_at"):
        assert all(key in a for a in alerts)


def test_json_events_and_scores(record):
    data = session_json(record)
    texts = [e["text"] for e in data["events"]]
    assert "Nausea: Ondansetron 4 mg IV" in texts and "infusion start" in texts
    assert data["scores"]["discharge"][0]["meets_criteria"] is True
    assert data["scores"]["sedation"][0]["score"] == -1
    assert len(data["scores"]["news2"]) == len(record.current_readings())
    assert all(n["partial"] for n in data["scores"]["news2"])  # consciousness not charted


def test_json_writer_writes_utf8_json(record, tmp_path: Path):
    path = tmp_path / "s.json"
    with path.open("w", encoding="utf-8") as stream:
        write_json(record, stream)
    assert json.loads(path.read_text(encoding="utf-8"))["format_version"] == 1


def test_fhir_bundle_validates_with_fhir_resources(record):
    data = fhir_bundle(record)
    Bundle.model_validate(data)
    kinds = {"Patient": FhirPatient, "Observation": Observation}
    for entry in data["entry"]:
        kinds[entry["resource"]["resourceType"]].model_validate(entry["resource"])


def test_fhir_blood_pressure_is_one_observation_with_two_components(record):
    observations = [e["resource"] for e in fhir_bundle(record)["entry"]
                    if e["resource"]["resourceType"] == "Observation"]
    bp = [o for o in observations if o["code"]["coding"][0]["code"] == "85354-9"]
    first = bp[0]
    assert [c["code"]["coding"][0]["code"] for c in first["component"]] == ["8480-6", "8462-4"]
    assert first["component"][0]["valueQuantity"] == {
        "value": 124, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
    assert first["category"][0]["coding"][0]["code"] == "vital-signs"
    assert first["subject"]["identifier"]["value"] == PATIENT_ID
    assert first["effectiveDateTime"] == "2024-05-01T08:45:00+02:00"
    codes = {o["code"]["coding"][0]["code"] for o in observations}
    assert codes == {"85354-9", "8867-4", "9279-1", "59408-5"}  # derived MAP is not sent
    hr = next(o for o in observations if o["code"]["coding"][0]["code"] == "8867-4")
    assert hr["valueQuantity"]["code"] == "/min"


def test_fhir_statuses_for_corrections_and_entries_in_error(record):
    observations = [e["resource"] for e in fhir_bundle(record)["entry"]
                    if e["resource"]["resourceType"] == "Observation"]
    by_status: dict[str, list] = {}
    for o in observations:
        by_status.setdefault(o["status"], []).append(o)
    assert set(by_status) == {"final", "corrected", "entered-in-error"}
    heart = [o["valueQuantity"]["value"] for o in observations
             if o["code"]["coding"][0]["code"] == "8867-4"]
    assert 177 not in heart  # the superseded typo is replaced by its correction
    assert any(n["text"] == "Entered in error: Wrong patient"
               for o in by_status["entered-in-error"] for n in o.get("note", []))


def test_fhir_export_reads_back_with_the_importer(record):
    stream = io.StringIO()
    write_fhir(record, stream)
    parsed = parse_fhir(stream.getvalue().encode(), name="bundle.json")
    current = {r.taken_at: dict(r.values) for r in record.current_readings()}
    back = {p.reading.taken_at: dict(p.reading.values) for p in parsed.readings}
    assert back == current
    assert parsed.patient_ids == {PATIENT_ID}
    assert any("entered-in-error" in str(e) for e in parsed.errors)


def test_fhir_ids_are_stable_between_exports(record):
    assert fhir_bundle(record)["entry"] == fhir_bundle(record)["entry"]


def test_atomic_output_leaves_nothing_when_writing_fails(tmp_path: Path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_output(target) as temp:
        temp.write_text("half")
        raise RuntimeError("disk gone")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_refuses_a_missing_folder(tmp_path: Path):
    with pytest.raises(OSError), atomic_output(tmp_path / "no" / "such" / "out.csv"):
        pass

