"""Chart update on a 24-hour session at one reading per second (all vitals), against bare
pyqtgraph drawing the same arrays the same way (clip-to-view, peak downsampling), both
measured in this run: one new reading appended, data set, repainted and grabbed."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from ..domain.readings import Reading, Source
from ..domain.vitals import Vital
from .report import Figure

TARGET_RATIO = 1.5


def _series(n: int) -> tuple[np.ndarray, dict[Vital, np.ndarray]]:
    rng = np.random.default_rng(7)
    t0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    times = t0 + np.arange(n, dtype=np.float64)
    drift = np.sin(np.arange(n) / 3000.0)
    values = {
        Vital.SBP: 130 + 25 * drift + rng.normal(0, 4, n),
        Vital.DBP: 80 + 10 * drift + rng.normal(0, 3, n),
        Vital.HR: 80 + 20 * drift + rng.normal(0, 3, n),
        Vital.RR: 15 + 3 * drift + rng.normal(0, 1, n),
        Vital.SPO2: np.clip(97 - 2 * drift + rng.normal(0, 0.6, n), 50, 100),
    }
    values[Vital.MAP] = values[Vital.DBP] + (values[Vital.SBP] - values[Vital.DBP]) / 3
    return times, {v: np.round(a, 1) for v, a in values.items()}


def _readings(times: np.ndarray, values: dict[Vital, np.ndarray]) -> list[Reading]:
    start = datetime.fromtimestamp(float(times[0]), tz=UTC)
    columns = {v: a.tolist() for v, a in values.items()}
    return [
        Reading(taken_at=start + timedelta(seconds=i),
                values={v: columns[v][i] for v in columns}, source=Source.DEVICE, id=i + 1)
        for i in range(len(times))
    ]


def _bare(times: np.ndarray, values: dict[Vital, np.ndarray], frames: int) -> float:
    import pyqtgraph as pg

    widget = pg.GraphicsLayoutWidget()
    widget.resize(1100, 800)
    groups = [(Vital.SBP, Vital.DBP, Vital.MAP), (Vital.HR,), (Vital.RR,), (Vital.SPO2,)]
    curves = {}
    for row, group in enumerate(groups):
        plot = widget.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
        plot.setClipToView(True)
        plot.setDownsampling(mode="peak", auto=True)
        for vital in group:
            curves[vital] = plot.plot(pen=pg.mkPen(width=2))
    widget.show()
    n = len(times) - frames
    elapsed = []
    for frame in range(frames):
        end = n + frame + 1
        began = time.perf_counter()
        for vital, curve in curves.items():
            curve.setData(times[:end], values[vital][:end])
        widget.grab()
        elapsed.append(time.perf_counter() - began)
    widget.close()
    return float(np.median(elapsed))


def _app(readings: list[Reading], frames: int) -> float:
    from ..resources import default_profile
    from ..ui.chart import VitalsChart

    chart = VitalsChart()
    chart.resize(1100, 800)
    chart.set_profile(default_profile(), {Vital.SBP: 130})
    n = len(readings) - frames
    chart.set_readings(readings[:n])
    chart.show()
    elapsed = []
    for frame in range(frames):
        end = n + frame + 1
        began = time.perf_counter()
        chart.set_readings(readings[:end])
        chart.grab()
        elapsed.append(time.perf_counter() - began)
    chart.close()
    return float(np.median(elapsed))


def run(quick: bool = False) -> list[Figure]:
    """Median time per frame, app chart vs bare pyqtgraph."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    _app_instance = QApplication.instance() or QApplication([])
    n = 3_600 if quick else 86_400
    frames = 5 if quick else 15
    times, values = _series(n)
    readings = _readings(times, values)
    bare = _bare(times, values, frames)
    app = _app(readings, frames)
    label = f"chart update, {n:,} readings x 6 vitals (ms/frame)"
    return [Figure(label, app * 1000, bare * 1000, "ms", lower_is_better=True,
                   target=f"<= {TARGET_RATIO} x bare pyqtgraph",
                   met=app <= TARGET_RATIO * bare)]
