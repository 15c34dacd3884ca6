"""Threshold classification over whole arrays, for charts of long device sessions.

Gives exactly what :func:`monitor.domain.thresholds.classify` gives for each value (a
property test holds the two together), but for 86,400 values in a millisecond."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .thresholds import Severity, ThresholdProfile
from .vitals import Vital


def severity_codes(profile: ThresholdProfile, vital: Vital, values: np.ndarray,
                   baseline: Mapping[Vital, float] | None = None) -> np.ndarray:
    """The Severity of each value as int8 (NaN -> NORMAL)."""
    values = np.asarray(values, dtype=np.float64)
    codes = np.zeros(values.shape, dtype=np.int8)
    lim = profile.limits_for(vital)
    with np.errstate(invalid="ignore"):
        for limit, above, severity in (
            (lim.caution_high, True, Severity.CAUTION),
            (lim.caution_low, False, Severity.CAUTION),
            (lim.critical_high, True, Severity.CRITICAL),
            (lim.critical_low, False, Severity.CRITICAL),
        ):
            if limit is None:
                continue
            hit = values > limit if above else values < limit
            codes = np.where(hit, np.maximum(codes, int(severity)), codes)
        base = (baseline or {}).get(vital)
        if base:
            for rule in profile.baseline_rules:
                if rule.vital is not vital:
                    continue
                for pct, severity in ((rule.caution_pct, Severity.CAUTION),
                                      (rule.critical_pct, Severity.CRITICAL)):
                    high = round(base * (1 + pct / 100), 1)
                    low = round(base * (1 - pct / 100), 1)
                    hit = (values > high) | (values < low)
                    codes = np.where(hit, np.maximum(codes, int(severity)), codes)
    return codes
