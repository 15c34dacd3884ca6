"""Vital-sign kinds, their units, codes and plausibility ranges (DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

KPA_TO_MMHG = 7.50062


class Vital(StrEnum):
    """The vital signs the app charts. Values are the canonical short keys used everywhere
    (database columns, canonical CSV headers, JSON exports)."""

    SBP = "sbp"
    DBP = "dbp"
    MAP = "map"
    HR = "hr"
    RR = "rr"
    SPO2 = "spo2"


@dataclass(frozen=True)
class VitalSpec:
    """Everything the app knows about one vital sign."""

    vital: Vital
    label: str  # shown in forms and tiles
    abbreviation: str  # shown in alert messages, e.g. "SBP 184 > 180 mmHg"
    unit: str  # display unit
    ucum: str  # UCUM unit code for FHIR
    loinc: str  # the preferred LOINC code (what FHIR export writes); every code that means
    # this vital, LOINC and IEEE 11073 MDC, is in resources/vocabulary/vital_codes.csv
    plausible_min: float
    plausible_max: float


VITAL_SPECS: dict[Vital, VitalSpec] = {
    Vital.SBP: VitalSpec(
        Vital.SBP, "Systolic BP", "SBP", "mmHg", "mm[Hg]", "8480-6", 20, 300
    ),
    Vital.DBP: VitalSpec(
        Vital.DBP, "Diastolic BP", "DBP", "mmHg", "mm[Hg]", "8462-4", 10, 250
    ),
    Vital.MAP: VitalSpec(
        Vital.MAP, "Mean arterial pressure", "MAP", "mmHg", "mm[Hg]", "8478-0",
        10, 300,
    ),
    Vital.HR: VitalSpec(
        Vital.HR, "Heart rate", "HR", "/min", "/min", "8867-4", 20, 300
    ),
    Vital.RR: VitalSpec(
        Vital.RR, "Respiratory rate", "RR", "/min", "/min", "9279-1", 0, 120,
    ),
    Vital.SPO2: VitalSpec(Vital.SPO2, "SpO2", "SpO2", "%", "%", "59408-5", 50, 100),
}

#: Vitals a nurse types in; MAP is derived unless a device measured it.
ENTERED_VITALS: tuple[Vital, ...] = (Vital.SBP, Vital.DBP, Vital.HR, Vital.RR, Vital.SPO2)


def spec(vital: Vital) -> VitalSpec:
    """The specification of ``vital``."""
    return VITAL_SPECS[vital]


def derive_map(sbp: float, dbp: float) -> float:
    """Mean arterial pressure from systolic and diastolic: DBP + (SBP - DBP) / 3."""
    return round(dbp + (sbp - dbp) / 3.0, 1)


def kpa_to_mmhg(value: float) -> float:
    """Convert a pressure in kPa to mmHg."""
    return value * KPA_TO_MMHG
