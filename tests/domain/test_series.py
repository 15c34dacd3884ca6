"""A patient's series: alignment on infusion end and baseline-to-peak changes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from monitor.domain.readings import new_reading
from monitor.domain.series import align_on_infusion_end, baseline_to_peak, series_table
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def session_at(start: datetime, minutes: int = 60, baseline=None, ended=True) -> Session:
    return Session(Patient("MRN-1", "Ann"),
                   Infusion(started_at=start, ended_at=start + timedelta(minutes=minutes)
                            if ended else None),
                   baseline=baseline or {}, id=1, started_at=start - timedelta(minutes=15))


def reading(at: datetime, **values: float):
    return new_reading(at, {Vital(k): v for k, v in values.items()}, entered_by="JM")


def test_two_sessions_of_different_lengths_align_on_their_infusion_end():
    short = session_at(T0, minutes=40)
    long = session_at(T0 + timedelta(days=14, hours=2), minutes=100)
    a = align_on_infusion_end(short, [reading(T0 + timedelta(minutes=40), sbp=150, dbp=80)])
    b = align_on_infusion_end(long, [reading(long.infusion.ended_at, sbp=140, dbp=80),
                                     reading(long.infusion.ended_at + timedelta(minutes=15),
                                             sbp=130, dbp=80)])
    assert a.minutes == (0.0,)
    assert b.minutes == (0.0, 15.0)
    assert a.points(Vital.SBP) == [(0.0, 150.0)]
    assert b.points(Vital.SBP) == [(0.0, 140.0), (15.0, 130.0)]


def test_readings_before_the_end_are_negative_and_sorted_and_missing_values_are_nan():
    s = session_at(T0, minutes=60)
    series = align_on_infusion_end(s, [reading(T0 + timedelta(minutes=75), hr=80),
                                       reading(T0 - timedelta(minutes=10), sbp=120, dbp=70)])
    assert series.minutes == (-70.0, 15.0)
    assert math.isnan(series.values[Vital.HR][0]) and series.values[Vital.HR][1] == 80
    assert series.points(Vital.HR) == [(15.0, 80.0)]


def test_corrected_and_in_error_readings_are_left_out():
    from dataclasses import replace

    from monitor.domain.readings import ReadingStatus

    s = session_at(T0)
    bad = replace(reading(T0 + timedelta(minutes=70), sbp=250, dbp=80),
                  status=ReadingStatus.ENTERED_IN_ERROR)
    series = align_on_infusion_end(s, [bad, reading(T0 + timedelta(minutes=80), sbp=130,
                                                    dbp=80)])
    assert series.points(Vital.SBP) == [(20.0, 130.0)]
    assert baseline_to_peak(s, [bad], Vital.SBP).peak is None


def test_a_session_without_infusion_end_cannot_be_aligned():
    assert align_on_infusion_end(session_at(T0, ended=False), [reading(T0, hr=70)]) is None


def test_baseline_to_peak_uses_the_charted_baseline_and_the_highest_value_after_start():
    s = session_at(T0, baseline={Vital.SBP: 120.0})
    rows = [reading(T0 - timedelta(minutes=5), sbp=200, dbp=80),  # before start: ignored
            reading(T0 + timedelta(minutes=30), sbp=152, dbp=85),
            reading(T0 + timedelta(minutes=90), sbp=152, dbp=80),  # tie: earliest wins
            reading(T0 + timedelta(minutes=100), sbp=130, dbp=75)]
    result = baseline_to_peak(s, rows, Vital.SBP)
    assert (result.baseline, result.peak, result.change) == (120.0, 152.0, 32.0)
    assert result.peak_at_minutes == -30.0


def test_baseline_falls_back_to_the_last_pre_infusion_reading_and_spo2_peaks_low():
    s = session_at(T0)
    rows = [reading(T0 - timedelta(minutes=20), spo2=97),
            reading(T0 - timedelta(minutes=5), spo2=99),
            reading(T0 + timedelta(minutes=20), spo2=93),
            reading(T0 + timedelta(minutes=70), spo2=96)]
    table = series_table(s, rows, [Vital.SPO2, Vital.HR])
    assert (table[Vital.SPO2].baseline, table[Vital.SPO2].peak) == (99.0, 93.0)
    assert table[Vital.SPO2].change == -6.0
    assert table[Vital.HR].change is None and table[Vital.HR].peak is None
