"""De-identified exports: no name, date of birth or identifier; a stable pseudonym."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from monitor.domain.sessions import Patient
from monitor.io.deidentify import (
    KEY_ENVIRONMENT,
    REMOVED,
    age_band,
    deidentify,
    pseudonym,
)
from monitor.io.export_data import fhir_bundle, session_json, write_csv
from monitor.store import Store
from tests.export_fixtures import DOB, NAME, PATIENT_ID, build_session, record_of


@pytest.fixture
def record(store: Store):
    return record_of(store, build_session(store))


def all_text(rec) -> str:
    stream = io.StringIO(newline="")
    write_csv(rec, stream)
    return (json.dumps(session_json(rec)) + json.dumps(fhir_bundle(rec)) + stream.getvalue())


def test_identifying_fields_are_in_a_normal_export(record):
    text = all_text(record)
    assert PATIENT_ID in text and NAME in text and DOB.isoformat() in text


def test_deidentified_exports_contain_no_name_dob_or_identifier(record):
    anonymous = deidentify(record)
    text = all_text(anonymous)
    for secret in (PATIENT_ID, NAME, "Maria", "Example", DOB.isoformat(), "1978"):
        assert secret not in text
    assert pseudonym(PATIENT_ID) in text
    data = session_json(anonymous)
    assert data["deidentified"] is True
    assert data["session"]["patient"] == {"identifier": pseudonym(PATIENT_ID),
                                          "pseudonymised": True, "age_band": "40-49"}


def test_free_text_mentioning_the_patient_is_scrubbed(record):
    notes = [r.note for r in deidentify(record).readings]
    assert f"{REMOVED} reports dissociation" in notes
    assert "Rechecked, physician informed" in notes  # nothing else is touched


def test_vitals_times_and_statuses_are_kept(record):
    anonymous = deidentify(record)
    assert [(r.taken_at, dict(r.values), r.status) for r in anonymous.readings] == [
        (r.taken_at, dict(r.values), r.status) for r in record.readings]
    assert anonymous.session.weight_kg == 72


def test_pseudonym_is_stable_and_distinct():
    assert pseudonym("P-4711") == pseudonym(" P-4711 ")
    assert pseudonym("P-4711") != pseudonym("P-4712")
    assert pseudonym("P-4711").startswith("ANON-") and len(pseudonym("P-4711")) == 17


def test_site_key_changes_the_pseudonym(monkeypatch: pytest.MonkeyPatch):
    built_in = pseudonym("P-4711")
    monkeypatch.setenv(KEY_ENVIRONMENT, "our site secret")
    assert pseudonym("P-4711") != built_in
    monkeypatch.setenv(KEY_ENVIRONMENT, "   ")  # blank means not set
    assert pseudonym("P-4711") == built_in


@pytest.mark.parametrize(("patient", "band"), [
    (Patient("x", date_of_birth=date(1978, 5, 2)), "40-49"),  # 45 on the day
    (Patient("x", date_of_birth=date(1974, 5, 1)), "50-59"),  # birthday that day
    (Patient("x", age_years=9), "0-9"),
    (Patient("x", age_years=93), "90+"),
    (Patient("x"), None),
])
def test_age_band(patient: Patient, band: str | None):
    assert age_band(patient, date(2024, 5, 1)) == band


def test_deidentifying_twice_changes_nothing_more(record):
    once = deidentify(record)
    assert deidentify(once) is once


def test_short_name_parts_do_not_eat_words(store: Store):
    from dataclasses import replace

    rec = record_of(store, build_session(store))
    rec = replace(rec, session=replace(rec.session, patient=Patient("P-1", "Al Li")))
    notes = [r.note for r in deidentify(rec).readings]
    assert "Rechecked, physician informed" in notes
