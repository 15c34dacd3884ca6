"""Hostile and unlucky FHIR XML files: entity bombs and external entities, broken and cut-off
XML, wrong encodings, documents that are not FHIR, oversized and deep resources. Each names
what is wrong and where (line and column, or entry)."""

from __future__ import annotations

from pathlib import Path

from tests.fhir_xml_writer import to_xml

from .case import HostileCase, bytes_file, text_file
from .cases_fhir import observation

REFUSED = "the file is refused and nothing was imported"
NS = 'xmlns="http://hl7.org/fhir"'


def bundle_xml(*resources: dict) -> str:
    return to_xml({"resourceType": "Bundle", "type": "collection",
                   "entry": [{"resource": r} for r in resources]})


_VALID = bundle_xml(observation())
_BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
         + "".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n'
                   for n in range(1, 10))
         + f']>\n<Observation {NS}><note><text value="&lol9;"/></note></Observation>\n')
_EXTERNAL = ('<?xml version="1.0"?>\n<!DOCTYPE o [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
             f'\n<Observation {NS}><note><text value="&secret;"/></note></Observation>\n')
_CDA = ('<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">'
        "<title>Discharge</title></ClinicalDocument>\n")


def _huge_attribute(path: Path, scale: float) -> None:
    # A 100 MB note in one attribute: the parser would hold all of it.
    head, tail = _VALID.split("<status", 1)
    chunk = "A" * 65536
    with path.open("w", encoding="utf-8") as out:
        out.write(head + '<note><text value="')
        for _ in range(max(70, int(100 * 1024 * 1024 * scale) // len(chunk))):
            out.write(chunk)
        out.write('"/></note><status' + tail)


def _many_components(path: Path, scale: float) -> None:
    component = {"code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                 "valueQuantity": {"value": 72}}
    path.write_text(bundle_xml(observation(component=[component] * 40_000)), encoding="utf-8")


def _deep(levels: int) -> str:
    inner = '<valueString value="deep"/>'
    for _ in range(levels):
        inner = f'<extension url="x">{inner}</extension>'
    return _VALID.replace("<status", f"{inner}<status", 1)


def _errors_galore(path: Path, scale: float) -> None:
    path.write_text(bundle_xml(*[observation(value="high", id=f"o{n}") for n in range(1500)]),
                    encoding="utf-8")


_PATIENT_LATE = to_xml({"resourceType": "Bundle", "type": "collection", "entry": [
    {"resource": {**observation(), "subject": {"reference": "urn:uuid:p1"}}},
    {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "identifier": [
        {"type": {"coding": [{"code": "MR"}]}, "value": "MRN-LATE"}]}}]})

CASES: list[HostileCase] = [
    HostileCase("xml-entity-bomb", "bomb.xml", text_file(_BOMB),
                ("file: the XML declares a DTD or entities", REFUSED)),
    HostileCase("xml-external-entity", "external.xml", text_file(_EXTERNAL),
                ("file: the XML declares a DTD or entities", "read local files", REFUSED)),
    HostileCase("xml-100MB-attribute", "endless.xml", _huge_attribute,
                ("entry 1: one resource exceeds the limit of 4,194,304 bytes", REFUSED), big=True),
    HostileCase("xml-5MB-resource", "components.xml", _many_components,
                ("entry 1: one resource exceeds the limit", REFUSED)),
    HostileCase("xml-nested-100-deep", "deep.xml", text_file(_deep(100)),
                ("entry 1: the nesting exceeds the limit of 64 levels", REFUSED)),
    HostileCase("xml-truncated", "cut.xml", text_file(_VALID[:-40]),
                ("not well-formed XML: unclosed token (the file may be cut off)", REFUSED)),
    HostileCase("xml-mismatched-tag", "broken.xml",
                text_file(_VALID.replace("</valueQuantity>", "</valueQuantiy>")),
                ("line 24, column 11: not well-formed XML: mismatched tag", REFUSED)),
    HostileCase("xml-junk-after-root", "two_roots.xml", text_file(_VALID + "<Bundle/>\n"),
                ("not well-formed XML: junk after document element", REFUSED)),
    HostileCase("xml-utf16-bom", "utf16.xml",
                text_file(_VALID.replace("UTF-8", "UTF-16"), "utf-16"),
                "file: the file is UTF-16 text; FHIR XML must be UTF-8"),
    HostileCase("xml-nul-bytes", "nul.xml", bytes_file(_VALID.encode() + b"\x00\x00"),
                "file: the file is binary"),
    HostileCase("xml-latin1-undeclared", "latin1.xml",
                text_file(bundle_xml(observation(note=[{"text": "Jöns"}])), "latin-1"),
                ("not well-formed XML: not well-formed (invalid token)", REFUSED)),
    HostileCase("xml-latin1-declared", "latin1_declared.xml",
                text_file(bundle_xml(observation(note=[{"text": "Jöns"}])).replace(
                    "UTF-8", "ISO-8859-1"), "latin-1"),
                "1 imported", status=0, saved=1),
    HostileCase("xml-not-fhir", "discharge.xml", text_file(_CDA),
                "file: an XML document that is not FHIR: its root is <ClinicalDocument> in "
                "namespace urn:hl7-org:v3"),
    HostileCase("xml-no-namespace", "plain.xml",
                text_file(_VALID.replace(f" {NS}", "")),
                "its root is <Bundle> without a namespace"),
    HostileCase("xml-empty-bundle", "empty_bundle.xml", text_file(f"<Bundle {NS}/>"),
                "file: no Observation resources"),
    HostileCase("xml-comments-and-bom", "commented.xml",
                text_file("\ufeff" + _VALID.replace("<status", "<!-- charted late --><status")),
                "1 imported", status=0, saved=1),
    HostileCase("xml-patient-after-observation", "late_patient.xml", text_file(_PATIENT_LATE),
                "1 imported", status=0, saved=1),
    HostileCase("xml-decimal-comma", "comma.xml",
                text_file(_VALID.replace('<value value="72"/>', '<value value="72,5"/>')),
                'entry 1 (Observation): Heart rate: "72,5" is not a number'),
    HostileCase("xml-year-2200", "future.xml",
                text_file(bundle_xml(observation(when="2200-05-01T10:00:00+02:00"))),
                "is in the future"),
    HostileCase("xml-dst-twice", "autumn.xml",
                text_file(bundle_xml(observation(when="2024-10-27T02:30:00"))),
                "happens twice in time zone Europe/Berlin", options=("--tz", "Europe/Berlin")),
    HostileCase("xml-1500-bad-values", "errors.xml", _errors_galore,
                ("entry 1 (Observation/o0)", "stopped after 1000 errors")),
]
