"""FHIR R4 Observation and Bundle import."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.domain.vitals import Vital
from monitor.io.fhir import LOINC_SYSTEM, MDC_SYSTEM, parse_fhir

BERLIN = ZoneInfo("Europe/Berlin")
SYNTHEA = "synthea-derived__Gloria696_vitals-subset_bundle.json"


def load(shared: Path, name: str) -> bytes:
    return (shared / "fhir-r4" / name).read_bytes()


def parse(doc: Any, **kwargs):
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    kwargs.setdefault("default_tz", UTC)
    return parse_fhir(data, name="obs.json", **kwargs)


def values(result) -> list[dict[Vital, float]]:
    return [dict(p.reading.values) for p in result.readings]


def quantity(value: Any, code: str = "/min", unit: str | None = None) -> dict[str, Any]:
    q = {"value": value, "system": "http://unitsofmeasure.org", "code": code}
    if unit is not None:
        q["unit"] = unit
    return q


def observation(code: str = "8867-4", value: Any = 72, *, unit: str = "/min",
                when: str = "2024-05-01T10:00:00+02:00", system: str = LOINC_SYSTEM,
                **more: Any) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"o-{code}-{value}",
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
    }
    if value is not None:
        obs["valueQuantity"] = quantity(value, unit)
    obs.update(more)
    return obs


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind,
            "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r}
                      for i, r in enumerate(resources)]}


def bp(sys_value: Any = 120, dia_value: Any = 80, *, unit: str = "mm[Hg]",
       reverse: bool = False, **more: Any) -> dict[str, Any]:
    components = [
        {"code": {"coding": [{"system": LOINC_SYSTEM, "code": "8480-6"}]},
         "valueQuantity": quantity(sys_value, unit)},
        {"code": {"coding": [{"system": LOINC_SYSTEM, "code": "8462-4"}]},
         "valueQuantity": quantity(dia_value, unit)},
    ]
    obs = observation("85354-9", None, component=components[::-1] if reverse else components)
    obs.update(more)
    return obs


# --- real samples ----------------------------------------------------------------------------


def test_r4_core_blood_pressure_date_only_is_rejected_by_default(shared_fixtures: Path):
    result = parse(load(shared_fixtures, "r4core__observation-example-bloodpressure.json"))
    assert result.readings == []
    [error] = result.errors
    assert error.location == "Observation/blood-pressure"
    assert error.message.startswith("SBP 107, DBP 60: effective time '2012-09-17' is a date "
                                    "without a time of day")
    assert result.patient_ids == {"example"}


def test_r4_core_blood_pressure_as_midnight_when_asked(shared_fixtures: Path):
    result = parse(load(shared_fixtures, "r4core__observation-example-bloodpressure.json"),
                   default_tz=BERLIN, date_only_as_midnight=True)
    [parsed] = result.readings
    r = parsed.reading
    assert dict(r.values) == {Vital.SBP: 107, Vital.DBP: 60, Vital.MAP: 75.7}
    assert r.map_derived
    assert r.taken_at == datetime(2012, 9, 17, tzinfo=BERLIN)
    assert r.extra["time_precision"] == "date"
    assert parsed.patient_id == "example"
    assert r.source_detail == "obs.json (FHIR R4)"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("r4core__observation-example-heart-rate.json", {Vital.HR: 44}),
        ("r4core__observation-example-respiratory-rate.json", {Vital.RR: 26}),
        ("uscore9__blood-pressure.json", {Vital.SBP: 109, Vital.DBP: 44, Vital.MAP: 65.7}),
        ("uscore9__oxygen-saturation.json", {Vital.SPO2: 99}),
    ],
)
def test_date_only_core_and_us_core_examples(shared_fixtures: Path, name, expected):
    result = parse(load(shared_fixtures, name), date_only_as_midnight=True)
    assert result.errors == []
    assert values(result) == [expected]
    assert result.readings[0].reading.taken_at == datetime(1999, 7, 2, tzinfo=UTC)
    assert result.readings[0].patient_id == "example"
    rejected = parse(load(shared_fixtures, name))
    assert rejected.readings == [] and "'1999-07-02' is a date" in rejected.errors[0].message


def test_r4_core_sat_o2_with_offset_and_device(shared_fixtures: Path):
    result = parse(load(shared_fixtures, "r4core__observation-example-satO2.json"))
    assert result.errors == []
    [parsed] = result.readings
    assert dict(parsed.reading.values) == {Vital.SPO2: 95}
    assert parsed.reading.taken_at == datetime(2014, 12, 5, 9, 30, 10,
                                               tzinfo=timezone(timedelta(hours=1)))
    assert parsed.reading.source_detail == "obs.json (FHIR R4), device DeviceMetric/example"
    assert parsed.location == "Observation/satO2"


def test_vitals_panel_with_only_members_is_reported(shared_fixtures: Path):
    result = parse(load(shared_fixtures, "r4core__observation-example-vitals-panel.json"))
    assert result.readings == []
    [error] = result.errors
    assert error.location == "Observation/vitals-panel"
    assert "hasMember" in error.message


def test_panel_and_its_members_in_one_bundle(shared_fixtures: Path):
    names = ["r4core__observation-example-vitals-panel.json",
             "r4core__observation-example-heart-rate.json",
             "r4core__observation-example-respiratory-rate.json"]
    doc = bundle(*(json.loads(load(shared_fixtures, n)) for n in names), kind="searchset")
    result = parse(doc, date_only_as_midnight=True)
    # Heart rate and respiratory rate share patient and time: one reading.
    assert values(result) == [{Vital.HR: 44, Vital.RR: 26}]
    assert result.readings[0].location == "entries 2, 3"
    assert "hasMember" in result.errors[0].message


def test_synthea_transaction_bundle(shared_fixtures: Path):
    result = parse(load(shared_fixtures, SYNTHEA))
    patient = "7d5833ca-50c4-8891-dc81-89cce6fed8a8"
    assert result.patient_ids == {patient}
    assert len(result.readings) == 21
    first = result.readings[0]
    # Diastolic is listed before systolic in Synthea's components.
    assert dict(first.reading.values) == {Vital.SBP: 100, Vital.DBP: 74, Vital.MAP: 82.7,
                                          Vital.HR: 70, Vital.RR: 13}
    assert first.reading.taken_at == datetime(2017, 1, 25, 18, 52, 6,
                                              tzinfo=timezone(timedelta(hours=-5)))
    assert first.location == "entries 3, 4, 5"
    assert first.patient_id == patient
    offsets = {p.reading.taken_at.utcoffset() for p in result.readings}
    assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}  # DST
    assert [e.message.split(":")[0] for e in result.errors] == [
        "code 29463-7 'Body Weight' is not a vital sign the monitor charts",
        "code 8310-5 'Body temperature' is not a vital sign the monitor charts",
    ]
    assert "21 observations skipped" in result.errors[0].message


# --- bundles, codes, units, patients ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["collection", "transaction", "searchset", "batch"])
def test_bundle_types(kind):
    later = bp(effectiveDateTime="2024-05-01T10:05:00+02:00")
    result = parse(bundle(observation(), later, kind=kind))
    assert values(result) == [{Vital.HR: 72},
                              {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 93.3}]
    assert result.readings[0].location == "entry 1 (Observation/o-8867-4-72)"


def test_mdc_codes_and_measured_map_component():
    spo2 = observation("150456", 97, unit="%", system=MDC_SYSTEM)
    pressure = bp(130, 85)
    pressure["component"].append({"code": {"coding": [{"system": LOINC_SYSTEM,
                                                       "code": "8478-0"}]},
                                  "valueQuantity": quantity(99, "mm[Hg]")})
    result = parse(bundle(spo2, pressure))
    assert values(result) == [{Vital.SPO2: 97, Vital.SBP: 130, Vital.DBP: 85, Vital.MAP: 99}]
    assert not result.readings[0].reading.map_derived


def test_units_kpa_and_annotated_beats():
    hr = observation(value=72, unit="{beats}/min")
    pressure = bp(16, 10, unit="kPa")
    result = parse(bundle(hr, pressure))
    assert values(result) == [{Vital.HR: 72, Vital.SBP: 120.0, Vital.DBP: 75.0,
                               Vital.MAP: 90.0}]


def test_subject_identifier_and_bundle_patient():
    patient = {"resourceType": "Patient", "id": "p1",
               "identifier": [{"system": "x", "value": "first"},
                              {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-9"}]}
    by_ref = observation()
    by_ident = observation(value=80, when="2024-05-01T11:00:00+02:00",
                           subject={"identifier": {"value": "OTHER-1"}})
    result = parse(bundle(patient, by_ref, by_ident))
    assert [p.patient_id for p in result.readings] == ["MRN-9", "OTHER-1"]
    assert result.patient_ids == {"MRN-9", "OTHER-1"}


def test_ndjson_lines():
    text = "\n".join(json.dumps(o) for o in (observation(), observation("9279-1", 14)))
    result = parse(text.encode())
    assert values(result) == [{Vital.HR: 72, Vital.RR: 14}]
    assert result.readings[0].location == "line 1, line 2"


def test_naive_time_takes_the_callers_zone():
    result = parse(observation(when="2024-01-15T10:00:00"), default_tz=BERLIN)
    assert result.readings[0].reading.taken_at == datetime(2024, 1, 15, 10, tzinfo=BERLIN)


def test_same_patient_and_time_identical_twice_is_one_value():
    result = parse(bundle(observation(), observation()))
    assert values(result) == [{Vital.HR: 72}]
    assert result.errors == []


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "words"),
    [
        (observation(value="fast"), '"fast" is not a number'),
        (observation(value=72, unit="furlongs"), "unknown unit 'furlongs'"),
        (observation(value=None, valueString="72"), "valueString is not a quantity"),
        (observation(value=None, dataAbsentReason={"text": "asked but declined"}),
         "no value (dataAbsentReason asked but declined)"),
        (observation(value=400), "outside the plausible range"),
        (bp(80, 90), "must be below systolic"),
        (observation(when="2024-05"), "only a year or month"),
        (observation(when="yesterday"), "not a FHIR dateTime"),
        (observation(status="entered-in-error"), "status 'entered-in-error'"),
    ],
)
def test_bad_observations_are_reported(resource, words):
    result = parse(bundle(resource))
    assert result.readings == []
    assert result.errors[0].location.startswith("entry 1 (Observation/")
    assert words in result.errors[0].message


def test_contradicting_values_for_one_time_are_not_imported():
    result = parse(bundle(observation(), observation(value=90), observation("9279-1", 12)))
    assert values(result) == [{Vital.RR: 12}]
    assert result.errors[0].location == "entry 2 (Observation/o-8867-4-90)"
    assert "contradicts 72" in result.errors[0].message


def test_unknown_codes_are_counted_once_per_code():
    temp = [observation("8310-5", 36.6 + i / 10, unit="Cel") for i in range(3)]
    result = parse(bundle(*temp))
    [error] = result.errors
    assert error.location == "entry 1 (Observation/o-8310-5-36.6)"
    assert "3 observations skipped (1, 2, 3)" in error.message


def test_truncated_json(shared_fixtures: Path):
    data = load(shared_fixtures, SYNTHEA)
    result = parse(data[: len(data) // 2])
    assert result.readings == []
    assert result.errors[0].message.startswith("not valid JSON")
    assert result.errors[0].message.endswith("(the file may be cut off); the file is refused "
                                              "and nothing was imported")
    assert result.errors[0].location.startswith("entry ") and ", line " in \
        result.errors[0].location


def test_wrong_encodings_and_garbage():
    latin1 = json.dumps(observation(note=[{"text": "schläfrig"}]),
                        ensure_ascii=False).encode("latin-1")
    assert "not UTF-8" in parse(latin1).errors[0].message
    utf16 = json.dumps(observation()).encode("utf-16")
    assert "UTF-16" in parse(utf16).errors[0].message
    garbage = parse(bytes(range(256)))
    assert garbage.readings == [] and garbage.errors


def test_empty_and_non_fhir_json():
    assert [str(e) for e in parse(b"").errors] == ["file: the file is empty"]
    assert "no resourceType" in parse(b"[1, 2]").errors[0].message
    assert "no resourceType" in parse(b'{"a": 1}').errors[0].message
    patient_only = parse({"resourceType": "Patient", "id": "x"})
    assert [str(e) for e in patient_only.errors] == ["file: no Observation resources"]


def test_malformed_shapes_do_not_raise():
    odd = observation(code=None)
    odd["code"] = ["not", "an", "object"]
    odd["component"] = "nope"
    odd["subject"] = 7
    result = parse(bundle(odd, {"resourceType": "Observation", "status": "final",
                                "code": {"coding": [{"system": LOINC_SYSTEM,
                                                     "code": "8867-4"}]},
                                "valueQuantity": []}))
    assert result.readings == []
    assert len(result.errors) == 2


# --- issue 13: cuff pressure codes; what is not charted never loses the rest -------------------


def mdc(code: str, value: Any, unit: str = "mm[Hg]") -> dict[str, Any]:
    return {"code": {"coding": [{"system": MDC_SYSTEM, "code": code}]},
            "valueQuantity": quantity(value, unit)}


def test_a_cuff_pressure_panel_coded_in_mdc_charts_its_blood_pressure():
    panel = observation("150300", None, system=MDC_SYSTEM, component=[
        mdc("150301", 128), mdc("150302", 82), mdc("150303", 97)])
    result = parse(panel)
    assert result.errors == []
    assert values(result) == [{Vital.SBP: 128, Vital.DBP: 82, Vital.MAP: 97}]


def test_a_diastolic_with_data_absent_reason_keeps_the_systolic():
    panel = bp(132, 80)
    panel["component"][1] = {"code": panel["component"][1]["code"],
                             "dataAbsentReason": {"text": "cuff error"}}
    result = parse(panel)
    assert values(result) == [{Vital.SBP: 132}]
    [notice] = result.errors
    assert notice.is_notice
    assert notice.location.endswith("component 2")
    assert "Diastolic BP: no value (dataAbsentReason cuff error)" in notice.message


def test_an_uncharted_component_keeps_the_charted_ones():
    panel = bp(118, 76)
    panel["component"].append({
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "33586001",
                             "display": "Sitting position"}]},
        "valueCodeableConcept": {"text": "sitting"}})
    panel["component"].append(mdc("150364", 36.8, "Cel"))
    result = parse(panel)
    assert values(result) == [{Vital.SBP: 118, Vital.DBP: 76, Vital.MAP: 90}]
    assert [(e.location.split(", ")[-1], e.is_notice) for e in result.errors] == [
        ("component 3", True), ("component 4", True)]
    assert "temperature is not charted" in result.errors[1].message


def test_an_unlisted_component_named_like_a_vital_is_an_error_the_rest_kept():
    panel = bp(118, 76)
    panel["component"].append({"code": {"coding": [{"system": "urn:x", "code": "hr",
                                                     "display": "Pulse rate"}]},
                               "valueQuantity": quantity(70)})
    result = parse(panel)
    assert values(result) == [{Vital.SBP: 118, Vital.DBP: 76, Vital.MAP: 90}]
    [error] = result.errors
    assert not error.is_notice and "display names a vital sign" in error.message


def test_a_temperature_in_the_bundle_keeps_spo2_and_heart_rate():
    result = parse(bundle(observation("8310-5", 37.1, unit="Cel"),
                          observation("59408-5", 97, unit="%"), observation("8867-4", 70)))
    assert values(result) == [{Vital.SPO2: 97, Vital.HR: 70}]
    assert [e.is_notice for e in result.errors] == [True]
