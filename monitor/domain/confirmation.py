"""Which values a nurse must confirm before they are saved.

A plausible value beyond a critical limit is accepted only after the nurse confirms it,
so that a typo (180 for 108) is caught before it raises a high-priority alert."""

from __future__ import annotations

from collections.abc import Mapping

from .readings import needs_apnoea_confirmation
from .thresholds import Classification, Severity, ThresholdProfile, classify
from .vitals import VITAL_SPECS, Vital


def confirmation_questions(
    profile: ThresholdProfile,
    values: Mapping[Vital, float],
    baseline: Mapping[Vital, float] | None = None,
) -> list[str]:
    """One sentence per value that needs explicit confirmation; empty when none does."""
    questions: list[str] = []
    if needs_apnoea_confirmation(values):
        questions.append("Respiratory rate 0 /min means apnoea.")
    for vital, value in values.items():
        result: Classification = classify(profile, vital, value, baseline)
        if result.severity is Severity.CRITICAL and not (vital is Vital.RR and value == 0):
            questions.append(
                f"{VITAL_SPECS[vital].label} {result.message} is beyond the critical limit."
            )
    return questions
