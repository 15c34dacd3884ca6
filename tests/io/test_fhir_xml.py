"""FHIR XML: the same resources as FHIR JSON, read the same way, one entry at a time.

The strongest check is that every real FHIR JSON file (the corpus and the shared fixtures),
written as XML by the independent writer in ``tests/fhir_xml_writer.py``, imports with the
command a user runs to exactly the same readings and messages."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.io import fhir, fhir_xml
from monitor.io.detect import detect_format
from monitor.io.fhir import iter_fhir_stream, parse_fhir
from monitor.io.limits import Limit
from monitor.io.parsed import FHIR, RowError
from monitor.store import Store
from tests.fhir_xml_writer import to_xml

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "fhir-r4"
EXPECTED = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))["files"]
REAL_JSON = [REAL / name for name, e in EXPECTED.items()
             if e["format"].startswith("FHIR") and name.endswith(".json")]
SHARED_JSON = sorted(SHARED.glob("*.json")) if SHARED.is_dir() else []

NS = 'xmlns="http://hl7.org/fhir"'
HR_OBSERVATION = f"""<Observation {NS}>
  <id value="hr-1"/>
  <status value="final"/>
  <code><coding><system value="http://loinc.org"/><code value="8867-4"/></coding></code>
  <subject><identifier><value value="00123"/></identifier></subject>
  <effectiveDateTime value="2024-05-01T10:00:00+02:00"/>
  <valueQuantity><value value="72"/><unit value="/min"/><code value="/min"/></valueQuantity>
