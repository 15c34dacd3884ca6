"""A session as data: the record an export is made from, and the data export formats.

Formats, and what each does with corrections and entries in error (readings are never
changed in the app, so an export must not pretend they were):

- **CSV** (``write_csv``): the canonical CSV of ``csv_format`` with EVERY reading, in time
  order, and its ``status`` column: ``valid``, ``corrected`` (superseded by the row that
  follows it at the same time) or ``entered-in-error``. The importer reads it back
  losslessly.
- **JSON** (``session_json``): the whole session for archives and audits, keys ``session``,
  ``thresholds``, ``readings``, ``alerts``, ``events``, ``scores``. Every reading is there with
  its status, who changed it, when and why; alerts later withdrawn (their reading was
  corrected or entered in error) are kept and say so.
- **FHIR R4** (``fhir_bundle``): a ``collection`` Bundle (or, with ``FhirOptions``, a
  ``transaction`` of conditional PUTs a server accepts) with the Patient (identifier with a
  configurable system) and one vital-sign Observation per vital per reading (blood pressure
  as ONE 85354-9 Observation with components 8480-6 and 8462-4; SpO2 coded 59408-5 and
  2708-6), each claiming the R4 vital-signs profiles in ``meta.profile``. Valid readings
  are ``final``; a correction is ``corrected``; an entry in error is sent with status
  ``entered-in-error`` so a receiving EHR can retract a value it may already hold; the
  superseded original of a correction is OMITTED, since the correction replaces it (FHIR
  keeps one current version of a fact): the correction keeps the original's id and
  identifier, so a server updates the Observation it already holds. A MAP the app derived
  from SBP/DBP is not sent (it was never measured); a measured MAP is its own Observation.

The record is read from a Store by ``monitor.app.export.load_record`` (this module reads and
writes formats only); de-identification (``monitor.io.deidentify``) works on the record, so
every format gets it the same way.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from monitor.domain.events import SedationEntry, TimelineEntry
from monitor.domain.profiles import ProfileVersion, settings_to_dict
from monitor.domain.readings import Reading, ReadingStatus
from monitor.domain.records import StoredAlert, StoredAssessment
from monitor.domain.schedule import DEFAULT_SCHEDULE, ReadingSchedule
from monitor.domain.scores import Consciousness, News2Observation, News2Result, news2
from monitor.domain.sessions import Session
from monitor.domain.thresholds import profile_to_dict
from monitor.domain.vitals import VITAL_SPECS, Vital

from .csv_format import write_canonical_csv
from .parsed import BP_PANEL_LOINC

#: Formats of ``python main.py export --format``: pictures first, then data.
DATA_FORMATS = ("csv", "json", "fhir")
FORMATS = ("png", "svg", "pdf", *DATA_FORMATS)
FORMAT_LABELS = {
    "pdf": "PDF session report (*.pdf)",
    "png": "Chart image, PNG (*.png)",
    "svg": "Chart image, SVG (*.svg)",
    "csv": "Readings, canonical CSV (*.csv)",
    "json": "Whole session, JSON archive (*.json)",
    "fhir": "FHIR R4 Bundle of vital signs (*.json)",
}
SUFFIXES = {"pdf": ".pdf", "png": ".png", "svg": ".svg", "csv": ".csv", "json": ".json",
            "fhir": ".fhir.json"}

JSON_FORMAT_VERSION = 1
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
#: Where a record keeps the discharge details answered at close (``extra``; the report
#: writes them out under *At discharge*).
DISCHARGE_DETAILS = "discharge"
#: The app's own namespace for stable resource ids, so exporting twice gives the same ids.
_ID_NAMESPACE = uuid.UUID("6f1d0a52-3b8e-4d4b-9a55-0c1f2a7e9b10")


@dataclass(frozen=True)
class SessionRecord:
    """Everything about one session that an export shows, read once from the store."""

    session: Session
    readings: list[Reading]  # all of them, corrected and in error included, in time order
    alerts: list[StoredAlert]
    timeline: list[TimelineEntry]
    assessments: list[StoredAssessment]
    profile: ProfileVersion  # the version in force when exported
    profile_versions: list[ProfileVersion]  # every clinic/session version, oldest first
    generated_at: datetime
    deidentified: bool = False
    age_band: str | None = None  # set by de-identification in place of the date of birth
    extra: Mapping[str, Any] = field(default_factory=dict)
    schedule: ReadingSchedule | None = None  # None: the session follows the default

    @property
    def session_id(self) -> int:
        return self.session.id or 0

    @property
    def reading_schedule(self) -> ReadingSchedule:
        """The schedule the session's readings were due by."""
        return self.schedule or DEFAULT_SCHEDULE

    def current_readings(self) -> list[Reading]:
        return [r for r in self.readings if r.is_current]


