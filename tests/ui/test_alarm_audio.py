"""Alarm sounds: the shipped tones, which tone plays when, the audio pause and its
breakthrough, and a machine without audio."""

from __future__ import annotations

import io
import sys
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from monitor.domain.alerts import AlertPriority
from monitor.domain.readings import new_reading
from monitor.domain.vitals import Vital
from monitor.ui.alerts.alarm_audio import PAUSE_SECONDS, REPEAT_SECONDS, QtSoundBackend
from monitor.ui.alerts.alarm_tones import PATTERNS, SAMPLE_RATE, render, sound_path, write_sounds

H, M, L = AlertPriority.HIGH, AlertPriority.MEDIUM, AlertPriority.LOW


class RecordingBackend:
    """Plays nothing; remembers what it was asked to play."""

    def __init__(self, problem: str = "") -> None:
        self.played: list[AlertPriority] = []
        self.stops = 0
        self.problem = problem

    @property
    def available(self) -> bool:
        return not self.problem

    def play(self, priority: AlertPriority) -> None:
        self.played.append(priority)

    def stop(self) -> None:
        self.stops += 1


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def audio(window):
    """The window's AlarmAudio with a recording backend and a test clock."""
    backend = RecordingBackend()
    window.audio.set_backend(backend)
    window.audio.clock = Clock()
    return window.audio


def save(window, minutes_ago: float, **values: float):
    reading = new_reading(datetime.now(UTC) - timedelta(minutes=minutes_ago),
                          {Vital(k): v for k, v in values.items()}, entered_by="JM")
    return window.controller.save_reading(reading)


def later(window, audio, seconds: float) -> None:
    """Let ``seconds`` pass and the controller's once-a-second tick run."""
    audio.clock.now += seconds
    window.alerts.tick()


def press(qtbot, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifiers)


# -- the shipped tones ------------------------------------------------------------------------

def test_shipped_sounds_are_exactly_what_the_generator_makes():
    for priority, pattern in PATTERNS.items():
        assert sound_path(priority).read_bytes() == render(pattern), (
            f"{pattern.file_name} differs: run python -m monitor.ui.alerts.alarm_tones")


def test_generator_writes_every_tone(tmp_path: Path):
    written = write_sounds(tmp_path)
    assert sorted(p.name for p in written) == ["alarm_high.wav", "alarm_low.wav",
                                                "alarm_medium.wav"]


