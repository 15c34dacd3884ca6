"""Hostile and unlucky HL7 v2 files: oversized pieces, broken encodings and batches, odd
times and messages. Each names what is wrong and where (segment, message id)."""

from __future__ import annotations

import random
from pathlib import Path

from .case import HostileCase, bytes_file, text_file

REFUSED = "the file is refused and nothing was imported"


def message(control: str = "M1", when: str = "20240501100000+0200", obx: str = "",
            kind: str = "ORU^R01^ORU_R01", msh18: str = "") -> str:
    """One ORU^R01 with a blood pressure and heart rate (or the OBX given)."""
    obx = obx or (f"OBX|1|NM|8480-6^SBP^LN||120|mm[Hg]|||||F|||{when}\r"
                  f"OBX|2|NM|8462-4^DBP^LN||80|mm[Hg]|||||F|||{when}\r"
                  f"OBX|3|NM|8867-4^HR^LN||70|/min|||||F|||{when}\r")
    return (f"MSH|^~\\&|GW|WARD|MON|CLINIC|{when}||{kind}|{control}|P|2.6{msh18}\r"
            f"PID|||P-1^^^H^MR||Doe^Jane\rOBR|1|||85353-1^Vital signs^LN|||{when}\r{obx}")


def _one_endless_line(path: Path, scale: float) -> None:
    # 100 MB at full size with no segment end at all.
    chunk = b"A" * 65536
    with path.open("wb") as out:
        out.write(b"MSH|^~\\&|GW|WARD|||20240501||ORU^R01|M1|P|2.6|")
        for _ in range(max(17, int(100 * 1024 * 1024 * scale) // len(chunk))):
            out.write(chunk)


def _huge_message(path: Path, scale: float) -> None:
    # One message of 5 MB: 130,000 OBX segments.
    obx = "".join(f"OBX|{n}|NM|8867-4^HR^LN||70|/min|||||F\r" for n in range(1, 130_001))
    path.write_text(message(obx=obx), encoding="utf-8")


def _huge_value(path: Path, scale: float) -> None:
    path.write_text(message(obx="OBX|1|ST|8867-4^HR^LN||" + "7" * 1_100_000 + "|/min\r"),
                    encoding="utf-8")


def _many_messages_one_bad_batch(path: Path, scale: float) -> None:
    path.write_text("FHS|^~\\&\rBHS|^~\\&\r" + message("A1") + "BTS|3\rFTS|1\r",
                    encoding="utf-8")


CASES: list[HostileCase] = [
    HostileCase("hl7-one-100MB-line", "endless.hl7", _one_endless_line,
                ("segment 1: a segment exceeds the limit of 1,048,576 bytes", REFUSED),
                big=True),
    HostileCase("hl7-5MB-message", "huge_message.hl7", _huge_message,
                ("message starting at segment 1: a message exceeds the limit of 4,194,304 "
                 "bytes", REFUSED)),
    HostileCase("hl7-1MB-value", "huge_value.hl7", _huge_value,
                ("segment 4: a segment exceeds the limit of 1,048,576 bytes", REFUSED)),
    HostileCase("hl7-truncated", "cut.hl7", text_file(message()[:-40]), "message M1"),
    HostileCase("hl7-utf16-bom", "utf16.hl7", text_file(message(), "utf-16"),
                "file: the file is UTF-16 text"),
    HostileCase("hl7-nul-bytes", "nul.hl7", bytes_file(message().encode() + b"\x00\x00OBX|9"),
                "file: the file is binary"),
    HostileCase("hl7-latin1-declared-utf8", "latin1.hl7",
                text_file(message(msh18="||||||UNICODE UTF-8").replace("Jane", "Jöns"), "latin-1"),
                "file: not UTF-8 text (byte 0xF6) and MSH-18 declares no 8859 character set"),
    HostileCase("hl7-binary-junk", "junk.hl7", bytes_file(random.Random(5).randbytes(50_000)),
                "file: the file is binary"),
    HostileCase("hl7-empty", "empty.hl7", text_file(""), "file: the file is empty"),
    HostileCase("hl7-batch-without-messages", "batch.hl7",
                text_file("FHS|^~\\&|GW\rBHS|^~\\&|GW\rBTS|0\rFTS|1\r"),
                "file: no MSH segment: not HL7 v2"),
    HostileCase("hl7-batch-count-mismatch", "short_batch.hl7", _many_messages_one_bad_batch,
                "segment 9 (BTS): BTS-1 says the batch holds 3 messages, but it holds 1: "
                "messages may be missing"),
    HostileCase("hl7-odd-delimiters", "delims.hl7",
                text_file(message().replace("|", "#").replace("MSH#^~\\&", "MSH#^~\\&")),
                "1 imported", status=0, saved=1),
    HostileCase("hl7-repeated-control-id", "twice.hl7", text_file(message("X") + message("X")),
                "1 imported, 1 duplicate", status=0, saved=1),
    HostileCase("hl7-year-1800", "old.hl7", text_file(message(when="18000501100000+0200")),
                "is before 1980"),
    HostileCase("hl7-year-2200", "future.hl7", text_file(message(when="22000501100000+0200")),
                "is in the future"),
    HostileCase("hl7-dst-twice", "autumn.hl7", text_file(message(when="20241027023000")),
                "happens twice in time zone Europe/Berlin", options=("--tz", "Europe/Berlin")),
    HostileCase("hl7-not-oru", "adt.hl7", text_file(message(kind="ADT^A01")),
                "message M1: ADT^A01 is not an observation result (ORU^R01); skipped"),
    HostileCase("hl7-only-temperature", "temp.hl7",
                text_file(message(obx="OBX|1|NM|8310-5^Body temperature^LN||37.2|Cel|||||F\r")),
                "no vital-sign readings found in the file"),
    HostileCase("hl7-nan-value", "nan.hl7",
                text_file(message(obx="OBX|1|NM|8867-4^HR^LN||NaN|/min|||||F\r")), "message M1"),
    HostileCase("hl7-mllp-framing-in-file", "framed.hl7",
                bytes_file(b"\x0b" + message().encode() + b"\x1c\r"), "1 imported", status=0,
                saved=1),
    HostileCase("hl7-lf-segment-ends", "lf.hl7", text_file(message().replace("\r", "\n")),
                "1 imported", status=0, saved=1),
    HostileCase("hl7-text-before-msh", "preamble.hl7", text_file("hello\r" + message()),
                "segment 1: text before the first MSH segment is not HL7 v2"),
]
