"""The FHIR R4 rules a server applies to what the app sends, written out so the tests can hold
the export to them (``fhir.resources`` checks the resource structure, not the profiles).

Sources: the R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html: the
``vitalsigns`` base with invariants vs-1 to vs-3, and ``bp``, ``heartrate``, ``resprate``,
``oxygensat`` with their required LOINC codes and UCUM units) and the transaction rules of
hl7.org/fhir/R4/http.html#transaction (every entry a request; a conditional PUT names the
resource by search parameters; references within the Bundle resolve to its fullUrls).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITALSIGNS = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
#: Each specific profile: the LOINC code it requires, and the UCUM unit of its value (None
#: for a panel, whose values are in its components).
PROFILES: dict[str, tuple[str, str | None]] = {
    "http://hl7.org/fhir/StructureDefinition/bp": ("85354-9", None),
    "http://hl7.org/fhir/StructureDefinition/heartrate": ("8867-4", "/min"),
    "http://hl7.org/fhir/StructureDefinition/resprate": ("9279-1", "/min"),
    "http://hl7.org/fhir/StructureDefinition/oxygensat": ("2708-6", "%"),
}
#: The bp profile's required components: systolic and diastolic, in mm[Hg].
BP_COMPONENTS = ("8480-6", "8462-4")
STATUSES = {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
            "entered-in-error", "unknown"}
#: vs-1: a dateTime is at least a day (YYYY-MM-DD), with a zone when it has a time.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$")


def _codes(concept: Mapping[str, Any] | None, system: str = LOINC) -> set[str]:
    return {c.get("code", "") for c in (concept or {}).get("coding", [])
            if c.get("system") == system}


def _quantity_problems(where: str, quantity: Mapping[str, Any] | None, unit: str) -> list[str]:
    if quantity is None:
        return [f"{where}: no valueQuantity and no dataAbsentReason (vs-2)"]
    problems = []
    if not isinstance(quantity.get("value"), int | float):
        problems.append(f"{where}: valueQuantity.value is not a number")
    if quantity.get("system") != UCUM or quantity.get("code") != unit:
        problems.append(f"{where}: unit must be UCUM '{unit}', not "
                        f"{quantity.get('system')}|{quantity.get('code')}")
    return problems


def vital_sign_problems(observation: Mapping[str, Any]) -> list[str]:
    """What breaks the R4 vital-signs profiles that ``observation`` claims (and the base
    profile, which every vital-sign Observation must meet). Empty when it conforms."""
    where = f"Observation {observation.get('id') or observation.get('identifier', '')}"
    problems: list[str] = []
    claimed = set((observation.get("meta") or {}).get("profile", []))
    if VITALSIGNS not in claimed:
        problems.append(f"{where}: meta.profile does not claim {VITALSIGNS}")
    if observation.get("status") not in STATUSES:
        problems.append(f"{where}: status '{observation.get('status')}' is not allowed")
    if not any("vital-signs" in _codes(c, CATEGORY) for c in observation.get("category", [])):
        problems.append(f"{where}: no vital-signs category")
    codes = _codes(observation.get("code"))
    if not codes:
        problems.append(f"{where}: code has no LOINC coding")
    if not (observation.get("subject") or {}).get("reference"):
        problems.append(f"{where}: no subject reference")
    effective = observation.get("effectiveDateTime")
    if not isinstance(effective, str) or not _DATE_TIME.match(effective):
        problems.append(f"{where}: effectiveDateTime '{effective}' is not a FHIR dateTime "
                        "(vs-1)")
    for profile, (code, unit) in PROFILES.items():
        if profile not in claimed:
            continue
        if code not in codes:
            problems.append(f"{where}: {profile.rsplit('/', 1)[1]} needs LOINC {code}")
        if unit is not None and "dataAbsentReason" not in observation:
            problems += _quantity_problems(where, observation.get("valueQuantity"), unit)
    if "http://hl7.org/fhir/StructureDefinition/bp" in claimed:
        components = {next(iter(_codes(c.get("code"))), ""): c
                      for c in observation.get("component", [])}
        for code in BP_COMPONENTS:
            component = components.get(code)
            if component is None:
                problems.append(f"{where}: blood pressure needs component {code}")
            elif "dataAbsentReason" not in component:
                problems += _quantity_problems(f"{where} component {code}",
                                               component.get("valueQuantity"), "mm[Hg]")
    elif not observation.get("component") and "dataAbsentReason" not in observation \
            and "valueQuantity" not in observation:
        problems.append(f"{where}: no value and no dataAbsentReason (vs-2)")
    return problems


def transaction_problems(bundle: Mapping[str, Any]) -> list[str]:
    """What a server would refuse in ``bundle`` as a transaction. Empty when it is one."""
    if bundle.get("type") != "transaction":
        return [f"Bundle type is '{bundle.get('type')}', not transaction"]
    problems: list[str] = []
    full_urls = [e.get("fullUrl") for e in bundle.get("entry", [])]
    if len(set(full_urls)) != len(full_urls):
        problems.append("two entries share a fullUrl")
    known = set(full_urls)
    for index, entry in enumerate(bundle.get("entry", [])):
        where = f"entry {index}"
        request = entry.get("request") or {}
        resource = entry.get("resource") or {}
        kind = resource.get("resourceType", "")
        if request.get("method") not in {"POST", "PUT", "DELETE", "GET", "PATCH"}:
            problems.append(f"{where}: no request method")
            continue
        url = request.get("url", "")
        if request.get("method") == "PUT" and "?" in url:
            target, _, query = url.partition("?")
            if target != kind:
                problems.append(f"{where}: PUT {target} for a {kind}")
            if "id" in resource:
                problems.append(f"{where}: a conditional PUT must not carry an id")
            wanted = {f"{i.get('system')}|{i.get('value')}" for i in resource.get("identifier", [])}
            name, _, value = query.partition("=")
            if name != "identifier" or unquote(value) not in wanted:
                problems.append(f"{where}: {url} does not name the resource's identifier")
        elif request.get("method") == "PUT" and url != f"{kind}/{resource.get('id')}":
            problems.append(f"{where}: PUT {url} does not match {kind}/{resource.get('id')}")
        reference = (resource.get("subject") or {}).get("reference")
        if reference and reference.startswith("urn:uuid:") and reference not in known:
            problems.append(f"{where}: subject {reference} is not in the Bundle")
    return problems