# -- CSV ---------------------------------------------------------------------------------------


def write_csv(record: SessionRecord, stream: TextIO) -> int:
    """Every reading as canonical CSV (``stream`` opened with ``newline=''``); returns rows."""
    return write_canonical_csv(record.readings, stream)


# -- JSON --------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _values(values: Mapping[Vital, float]) -> dict[str, float]:
    return {v.value: values[v] for v in Vital if v in values}


def session_dict(record: SessionRecord) -> dict[str, Any]:
    """The ``session`` part: patient, infusion, baseline, times."""
    s, p, inf = record.session, record.session.patient, record.session.infusion
    patient: dict[str, Any] = {"identifier": p.identifier, "name": p.name or None,
                               "date_of_birth": p.date_of_birth.isoformat()
                               if p.date_of_birth else None, "age_years": p.age_years}
    if record.deidentified:
        patient = {"identifier": p.identifier, "pseudonymised": True,
                   "age_band": record.age_band}
    return {
        "id": s.id,
        "patient": patient,
        "weight_kg": s.weight_kg,
        "infusion": {"drug": inf.drug, "dose_mg": inf.dose_mg,
                     "rate_mg_per_kg_h": inf.rate_mg_per_kg_h,
                     "started_at": _iso(inf.started_at), "ended_at": _iso(inf.ended_at),
                     "indication": inf.indication},
        "baseline": _values(s.baseline),
        "status": s.status.value,
        "started_at": _iso(s.started_at),
        "closed_at": _iso(s.closed_at),
        "created_by": s.created_by,
    }


def reading_dict(r: Reading) -> dict[str, Any]:
    """One reading with its standing in the record."""
    return {
        "id": r.id,
        "time": r.taken_at.isoformat(),
        "values": _values(r.values),
        "map_derived": r.map_derived,
        "source": r.source.value,
        "source_detail": r.source_detail,
        "entered_by": r.entered_by,
        "note": r.note,
        "recorded_at": _iso(r.recorded_at),
        "status": r.status.value,
        "status_reason": r.status_reason or None,
        "status_by": r.status_by or None,
        "status_at": _iso(r.status_at),
        "corrects": r.supersedes,
        "correction_reason": r.correction_reason or None,
    }


def alert_dict(stored: StoredAlert) -> dict[str, Any]:
    """One alert as the log must hold it: value, limit, who acknowledged, when resolved."""
    a = stored.alert
    return {
        "vital": a.vital.value if a.vital else None,
        "priority": a.priority.word,
        "raised_at": a.raised_at.isoformat(),
        "value": a.value,
        "limit": a.limit,
        "message": a.message,
        "kind": a.kind.value,
        "condition": a.condition,
        "escalated_at": _iso(a.escalated_at),
        "acknowledged_by": a.acknowledged_by,
        "acknowledged_at": _iso(a.acknowledged_at),
        "resolved_at": _iso(a.resolved_at),
        "latched": a.latched,
        "withdrawn_at": _iso(stored.withdrawn_at),
        "withdrawn_reason": stored.withdrawn_reason or None,
    }