def pulses_heard(data: bytes) -> list[tuple[int, int]]:
    """(start, end) in ms of each stretch of sound in a WAV file."""
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2,
                                                                                  SAMPLE_RATE)
        frames = wav.readframes(wav.getnframes())
    samples = [int.from_bytes(frames[i:i + 2], "little", signed=True)
               for i in range(0, len(frames), 2)]
    stretches, start, quiet = [], None, 0
    for i, s in enumerate(samples):
        if abs(s) > 200:
            if start is None:
                start = i
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet > SAMPLE_RATE // 100:  # 10 ms of silence ends a pulse
                stretches.append((start, i - quiet))
                start = None
    if start is not None:
        stretches.append((start, len(samples)))
    return [(a * 1000 // SAMPLE_RATE, b * 1000 // SAMPLE_RATE) for a, b in stretches]


def test_high_tone_is_the_iec_3_plus_2_burst_of_ten_pulses():
    heard = pulses_heard(render(PATTERNS[H]))
    assert len(heard) == 10
    gaps = [b[0] - a[1] for a, b in zip(heard, heard[1:], strict=False)]
    short = max(gaps[0], gaps[1], gaps[3])
    # x x x _ _ x x, twice: the gap after the third pulse is about 2 spacings + a pulse,
    # the gap between the two halves 0.35-1.3 s
    assert gaps[2] > 2 * short and gaps[7] > 2 * short
    assert 350 <= gaps[4] <= 1300
    assert all(75 <= end - start <= 200 for start, end in heard)


def test_medium_tone_is_three_pulses_and_low_one():
    assert len(pulses_heard(render(PATTERNS[M]))) == 3
    assert len(pulses_heard(render(PATTERNS[L]))) == 1


# -- what plays when --------------------------------------------------------------------------

def test_each_priority_plays_its_own_tone(window, audio):
    save(window, 3, hr=115)
    assert audio.backend.played == [M]
    later(window, audio, 5)
    save(window, 2, sbp=184, dbp=90, hr=115)
    assert audio.backend.played == [M, H]


def test_technical_alert_sounds_at_its_priority(window, audio):
    start = datetime.now(UTC)
    window.alerts.feed_message_received(start)
    window.controller.clock = lambda: start + timedelta(minutes=10)
    window.alerts.tick()
    assert audio.backend.played == [M]  # feed silent is a medium technical alert


def test_high_tone_repeats_until_acknowledged(qtbot, window, audio):
    save(window, 1, sbp=184, dbp=90)
    later(window, audio, REPEAT_SECONDS[H] - 1)
    assert audio.backend.played == [H]
    later(window, audio, 1)
    assert audio.backend.played == [H, H]

    qtbot.keyClicks(window.banner.initials, "KL")
    qtbot.mouseClick(window.banner.ack_button, Qt.MouseButton.LeftButton)
    later(window, audio, 60)
    assert audio.backend.played == [H, H]


def test_medium_tone_repeats_less_often_than_high(window, audio):
    save(window, 1, hr=115)
    later(window, audio, REPEAT_SECONDS[H])
    assert audio.backend.played == [M]
    later(window, audio, REPEAT_SECONDS[M] - REPEAT_SECONDS[H])
    assert audio.backend.played == [M, M]


def test_acknowledging_stops_the_tone_at_once(qtbot, window, audio):
    save(window, 1, sbp=184, dbp=90)
    stops = audio.backend.stops
    window.entry.initials_input.setText("JM")
    press(qtbot, Qt.Key.Key_F9)
    assert audio.backend.stops > stops


def test_a_lower_tone_does_not_cut_off_a_high_one_still_sounding(window, audio):
    save(window, 1, sbp=184, dbp=90, hr=115)
    assert audio.backend.played == [H]


# -- audio pause ------------------------------------------------------------------------------

def test_pause_silences_for_two_minutes_with_a_visible_countdown(qtbot, window, audio):
    save(window, 1, sbp=184, dbp=90)
    qtbot.mouseClick(window.banner.pause_button, Qt.MouseButton.LeftButton)
    assert audio.paused
    assert "Audio paused 2:00" in window.banner.text()
    assert window.banner.pause_button.text() == "Resume audio"

    later(window, audio, 18)
    assert "Audio paused 1:42" in window.banner.text()
    save(window, 0.5, sbp=186, dbp=90)  # same alert, same priority: stays quiet
    later(window, audio, PAUSE_SECONDS - 18 - 1)
    assert audio.backend.played == [H]

    later(window, audio, 1)  # the pause ends; the unacknowledged alert sounds again
    assert not audio.paused
    assert audio.backend.played == [H, H]
    assert "Audio on" in window.banner.text()


def test_a_new_higher_priority_alert_breaks_through_the_pause(qtbot, window, audio):
    save(window, 2, hr=115)
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
          | Qt.KeyboardModifier.ShiftModifier)
    assert audio.paused and "Audio paused" in window.banner.text()

    save(window, 1, sbp=184, dbp=90, hr=115)
    assert audio.backend.played == [M, H]
    assert not audio.paused
    assert "Audio on" in window.banner.text()


def test_an_alert_no_higher_than_those_paused_does_not_break_through(qtbot, window, audio):
    save(window, 2, hr=115)
    audio.pause()
    save(window, 1, hr=115, rr=26)  # a second medium alert
    assert [a.message for a in window.alerts.active_alerts()] == ["RR 26 > 24 /min",
                                                                  "HR 115 > 110 /min"]
    assert audio.backend.played == [M]
    assert audio.paused


def test_escalation_breaks_through_a_pause_taken_at_medium(window, audio):
    save(window, 2, hr=115)
    audio.pause()
    save(window, 1, hr=125)
    assert audio.backend.played == [M, H]
    assert not audio.paused


def test_pause_without_alerts_lets_any_new_alert_through(window, audio):
    audio.pause()
    save(window, 1, rr=26)
    assert audio.backend.played == [M]


def test_resume_ends_the_pause_by_the_same_key(qtbot, window, audio):
    audio.pause()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
          | Qt.KeyboardModifier.ShiftModifier)
    assert not audio.paused and "Audio on" in window.banner.text()


# -- no audio ---------------------------------------------------------------------------------

def test_without_qt_multimedia_the_app_works_and_says_audio_is_unavailable(
        window, monkeypatch, other_connection):
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # import fails,
    monkeypatch.delattr(PySide6, "QtMultimedia", raising=False)  # even if loaded before
    backend = QtSoundBackend()
    assert not backend.available and "Qt Multimedia" in backend.problem
    window.audio.set_backend(backend)

    assert "Audio unavailable" in window.banner.text()
    assert window.banner.audio_status.toolTip() == backend.problem
    save(window, 1, sbp=184, dbp=90)
    assert "SBP 184 > 180 mmHg" in window.banner.text()
    assert len(other_connection.alert_history(window.controller.session.id)) == 1
    window.audio.pause()
    assert "Audio unavailable · Audio paused 2:00" in window.banner.text()


def test_the_real_backend_never_stops_the_app(window):
    backend = QtSoundBackend()  # whatever this machine has
    window.audio.set_backend(backend)
    save(window, 1, sbp=184, dbp=90)
    assert ("Audio unavailable" in window.banner.text()) == (not backend.available)


def test_a_backend_that_fails_while_playing_turns_the_status_unavailable(window, audio):
    class Failing(RecordingBackend):
        def play(self, priority: AlertPriority) -> None:
            self.problem = "the alarm sound could not be played"

    window.audio.set_backend(Failing())
    save(window, 1, sbp=184, dbp=90)
    assert "Audio unavailable" in window.banner.text()


def test_a_device_that_fails_later_is_noticed_on_the_next_tick(window, audio):
    assert "Audio on" in window.banner.text()
    audio.backend.problem = "the alarm sounds cannot be played on this audio device"
    window.alerts.tick()
    assert "Audio unavailable" in window.banner.text()
    assert window.banner.audio_status.toolTip() == audio.backend.problem
