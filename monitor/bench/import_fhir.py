"""FHIR import throughput: one Bundle of vital-sign Observations, four per reading as a
monitor gateway writes them (a blood-pressure panel with its systolic and diastolic
components, heart rate, respiratory rate, SpO2), 20,000 to 1,000,000 readings, through
``main.py import``, next to the floor measured in the same run: a ``python -c`` script that
``json.load``-s the Bundle, pulls each Observation's value and time, groups them by time and
``executemany``-s the rows into SQLite. Both are whole commands (start-up included), each
with its own peak memory.

``json.load`` holds the whole document (about 14 times its size in memory), so the floor is
measured up to :data:`FLOOR_MAX_READINGS` readings; beyond, the app's figures are printed
with the floor's throughput at the largest size it ran (it does not fall with size)."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .commands import FLOOR_TABLE, app_import, run_command, warm_up
from .import_csv import MEMORY_TARGET_MB, QUICK_SIZES, SIZES, TARGET_RATIO, rows
from .report import Figure

#: The floor holds the document: beyond this many readings it would need gigabytes.
FLOOR_MAX_READINGS = 200_000

#: The floor: the standard library's JSON decoder and executemany, nothing else.
FLOOR = FLOOR_TABLE + """
import json
def rows():
    with open(sys.argv[1], "rb") as f:
        bundle = json.load(f)
    times = {}
    for entry in bundle["entry"]:
        obs = entry["resource"]
        values = times.setdefault(obs["effectiveDateTime"], {})
        if "component" in obs:
            for part in obs["component"]:
                values[part["code"]["coding"][0]["code"]] = part["valueQuantity"]["value"]
        else:
            values[obs["code"]["coding"][0]["code"]] = obs["valueQuantity"]["value"]
    for when, values in times.items():
        moment = datetime.fromisoformat(when)
        yield (moment.isoformat(), moment.timestamp(), values.get("8480-6"),
               values.get("8462-4"), values.get("8867-4"), values.get("9279-1"),
               values.get("59408-5"))
with conn:
    conn.executemany(INSERT, rows())
"""

_LOINC = "http://loinc.org"
_UCUM = "http://unitsofmeasure.org"


def _quantity(value: int, unit: str) -> dict[str, object]:
    return {"value": value, "unit": unit, "system": _UCUM, "code": unit}


def _coded(code: str, display: str) -> dict[str, object]:
    return {"coding": [{"system": _LOINC, "code": code, "display": display}]}


def _observations(i: int, when: datetime, sbp: int, dbp: int, hr: int, rr: int,
                  spo2: int) -> Iterator[dict[str, object]]:
    common = {"status": "final", "subject": {"identifier": {"value": "BENCH"}},
              "effectiveDateTime": when.isoformat()}
    yield {"resourceType": "Observation", "id": f"bp-{i}", **common,
           "code": _coded("85354-9", "Blood pressure panel"),
           "component": [{"code": _coded("8480-6", "Systolic blood pressure"),
                          "valueQuantity": _quantity(sbp, "mm[Hg]")},
                         {"code": _coded("8462-4", "Diastolic blood pressure"),
                          "valueQuantity": _quantity(dbp, "mm[Hg]")}]}
    for kind, code, display, value, unit in (
            ("hr", "8867-4", "Heart rate", hr, "/min"),
            ("rr", "9279-1", "Respiratory rate", rr, "/min"),
            ("spo2", "59408-5", "Oxygen saturation by pulse oximetry", spo2, "%")):
        yield {"resourceType": "Observation", "id": f"{kind}-{i}", **common,
               "code": _coded(code, display), "valueQuantity": _quantity(value, unit)}


def write_bundle(path: Path, n: int) -> None:
    """A collection Bundle of ``n`` readings (4 Observations each) for patient BENCH,
    written without ever holding it whole."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"resourceType":"Bundle","type":"collection","entry":[')
        first = True
        for i, (when, *values) in enumerate(rows(n)):
            for resource in _observations(i, when, *values):
                out.write(("" if first else ",") + json.dumps(
                    {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource},
                    separators=(",", ":")))
                first = False
        out.write("]}")


def _floor(base: Path, n: int) -> tuple[float, float]:
    """The floor's throughput (readings/s) and peak memory on a Bundle of ``n`` readings."""
    path = base / f"floor-bundle-{n}.json"
    write_bundle(path, n)
    floor = run_command([sys.executable, "-c", FLOOR, str(path),
                         str(base / f"floor-{n}.sqlite")])
    path.unlink()
    if floor.status != 0:
        raise RuntimeError(f"FHIR floor failed ({floor.status}): {floor.stderr[-2000:]}")
    return n / floor.seconds, floor.peak_mb


def run(quick: bool = False) -> Iterator[Figure]:
    """Throughput and peak memory at each size (quick: 20,000 readings). Beyond
    :data:`FLOOR_MAX_READINGS` the floor is the one measured at that size (measured first
    when no smaller size ran)."""
    with tempfile.TemporaryDirectory(prefix="monitor-bench-fhir-") as folder:
        base = Path(folder)
        warm_up(base)
        floor_rate = floor_peak = 0.0
        for n in QUICK_SIZES if quick else SIZES:
            note = ""
            if n <= FLOOR_MAX_READINGS:
                floor_rate, floor_peak = _floor(base, n)
            else:
                if not floor_rate:
                    floor_rate, floor_peak = _floor(base, FLOOR_MAX_READINGS)
                note = " (floor as at the largest size it ran)"
            path = base / f"bundle-{n}.json"
            write_bundle(path, n)
            size_mb = path.stat().st_size / 1e6
            app = run_command(app_import(path, base / f"app-{n}.sqlite"))
            path.unlink()
            if app.status != 0:
                raise RuntimeError(f"FHIR import failed ({app.status}): {app.stderr[-2000:]}")
            rate = n / app.seconds
            yield Figure(f"FHIR Bundle, {n:,} readings, {size_mb:.0f} MB{note}", rate,
                         floor_rate, "rows/s", lower_is_better=False,
                         target=f">= {TARGET_RATIO:g}x floor",
                         met=rate / floor_rate >= TARGET_RATIO)
            yield Figure(f"  peak memory (max RSS), {n:,} readings", app.peak_mb, floor_peak,
                         "MB", target=f"< {MEMORY_TARGET_MB:g} MB",
                         met=app.peak_mb < MEMORY_TARGET_MB)


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure.line(), flush=True)
