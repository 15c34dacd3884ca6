"""Alert thresholds: profiles of limits per vital, and classifying a value against them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .errors import FieldError
from .vitals import VITAL_SPECS, Vital


class Severity(IntEnum):
    """How far a value is from normal. Ordered, so ``max()`` gives the worst."""

    NORMAL = 0
    CAUTION = 1
    CRITICAL = 2

    @property
    def word(self) -> str:
        return self.name.lower()


LIMIT_NAMES = ("critical_low", "caution_low", "caution_high", "critical_high")
LIMIT_LABELS = {
    "critical_low": "critical low",
    "caution_low": "caution low",
    "caution_high": "caution high",
    "critical_high": "critical high",
}


@dataclass(frozen=True)
class Limits:
    """Absolute limits for one vital; any may be None (no limit on that side)."""

    critical_low: float | None = None
    caution_low: float | None = None
    caution_high: float | None = None
    critical_high: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in LIMIT_NAMES}


@dataclass(frozen=True)
class BaselineRule:
    """A deviation from the patient's own pre-infusion value, in percent."""

    vital: Vital
    caution_pct: float
    critical_pct: float


@dataclass(frozen=True)
class ThresholdProfile:
    name: str
    limits: Mapping[Vital, Limits] = field(default_factory=dict)
    baseline_rules: tuple[BaselineRule, ...] = ()

    def limits_for(self, vital: Vital) -> Limits:
        return self.limits.get(vital, Limits())


@dataclass(frozen=True)
class Classification:
    """The state of one value: its severity, and which limit it crossed."""

    vital: Vital
    value: float
    severity: Severity
    limit: float | None = None
    direction: str | None = None  # "high" or "low"
    baseline: float | None = None  # set when a baseline rule decided it
    pct: float | None = None

    @property
    def message(self) -> str:
        """What a nurse reads: ``SBP 184 > 180 mmHg``."""
        s = VITAL_SPECS[self.vital]
        if self.severity is Severity.NORMAL or self.limit is None:
            return f"{s.abbreviation} {self.value:g} {s.unit}"
        op = ">" if self.direction == "high" else "<"
        text = f"{s.abbreviation} {self.value:g} {op} {self.limit:g} {s.unit}"
        if self.baseline is not None:
            sign = "+" if self.direction == "high" else "-"
            text += f" (baseline {self.baseline:g} {sign}{self.pct:g}%)"
        return text


def _absolute(vital: Vital, value: float, limits: Limits) -> Classification:
    if limits.critical_high is not None and value > limits.critical_high:
        return Classification(vital, value, Severity.CRITICAL, limits.critical_high, "high")
    if limits.critical_low is not None and value < limits.critical_low:
        return Classification(vital, value, Severity.CRITICAL, limits.critical_low, "low")
    if limits.caution_high is not None and value > limits.caution_high:
        return Classification(vital, value, Severity.CAUTION, limits.caution_high, "high")
    if limits.caution_low is not None and value < limits.caution_low:
        return Classification(vital, value, Severity.CAUTION, limits.caution_low, "low")
    return Classification(vital, value, Severity.NORMAL)


def _relative(vital: Vital, value: float, rule: BaselineRule, baseline: float) -> Classification:
    for severity, pct in ((Severity.CRITICAL, rule.critical_pct),
                          (Severity.CAUTION, rule.caution_pct)):
        high = round(baseline * (1 + pct / 100), 1)
        low = round(baseline * (1 - pct / 100), 1)
        if value > high:
            return Classification(vital, value, severity, high, "high", baseline, pct)
        if value < low:
            return Classification(vital, value, severity, low, "low", baseline, pct)
    return Classification(vital, value, Severity.NORMAL)


def classify(
    profile: ThresholdProfile,
    vital: Vital,
    value: float,
    baseline: Mapping[Vital, float] | None = None,
) -> Classification:
    """Classify ``value`` against absolute limits and baseline-relative rules: the worst wins.

    On a tie the absolute limit is reported, since it is the one on the chart."""
    result = _absolute(vital, value, profile.limits_for(vital))
    if baseline:
        for rule in profile.baseline_rules:
            if rule.vital is vital and baseline.get(vital):
                relative = _relative(vital, value, rule, baseline[vital])
                if relative.severity > result.severity:
                    result = relative
    return result


def validate_limits(vital: Vital, limits: Limits) -> list[FieldError]:
    """Limits must be ordered critical low < caution low < caution high < critical high and
    lie within the vital's plausible range. Each error names the limit."""
    s = VITAL_SPECS[vital]
    errors: list[FieldError] = []
    present: list[tuple[str, float]] = []
    for name in LIMIT_NAMES:
        value = getattr(limits, name)
        if value is None:
            continue
        where = f"{s.abbreviation} {LIMIT_LABELS[name]}"
        if not s.plausible_min <= value <= s.plausible_max:
            errors.append(
                FieldError(
                    where,
                    f"{value:g} is outside the plausible range "
                    f"{s.plausible_min:g}-{s.plausible_max:g} {s.unit}",
                )
            )
            continue
        for earlier_name, earlier in present:
            if value <= earlier:
                errors.append(
                    FieldError(
                        where,
                        f"{value:g} must be above {LIMIT_LABELS[earlier_name]} {earlier:g}",
                    )
                )
                break
        present.append((name, value))
    return errors


def validate_profile(profile: ThresholdProfile) -> list[FieldError]:
    """All problems in a profile."""
    errors: list[FieldError] = []
    for vital, limits in profile.limits.items():
        errors.extend(validate_limits(vital, limits))
    for rule in profile.baseline_rules:
        label = f"{VITAL_SPECS[rule.vital].abbreviation} baseline rule"
        if not 0 < rule.caution_pct < rule.critical_pct < 100:
            errors.append(
                FieldError(label, "needs 0 < caution % < critical % < 100")
            )
    return errors


def profile_from_dict(data: Mapping[str, Any]) -> ThresholdProfile:
    """Build a profile from its JSON form (see resources/presets/*.json)."""
    limits = {
        Vital(key): Limits(**{name: entry.get(name) for name in LIMIT_NAMES})
        for key, entry in data.get("limits", {}).items()
    }
    rules = tuple(
        BaselineRule(Vital(r["vital"]), float(r["caution_pct"]), float(r["critical_pct"]))
        for r in data.get("baseline_rules", [])
    )
    return ThresholdProfile(name=str(data.get("name", "")), limits=limits, baseline_rules=rules)


def profile_to_dict(profile: ThresholdProfile) -> dict[str, Any]:
    """The JSON form of ``profile``; ``profile_from_dict`` reads it back unchanged."""
    return {
        "name": profile.name,
        "limits": {v.value: lim.as_dict() for v, lim in profile.limits.items()},
        "baseline_rules": [
            {"vital": r.vital.value, "caution_pct": r.caution_pct, "critical_pct": r.critical_pct}
            for r in profile.baseline_rules
        ],
    }


def classify_values(
    profile: ThresholdProfile,
    values: Mapping[Vital, float],
    baseline: Mapping[Vital, float] | None = None,
) -> dict[Vital, Classification]:
    """Classify every value of a reading."""
    return {vital: classify(profile, vital, value, baseline) for vital, value in values.items()}


def worst(classifications: Mapping[Vital, Classification]) -> Classification | None:
    """The most severe classification (the first listed wins a tie), or None when empty."""
    result: Classification | None = None
    for item in classifications.values():
        if result is None or item.severity > result.severity:
            result = item
    return result
