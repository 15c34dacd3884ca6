"""The HL7 reader's field access gives exactly what the hl7 package's ``extract_field`` gives,
on every field, repetition and component of real messages (and of awkward ones)."""

from __future__ import annotations

from pathlib import Path

import hl7
import pytest

from monitor.io.hl7v2 import _get, split_messages

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"  # read there when present
AWKWARD = ("MSH|^~\\&|GW|WARD|||20240501||ORU^R01|X1|P|2.6\r"
           "PID|||A\\T\\B^^^H^MR~SECOND^^^X||Doe^Jane\\S\\Ann||\r"
           "OBX|1|NM|8480-6^SBP&sub^LN||\"\"|mm[Hg]|||||F|||20240501~20240502\r"
           "OBX|2|ST|||a\\F\\b\\E\\c|\r")


def _reference(segment: hl7.Segment, field: int, component: int, repeat: int) -> str:
    try:
        value = segment.extract_field(1, field, repeat, component)
    except (IndexError, KeyError, TypeError, ValueError, AttributeError, hl7.HL7Exception):
        return ""
    value = str(value).strip()
    return "" if value == '""' else value


def _messages() -> list[str]:
    texts = [AWKWARD]
    for path in sorted([*REAL.rglob("*"), *SHARED.rglob("*")]):
        if path.suffix.lower() in {".hl7", ".hl7v2", ".txt"}:
            texts += [m.decode("utf-8", "replace") for m in split_messages(path.read_bytes())]
    return texts


@pytest.mark.parametrize("text", _messages(), ids=lambda t: t.split("\r", 1)[0][:40])
def test_every_field_reads_as_extract_field_reads_it(text: str) -> None:
    message = hl7.parse(text)
    checked = 0
    for segment in message:
        if str(segment[0]) == "MSH":
            fields = range(3, len(segment) + 2)  # MSH-1 and MSH-2 are the separators
        else:
            fields = range(1, len(segment) + 2)
        for field in fields:
            for repeat in (1, 2, 3):
                for component in range(1, 8):
                    assert _get(segment, field, component, repeat) == _reference(
                        segment, field, component, repeat), (str(segment[0]), field,
                                                             repeat, component)
                    checked += 1
    assert checked > 100