def thresholds_dict(record: SessionRecord) -> dict[str, Any]:
    """The profile in force and every version that applied to the session."""
    def version(v: ProfileVersion) -> dict[str, Any]:
        return {"profile": profile_to_dict(v.profile),
                "alert_settings": settings_to_dict(v.settings), "scope": v.scope.value,
                "changed_by": v.changed_by or None, "changed_at": _iso(v.changed_at),
                "reason": v.reason or None}
    return {"in_force": version(record.profile),
            "history": [version(v) for v in record.profile_versions]}


def news2_for(reading: Reading) -> News2Result:
    """NEWS2 of one reading, partial where the nurse did not chart a parameter."""
    consciousness = None
    if reading.consciousness:
        try:
            consciousness = Consciousness(reading.consciousness)
        except ValueError:
            consciousness = None
    return news2(News2Observation.from_vitals(
        reading.values, on_oxygen=reading.on_oxygen, consciousness=consciousness,
        temperature=reading.temperature_c))


def scores_dict(record: SessionRecord) -> dict[str, Any]:
    """NEWS2 of every current reading, sedation scores, and discharge assessments."""
    news = []
    for r in record.current_readings():
        result = news2_for(r)
        news.append({"time": r.taken_at.isoformat(), "reading_id": r.id, "total": result.total,
                     "band": result.band.value, "partial": result.partial,
                     "missing": [p.value for p in result.missing],
                     "summary": result.summary})
    sedation = [{"time": e.at.isoformat(), "scale": e.scale.value, "score": e.score,
                 "text": e.text, "entered_by": e.entered_by}
                for e in record.timeline if isinstance(e, SedationEntry)]
    discharge = [{"time": a.at.isoformat(), "kind": a.kind, "items": dict(a.items),
                  "total": a.total, "meets_criteria": a.meets, "entered_by": a.entered_by}
                 for a in record.assessments]
    return {"news2": news, "sedation": sedation, "discharge": discharge}


def events_list(record: SessionRecord) -> list[dict[str, Any]]:
    """Sedation scores and clinical events on the timeline, with infusion start and end."""
    events: list[dict[str, Any]] = []
    inf = record.session.infusion
    for label, at in (("infusion-start", inf.started_at), ("infusion-end", inf.ended_at)):
        if at is not None:
            events.append({"type": label, "at": at.isoformat(), "text": label.replace("-", " ")})
    for entry in record.timeline:
        data = entry.to_dict()
        data["text"] = entry.text
        events.append(data)
    return sorted(events, key=lambda e: datetime.fromisoformat(e["at"]))


def session_json(record: SessionRecord) -> dict[str, Any]:
    """The whole session as one JSON-safe dict (see the module docstring)."""
    return {
        "format": "infusion-recovery-monitor session",
        "format_version": JSON_FORMAT_VERSION,
        "generated_at": record.generated_at.isoformat(),
        "deidentified": record.deidentified,
        "session": session_dict(record),
        "thresholds": thresholds_dict(record),
        "readings": [reading_dict(r) for r in record.readings],
        "alerts": [alert_dict(a) for a in record.alerts],
        "events": events_list(record),
        "scores": scores_dict(record),
    }


