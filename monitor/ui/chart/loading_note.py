"""Tell the nurse that a long session is still loading: the chart says so beside its first
title until every reading is in (the tiles, alerts and newest rows are already shown), and
draws its newest points as the whole session will be drawn (a line, no point symbols)."""

from __future__ import annotations

from typing import Any


def loading_text(row_count: int) -> str:
    """What the chart says while a session of ``row_count`` rows loads."""
    return f"loading all {row_count:,} readings…"


def install_loading_note(window: Any) -> None:
    """Keep ``window``'s chart note in step with its session controller's loading state."""
    controller = window.controller

    def show() -> None:
        window.chart.set_note(loading_text(controller.row_count) if controller.loading
                              else "")

    window.chart.set_expected_points(
        lambda: controller.row_count if controller.loading else 0)
    controller.sessionChanged.connect(show)
    controller.readingsChanged.connect(show)
    show()
