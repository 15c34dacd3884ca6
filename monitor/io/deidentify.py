"""De-identified exports for teaching and research.

What is removed from a :class:`~monitor.io.export_data.SessionRecord`:

- the patient's NAME (gone entirely);
- the DATE OF BIRTH and exact age (replaced by a ten-year AGE BAND on the session date,
  ``40-49``; ``90+`` for 90 and over, as HIPAA Safe Harbour requires);
- the patient IDENTIFIER, replaced by a STABLE PSEUDONYM ``ANON-`` + 12 hex digits: an
  HMAC-SHA256 of the identifier. The same patient gets the same pseudonym in every export, so
  a series of infusions can still be followed, and the pseudonym cannot be turned back into
  the identifier without the key;
- any occurrence of the name, its parts or the identifier in free text (notes, reasons,
  indication, file names), replaced by ``[removed]``.

The key: ``IRM_PSEUDONYM_KEY`` from the environment when set (a site secret, kept away from
the exports, so nobody outside can test a guessed identifier), else a fixed key built into
the app. With the built-in key pseudonyms agree between sites and databases, but anyone with
this software could confirm a GUESSED identifier: set your own key before data leave the
organisation.

Kept, because the chart and the research need them: weight, times (not shifted), vital
signs, staff initials, drug and dose.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import replace
from datetime import date

from monitor.domain.events import TimelineEntry
from monitor.domain.records import StoredAlert, StoredAssessment
from monitor.domain.sessions import Patient

from .export_data import SessionRecord

KEY_ENVIRONMENT = "IRM_PSEUDONYM_KEY"
#: The built-in key, used when the site has not set its own (see the module docstring).
BUILT_IN_KEY = b"infusion-recovery-monitor/pseudonym/v1"
PSEUDONYM_PREFIX = "ANON-"
REMOVED = "[removed]"
#: Name parts shorter than this are not scrubbed from free text: "Al" would eat "Alert".
_MIN_NAME_PART = 3


def pseudonym_key() -> bytes:
    """The key pseudonyms are made with: the site's own key, or the built-in one."""
    configured = os.environ.get(KEY_ENVIRONMENT, "").strip()
    return configured.encode() if configured else BUILT_IN_KEY


def pseudonym(identifier: str, key: bytes | None = None) -> str:
    """The stable pseudonym of a patient identifier (surrounding spaces ignored)."""
    digest = hmac.new(key or pseudonym_key(), identifier.strip().encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:12].upper()


def age_band(patient: Patient, on: date) -> str | None:
    """Ten-year age band on ``on`` (``40-49``, ``90+``), or None when the age is unknown."""
    age = patient.age_on(on)
    if age is None or age < 0:
        return None
    if age >= 90:
        return "90+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


def _scrubber(patient: Patient) -> re.Pattern[str] | None:
    words = {patient.identifier.strip()} if patient.identifier.strip() else set()
    name = patient.name.strip()
    if name:
        words.add(name)
        words.update(part for part in re.split(r"[\s,;()]+", name)
                     if len(part) >= _MIN_NAME_PART)
    if not words:
        return None
    # Longest first, so the full name goes before its parts; whole words only.
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def deidentify(record: SessionRecord, key: bytes | None = None) -> SessionRecord:
    """A copy of ``record`` without name, date of birth and identifier (module docstring)."""
    if record.deidentified:
        return record
    session = record.session
    patient = session.patient
    pattern = _scrubber(patient)

    def scrub(text: str) -> str:
        return pattern.sub(REMOVED, text) if pattern is not None and text else text

    on = (session.infusion.started_at or session.started_at or record.generated_at).date()
    anonymous = Patient(identifier=pseudonym(patient.identifier, key))
    infusion = replace(session.infusion, indication=scrub(session.infusion.indication))
    readings = [replace(r, note=scrub(r.note), source_detail=scrub(r.source_detail),
                        correction_reason=scrub(r.correction_reason),
                        status_reason=scrub(r.status_reason))
                for r in record.readings]
    timeline: list[TimelineEntry] = [replace(e, note=scrub(e.note)) for e in record.timeline]
    alerts: list[StoredAlert] = [replace(a, withdrawn_reason=scrub(a.withdrawn_reason))
                                 for a in record.alerts]
    assessments: list[StoredAssessment] = list(record.assessments)
    versions = [replace(v, reason=scrub(v.reason)) for v in record.profile_versions]
    return replace(
        record,
        session=replace(session, patient=anonymous, infusion=infusion),
        readings=readings,
        timeline=timeline,
        alerts=alerts,
        assessments=assessments,
        profile=replace(record.profile, reason=scrub(record.profile.reason)),
        profile_versions=versions,
        deidentified=True,
        age_band=age_band(patient, on),
    )