def write_json(record: SessionRecord, stream: TextIO) -> None:
    """Write :func:`session_json` as indented UTF-8 JSON."""
    json.dump(session_json(record), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


# -- FHIR --------------------------------------------------------------------------------------

_FHIR_STATUS = {ReadingStatus.VALID: "final", ReadingStatus.ENTERED_IN_ERROR: "entered-in-error"}
#: FHIR R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html): every
#: Observation claims the base profile and, where R4 defines one, its own.
VITALSIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
_PROFILES = {
    "bp": "http://hl7.org/fhir/StructureDefinition/bp",
    Vital.HR.value: "http://hl7.org/fhir/StructureDefinition/heartrate",
    Vital.RR.value: "http://hl7.org/fhir/StructureDefinition/resprate",
    Vital.SPO2.value: "http://hl7.org/fhir/StructureDefinition/oxygensat",
}
#: LOINC's own display names (loinc.org), as a server that checks displays expects them.
LOINC_DISPLAY = {
    BP_PANEL_LOINC: "Blood pressure panel with all children optional",
    "8480-6": "Systolic blood pressure",
    "8462-4": "Diastolic blood pressure",
    "8478-0": "Mean blood pressure",
    "8867-4": "Heart rate",
    "9279-1": "Respiratory rate",
    "59408-5": "Oxygen saturation in Arterial blood by Pulse oximetry",
    "2708-6": "Oxygen saturation in Arterial blood",
}
#: The R4 oxygensat profile requires 2708-6; 59408-5 says it was measured by pulse oximetry.
SPO2_EXTRA_LOINC = "2708-6"
#: Observation identifiers are the stable ``urn:uuid`` of each exported fact (RFC 3986 URIs),
#: so a transaction can update the same Observation when a session is sent again.
OBSERVATION_ID_SYSTEM = "urn:ietf:rfc:3986"
#: Until a site sets its own (its MRN system URI), patient identifiers say they are this app's.
DEFAULT_PATIENT_ID_SYSTEM = "urn:infusion-recovery-monitor:patient-id"
BUNDLE_TYPES = ("collection", "transaction")


@dataclass(frozen=True)
class FhirOptions:
    """How a FHIR Bundle is made: ``collection`` (an archive, the default) or ``transaction``
    (to POST to a server: every entry a conditional PUT on its identifier, so sending a
    session again updates instead of duplicating), and the system of the Patient identifier.
    Raises ValueError for an unknown bundle type or a system that is not a URI."""

    bundle_type: str = "collection"
    patient_id_system: str = DEFAULT_PATIENT_ID_SYSTEM

    def __post_init__(self) -> None:
        if self.bundle_type not in BUNDLE_TYPES:
            raise ValueError(f"bundle type '{self.bundle_type}' is not one of "
                             + ", ".join(BUNDLE_TYPES))
        system = self.patient_id_system
        if not system or " " in system or ":" not in system or "|" in system:
            raise ValueError(f"patient identifier system '{system}' is not a URI "
                             "(e.g. urn:oid:1.2.3 or https://hospital.example/mrn)")


def _stable_id(*parts: object) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(str(p) for p in parts)))


def _coding(code: str) -> dict[str, Any]:
    return {"system": LOINC, "code": code, "display": LOINC_DISPLAY[code]}


def _concept(code: str, text: str, *extra: str) -> dict[str, Any]:
    return {"coding": [_coding(c) for c in (code, *extra)], "text": text}


def _quantity(vital: Vital, value: float) -> dict[str, Any]:
    s = VITAL_SPECS[vital]
    return {"value": value, "unit": s.unit, "system": UCUM, "code": s.ucum}


def _original_id(by_id: Mapping[int | None, Reading], reading: Reading) -> int | None:
    """The reading a chain of corrections started from (``by_id``: the record's readings by
    id): its Observation is the one each correction updates."""
    while reading.supersedes is not None and reading.supersedes in by_id:
        reading = by_id[reading.supersedes]
    return reading.id


