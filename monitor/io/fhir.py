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

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from math import isfinite
from typing import Any, BinaryIO

from monitor.domain.readings import Source, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital

from . import fhir_xml
from .json_stream import CHUNK_BYTES, JsonProblem, JsonText
from .limits import BUNDLE_ENTRIES, JSON_DEPTH, RESOURCE_BYTES, UNREADABLE
from .local_time import LocalZone
from .parsed import (
    FHIR,
    MAX_ERRORS,
    PAIR_MESSAGE,
    PANEL_CODES,
    VITAL_BY_LOINC,
    VITAL_BY_MDC,
    ParsedReading,
    ParseResult,
    RowError,
    imported_reading,
    not_charted_reason,
    not_text_problem,
    source_detail,
    to_display_unit,
    unit_factor,
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
#: Groups (one patient, one time) held open for more Observations of the same time; an
#: Observation of a time this many groups back makes a reading of its own at that time.
GROUP_WINDOW = 4096
_TIMES_KEPT = 4096
_NO_CODES: frozenset[str] = frozenset()
_LISTED_WHERES = 10


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


def _time(text: str, zone: LocalZone,
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
    if moment.tzinfo is None:
        # FHIR requires an offset on a time of day; a date alone has none. Either way the
        # wall time is placed by the DST rule (an ambiguous one is refused).
        aware, problem = zone.aware(moment)
        if aware is None:
            return None, False, problem
        moment = aware
    return moment, bool(_DATE_ONLY.match(text)), None


class _Reader:
    def __init__(self, *, name: str, default_tz: tzinfo | None, source: Source,
                 date_only_as_midnight: bool):
        self.name = name
        self.default_tz = default_tz
        self.zone = LocalZone(default_tz)
        self._times: dict[str, tuple[datetime | None, bool, str | None]] = {}
        self._details: dict[str, str] = {}  # device -> source detail
        self._factors: dict[tuple[Vital, str], float] = {}  # (vital, unit) -> factor
        self.source = source
        self.midnight = date_only_as_midnight
        self.errors: list[RowError] = []  # of the resource read last; taken by the caller
        # Open groups, oldest first; only the last GROUP_WINDOW are held (see flushed()).
        self.groups: dict[tuple[str | None, datetime], _Group] = {}
        self.unsupported: dict[str, list[str]] = {}  # the first wheres of each code
        self.unsupported_count: dict[str, int] = {}
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
        if self._charted_simply(resource, where):
            return
        status = str(resource.get("status", ""))
        vital, code, display = _vital(resource.get("code"))
        # Only an Observation that is not a single vital needs all its codes (a panel?).
        codes = _codes(resource.get("code")) if vital is None else _NO_CODES
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
                wheres = self.unsupported.setdefault(key, [])
                if len(wheres) < _LISTED_WHERES:
                    wheres.append(where)
                self.unsupported_count[key] = self.unsupported_count.get(key, 0) + 1
                self.unsupported_lost[key] = _uncharted(resource.get("code"), code,
                                                        display)[1]
            return
        if problems:
            self.errors.append(RowError(where, "; ".join(problems) + "; skipped"))
            return
        effective = _effective(resource)
        timed = self._times.get(effective)
        if timed is None:  # the Observations of one reading share their time
            if len(self._times) > _TIMES_KEPT:
                self._times.clear()
            timed = self._times[effective] = _time(effective, self.zone, self.midnight)
        moment, date_only, problem = timed
        if moment is None:
            shown = ", ".join(f"{VITAL_SPECS[v].abbreviation} {x:g}" for v, x in found)
            self.errors.append(RowError(where, f"{shown}: {problem}; skipped"))
            return
        self._place(patient, moment, date_only, found, where, _device(resource))
        self.groups[(patient, moment)].absent |= absent

    def _charted_simply(self, resource: Mapping[str, Any], where: str) -> bool:
        """Chart the usual Observation (one vital, a number in a unit known for it, a time)
        without the general path's checks, which give the same result for it; False leaves
        anything else to them. A million-reading Bundle holds four million of these."""
        if "component" in resource or resource.get("status") not in _IMPORTED_STATUSES:
            return False
        quantity = resource.get("valueQuantity")
        if type(quantity) is not dict:
            return False
        value = quantity.get("value")
        if type(value) not in (int, float) or not isfinite(value):
            return False
        vital = _vital(resource.get("code"))[0]
        if vital is None:
            return False
        unit = str(quantity.get("code", "") or "") or str(quantity.get("unit", "") or "")
        factor = self._factors.get((vital, unit))
        if factor is None:
            factor = unit_factor(vital, unit)
            if factor is None:
                return False
            self._factors[(vital, unit)] = factor
        timed = self._times.get(_effective(resource))
        if timed is None or timed[0] is None:
            return False  # the general path parses (and keeps) the time
        patient = self.patient_of(resource.get("subject"))
        if patient:
            self.patient_ids.add(patient)
        converted = value if factor == 1.0 else round(value * factor, 1)
        self._place(patient, timed[0], timed[1], [(vital, converted)], where,
                    _device(resource))
        return True

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

    def flushed(self) -> Iterator[ParsedReading | RowError]:
        """The readings of the groups beyond the window: a file holds the Observations of
        one time close together, so a group this far back is complete."""
        while len(self.groups) > GROUP_WINDOW:
            key = next(iter(self.groups))
            yield from self._reading(key, self.groups.pop(key))

    def results(self) -> Iterator[ParsedReading | RowError]:
        """What is left at the end of the file: the summary of codes not charted, then the
        readings of the open groups."""
        for key, wheres in self.unsupported.items():
            count = self.unsupported_count[key]
            listed = ", ".join(w.split(" (")[0].removeprefix("entry ") for w in wheres)
            more = f" and {count - len(wheres)} more" if count > len(wheres) else ""
            skipped = f"{count} observation{'s' * (count != 1)} skipped ({listed}{more})"
            if self.unsupported_lost.get(key):
                yield RowError(wheres[0], f"code {key} is not in the vocabulary but its display "
                               f"names a vital sign: {skipped}")
            else:
                yield RowError.not_charted(
                    wheres[0], f"code {key} is not a vital sign the monitor charts: {skipped}")
        for key, group in list(self.groups.items()):
            yield from self._reading(key, group)
        self.groups.clear()

    def _reading(self, key: tuple[str | None, datetime], group: _Group
                 ) -> Iterator[ParsedReading | RowError]:
        patient, moment = key
        if not group.values:
            return
        where = _join_wheres(group.wheres)
        values = {v: o.value for v, o in group.values.items()}
        # A half of the blood pressure the sender marked absent keeps the other half.
        absent = {VITAL_SPECS[v].label for v in group.absent}
        problems = [p for p in validate_values(values)
                    if not (p.message == PAIR_MESSAGE and p.field in absent)]
        if problems:
            yield RowError(where, "; ".join(str(p) for p in problems) + "; skipped")
            return
        device = next((o.device for o in group.values.values() if o.device), "")
        extra = {"time_precision": "date"} if group.date_only else None
        detail = self._details.get(device)
        if detail is None:
            detail = self._details[device] = source_detail(self.name, FHIR, device)
        reading = imported_reading(moment, values, source=self.source, detail=detail,
                                   extra=extra)
        yield ParsedReading(reading, where, patient)


def _join_wheres(wheres: list[str]) -> str:
    if len(wheres) == 1:
        return wheres[0]
    joined = ", ".join([w.partition(" (")[0] for w in wheres])
    if joined.startswith("entry ") and joined.count("entry ") == len(wheres):
        return "entries " + joined.replace("entry ", "")
    return joined


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


class _Refused(Exception):
    """The file cannot be read on: the error says why (a limit, or broken JSON)."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def _refusal(problem: JsonProblem, what: str = "") -> RowError:
    """The error that stops reading: a limit hit names it; broken JSON refuses the file too,
    since what follows the break cannot be told apart."""
    where = f"{what}, {problem.where}" if what else problem.where
    if problem.kind == "size":
        return RESOURCE_BYTES.refusal(where, problem.message)
    if problem.kind == "depth":
        return JSON_DEPTH.refusal(where, problem.message)
    hint = " (the file may be cut off)" if problem.cut_off else ""
    if problem.message == "Unterminated string starting at":  # the decoder's own words
        problem.message = "a string is not closed"
    kind = "not UTF-8 text; FHIR JSON must be UTF-8" if problem.kind == "encoding" else (
        f"not valid JSON: {problem.message}{hint}")
    return RowError(where, f"{kind}; the file is refused and nothing was imported", UNREADABLE)


def _is_ndjson(text: JsonText) -> bool:
    """NDJSON (one resource a line): the first line is a whole JSON value and another
    follows. A pretty-printed or single-line document is not."""
    text.peek()
    while True:
        newline = text.buf.find("\n", text.pos)
        if newline >= 0 or text.eof or len(text.buf) - text.pos > CHUNK_BYTES:
            break
        if not text.fill():
            break
    if newline < 0:
        return False
    first = text.buf[text.pos:newline].strip()
    rest = text.buf[newline + 1:newline + 1 + 4096].lstrip()
    if not first.startswith("{") or not rest.startswith("{"):
        return False
    try:
        json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


def _ndjson(text: JsonText) -> Iterator[tuple[Any, str, str] | RowError]:
    number = 0
    while (line := text.line()) is not None:
        number += 1
        if not line.strip():
            continue
        try:
            document = text.decode_line(line, number)
        except JsonProblem as problem:
            if problem.kind != "syntax":
                raise _Refused(_refusal(problem)) from None
            yield RowError(f"line {number}", f"not valid JSON: {problem.message}")
            continue
        yield from _resources(document, f"line {number}")


def _document(text: JsonText) -> Iterator[tuple[Any, str, str] | RowError]:
    """The resource the document is, or each entry of the Bundle it is, read one entry at a
    time."""
    if text.peek() != "{":
        text.value()
        yield None, "file", ""
        return
    top: dict[str, Any] = {}
    entries = 0
    for key in text.object_keys():
        if key in top:
            raise _Refused(_refusal(text.problem(
                "syntax", f"the key '{key[:60]}' appears twice in one object; which value "
                "the sender meant cannot be told")))
        if key == "entry" and top.get("resourceType", "Bundle") == "Bundle" \
                and text.peek() == "[":
            try:
                for entry in text.elements():
                    entries += 1
                    if entries > BUNDLE_ENTRIES.value:
                        raise _Refused(BUNDLE_ENTRIES.refusal(
                            f"entry {entries:,}", f"more than {BUNDLE_ENTRIES.value:,}"))
                    resource = entry.get("resource") if isinstance(entry, dict) else None
                    if isinstance(resource, dict):
                        yield (resource, f"entry {entries} ({_label(resource)})",
                               str(entry.get("fullUrl", "")))
            except JsonProblem as problem:
                raise _Refused(_refusal(problem, f"entry {entries + 1}")) from None
            top["entry"] = []
        else:
            top[key] = text.value()
    if not text.at_end:
        raise _Refused(_refusal(text.problem("syntax", "Extra data")))
    if top.get("resourceType") == "Bundle":
        return
    if entries and "resourceType" in top:
        yield RowError("file", f"a {str(top['resourceType'])[:40]} with entries is not a "
                       "Bundle; its entries were read as a Bundle's")
        return
    yield from _resources(top, "")


class _FhirStream:
    """The readings and problems of one FHIR JSON file, produced as it is read."""

    def __init__(self, stream: BinaryIO, *, name: str, default_tz: tzinfo | None,
                 source: Source, date_only_as_midnight: bool,
                 patients: Mapping[str, str] | None):
        self.stream = stream
        self.reader = _Reader(name=name, default_tz=default_tz, source=source,
                              date_only_as_midnight=date_only_as_midnight)
        if patients:
            self.reader.patients.update(patients)
        self.errors = 0
        self.read_any = False  # a document (or NDJSON line) was read

    def resources(self) -> Iterator[tuple[Any, str, str] | RowError]:
        """Each resource with its location and fullUrl (or a problem), in file order.
        Raises :class:`_Refused` when the file cannot be read on."""
        head = self.stream.read(4096)  # enough to tell text from binary
        xml = fhir_xml.looks_like_xml(head)
        problem = not_text_problem(head, FHIR, f"FHIR {'XML' if xml else 'JSON'} must be UTF-8")
        if problem:
            raise _Refused(RowError("file", problem))
        if xml:
            self.read_any = True
            yield from self._xml(head)
            return
        text = JsonText(self.stream, head=head, max_chars=RESOURCE_BYTES.value,
                        max_depth=JSON_DEPTH.value)
        try:
            if text.at_end:
                raise _Refused(RowError("file", "the file is empty"))
            self.read_any = True
            yield from _ndjson(text) if _is_ndjson(text) else _document(text)
        except JsonProblem as problem:
            raise _Refused(_refusal(problem)) from None

    def _xml(self, head: bytes) -> Iterator[tuple[Any, str, str]]:
        try:
            for resource, number, full_url in fhir_xml.resources(self.stream, head):
                label = _label(resource)
                yield resource, f"entry {number} ({label})" if number else label, full_url
        except fhir_xml.XmlRefused as refused:
            raise _Refused(refused.error) from None

    def __iter__(self) -> Iterator[ParsedReading | RowError]:
        reader = self.reader
        try:
            for item in self.resources():
                if isinstance(item, RowError):
                    yield from self._counted([item])
                    continue
                resource, where, full_url = item
                if resource is None:
                    yield from self._counted([RowError(
                        where or "file", "not a FHIR resource (no resourceType)")])
                    continue
                kind = resource.get("resourceType")
                if kind == "Patient":
                    reader.add_patient(resource, full_url)
                elif kind == "Observation":
                    try:
                        reader.observation(resource, where)
                    except (TypeError, AttributeError, ValueError) as e:
                        # Last guard for shapes no FHIR server writes (a list for an object).
                        reader.errors.append(RowError(where, f"malformed Observation ({e}); "
                                                      "skipped"))
                    if reader.errors:
                        yield from self._counted(reader.errors)
                        reader.errors = []
                    if len(reader.groups) > GROUP_WINDOW:
                        yield from self._counted(reader.flushed())
                if self.errors >= MAX_ERRORS:
                    yield RowError("file", f"stopped after {MAX_ERRORS} errors")
                    return
        except _Refused as refused:
            yield refused.error
            return
        yield from reader.results()
        if self.read_any and not reader.observations and not self.errors:
            yield RowError("file", "no Observation resources")

    def _counted(self, items: Iterable[ParsedReading | RowError]
                 ) -> Iterator[ParsedReading | RowError]:
        for item in items:
            if isinstance(item, RowError) and not item.is_notice:
                self.errors += 1
            yield item


# A resource's start in JSON or in XML (with or without a namespace prefix).
_RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"(Patient|Observation)"'
                            rb'|<(?:[A-Za-z_][\w.-]*:)?(Patient|Observation)[\s>/]')


def patients_read_ahead(open_file: Callable[[], BinaryIO]) -> dict[str, str] | None:
    """The Patients of a file that lists one after an Observation (which would otherwise be
    read before its Patient), as the reader's reference -> identifier map; None when no
    Patient comes late, so one pass will do. ``open_file`` opens the file anew."""
    late = False
    seen_observation = False
    with open_file() as stream:
        tail = b""
        while chunk := stream.read(CHUNK_BYTES):
            data = tail + chunk
            for match in _RESOURCE_TYPE.finditer(data):
                if (match.group(1) or match.group(2)) == b"Observation":
                    seen_observation = True
                elif seen_observation:
                    late = True
                    break
            if late:
                break
            tail = data[-64:]
            # A match in the overlap is seen twice: harmless, it only says which came first.
    if not late:
        return None
    with open_file() as stream:
        ahead = _FhirStream(stream, name="", default_tz=None, source=Source.IMPORT,
                            date_only_as_midnight=False, patients=None)
        try:
            for item in ahead.resources():
                if not isinstance(item, RowError) and item[0] is not None \
                        and item[0].get("resourceType") == "Patient":
                    ahead.reader.add_patient(item[0], item[2])
        except _Refused:
            pass  # the main pass reports it
    return ahead.reader.patients


def parse_fhir(
    data: bytes | BinaryIO,
    *,
    name: str,
    default_tz: tzinfo | None = None,
    source: Source = Source.IMPORT,
    date_only_as_midnight: bool = False,
) -> ParseResult:
    """Read FHIR R4 JSON: an Observation, a Bundle, or NDJSON, from bytes or a binary stream,
    into one result (readings in time order). The importer calls :func:`iter_fhir_stream`.

    ``default_tz`` is the zone for times without offset (None: this computer's zone).
    ``date_only_as_midnight`` accepts date-only times as 00:00 (default: reported)."""
    raw = bytes(data if isinstance(data, bytes | bytearray) else data.read())
    result = ParseResult(format=FHIR)
    parsed = _FhirStream(io.BytesIO(raw), name=name, default_tz=default_tz, source=source,
                         date_only_as_midnight=date_only_as_midnight,
                         patients=patients_read_ahead(lambda: io.BytesIO(raw)))
    for item in parsed:
        result.add(item)
    result.readings.sort(key=lambda r: (r.reading.taken_at, r.patient_id or ""))
    result.patient_ids |= parsed.reader.patient_ids
    return result


def iter_fhir_stream(stream: BinaryIO, *, name: str, default_tz: tzinfo | None = None,
                     source: Source = Source.IMPORT, date_only_as_midnight: bool = False,
                     reopen: Callable[[], BinaryIO] | None = None
                     ) -> Iterator[ParsedReading | RowError]:
    """The readings and problems of a FHIR file read from ``stream`` one resource at a time,
    in memory bounded by one resource and :data:`GROUP_WINDOW` open readings (what the
    importer calls). ``reopen`` opens the file again for :func:`patients_read_ahead`,
    needed only when a Patient comes after the Observations that name it."""
    patients = patients_read_ahead(reopen) if reopen is not None else None
    yield from _FhirStream(stream, name=name, default_tz=default_tz, source=source,
                           date_only_as_midnight=date_only_as_midnight, patients=patients)