</Observation>"""


def _entry(resource_xml: str, full_url: str = "") -> str:
    url = f'<fullUrl value="{full_url}"/>' if full_url else ""
    return f"<entry>{url}<resource>{resource_xml.replace(f' {NS}', '')}</resource></entry>"


def _bundle(*entries: str) -> str:
    return f'<Bundle {NS}><type value="collection"/>{"".join(entries)}</Bundle>'


def _import(tmp_path: Path, name: str, content: str | bytes, *options: str
            ) -> tuple[int, str, list[Any]]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    db = tmp_path / f"{name}.sqlite"
    status = main(["import", str(path), "--db", str(db), *options])
    readings = []
    if db.exists():
        with Store.open(db) as store:
            for session in store.sessions():
                readings += [(session.patient.identifier, r.taken_at, dict(r.values),
                              r.map_derived) for r in store.readings(session.id or 0)]
    return status, name, sorted(readings, key=repr)


# --- the mapping from XML to the JSON shape


def _as_dict(xml: str) -> dict[str, Any]:
    items = list(fhir_xml.resources(io.BytesIO(xml.encode()), b""))
    assert len(items) == 1
    return items[0][0]


def test_primitives_numbers_and_arrays_take_their_json_shape() -> None:
    got = _as_dict(HR_OBSERVATION)
    assert got["resourceType"] == "Observation" and got["id"] == "hr-1"
    assert got["code"] == {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}
    assert got["valueQuantity"]["value"] == 72 and isinstance(got["valueQuantity"]["value"],
                                                              int)
    # Reference.identifier is one Identifier, and its value stays text (leading zeros kept).
    assert got["subject"] == {"identifier": {"value": "00123"}}


def test_decimals_booleans_and_values_that_are_not_numbers() -> None:
    got = _as_dict(f"""<Observation {NS}>
      <valueQuantity><value value="36.60"/></valueQuantity>
      <component><valueBoolean value="true"/></component>
      <component><valueQuantity><value value="1,5"/></valueQuantity></component>
      <identifier><value value="7"/></identifier>
    </Observation>""")
    assert got["valueQuantity"]["value"] == 36.6
    assert got["component"][0] == {"valueBoolean": True}
    assert got["component"][1]["valueQuantity"]["value"] == "1,5"
    assert got["identifier"] == [{"value": "7"}]  # 0..* on a resource: an array


def test_extensions_narrative_and_contained_resources() -> None:
    got = _as_dict(f"""<Observation {NS}>
      <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">72</div></text>
      <extension url="http://example.org/posture"><valueString value="sitting"/></extension>
      <contained><Device><id value="d1"/></Device></contained>
      <status value="final"/>
    </Observation>""")
    assert got["text"] == {"status": "generated"}
    assert got["extension"] == [{"url": "http://example.org/posture", "valueString": "sitting"}]
    assert got["contained"] == [{"resourceType": "Device", "id": "d1"}]


def test_an_element_named_twice_becomes_an_array() -> None:
    got = _as_dict(f"""<Observation {NS}><method><text value="a"/></method>
      <method><text value="b"/></method></Observation>""")
    assert got["method"] == [{"text": "a"}, {"text": "b"}]


def test_xml_is_detected_by_content_and_by_name() -> None:
    assert detect_format("obs.txt", b'<?xml version="1.0"?><Observation') == FHIR
    assert detect_format("obs.xml", b"") == FHIR
    assert detect_format("export.csv", b"time,HR\n") != FHIR


# --- through the command a user runs


def _referring_to(reference: str) -> str:
    """The heart-rate Observation with its subject given as a reference."""
    return HR_OBSERVATION.replace(
        "<subject><identifier><value value=\"00123\"/></identifier></subject>",
        f'<subject><reference value="{reference}"/></subject>')


def test_a_bundle_in_xml_imports_with_its_patient(tmp_path: Path) -> None:
    patient = (f'<Patient {NS}><id value="p1"/><identifier><type><coding><code value="MR"/>'
               '</coding></type><value value="MRN-9"/></identifier></Patient>')
    observation = _referring_to("urn:uuid:p1")
    later = observation.replace("10:00:00", "10:05:00").replace("72", "80")
    status, _, readings = _import(tmp_path, "bundle.xml", _bundle(
        _entry(patient, "urn:uuid:p1"), _entry(observation), _entry(later)))
    assert status == 0
    assert [(p, v) for p, _, v, _ in readings] == [("MRN-9", {fhir.Vital.HR: 72.0}),
                                                  ("MRN-9", {fhir.Vital.HR: 80.0})]


def test_a_patient_after_its_observations_is_read_ahead_in_xml(tmp_path: Path) -> None:
    patient = (f'<Patient {NS}><id value="p1"/><identifier><value value="MRN-LATE"/>'
               "</identifier></Patient>")
    observation = _referring_to("Patient/p1")
    status, _, readings = _import(tmp_path, "late.xml", _bundle(
        _entry(observation), _entry(patient)))
    assert status == 0 and [r[0] for r in readings] == ["MRN-LATE"]


def test_a_bad_value_names_the_entry_and_keeps_the_others(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    bad = HR_OBSERVATION.replace('<value value="72"/>', '<value value="high"/>').replace(
        "hr-1", "hr-bad").replace("10:00:00", "10:05:00")
    status, _, readings = _import(tmp_path, "mixed.xml", _bundle(
        _entry(HR_OBSERVATION), _entry(bad)), "--skip-invalid")
    err = capsys.readouterr().err
    assert 'rejected: entry 2 (Observation/hr-bad): Heart rate: "high" is not a number' in err
    assert status == 1 and len(readings) == 1  # 1: rows were rejected; the good one saved


@pytest.mark.parametrize("path", REAL_JSON + SHARED_JSON,
                         ids=[p.name for p in REAL_JSON + SHARED_JSON])
def test_every_real_json_file_gives_the_same_in_xml(path: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    e = EXPECTED.get(f"{path.parent.name}/{path.name}", {})
    options = e.get("options", [])
    json_status, _, json_readings = _import(tmp_path, "same.json", path.read_bytes(), *options)
    json_out = capsys.readouterr()
    xml = to_xml(json.loads(path.read_text(encoding="utf-8")))
    xml_status, _, xml_readings = _import(tmp_path, "same.xml", xml, *options)
    xml_out = capsys.readouterr()
    assert json_readings or json_out.err, "the JSON file gives something to compare"
    assert (xml_status, xml_readings) == (json_status, json_readings)
    assert xml_out.err.replace("same.xml", "same.json") == json_out.err


# --- streaming and limits


def test_entries_are_read_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first reading comes before most of a large Bundle has been read."""
    monkeypatch.setattr(fhir, "GROUP_WINDOW", 1)  # readings leave the reader at once
    entries = [_entry(HR_OBSERVATION.replace("10:00:00", f"{10 + n // 60:02d}:{n % 60:02d}:00")
                      .replace("+02:00", "+00:00")) for n in range(600)]
    data = _bundle(*entries).encode()
    stream = io.BytesIO(data)
    readings = iter_fhir_stream(stream, name="big.xml")
    next(r for r in readings if not isinstance(r, RowError))
    assert stream.tell() < len(data) // 2


def test_more_entries_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir_xml, "BUNDLE_ENTRIES", Limit("a Bundle", 3, "entries", "FHIR", ""))
    result = parse_fhir(_bundle(*[_entry(HR_OBSERVATION)] * 5).encode(), name="many.xml")
    assert not result.readings
    assert any("entry 4: a Bundle exceeds the limit of 3 entries" in str(e)
               for e in result.errors)


def test_a_resource_larger_than_the_limit_is_refused_before_it_is_held(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir_xml, "RESOURCE_BYTES",
                        Limit("one resource", 100_000, "bytes", "FHIR", ""))
    huge = HR_OBSERVATION.replace("<status", f'<note><text value="{"A" * 2_000_000}"/></note>'
                                  "<status")
    stream = io.BytesIO(_bundle(_entry(HR_OBSERVATION), _entry(huge)).encode())
    result = list(iter_fhir_stream(stream, name="huge.xml"))
    assert any("entry 2: one resource exceeds the limit of 100,000 bytes" in str(e)
               for e in result if isinstance(e, RowError))
    assert stream.tell() < 500_000  # stopped long before the end of the note
