"""FHIR R4 vital-sign Observations, alone, in a Bundle, or as NDJSON (one resource a line).

Decisions, so the behaviour is predictable:

- JSON is read as plain dicts, not through ``fhir.resources`` models: one malformed element
  would make a model reject a whole Bundle, where the importer must keep the good entries and
  name the bad one. Input must be UTF-8 (FHIR's only JSON encoding); a BOM is allowed.
- Bundles of any type (collection, transaction, batch, searchset, ...) are read entry by
  entry; resources other than Observation and Patient are passed over silently (a Synthea
  export holds thousands). Locations are 1-based: ``entry 4 (Observation/abc)``.
- Codes: LOINC (``http://loinc.org``) and MDC (``urn:iso:std:iso:11073:10101``) as listed in
  ``resources/vocabulary/vital_codes.csv``; any coding of ``code`` may match. Blood pressure
  is a panel (85354-9, MDC 150020 or cuff pressure 150300) whose components (8480-6/8462-4,
  8478-0 MAP, MDC 150021-150023 or 150301-150303) may come in any order (Synthea lists
  diastolic first). Observations with other codes (weight, temperature) are *not charted*
  notices, reported once per code with the count; a component the app does not chart (a
  posture qualifier, a temperature) is a notice naming ``component N``, and the others are
  kept. Only an unlisted code whose display names a vital is an error.
- A value with ``dataAbsentReason`` is a notice, not an error: the sender says there is none.
  A blood-pressure half marked absent keeps the other half (the pairing rule of
  ``validate_values`` is waived for it).
- The vitals panel 85353-1 holding only ``hasMember`` references is reported: its members are
  imported when they are in the same file, and nothing is fetched.
- Units: UCUM ``code`` first, then ``unit`` text: ``mm[Hg]``, ``kPa`` (converted), ``/min``,
  ``{beats}/min``, ``%``; missing unit means the display unit.
- Status: final, amended, corrected and preliminary are imported; entered-in-error,
  cancelled, registered and unknown are skipped and reported.
- Time: ``effectiveDateTime``, ``effectiveInstant`` or ``effectivePeriod.start``. A DATE
  WITHOUT A TIME (``2012-09-17``, common in spec examples) is REJECTED by default with a
  message naming the values, because a recovery chart cannot place it; with
  ``date_only_as_midnight=True`` it is read as 00:00 in ``default_tz`` and the reading's
  ``extra['time_precision']`` is ``'date'``. A time without offset takes ``default_tz``.
- Patient id: ``subject.identifier.value``; else the Patient the reference points to in the
  same Bundle (its MR identifier, else its first identifier, else its id); else the id in the
  reference itself. Observations of one patient with the same time make one reading.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, BinaryIO

from monitor.domain.readings import Source, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital

from .parsed import (
    FHIR,
    PAIR_MESSAGE,
    PANEL_CODES,
    VITAL_BY_LOINC,
    VITAL_BY_MDC,
    ParsedReading,
    ParseResult,
    RowError,
    imported_reading,
    localize,
    not_charted_reason,
    not_text_problem,
    source_detail,
    to_display_unit,
)
from .vocabulary import LOINC, MDC, looks_like_vital

LOINC_SYSTEM = "http://loinc.org"
MDC_SYSTEM = "urn:iso:std:iso:11073:10101"
_IMPORTED_STATUSES = {"final", "amended", "corrected", "preliminary"}
_PANELS = PANEL_CODES
# FHIR STU3 examples name the IEEE 11073 nomenclature by the NIST Rosetta (RTMMS) address.
RTMMS_SYSTEM = "https://rtmms.nist.gov"
_SYSTEMS = {LOINC_SYSTEM: LOINC, MDC_SYSTEM: MDC, RTMMS_SYSTEM: MDC}
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")


@dataclass
class _Obs:
    vital: Vital
    value: float
    where: str
    device: str


@dataclass
class _Group:
    """The vital-sign values of one patient at one time, from one or more Observations."""

    values: dict[Vital, _Obs] = field(default_factory=dict)
    conflicted: set[Vital] = field(default_factory=set)
    wheres: list[str] = field(default_factory=list)
    date_only: bool = False
    absent: set[Vital] = field(default_factory=set)  # sent with a dataAbsentReason


def _vital(concept: Any) -> tuple[Vital | None, str, str]:
    """(vital or None, code, display) for a CodeableConcept; code/display of its first coding
    for messages when nothing matches."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    codings = [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []
    for c in codings:
        code, system = str(c.get("code", "")), str(c.get("system", ""))
        if system == LOINC_SYSTEM and code in VITAL_BY_LOINC:
            return VITAL_BY_LOINC[code], code, str(c.get("display", ""))
        if _SYSTEMS.get(system) == MDC and code in VITAL_BY_MDC:
            return VITAL_BY_MDC[code][0], code, str(c.get("display", ""))
    first = codings[0] if codings else {}
    text = concept.get("text", "") if isinstance(concept, dict) else ""
    return None, str(first.get("code", "")), str(first.get("display", "") or text)


