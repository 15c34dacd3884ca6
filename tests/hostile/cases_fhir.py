"""Hostile and unlucky FHIR JSON files: oversized and deep resources, broken and repeated
JSON, wrong encodings, odd times and documents. Each names what is wrong and where (entry,
line and column)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .case import HostileCase, bytes_file, text_file

REFUSED = "the file is refused and nothing was imported"


def observation(code: str = "8867-4", value: Any = 72, when: str = "2024-05-01T10:00:00+02:00",
                **more: Any) -> dict[str, Any]:
    """A heart-rate (or other LOINC ``code``) Observation."""
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"identifier": {"value": "P-1"}}, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": "/min", "code": "/min"}, **more}


def bundle(*resources: dict[str, Any]) -> str:
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]}, ensure_ascii=False)


def _huge_string(path: Path, scale: float) -> None:
    # One line of 100 MB at full size: an Observation whose note never ends.
    chunk = "A" * 65536
    with path.open("w", encoding="utf-8") as out:
        out.write('{"resourceType":"Bundle","type":"collection","entry":[{"resource":'
                  '{"resourceType":"Observation","note":[{"text":"')
        for _ in range(max(70, int(100 * 1024 * 1024 * scale) // len(chunk))):
            out.write(chunk)
        out.write('"}]}}]}')


def _many_components(path: Path, scale: float) -> None:
    # A 5 MB Observation: 150,000 components.
    component = {"code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                 "valueQuantity": {"value": 72}}
    path.write_text(bundle(observation(component=[component] * 150_000)), encoding="utf-8")


def _deep_extension(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"url": "x", "valueString": "deep"}
    for _ in range(levels):
        node = {"url": "x", "extension": [node]}
    return observation(extension=[node])


def _deep_arrays(path: Path, scale: float) -> None:
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")


def _too_many_entries(path: Path, scale: float) -> None:
    # 5,000,001 empty entries (15 MB): the bench runs it; the suite lowers the limit instead.
    with path.open("w", encoding="utf-8") as out:
        out.write('{"resourceType":"Bundle","type":"collection","entry":[')
        block = "{}," * 100_000
        for _ in range(50):
            out.write(block)
        out.write("{}]}")


def _errors_galore(path: Path, scale: float) -> None:
    path.write_text(bundle(*[observation(value="high", id=f"o{n}") for n in range(1500)]),
                    encoding="utf-8")


_VALID = bundle(observation())
_PATIENT_LATE = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
    {"resource": {**observation(), "subject": {"reference": "urn:uuid:p1"}}},
    {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "identifier": [
        {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-LATE"}]}}]})
_NDJSON_BAD_LINE = (json.dumps(observation()) + "\n"
                    + '{"resourceType": "Observation", "status": \n'
                    + json.dumps(observation(when="2024-05-01T10:05:00+02:00")) + "\n")

CASES: list[HostileCase] = [
    HostileCase("fhir-100MB-string", "endless.json", _huge_string,
                ("entry 1, line 1, column 55: one resource exceeds the limit of 4,194,304 bytes",
                 REFUSED), big=True),
    HostileCase("fhir-5MB-resource", "components.json", _many_components,
                ("entry 1, line 1, column 60: one resource exceeds the limit", REFUSED)),
    HostileCase("fhir-nested-100-deep", "deep.json",
                text_file(bundle(_deep_extension(100))),
                ("entry 1, line 1, column 60: the nesting exceeds the limit of 64 levels",
                 REFUSED)),
    HostileCase("fhir-arrays-200k-deep", "arrays.json", _deep_arrays,
                ("line 1, column 1: the nesting exceeds the limit of 64 levels", REFUSED)),
    HostileCase("fhir-5M-entries", "entries.json", _too_many_entries,
                ("entry 5,000,001: a Bundle exceeds the limit of 5,000,000 entries", REFUSED),
                big=True, bench_only=True),
    HostileCase("fhir-truncated", "cut.json", text_file(_VALID[:-30]),
                ("not valid JSON", "(the file may be cut off)", REFUSED)),
    HostileCase("fhir-utf16-bom", "utf16.json", text_file(_VALID, "utf-16"),
                "file: the file is UTF-16 text; FHIR JSON must be UTF-8"),
    HostileCase("fhir-nul-bytes", "nul.json", bytes_file(_VALID.encode() + b"\x00\x00"),
                "file: the file is binary"),
    HostileCase("fhir-latin1", "latin1.json",
                text_file(bundle(observation(note=[{"text": "Jöns"}])), "latin-1"),
                ("line 1: not UTF-8 text; FHIR JSON must be UTF-8", REFUSED)),
    HostileCase("fhir-utf8-bom", "bom.json", text_file("\ufeff" + _VALID), "1 imported",
                status=0, saved=1),
    HostileCase("fhir-empty", "empty.json", text_file(""), "file: the file is empty"),
    HostileCase("fhir-only-whitespace", "blank.json", text_file(" \n\t\n"),
                "file: the file is empty"),
    HostileCase("fhir-repeated-value-key", "twice.json",
                text_file(bundle(observation()).replace(
                    '"valueQuantity"', '"valueQuantity": {"value": 190}, "valueQuantity"')),
                ("entry 1, line 1, column 60: not valid JSON: the key 'valueQuantity' appears "
                 "twice in one object", REFUSED)),
    HostileCase("fhir-repeated-entry-key", "entries_twice.json",
                text_file(_VALID[:-1] + ', "entry": []}'),
                ("not valid JSON: the key 'entry' appears twice", REFUSED)),
    HostileCase("fhir-not-json", "export.json", text_file("time,HR\n2024-05-01T10:00,72\n"),
                ("line 1, column 1: not valid JSON: Expecting value", REFUSED)),
    HostileCase("fhir-extra-data", "two_documents.json", text_file(_VALID + " {}"),
                ("not valid JSON: Extra data", REFUSED)),
    HostileCase("fhir-top-level-array", "array.json", text_file(f"[{_VALID}]"),
                "file: not a FHIR resource (no resourceType)"),
    HostileCase("fhir-only-patients", "patients.json",
                text_file(json.dumps({"resourceType": "Bundle", "entry": [
                    {"resource": {"resourceType": "Patient", "id": "p"}}]})),
                "file: no Observation resources"),
    HostileCase("fhir-patient-after-observation", "late_patient.json", text_file(_PATIENT_LATE),
                "1 imported", status=0, saved=1),
    HostileCase("fhir-ndjson-bad-line", "lines.ndjson", text_file(_NDJSON_BAD_LINE),
                "line 2: not valid JSON: Expecting value"),
    HostileCase("fhir-ndjson-bad-line-skipped", "lines_skip.ndjson",
                text_file(_NDJSON_BAD_LINE), ("line 2: not valid JSON", "2 imported"),
                saved=2, options=("--skip-invalid",)),
    HostileCase("fhir-nan", "nan.json", text_file(bundle(observation(value=float("nan")))),
                "entry 1 (Observation): Heart rate: NaN is not a number"),
    HostileCase("fhir-infinity", "inf.json",
                text_file(bundle(observation()).replace('"value": 72', '"value": 1e999')),
                "entry 1 (Observation): Heart rate: Infinity is not a number"),
    HostileCase("fhir-year-1800", "old.json",
                text_file(bundle(observation(when="1800-05-01T10:00:00+02:00"))),
                "is before 1980"),
    HostileCase("fhir-year-2200", "future.json",
                text_file(bundle(observation(when="2200-05-01T10:00:00+02:00"))),
                "is in the future"),
    HostileCase("fhir-dst-twice", "autumn.json",
                text_file(bundle(observation(when="2024-10-27T02:30:00"))),
                "happens twice in time zone Europe/Berlin", options=("--tz", "Europe/Berlin")),
    HostileCase("fhir-1500-bad-values", "errors.json", _errors_galore,
                ("entry 1 (Observation/o0)", "stopped after 1000 errors")),
]
