"""Chart images for export: PNG at the requested size, SVG as XML, light theme always."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage

from monitor.app.export_marks import TimeRange
from monitor.render.chart_render import (
    DEFAULT_SIZE,
    png_bytes,
    render_image,
    render_svg,
    session_range,
)
from monitor.store import Store
from monitor.ui.theme import LIGHT, ThemeName
from tests.export_fixtures import PATIENT_ID, START, build_session, record_of


@pytest.fixture
def record(qapp, store: Store):
    return record_of(store, build_session(store))


def distinct_colours(image: QImage, step: int = 7) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)}


def test_png_has_the_requested_size_and_is_not_blank(record):
    image = render_image(record, QSize(1600, 900))
    assert (image.width(), image.height()) == (1600, 900)
    assert len(distinct_colours(image)) > 50  # bands, curves, text: not an empty canvas
    loaded = QImage.fromData(png_bytes(image), "PNG")
    assert (loaded.width(), loaded.height()) == (1600, 900)


def test_default_png_is_print_quality(record):
    image = render_image(record)
    assert image.size() == DEFAULT_SIZE == QSize(2400, 1500)
    assert round(image.dotsPerMeterX() * 0.0254) == 300


def test_png_is_light_whatever_the_screen_theme(qapp, record, window):
    window.apply_theme(ThemeName.DARK)
    assert window.chart.backgroundBrush().color().name() != QColor(LIGHT.surface).name()
    image = render_image(record, QSize(800, 500))
    corner = QColor(image.pixel(2, 2))
    assert corner.name() == QColor(LIGHT.surface).name()


def test_svg_parses_as_xml_with_real_text(record):
    svg = render_svg(record, QSize(1200, 750))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 1200 750"
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert PATIENT_ID in texts and "Blood pressure" in texts and "caution band" in texts


def test_time_range_limits_what_is_drawn(record):
    whole = session_range(record)
    assert whole is not None and whole.start < START - timedelta(minutes=15)
    part = TimeRange(START, START + timedelta(minutes=45))
    narrow = render_image(record, QSize(800, 500), part)
    wide = render_image(record, QSize(800, 500))
    assert narrow != wide


@pytest.mark.parametrize("size", [QSize(10, 500), QSize(800, 0), QSize(20000, 500)])
def test_impossible_sizes_are_refused(record, size: QSize):
    with pytest.raises(ValueError, match="between"):
        render_image(record, size)


def test_time_axis_reads_the_session_clock_whatever_the_computer_zone(record):
    # The session ran at UTC+02:00; the axis must read 09:00 where the report's tables do,
    # not the exporting computer's clock (UTC here, which would say 07:00).
    root = ET.fromstring(render_svg(record, QSize(1200, 750)))
    labels = {(t.text or "").strip() for t in root.iter() if t.tag.endswith("text")}
    assert {"09:00", "10:00", "11:00"} <= labels
    assert "07:00" not in labels
