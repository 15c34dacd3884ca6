"""FHIR out that a server accepts: a transaction of conditional PUTs besides the
collection, the R4 vital-signs profiles claimed and met, SpO2 coded 59408-5 and 2708-6,
LOINC's display names, a Patient identifier with a (configurable) system. Checked with
fhir.resources (structure) and monitor.io.fhir_rules (the profile and transaction rules)."""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.bundle import Bundle

from monitor.io.export_data import (
    DEFAULT_PATIENT_ID_SYSTEM,
    LOINC_DISPLAY,
    FhirOptions,
    fhir_bundle,
)
from monitor.io.fhir import parse_fhir
from monitor.io.fhir_rules import transaction_problems, vital_sign_problems
from monitor.store import Store
from tests.export_fixtures import PATIENT_ID, build_session, record_of

MRN = "https://hospital.example/fhir/mrn"


@pytest.fixture
def record(store: Store):
    return record_of(store, build_session(store))


def observations(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Observation"]


def codes(observation: dict) -> list[str]:
    return [c["code"] for c in observation["code"]["coding"]]


@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
def test_every_observation_meets_the_vital_signs_profiles_it_claims(record, bundle_type):
    bundle = fhir_bundle(record, FhirOptions(bundle_type))
    Bundle.model_validate(bundle)
    for observation in observations(bundle):
        assert vital_sign_problems(observation) == []
        assert observation["meta"]["profile"][0] == \
            "http://hl7.org/fhir/StructureDefinition/vitalsigns"
    claimed = {p for o in observations(bundle) for p in o["meta"]["profile"]}
    assert {"http://hl7.org/fhir/StructureDefinition/bp",
            "http://hl7.org/fhir/StructureDefinition/heartrate",
            "http://hl7.org/fhir/StructureDefinition/resprate",
            "http://hl7.org/fhir/StructureDefinition/oxygensat"} <= claimed


def test_spo2_is_coded_59408_5_and_2708_6_with_loincs_display_names(record):
    for observation in observations(fhir_bundle(record)):
        for coding in observation["code"]["coding"]:
            assert coding["display"] == LOINC_DISPLAY[coding["code"]]
    spo2 = [o for o in observations(fhir_bundle(record)) if "59408-5" in codes(o)]
    assert spo2 and all(codes(o) == ["59408-5", "2708-6"] for o in spo2)
    assert LOINC_DISPLAY["8480-6"] == "Systolic blood pressure"


def test_the_patient_identifier_has_a_system_the_site_can_set(record):
    default = fhir_bundle(record)["entry"][0]["resource"]
    assert default["identifier"] == [{"system": DEFAULT_PATIENT_ID_SYSTEM, "value": PATIENT_ID}]
    bundle = fhir_bundle(record, FhirOptions(patient_id_system=MRN))
    assert bundle["entry"][0]["resource"]["identifier"] == [{"system": MRN, "value": PATIENT_ID}]
    assert all(o["subject"]["identifier"]["system"] == MRN for o in observations(bundle))


def test_a_transaction_is_conditional_puts_a_server_accepts(record):
    bundle = fhir_bundle(record, FhirOptions("transaction", MRN))
    assert bundle["type"] == "transaction"
    Bundle.model_validate(bundle)
    assert transaction_problems(bundle) == []
    patient_entry = bundle["entry"][0]
    assert patient_entry["request"] == {
        "method": "PUT", "url": f"Patient?identifier={MRN}|{PATIENT_ID}"}
    for entry in bundle["entry"][1:]:
        assert entry["request"]["method"] == "PUT"
        assert entry["request"]["url"].startswith("Observation?identifier=urn:ietf:rfc:3986|")
        assert entry["resource"]["subject"]["reference"] == patient_entry["fullUrl"]


def test_sending_the_session_again_updates_the_same_observations(record):
    first = fhir_bundle(record, FhirOptions("transaction"))
    again = fhir_bundle(record, FhirOptions("transaction"))
    assert [e["request"]["url"] for e in first["entry"]] == \
        [e["request"]["url"] for e in again["entry"]]


def test_a_correction_updates_the_observation_of_the_value_it_corrects(record):
    corrected = [o for o in observations(fhir_bundle(record)) if o["status"] == "corrected"]
    assert corrected
    original = next(r for r in record.readings if r.status.value == "corrected")
    correction = next(r for r in record.readings if r.supersedes == original.id)
    from monitor.io.export_data import _stable_id  # the id the original was sent with
    sent_before = _stable_id(record.session.patient.identifier, record.session_id,
                             original.id, "hr")
    assert correction.values  # the correction is exported under the original's identity
    assert any(o["id"] == sent_before for o in corrected)


def test_the_transaction_still_reads_back_with_the_importer(record):
    import json

    data = json.dumps(fhir_bundle(record, FhirOptions("transaction"))).encode()
    parsed = parse_fhir(data, name="transaction.json")
    current = {r.taken_at: dict(r.values) for r in record.current_readings()}
    assert {p.reading.taken_at: dict(p.reading.values) for p in parsed.readings} == current


@pytest.mark.parametrize(("change", "problem"), [
    (lambda o: o["meta"].update(profile=[]), "does not claim"),
    (lambda o: o.update(status="done"), "status 'done'"),
    (lambda o: o.update(category=[]), "no vital-signs category"),
    (lambda o: o.update(effectiveDateTime="2024-05-01T08:45"), "vs-1"),
    (lambda o: o["component"].pop(), "needs component 8462-4"),
    (lambda o: o["component"][0]["valueQuantity"].update(code="mmHg"), "UCUM 'mm[Hg]'"),
    (lambda o: o.update(code={"coding": [{"system": "http://loinc.org", "code": "1-8"}]}),
     "needs LOINC 85354-9"),
])
def test_the_profile_rules_name_what_a_server_would_refuse(record, change, problem):
    bp = next(o for o in observations(fhir_bundle(record)) if "85354-9" in codes(o))
    broken = copy.deepcopy(bp)
    change(broken)
    assert any(problem in p for p in vital_sign_problems(broken)), vital_sign_problems(broken)


@pytest.mark.parametrize(("change", "problem"), [
    (lambda b: b.update(type="collection"), "not transaction"),
    (lambda b: b["entry"][1].pop("request"), "no request method"),
    (lambda b: b["entry"][1]["request"].update(url="Observation?identifier=x|y"),
     "does not name the resource's identifier"),
    (lambda b: b["entry"][1]["resource"]["subject"].update(reference="urn:uuid:nobody"),
     "is not in the Bundle"),
    (lambda b: b["entry"][1]["resource"].update(id="abc"), "must not carry an id"),
])
def test_the_transaction_rules_name_what_a_server_would_refuse(record, change, problem):
    broken = fhir_bundle(record, FhirOptions("transaction"))
    change(broken)
    assert any(problem in p for p in transaction_problems(broken)), transaction_problems(broken)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"bundle_type": "batch"}, "bundle type 'batch' is not one of collection, transaction"),
    ({"patient_id_system": "my hospital"}, "is not a URI"),
    ({"patient_id_system": ""}, "is not a URI"),
])
def test_bad_fhir_options_are_refused_with_a_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FhirOptions(**kwargs)
