"""FHIR JSON read one resource at a time: values across chunk boundaries, locations after the
buffer moves on, a Patient listed late, the open-reading window, and the Bundle entry limit
through the command a user runs."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from main import main
from monitor.io import fhir
from monitor.io.fhir import iter_fhir_stream, parse_fhir
from monitor.io.json_stream import JsonProblem, JsonText
from monitor.io.limits import Limit
from monitor.io.parsed import ParsedReading, RowError
from monitor.store import Store

_START = datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))


def _obs(minute: int, code: str = "8867-4", value: float = 72, subject: str = "P-1",
         unit: str = "/min", **more: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": f"o{minute}-{code}", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"identifier": {"value": subject}},
            "effectiveDateTime": (_START + timedelta(minutes=minute)).isoformat(),
            "valueQuantity": {"value": value, "unit": unit}, **more}


def _bundle(resources: list[dict[str, Any]], indent: int | None = None) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]}, indent=indent).encode()


class _CountingReader(io.BytesIO):
    """A stream that remembers how much of it was read."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def _text(data: str, chunk: int = 7) -> JsonText:
    return JsonText(io.BytesIO(data.encode()), max_chars=1000, max_depth=64, chunk_bytes=chunk)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_values_split_across_chunks_decode_whole(chunk: int) -> None:
    # Numbers, escapes and multi-byte characters cut anywhere by the chunk boundary.
    document = '{"a": 12345.678, "b": "caf\\u00e9 \\" ö", "c": [1, 22, 333], "d": true}'
    text = _text(document, chunk)
    found = {}
    for key in text.object_keys():
        found[key] = text.value()
    assert found == json.loads(document)
    assert text.at_end


def test_array_elements_stream_one_at_a_time() -> None:
    text = _text('[{"n": 1}, {"n": 22}, {"n": 333}]', chunk=4)
    assert [e["n"] for e in text.elements()] == [1, 22, 333]


def test_problem_location_is_right_after_the_buffer_moved_on() -> None:
    lines = ['{"entry": ['] + [f'  {{"n": {n}}},' for n in range(200)] + ['  {"n": 1 x}]}']
    text = _text("\n".join(lines), chunk=16)
    with pytest.raises(JsonProblem) as caught:
        for _key in text.object_keys():
            list(text.elements())
    assert (caught.value.line, caught.value.column) == (202, 11)
    assert caught.value.message == "Expecting ',' delimiter"


def test_a_value_over_the_limit_is_refused_before_it_is_held() -> None:
    stream = _CountingReader(b'["' + b"x" * 100_000 + b'"]')
    text = JsonText(stream, max_chars=1000, max_depth=64, chunk_bytes=256)
    with pytest.raises(JsonProblem) as caught:
        list(text.elements())
    assert caught.value.kind == "size"
    assert stream.taken < 2000  # it stopped reading soon after the limit


def test_a_bundle_is_read_as_it_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first reading comes out long before the file is read to its end: the document is
    # never held whole (json.load did, 3.3 GB for 600,000 Observations).
    monkeypatch.setattr(fhir, "GROUP_WINDOW", 1)
    data = _bundle([_obs(m) for m in range(8000)])
    stream = _CountingReader(data)
    items = iter_fhir_stream(stream, name="b.json")
    first = next(i for i in items if isinstance(i, ParsedReading))
    assert first.reading.values
    assert stream.taken < len(data) // 2
    assert sum(isinstance(i, ParsedReading) for i in items) == 7999


def test_observations_of_one_time_far_apart_make_two_readings_not_a_lost_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir, "GROUP_WINDOW", 2)
    resources = [_obs(0)] + [_obs(m) for m in range(1, 6)] + [_obs(0, "9279-1", 16)]
    readings = parse_fhir(_bundle(resources), name="b.json").readings
    at_ten = [r.reading.values for r in readings if r.reading.taken_at.minute == 0]
    assert len(readings) == 7
    assert sorted(len(v) for v in at_ten) == [1, 1]


def test_observations_of_one_time_close_together_make_one_reading() -> None:
    resources = [_obs(0), _obs(0, "9279-1", 16), _obs(0, "59408-5", 97, unit="%")]
    readings = parse_fhir(_bundle(resources, indent=2), name="b.json").readings
    assert len(readings) == 1
    assert len(readings[0].reading.values) == 3


