"""Tell the nurse that a long session's alerts are catching up: after a correction, an
in-error mark or a late reading, the alert replay runs in the background (seconds for a
day of one-second readings) and the chart says so beside its first title, as it does
while the session loads. The table, tiles and NEWS2 already show the change."""

from __future__ import annotations

from typing import Any

#: What the chart says while the alerts are replayed in the background.
REPLAY_TEXT = "bringing alerts up to date…"


def install_replay_note(window: Any) -> None:
    """Keep ``window``'s chart note in step with its alert controller's replay. Installed
    after the loading note, so its note is the one left while a replay runs."""
    controller, alerts = window.controller, window.alerts

    def show() -> None:
        if controller.loading:
            return  # the loading note speaks for the load (which replays too)
        if alerts.updating or window.chart.note() == REPLAY_TEXT:
            window.chart.set_note(REPLAY_TEXT if alerts.updating else "")

    alerts.updatingChanged.connect(show)
    controller.readingsChanged.connect(show)
    controller.sessionChanged.connect(show)
