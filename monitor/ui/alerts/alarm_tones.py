"""The alarm tones shipped in ``resources/sounds``, and how they are made.

The WAV files are generated, never hand-edited: run ``python -m monitor.ui.alerts.alarm_tones`` to
write them again, and ``tests/ui/test_alarm_audio.py`` checks that the shipped files are
exactly what this module makes. No Qt here: only the standard library.

Patterns follow IEC 60601-1-8 (table 3) for the three priorities:

* high: a burst of 10 pulses, ``3+2`` twice (x x x _ _ x x ... x x x _ _ x x); pulse 150 ms
  (75-200 ms allowed), spacing 100 ms (50-125 ms), 2 x spacing + pulse between the third and
  fourth pulse, 0.6 s (0.35-1.3 s) between the fifth and sixth;
* medium: 3 pulses of 200 ms (125-250 ms), spacing 200 ms (125-250 ms);
* low: 1 pulse of 200 ms.

Each pulse is a fundamental with four harmonics (the standard asks for at least four in
300-4000 Hz, so the tone is locatable and heard through noise), with a 15 % rise and fall so
it does not click. Higher priority is higher pitched as well as more urgent in rhythm.
"""

from __future__ import annotations

import io
import math
import sys
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.domain.alerts import AlertPriority
from monitor.resources import resource

SAMPLE_RATE = 44_100  # the rate every audio device plays
HARMONICS = 5  # the fundamental and four harmonics
PEAK = 0.6  # of full scale: loud, with headroom for the harmonics' sum
RAMP = 0.15  # rise and fall, as a fraction of the pulse (IEC: 10-20 %)

SOUNDS_DIR = resource("sounds")


@dataclass(frozen=True)
class TonePattern:
    """One alarm sound: pulses of the same tone starting at ``onsets_ms``."""

    priority: AlertPriority
    file_name: str
    frequency_hz: float
    pulse_ms: int
    onsets_ms: tuple[int, ...]

    @property
    def pulses(self) -> int:
        return len(self.onsets_ms)

    @property
    def duration_ms(self) -> int:
        return self.onsets_ms[-1] + self.pulse_ms


def _onsets(pulse_ms: int, gaps_ms: Sequence[int]) -> tuple[int, ...]:
    """Pulse start times for pulses separated by ``gaps_ms`` of silence."""
    onsets = [0]
    for gap in gaps_ms:
        onsets.append(onsets[-1] + pulse_ms + gap)
    return tuple(onsets)


_HIGH_PULSE, _HIGH_SPACING, _HIGH_BURST_GAP = 150, 100, 600
_HALF_BURST = [_HIGH_SPACING, _HIGH_SPACING, 2 * _HIGH_SPACING + _HIGH_PULSE, _HIGH_SPACING]

PATTERNS: dict[AlertPriority, TonePattern] = {
    AlertPriority.HIGH: TonePattern(
        AlertPriority.HIGH, "alarm_high.wav", 880.0, _HIGH_PULSE,
        _onsets(_HIGH_PULSE, [*_HALF_BURST, _HIGH_BURST_GAP, *_HALF_BURST]),
    ),
    AlertPriority.MEDIUM: TonePattern(
        AlertPriority.MEDIUM, "alarm_medium.wav", 660.0, 200, _onsets(200, [200, 200]),
    ),
    AlertPriority.LOW: TonePattern(AlertPriority.LOW, "alarm_low.wav", 440.0, 200, (0,)),
}


def _pulse(frequency_hz: float, pulse_ms: int) -> list[float]:
    """One pulse as samples in -1..1: harmonics falling off as 1/k, under a trapezoid."""
    count = SAMPLE_RATE * pulse_ms // 1000
    ramp = max(1, round(count * RAMP))
    norm = sum(1 / k for k in range(1, HARMONICS + 1))
    samples = []
    for i in range(count):
        t = i / SAMPLE_RATE
        tone = sum(math.sin(2 * math.pi * k * frequency_hz * t) / k
                   for k in range(1, HARMONICS + 1)) / norm
        envelope = min(1.0, i / ramp, (count - 1 - i) / ramp)
        samples.append(tone * envelope)
    return samples


def render(pattern: TonePattern) -> bytes:
    """The pattern as a 16-bit mono PCM WAV file."""
    total = SAMPLE_RATE * pattern.duration_ms // 1000
    frames = [0] * total
    pulse = [round(s * PEAK * 32767) for s in _pulse(pattern.frequency_hz, pattern.pulse_ms)]
    for onset in pattern.onsets_ms:
        start = SAMPLE_RATE * onset // 1000
        frames[start:start + len(pulse)] = pulse
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"".join(f.to_bytes(2, "little", signed=True) for f in frames))
    return buffer.getvalue()


def sound_path(priority: AlertPriority, directory: Path = SOUNDS_DIR) -> Path:
    """Where the shipped tone for ``priority`` lives."""
    return directory / PATTERNS[priority].file_name


def write_sounds(directory: Path = SOUNDS_DIR) -> list[Path]:
    """(Re)generate every tone file in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for priority, pattern in PATTERNS.items():
        path = sound_path(priority, directory)
        path.write_bytes(render(pattern))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_sounds(Path(sys.argv[1]) if len(sys.argv) > 1 else SOUNDS_DIR):
        print(written_path)
