"""Format detection and parsing files from disk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain.vitals import Vital
from monitor.io.detect import detect_format, parse_file


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.hl7", b"MSH|^~\\&|", "hl7"),
        ("export.txt", b"\r\nMSH|^~\\&|", "hl7"),
        ("feed.bin", b"\x0bMSH|^~\\&|", "hl7"),
        ("batch.dat", b"FHS|^~\\&|", "hl7"),
        ("obs.json", b'{"resourceType": "Observation"}', "fhir"),
        ("misnamed.csv", b'\xef\xbb\xbf  {"resourceType": "Bundle"}', "fhir"),
        ("lines.ndjson", b"", "fhir"),
        ("vitals.csv", b"time,HR\n", "csv"),
        ("vitals.tsv", b"time\tHR\n", "csv"),
        ("noext", b"time;HR\n", "csv"),
        ("utf16.hl7", "MSH|".encode("utf-16"), "hl7"),
        ("garbage.bin", bytes(range(256)), "csv"),
    ],
)
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected


def test_every_shared_sample_is_detected_and_parsed(shared_fixtures: Path):
    expected = {"hl7v2": "hl7", "fhir-r4": "fhir", "timeseries": "csv"}
    for folder, fmt in expected.items():
        for path in sorted((shared_fixtures / folder).iterdir()):
            if path.suffix in {".dat", ".hea"}:
                continue
            result = parse_file(path, start=datetime(2704, 5, 4, tzinfo=UTC))
            assert result.format == fmt, path.name
            assert result.readings or result.errors, path.name


def test_parse_file_reads_the_ipf_request(shared_fixtures: Path):
    result = parse_file(shared_fixtures / "hl7v2" / "ipf__valid-pcd01-request.hl7v2")
    assert [dict(p.reading.values) for p in result.readings] == [
        {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 100}]
    assert result.readings[0].reading.source_detail.startswith(
        "ipf__valid-pcd01-request.hl7v2 (HL7 v2)")


def test_parse_file_streams_csv_with_options(tmp_path: Path):
    path = tmp_path / "mimic.csv"
    path.write_bytes(b"elapsed_s,HR[bpm],SpO2[%]\n0,70,0\n60,71,98\n")
    seen: list[int] = []
    result = parse_file(path, start=datetime(2024, 5, 1, tzinfo=UTC), zero_is_missing=True,
                        progress=seen.append)
    assert [dict(p.reading.values) for p in result.readings] == [
        {Vital.HR: 70}, {Vital.HR: 71, Vital.SPO2: 98}]
    assert seen[-1] == path.stat().st_size


def test_parse_file_fhir_date_only_option(shared_fixtures: Path):
    path = shared_fixtures / "fhir-r4" / "uscore9__blood-pressure.json"
    assert parse_file(path).readings == []
    assert len(parse_file(path, date_only_as_midnight=True).readings) == 1


def test_missing_file_is_an_error_not_an_exception(tmp_path: Path):
    result = parse_file(tmp_path / "nope.csv")
    assert result.readings == []
    assert result.errors[0].location == "file"
    assert "cannot read" in result.errors[0].message