def _uncharted(concept: Any, code: str, display: str) -> tuple[str, bool]:
    """Why a code that charts no vital is left out, and whether that loses chartable data:
    the vocabulary's reason (a notice), or an unlisted code whose display names a vital
    (an error: probably a vital the app failed to read)."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for c in codings if isinstance(codings, list) else []:
        if isinstance(c, dict) and str(c.get("system", "")) in _SYSTEMS:
            reason = not_charted_reason(_SYSTEMS[str(c["system"])], str(c.get("code", "")))
            if reason:
                return reason, False
    if looks_like_vital(display):
        return (f"code {code or '(none)'} is not in the vocabulary but its display names a "
                "vital sign: check the sender's codes"), True
    return "not a vital sign the monitor charts", False


def _listed_reason(concept: Any) -> str | None:
    """The vocabulary's reason for not charting a code of ``concept`` (a left atrial or an
    arterial pressure panel), or None when none of its codings is listed as not charted."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for c in codings if isinstance(codings, list) else []:
        if isinstance(c, dict) and str(c.get("system", "")) in _SYSTEMS:
            reason = not_charted_reason(_SYSTEMS[str(c["system"])], str(c.get("code", "")))
            if reason:
                return reason
    return None


def _absent(element: Mapping[str, Any]) -> str | None:
    """The dataAbsentReason of an element without a value ('' when it gives none), or None."""
    if "valueQuantity" in element or "dataAbsentReason" not in element:
        return None
    absent = element.get("dataAbsentReason")
    if isinstance(absent, dict):
        return str(absent.get("text") or next(iter(_codes(absent)), ""))
    return ""


def _codes(concept: Any) -> set[str]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings, list):
        return set()
    return {str(c.get("code", "")) for c in codings if isinstance(c, dict)}