def _observations(record: SessionRecord, reading: Reading, patient_url: str,
                  subject: dict[str, Any], by_id: Mapping[int | None, Reading]
                  ) -> list[dict[str, Any]]:
    if reading.status is ReadingStatus.CORRECTED:
        return []  # the correction that follows replaces it
    status = "corrected" if reading.supersedes is not None else _FHIR_STATUS[reading.status]
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "status": status,
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs",
                                  "display": "Vital Signs"}], "text": "Vital Signs"}],
        "subject": subject,
        "effectiveDateTime": reading.taken_at.isoformat(),
    }
    if reading.entered_by:
        base["performer"] = [{"display": reading.entered_by}]
    notes = [n for n in (reading.note, reading.correction_reason and
                         f"Correction: {reading.correction_reason}",
                         reading.status_reason and f"Entered in error: {reading.status_reason}")
             if n]
    if notes:
        base["note"] = [{"text": n} for n in notes]
    values = reading.values
    resources: list[dict[str, Any]] = []
    if Vital.SBP in values and Vital.DBP in values:
        resources.append({**base, "code": _concept(BP_PANEL_LOINC, "Blood pressure"),
                          "component": [
                              {"code": _concept(VITAL_SPECS[v].loinc, VITAL_SPECS[v].label),
                               "valueQuantity": _quantity(v, values[v])}
                              for v in (Vital.SBP, Vital.DBP)]})
        keys = ["bp"]
    else:
        keys = []
    singles = [v for v in (Vital.MAP, Vital.HR, Vital.RR, Vital.SPO2) if v in values
               and not (v is Vital.MAP and reading.map_derived)]
    for vital in singles:
        s = VITAL_SPECS[vital]
        extra = (SPO2_EXTRA_LOINC,) if vital is Vital.SPO2 else ()
        resources.append({**base, "code": _concept(s.loinc, s.label, *extra),
                          "valueQuantity": _quantity(vital, values[vital])})
        keys.append(vital.value)
    # A correction is the same fact as its original, so it keeps the original's id: a
    # server that has the original updates it rather than holding both.
    original = _original_id(by_id, reading)
    for key, resource in zip(keys, resources, strict=True):
        resource["id"] = _stable_id(record.session.patient.identifier, record.session_id,
                                    original, key)
        resource["meta"] = {"profile": [VITALSIGNS_PROFILE,
                                        *([_PROFILES[key]] if key in _PROFILES else [])]}
        resource["identifier"] = [{"system": OBSERVATION_ID_SYSTEM,
                                   "value": f"urn:uuid:{resource['id']}"}]
    return resources


def fhir_bundle(record: SessionRecord, options: FhirOptions | None = None) -> dict[str, Any]:
    """A FHIR R4 Bundle of the Patient and the session's vital signs, of the type
    ``options`` asks for (a ``collection`` by default)."""
    options = options or FhirOptions()
    p = record.session.patient
    patient_id = _stable_id("patient", p.identifier)
    identifier = {"system": options.patient_id_system, "value": p.identifier}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_id,
                               "identifier": [identifier]}
    if not record.deidentified:
        if p.name:
            patient["name"] = [{"text": p.name}]
        if p.date_of_birth:
            patient["birthDate"] = p.date_of_birth.isoformat()
    patient_url = f"urn:uuid:{patient_id}"
    # In a transaction the server resolves the urn:uuid to the Patient it matched or made.
    subject = {"reference": patient_url, "identifier": identifier}
    entries = [{"fullUrl": patient_url, "resource": patient}]
    # Once, not per reading: a device session has tens of thousands of readings.
    by_id = {r.id: r for r in record.readings}
    for reading in record.readings:
        for resource in _observations(record, reading, patient_url, subject, by_id):
            entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    if options.bundle_type == "transaction":
        for entry in entries:
            resource = entry["resource"]
            wanted = resource["identifier"][0]
            # Conditional update: create when no resource has this identifier, else update
            # it, so sending a session twice (or its corrections later) never duplicates.
            entry["request"] = {
                "method": "PUT",
                "url": f"{resource['resourceType']}?identifier="
                       f"{quote(wanted['system'], safe=':/')}|{quote(wanted['value'], safe=':/')}",
            }
            del resource["id"]  # a conditional PUT names the resource by its identifier
    return {
        "resourceType": "Bundle",
        "id": _stable_id("bundle", p.identifier, record.session_id),
        "type": options.bundle_type,
        "timestamp": record.generated_at.isoformat(),
        "entry": entries,
    }


def write_fhir(record: SessionRecord, stream: TextIO, options: FhirOptions | None = None
               ) -> None:
    """Write :func:`fhir_bundle` as indented JSON."""
    json.dump(fhir_bundle(record, options), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


DATA_WRITERS: dict[str, Callable[[SessionRecord, TextIO], object]] = {
    "csv": write_csv, "json": write_json, "fhir": write_fhir,
}


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step, so
    a failed or cancelled export never leaves half a file where the user expects a whole one.
    Raises OSError (as the operating system words it) when the folder cannot be written."""
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    try:
        yield Path(temp)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
