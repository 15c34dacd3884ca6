"""HL7 v2 import throughput: a batch file (FHS/BHS … BTS/FTS) of ORU^R01 messages, one per
reading (SBP, DBP, HR, RR and SpO2 OBX, as a monitor gateway sends them), 20,000 to 1,000,000
readings, through ``main.py import``, next to the floor measured in the same run: a
``python -c`` script that cuts the file into messages, parses each with the ``hl7`` package,
pulls the OBX values and the time, and ``executemany``-s the rows into SQLite. Both are
whole commands (start-up included), each with its own peak memory."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .commands import FLOOR_TABLE, warm_up
from .import_csv import QUICK_SIZES, SIZES, measure_file, rows
from .report import Figure

#: The floor: the hl7 package's parser and executemany, nothing else.
FLOOR = FLOOR_TABLE + """
import hl7
def rows():
    with open(sys.argv[1], "rb") as f:
        text = f.read().decode("utf-8")
    for part in text.split("\\rMSH|")[1:]:
        message = hl7.parse("MSH|" + part.split("\\rBTS|")[0])
        values = {}
        for obx in message.segments("OBX"):
            values[str(obx[3][0][0])] = float(str(obx[5]))
        moment = datetime.strptime(str(message.segment("OBR")[7]), "%Y%m%d%H%M%S%z")
        yield (moment.isoformat(), moment.timestamp(), values.get("8480-6"),
               values.get("8462-4"), values.get("8867-4"), values.get("9279-1"),
               values.get("59408-5"))
with conn:
    conn.executemany(INSERT, rows())
"""


def write_batch(path: Path, n: int) -> None:
    """A batch file of ``n`` ORU^R01 messages, one reading each, for patient BENCH."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("FHS|^~\\&|GW|WARD|MONITOR|CLINIC|20240501080000+0000\r"
                  "BHS|^~\\&|GW|WARD|MONITOR|CLINIC|20240501080000+0000\r")
        for i, (t, sbp, dbp, hr, rr, spo2) in enumerate(rows(n)):
            when = t.strftime("%Y%m%d%H%M%S+0000")
            out.write(
                f"MSH|^~\\&|GW|WARD|MONITOR|CLINIC|{when}||ORU^R01^ORU_R01|B{i}|P|2.6\r"
                "PID|||BENCH^^^H^MR||Bench^Patient\r"
                f"OBR|1|||85353-1^Vital signs^LN|||{when}\r"
                f"OBX|1|NM|8480-6^SBP^LN||{sbp}|mm[Hg]|||||F|||{when}\r"
                f"OBX|2|NM|8462-4^DBP^LN||{dbp}|mm[Hg]|||||F|||{when}\r"
                f"OBX|3|NM|8867-4^HR^LN||{hr}|/min|||||F|||{when}\r"
                f"OBX|4|NM|9279-1^RR^LN||{rr}|/min|||||F|||{when}\r"
                f"OBX|5|NM|59408-5^SpO2^LN||{spo2}|%|||||F|||{when}\r")
        out.write(f"BTS|{n}\rFTS|1\r")


def run(quick: bool = False) -> Iterator[Figure]:
    """Throughput and peak memory at each size (quick: 20,000 readings)."""
    with tempfile.TemporaryDirectory(prefix="monitor-bench-hl7-") as folder:
        base = Path(folder)
        warm_up(base)
        for n in QUICK_SIZES if quick else SIZES:
            path = base / f"batch-{n}.hl7"
            write_batch(path, n)
            yield from measure_file("HL7 batch file", path, n, FLOOR, base,
                                    counted="readings")


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure.line(), flush=True)