def _quantity(vital: Vital, element: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """The value of an Observation or component in the vital's display unit, or a reason."""
    label = VITAL_SPECS[vital].label
    if "valueQuantity" not in element:
        absent = element.get("dataAbsentReason")
        if absent is not None:
            reason = absent.get("text") or next(iter(_codes(absent)), "") if isinstance(
                absent, dict) else ""
            return None, f"{label}: no value (dataAbsentReason {reason})".replace(" ()", "")
        others = [k for k in element if k.startswith("value")]
        return None, (f"{label}: {others[0]} is not a quantity" if others
                      else f"{label}: no value")
    q = element["valueQuantity"]
    value = q.get("value") if isinstance(q, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value \
            or value in (float("inf"), float("-inf")):
        return None, f"{label}: {json.dumps(value)} is not a number"
    code, unit = str(q.get("code", "") or ""), str(q.get("unit", "") or "")
    converted, problem = to_display_unit(vital, float(value), code or unit)
    if problem and code and unit:
        converted, problem = to_display_unit(vital, float(value), unit)
    return converted, (f"{label}: {problem}" if problem else None)


def _effective(resource: Mapping[str, Any]) -> str:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if isinstance(resource.get(key), str):
            return resource[key]
    period = resource.get("effectivePeriod")
    if isinstance(period, dict):
        return str(period.get("start") or period.get("end") or "")
    return ""


def _time(text: str, default_tz: tzinfo | None,
          date_only_as_midnight: bool) -> tuple[datetime | None, bool, str | None]:
    """(time, was date only, problem)."""
    if not text:
        return None, False, "no effective time"
    if _PARTIAL_DATE.match(text):
        return None, False, f"effective time '{text}' is only a year or month"
    if _DATE_ONLY.match(text) and not date_only_as_midnight:
        return None, True, (f"effective time '{text}' is a date without a time of day; a "
                            "reading needs the time it was taken")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False, f"effective time '{text}' is not a FHIR dateTime"
    return localize(moment, default_tz), bool(_DATE_ONLY.match(text)), None


class _Reader:
    def __init__(self, *, name: str, default_tz: tzinfo | None, source: Source,
                 date_only_as_midnight: bool):
        self.name = name
        self.default_tz = default_tz
        self.source = source
        self.midnight = date_only_as_midnight
        self.errors: list[RowError] = []
        self.groups: dict[tuple[str | None, datetime], _Group] = {}
        self.unsupported: dict[str, list[str]] = {}
        self.unsupported_lost: dict[str, bool] = {}  # key -> its display names a vital
        self.patients: dict[str, str] = {}  # fullUrl, 'Patient/id' -> patient id
        self.patient_ids: set[str] = set()
        self.observations = 0

    # --- patients

    def add_patient(self, resource: Mapping[str, Any], full_url: str) -> None:
        ident = _patient_identifier(resource)
        rid = str(resource.get("id", ""))
        for key in (full_url, f"Patient/{rid}" if rid else ""):
            if key:
                self.patients[key] = ident or rid

    def patient_of(self, subject: Any) -> str | None:
        if not isinstance(subject, dict):
            return None
        ident = subject.get("identifier")
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"])
        ref = str(subject.get("reference", ""))
        if not ref:
            return None
        if ref in self.patients:
            return self.patients[ref]
        tail = "/".join(ref.rstrip("/").split("/")[-2:])
        if tail in self.patients:
            return self.patients[tail]
        if ref.startswith("urn:uuid:"):
            return ref.removeprefix("urn:uuid:")
        kind, _, rid = tail.partition("/")
        return rid if kind == "Patient" and rid else None

    # --- observations

    def observation(self, resource: Mapping[str, Any], where: str) -> None:
        self.observations += 1
        status = str(resource.get("status", ""))
        codes = _codes(resource.get("code"))
        vital, code, display = _vital(resource.get("code"))
        patient = self.patient_of(resource.get("subject"))
        if patient:
            self.patient_ids.add(patient)
        if status not in _IMPORTED_STATUSES:
            if vital is not None or codes & _PANELS:
                self.errors.append(RowError(where, f"status '{status}' is not a result to chart;"
                                            " skipped"))
            return
        components = resource.get("component")
        reason = _listed_reason(resource.get("code")) if vital is None else None
        if reason and isinstance(components, list) and not codes & _PANELS:
            # An invasive pressure whose components reuse the NIBP codes (8480-6...): the
            # Observation's own code says what they measure, and that is not charted.
            shown = f"{code} {display}".strip() or "(no code)"
            self.errors.append(RowError.not_charted(where, f"{shown}: {reason}"))
            return
        found: list[tuple[Vital, float]] = []
        problems: list[str] = []
        absent: set[Vital] = set()

        def take(v: Vital, element: Mapping[str, Any], label: str) -> None:
            why = _absent(element)
            if why is not None:  # the sender says there is no value: nothing is lost
                absent.add(v)
                shown = f" {why}" if why else ""
                self.errors.append(RowError.not_charted(
                    label, f"{VITAL_SPECS[v].label}: no value (dataAbsentReason{shown})"))
                return
            value, problem = _quantity(v, element)
            if problem:
                problems.append(problem)
            elif value is not None:
                found.append((v, value))

        if vital is not None:
            take(vital, resource, where)
        for number, comp in enumerate(components if isinstance(components, list) else [], 1):
            if not isinstance(comp, dict):
                continue
            comp_vital, comp_code, comp_display = _vital(comp.get("code"))
            label = f"{where}, component {number}"
            if comp_vital is None:
                # A qualifier, a cuff size, a temperature: reported, the rest is kept.
                reason, lost = _uncharted(comp.get("code"), comp_code, comp_display)
                text = f"{comp_code} {comp_display}".strip() or "(no code)"
                make = RowError if lost else RowError.not_charted
                self.errors.append(make(label, f"{text}: {reason}"))
                continue
            take(comp_vital, comp, label)
        if vital is None and not found and not problems and absent:
            return
        if vital is None and not found and not problems:
            if codes & _PANELS and resource.get("hasMember"):
                self.errors.append(RowError(where, "panel with only hasMember references: its "
                                            "members are imported when they are in this file"))
            elif codes & _PANELS:
                self.errors.append(RowError(where, "panel without values"))
            else:
                key = f"{code} '{display}'" if display else (code or "(no code)")
                self.unsupported.setdefault(key, []).append(where)
                self.unsupported_lost[key] = _uncharted(resource.get("code"), code,
                                                        display)[1]
            return
        if problems:
            self.errors.append(RowError(where, "; ".join(problems) + "; skipped"))
            return
        moment, date_only, problem = _time(_effective(resource), self.default_tz, self.midnight)
        if moment is None:
            shown = ", ".join(f"{VITAL_SPECS[v].abbreviation} {x:g}" for v, x in found)
            self.errors.append(RowError(where, f"{shown}: {problem}; skipped"))
            return
        self._place(patient, moment, date_only, found, where, _device(resource))
        self.groups[(patient, moment)].absent |= absent

    def _place(self, patient: str | None, moment: datetime, date_only: bool,
               found: list[tuple[Vital, float]], where: str, device: str) -> None:
        group = self.groups.setdefault((patient, moment), _Group())
        group.wheres.append(where)
        group.date_only = group.date_only or date_only
        for vital, value in found:
            earlier = group.values.get(vital)
            if vital in group.conflicted:
                continue
            if earlier is None:
                group.values[vital] = _Obs(vital, value, where, device)
            elif earlier.value != value:
                del group.values[vital]
                group.conflicted.add(vital)
                self.errors.append(RowError(where, f"{VITAL_SPECS[vital].label} {value:g} "
                                            f"contradicts {earlier.value:g} in {earlier.where} "
                                            "for the same time; neither is imported"))

    def results(self) -> Iterator[ParsedReading | RowError]:
        yield from self.errors
        for key, wheres in self.unsupported.items():
            count = len(wheres)
            listed = ", ".join(w.split(" (")[0].removeprefix("entry ") for w in wheres[:10])
            more = f" and {count - 10} more" if count > 10 else ""
            skipped = f"{count} observation{'s' * (count != 1)} skipped ({listed}{more})"
            if self.unsupported_lost.get(key):
                yield RowError(wheres[0], f"code {key} is not in the vocabulary but its display "
                               f"names a vital sign: {skipped}")
            else:
                yield RowError.not_charted(
                    wheres[0], f"code {key} is not a vital sign the monitor charts: {skipped}")
        for (patient, moment), group in sorted(self.groups.items(),
                                               key=lambda kv: (kv[0][1], kv[0][0] or "")):
            if not group.values:
                continue
            where = _join_wheres(group.wheres)
            values = {v: o.value for v, o in group.values.items()}
            # A half of the blood pressure the sender marked absent keeps the other half.
            absent = {VITAL_SPECS[v].label for v in group.absent}
            problems = [p for p in validate_values(values)
                        if not (p.message == PAIR_MESSAGE and p.field in absent)]
            if problems:
                yield RowError(where, "; ".join(str(p) for p in problems) + "; skipped")
                continue
            device = next((o.device for o in group.values.values() if o.device), "")
            extra = {"time_precision": "date"} if group.date_only else None
            reading = imported_reading(moment, values, source=self.source,
                                       detail=source_detail(self.name, FHIR, device),
                                       extra=extra)
            yield ParsedReading(reading, where, patient)


def _join_wheres(wheres: list[str]) -> str:
    if len(wheres) == 1:
        return wheres[0]
    numbers = [w.split(" (")[0] for w in wheres]
    if all(n.startswith("entry ") for n in numbers):
        return "entries " + ", ".join(n.removeprefix("entry ") for n in numbers)
    return ", ".join(numbers)


def _patient_identifier(resource: Mapping[str, Any]) -> str:
    idents = [i for i in resource.get("identifier", []) or [] if isinstance(i, dict)
              and i.get("value")]
    for ident in idents:
        if "MR" in _codes(ident.get("type")):
            return str(ident["value"])
    return str(idents[0]["value"]) if idents else ""


def _device(resource: Mapping[str, Any]) -> str:
    device = resource.get("device")
    if not isinstance(device, dict):
        return ""
    return str(device.get("display") or device.get("reference") or "")


def _label(resource: Mapping[str, Any]) -> str:
    kind = str(resource.get("resourceType", "?"))
    return f"{kind}/{resource['id']}" if resource.get("id") else kind


def _resources(document: Any, where: str) -> Iterator[tuple[Any, str, str]]:
    """(resource, location, fullUrl) for a resource or each entry of a Bundle."""
    if not isinstance(document, dict) or "resourceType" not in document:
        yield None, where, ""
        return
    if document["resourceType"] != "Bundle":
        yield document, f"{where} ({_label(document)})" if where else _label(document), ""
        return
    entries = document.get("entry", [])
    for number, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        prefix = f"{where}, entry {number}" if where else f"entry {number}"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        yield resource, f"{prefix} ({_label(resource)})", str(entry.get("fullUrl", ""))


def _documents(text: str) -> tuple[list[tuple[Any, str]], list[RowError]]:
    """The JSON document, or each line of NDJSON, with its location prefix."""
    try:
        return [(json.loads(text), "")], []
    except json.JSONDecodeError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines[:2]):
            docs, errors = [], []
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    docs.append((json.loads(line), f"line {number}"))
                except json.JSONDecodeError as e:
                    errors.append(RowError(f"line {number}", f"not valid JSON: {e.msg}"))
            return docs, errors
        where = f"line {whole.lineno}, column {whole.colno}"
        hint = " (the file may be cut off)" if whole.pos >= len(text.rstrip()) else ""
        return [], [RowError(where, f"not valid JSON: {whole.msg}{hint}")]
    except RecursionError:
        return [], [RowError("file", "JSON nested too deeply")]


def parse_fhir(
    data: bytes | BinaryIO,
    *,
    name: str,
    default_tz: tzinfo | None = None,
    source: Source = Source.IMPORT,
    date_only_as_midnight: bool = False,
) -> ParseResult:
    """Read FHIR R4 JSON: an Observation, a Bundle, or NDJSON, from bytes or a binary stream.

    ``default_tz`` is the zone for times without offset (None: this computer's zone).
    ``date_only_as_midnight`` accepts date-only times as 00:00 (default: reported)."""
    raw = bytes(data if isinstance(data, bytes | bytearray) else data.read())
    result = ParseResult(format=FHIR)
    problem = not_text_problem(raw[:4096], FHIR, "FHIR JSON must be UTF-8")
    if problem:
        result.errors.append(RowError("file", problem))
        return result
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        result.errors.append(RowError(f"line {line}", f"not UTF-8 text (byte "
                                      f"0x{raw[e.start]:02X}); FHIR JSON must be UTF-8"))
        return result
    if not text.strip():
        result.errors.append(RowError("file", "the file is empty"))
        return result
    documents, errors = _documents(text)
    result.errors.extend(errors)
    reader = _Reader(name=name, default_tz=default_tz, source=source,
                     date_only_as_midnight=date_only_as_midnight)
    resources = [r for doc, where in documents for r in _resources(doc, where)]
    for resource, _, full_url in resources:
        if resource is not None and resource.get("resourceType") == "Patient":
            reader.add_patient(resource, full_url)
    for resource, where, _ in resources:
        if resource is None:
            result.errors.append(RowError(where or "file", "not a FHIR resource (no "
                                          "resourceType)"))
        elif resource.get("resourceType") == "Observation":
            try:
                reader.observation(resource, where)
            except (TypeError, AttributeError, ValueError) as e:
                # Last guard for shapes no FHIR server writes (a list where an object belongs).
                result.errors.append(RowError(where, f"malformed Observation ({e}); skipped"))
    for item in reader.results():
        result.add(item)
    result.patient_ids |= reader.patient_ids
    if documents and not reader.observations and not errors:
        result.errors.append(RowError("file", "no Observation resources"))
    return result


def iter_fhir_stream(stream: BinaryIO, *, name: str, default_tz: tzinfo | None = None,
                     source: Source = Source.IMPORT,
                     date_only_as_midnight: bool = False) -> Iterator[ParsedReading | RowError]:
    """The readings and problems of a FHIR file read from ``stream`` (what the importer
    calls; :func:`parse_fhir` collects the same)."""
    result = parse_fhir(stream, name=name, default_tz=default_tz, source=source,
                        date_only_as_midnight=date_only_as_midnight)
    yield from result.errors
    yield from result.readings
