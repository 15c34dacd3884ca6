"""Drawing a session with Qt, for the png / svg / pdf exports and printing: ``chart_render``
(the chart as a PNG image or an SVG document) and ``report`` (the PDF session report, on a
file or a printer), and ``application`` (a QApplication to draw in when no window runs).

These are the only exports that load Qt, and they load it only through this package:
monitor.app.export imports its modules inside the functions that draw, so csv, json and fhir
exports, and the command line for them, never import Qt. This ``__init__`` imports no Qt, so
the sizes below can be checked (``main.py export --size``) before anything is drawn.

The exported chart IS the live window's chart: chart_render subclasses monitor.ui.chart.chart's
VitalsChart and draws with the live chart's overlays (monitor.ui.chart.phase_overlay,
schedule_overlay's DueTicks, timeline_overlay) in monitor.ui.theme's LIGHT colours. Those
drawing modules stay in monitor.ui, beside the window that owns them, and this package
imports them: moving or copying them here would let what is printed drift from what the nurse
saw on screen. The dependency runs one way (render imports those drawing modules, never the
window, its controllers or dialogs); what to mark is worked out Qt-free in
monitor.app.export_marks and monitor.domain.due_status.
"""

from __future__ import annotations

#: Each side of a png / svg chart, in pixels.
MIN_SIDE, MAX_SIDE = 200, 12000
#: A chart's default size: 8 x 5 inches at 300 dpi fills the text width of an A4 or Letter
#: page at print quality.
CHART_SIZE = (2400, 1500)
#: The chart in the PDF report: the page's text width at 300 dpi.
REPORT_CHART_SIZE = (2400, 1600)


def check_size(size: tuple[int, int]) -> None:
    """Raise ValueError naming the problem when a chart of ``size`` (width, height in pixels)
    cannot be drawn."""
    for label, side in zip(("width", "height"), size, strict=True):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"image {label} {side} px is not between {MIN_SIDE} and {MAX_SIDE}")
