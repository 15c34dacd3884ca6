"""The array classifier agrees with classify() value for value."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.domain.thresholds import classify
from monitor.domain.vectorized import severity_codes
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.resources import default_profile

PROFILE = default_profile()


@settings(max_examples=150, deadline=None)
@given(vital=st.sampled_from(list(Vital)),
       data=st.data(),
       baseline=st.one_of(st.none(), st.floats(60, 220)))
def test_array_classification_matches_classify(vital, data, baseline):
    spec = VITAL_SPECS[vital]
    values = data.draw(st.lists(st.floats(spec.plausible_min, spec.plausible_max), max_size=40))
    base = {vital: baseline} if baseline else {}
    codes = severity_codes(PROFILE, vital, np.array(values), base)
    assert [int(c) for c in codes] == [int(classify(PROFILE, vital, v, base).severity)
                                       for v in values]


def test_missing_values_are_normal():
    codes = severity_codes(PROFILE, Vital.SBP, np.array([np.nan, 190.0]))
    assert list(codes) == [0, 2]