def test_a_patient_listed_after_its_observations_routes_them() -> None:
    late = json.dumps({"resourceType": "Bundle", "entry": [
        {"resource": {**_obs(0), "subject": {"reference": "Patient/abc"}}},
        {"resource": {"resourceType": "Patient", "id": "abc", "identifier": [
            {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-7"}]}}]}).encode()
    assert fhir.patients_read_ahead(lambda: io.BytesIO(late)) == {"Patient/abc": "MRN-7"}
    readings = list(iter_fhir_stream(io.BytesIO(late), name="b.json",
                                     reopen=lambda: io.BytesIO(late)))
    assert [r.patient_id for r in readings if isinstance(r, ParsedReading)] == ["MRN-7"]


def test_no_second_pass_when_patients_come_first() -> None:
    first = _bundle([{"resourceType": "Patient", "id": "abc"}, _obs(0)])
    assert fhir.patients_read_ahead(lambda: io.BytesIO(first)) is None


def test_a_document_that_breaks_off_refuses_the_file_naming_the_entry() -> None:
    data = _bundle([_obs(m) for m in range(10)], indent=1)
    cut = data[: len(data) * 2 // 3]
    errors = [i for i in iter_fhir_stream(io.BytesIO(cut), name="b.json")
              if isinstance(i, RowError)]
    assert len(errors) == 1
    assert errors[0].location.startswith("entry 7, line ")
    assert "(the file may be cut off); the file is refused" in errors[0].message


def test_ndjson_lines_are_read_one_by_one_with_their_numbers() -> None:
    lines = [json.dumps(_obs(0)), "", "{broken", json.dumps(_obs(1))]
    result = parse_fhir("\n".join(lines).encode(), name="x.ndjson")
    assert len(result.readings) == 2
    assert [str(e) for e in result.errors] == [
        "line 3: not valid JSON: Expecting property name enclosed in double quotes"]


def test_more_entries_than_the_limit_refuse_the_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The real limit (5,000,000 entries) is crossed by the hostile bench at full size.
    monkeypatch.setattr(fhir, "BUNDLE_ENTRIES", Limit("a Bundle", 50, "entries", "FHIR JSON/XML",
                                                      "test"))
    path = tmp_path / "entries.json"
    path.write_bytes(_bundle([_obs(m) for m in range(60)]))
    db = tmp_path / "m.sqlite"
    assert main(["import", str(path), "--db", str(db), "--patient", "P-1"]) == 1
    err = capsys.readouterr().err
    assert "entry 51: a Bundle exceeds the limit of 50 entries for FHIR JSON/XML" in err
    assert "the file is refused and nothing was imported" in err
    with Store.open(db) as store:
        assert sum(s.readings for s in store.session_listings()) == 0


def test_the_quick_path_charts_exactly_what_the_general_path_does(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Observations the quick path takes and ones it must leave to the general checks.
    resources = [
        _obs(0), _obs(0, "9279-1", 16), _obs(0, "59408-5", 97, unit="%"),
        _obs(1, value=7, unit="kPa"), _obs(1, "8867-4", 75),  # a contradiction
        _obs(2, value=True), _obs(3, value=float("inf")), _obs(4, unit="mm[Hg]"),
        _obs(5, status="entered-in-error"), _obs(6, "8310-5", 37.2, unit="Cel"),
        {**_obs(7), "effectiveDateTime": "2024-05-01"}, _obs(7, subject="P-2"),
        {**_obs(8), "device": {"display": "Monitor 7"}}, _obs(8, "9279-1", 18),
        {**_obs(9), "valueQuantity": {"value": 60, "code": "/min", "unit": "nonsense"}},
        {**_obs(9, "9279-1", 12), "valueQuantity": {"value": 12, "code": "xx",
                                                     "unit": "/min"}},
    ]
    data = _bundle(resources)

    def parsed() -> tuple[list[str], list[tuple[Any, ...]]]:
        result = parse_fhir(data, name="b.json")
        return ([str(e) for e in result.errors],
                [(r.location, r.patient_id, r.reading.taken_at, r.reading.values,
                  r.reading.source_detail) for r in result.readings])

    quick = parsed()
    monkeypatch.setattr(fhir._Reader, "_charted_simply", lambda self, resource, where: False)
    assert parsed() == quick
    assert len(quick[1]) == 5 and len(quick[0]) >= 6
