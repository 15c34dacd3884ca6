"""Alarm sounds: which tone plays when, the two-minute audio pause, and a player backend that
may be missing.

AlarmAudio listens to the AlertController: ``alertSounded`` (raised, escalated, reminded)
plays the alert's priority tone, and the controller's one-second tick repeats the tone while
an unacknowledged alert is active. The player is a small backend object so that tests can
record what would have played, and so that a machine without Qt Multimedia or without an
audio device (CI, servers, this build host) keeps working and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QUrl, Signal

from monitor.domain.alerts import Alert, AlertPriority
from monitor.ui.alerts.alarm_tones import PATTERNS, SOUNDS_DIR, sound_path
from monitor.ui.alerts.alert_controller import AlertController

#: IEC 60601-1-8 burst intervals: high 2.5-15 s, medium 2.5-30 s; low need not repeat (it
#: would nag about an overdue reading the nurse has already seen).
REPEAT_SECONDS: dict[AlertPriority, float] = {
    AlertPriority.HIGH: 10.0,
    AlertPriority.MEDIUM: 25.0,
}
PAUSE_SECONDS = 120.0


class AudioBackend(Protocol):
    """Plays the tone of a priority. ``problem`` says why it cannot, when it cannot."""

    @property
    def available(self) -> bool: ...

    @property
    def problem(self) -> str: ...

    def play(self, priority: AlertPriority) -> None: ...

    def stop(self) -> None: ...


class QtSoundBackend:
    """QSoundEffect players for the shipped WAV files.

    Qt Multimedia is imported here, not at module level: it needs PulseAudio's libraries on
    Linux, and a missing library must cost the sound, never the app."""

    def __init__(self, sounds_dir: Path = SOUNDS_DIR) -> None:
        self._effects: dict[AlertPriority, object] = {}
        self._problem = ""
        try:
            from PySide6 import QtMultimedia
        except ImportError as error:
            self._problem = f"Qt Multimedia cannot load: {error}"
            return
        self._error_status = QtMultimedia.QSoundEffect.Status.Error
        if not QtMultimedia.QMediaDevices.audioOutputs():
            self._problem = "no audio output device"
            return
        for priority in PATTERNS:
            path = sound_path(priority, sounds_dir)
            if not path.is_file():
                self._problem = f"alarm sound missing: {path}"
                self._effects.clear()
                return
            effect = QtMultimedia.QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(1.0)
            self._effects[priority] = effect

    @property
    def available(self) -> bool:
        return not self.problem

    @property
    def problem(self) -> str:
        # Files load asynchronously; a device that cannot play them shows up as an error
        # status a moment after start, which AlarmAudio notices on its next tick.
        if not self._problem and any(e.status() == self._error_status  # type: ignore[attr-defined]
                                     for e in self._effects.values()):
            self._problem = "the alarm sounds cannot be played on this audio device"
        return self._problem

    def play(self, priority: AlertPriority) -> None:
        self.stop()
        effect = self._effects.get(priority)
        if effect is not None and self.available:
            effect.play()  # type: ignore[attr-defined]

    def stop(self) -> None:
        for effect in self._effects.values():
            effect.stop()  # type: ignore[attr-defined]


class AlarmAudio(QObject):
    """When to sound which tone, and the audio pause.

    A new alert of higher priority than any alert active when the pause began breaks
    through: the pause ends and the tone plays."""

    stateChanged = Signal()  # availability, pause or countdown changed: redraw the status

    def __init__(self, alerts: AlertController, backend: AudioBackend | None = None,
                 parent: QObject | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.alerts = alerts
        #: Monotonic seconds; tests replace it to let time pass without waiting.
        self.clock = clock
        self.backend: AudioBackend = backend if backend is not None else QtSoundBackend()
        self._paused_until: float | None = None
        self._pause_ceiling = 0  # the highest priority active when the pause began
        self._last_started: float | None = None
        self._playing: AlertPriority | None = None
        self._playing_until = 0.0
        self._sounding_for: Alert | None = None
        self._was_available = self.available
        alerts.alertSounded.connect(self.sound)
        alerts.alertsChanged.connect(self._silence_if_handled)
        alerts.ticked.connect(self._tick)

    def set_backend(self, backend: AudioBackend) -> None:
        """Use another player (tests record with a fake one)."""
        self.backend.stop()
        self.backend = backend
        self._was_available = backend.available
        self.stateChanged.emit()

    # -- state ------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self.backend.available

    @property
    def paused(self) -> bool:
        return self._paused_until is not None

    def pause_remaining(self) -> float:
        """Seconds left of the audio pause (0 when not paused)."""
        if self._paused_until is None:
            return 0.0
        return max(0.0, self._paused_until - self.clock())

    def status_text(self) -> str:
        """What the banner shows about the sound, e.g. ``Audio paused 1:42``."""
        parts = []
        if not self.available:
            parts.append("Audio unavailable")
        if self.paused:
            minutes, seconds = divmod(int(round(self.pause_remaining())), 60)
            parts.append(f"Audio paused {minutes}:{seconds:02d}")
        return " · ".join(parts) or "Audio on"

    # -- actions ----------------------------------------------------------------------------

    def pause(self) -> None:
        """Silence alarms for two minutes (a new, more urgent alert still sounds)."""
        self._paused_until = self.clock() + PAUSE_SECONDS
        self._pause_ceiling = max((a.priority for a in self.alerts.active_alerts()), default=0)
        self._stop()
        self.stateChanged.emit()

    def resume(self) -> None:
        """End the pause now."""
        if self._paused_until is None:
            return
        self._paused_until = None
        self._pause_ceiling = 0
        self.stateChanged.emit()

    def toggle_pause(self) -> None:
        if self.paused:
            self.resume()
        else:
            self.pause()

    def sound(self, alert: Alert) -> None:
        """An alert was raised, escalated or is reminding: play its tone."""
        if self.paused:
            if alert.priority <= self._pause_ceiling:
                return
            self.resume()  # breakthrough
        self._play(alert.priority, alert)

    # -- internals --------------------------------------------------------------------------

    def _play(self, priority: AlertPriority, alert: Alert) -> None:
        now = self.clock()
        if self._playing is not None and now < self._playing_until and priority <= self._playing:
            return  # a tone as urgent is still sounding: do not cut it off
        self.backend.play(priority)
        self._playing = priority
        self._playing_until = now + PATTERNS[priority].duration_ms / 1000
        self._last_started = now
        self._sounding_for = alert
        if self.available != self._was_available:
            self._was_available = self.available
            self.stateChanged.emit()

    def _stop(self) -> None:
        self.backend.stop()
        self._playing = None
        self._sounding_for = None

    def _silence_if_handled(self) -> None:
        """Stop the tone at once when the alert it sounds for is acknowledged or gone."""
        sounding = self._sounding_for
        if sounding is None:
            return
        now = next((a for a in self.alerts.active_alerts() if a.id == sounding.id), None)
        if now is None or now.acknowledged_at != sounding.acknowledged_at:
            self._stop()

    def _tick(self) -> None:
        if self.available != self._was_available:
            self._was_available = self.available
            self.stateChanged.emit()
        if self._paused_until is not None:
            if self.clock() >= self._paused_until:
                self.resume()
            else:
                self.stateChanged.emit()  # the countdown moves
                return
        waiting = [a for a in self.alerts.active_alerts() if a.acknowledged_at is None]
        if not waiting:
            return
        worst = max(waiting, key=lambda a: a.priority)
        interval = REPEAT_SECONDS.get(worst.priority)
        if interval is None:
            return
        if self._last_started is None or self.clock() - self._last_started >= interval:
            self._play(worst.priority, worst)
