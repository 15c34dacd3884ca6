"""The names people give vital-sign columns, and the other columns a vitals file may have.

Shared by the wide CSV reader (one column per vital, :mod:`monitor.io.csv_format`) and the long
one (one row per value, :mod:`monitor.io.csv_long`, where the same names may appear as a
parameter name). Names are compared by :func:`normalize`.
"""

from __future__ import annotations

import re

from monitor.domain.vitals import Vital

# Header names, lower-case with everything but letters and digits removed.
VITAL_NAMES: dict[Vital, set[str]] = {
    Vital.SBP: {
        "sbp", "sys", "systolic", "systolicbp", "systolicpressure", "systolicbloodpressure",
        "bpsys", "bpsystolic", "sysbp", "nbpsys", "nibpsys", "nbpsystolic", "nibpsystolic",
        "nbps", "nibps",
    },
    Vital.DBP: {
        "dbp", "dia", "dias", "diastolic", "diastolicbp", "diastolicpressure",
        "diastolicbloodpressure", "bpdia", "bpdias", "bpdiastolic", "diabp", "nbpdia",
        "nbpdias", "nibpdia", "nibpdias", "nbpdiastolic", "nibpdiastolic", "nbpd", "nibpd",
    },
    Vital.MAP: {
        "map", "mean", "meanbp", "mbp", "meanpressure", "meanarterialpressure", "bpmean",
        "nbpmean", "nibpmean", "nbpm", "nibpm",
    },
    # 'puls', 'herzfrequenz': German monitor and home-BP exports ('HF' is the German
    # abbreviation; 'RF' for respiration below).
    Vital.HR: {"hr", "heartrate", "pulse", "pulserate", "pr", "hf", "ecghr", "puls",
               "herzfrequenz"},
    Vital.RR: {
        "rr", "resp", "resprate", "respiratoryrate", "respiration", "respirations",
        "respirationrate", "breathingrate", "rf", "br",
    },
    Vital.SPO2: {
        "spo2", "o2sat", "o2sats", "sat", "sats", "sao2", "spo2pct", "oxygensaturation",
        "o2saturation", "pulseox", "saturation",
    },
}
BP_NAMES = {"bp", "bloodpressure", "nibp", "nbp", "sysdia", "sbpdbp"}
# Invasive pressures: arterial (ABP, ART, IBP, AP) and the pulmonary-artery, left/right
# atrial, umbilical and femoral lines monitors export beside them (Philips PAP, LAP, RAP,
# UAP, FAP; GE P1-P8).
INVASIVE = re.compile(r"^(abp|art|ibp|ap|pap|lap|rap|uap|fap|p[1-8])"
                       r"(sys|systolic|dia|dias|diastolic|mean|m|s|d)$")
OTHER_NAMES = {
    "time": {
        "time", "timestamp", "datetime", "dateandtime", "takenat", "charttime", "recordedat",
        "observationtime", "measuredat", "effectivedatetime",
    },
    "date": {"date", "day"},
    "elapsed": {"elapsed", "elapseds", "elapsedsec", "elapsedseconds", "elapsedmin"},
    "source": {"source", "origin"},
    "entered_by": {"enteredby", "initials", "nurse", "by", "recordedby", "user"},
    "status": {"status"},
    "note": {"note", "notes", "comment", "comments", "remark", "remarks", "bemerkung",
             "kommentar"},
    "patient": {"patient", "patientid", "mrn", "pid"},
}
#: Time-column names that mean a full date and time (everything but a bare 'time').
FULL_TIME_NAMES = OTHER_NAMES["time"] - {"time"}
_HEADER_UNIT = re.compile(r"^(?P<name>[^(\[]*?)\s*(?:\((?P<u1>.*)\)|\[(?P<u2>.*)\])\s*$")



def normalize(name: str) -> str:
    """A header or name as compared: lower case, letters and digits only ('NBP-Sys' ->
    'nbpsys')."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def split_header(cell: str) -> tuple[str, str]:
    """A header cell as (name, unit): ``'SBP (mmHg)'`` -> ``('SBP', 'mmHg')``;
    ``'SpO2 %'`` -> ``('SpO2', '%')``."""
    text = cell.strip().lstrip("\ufeff")
    m = _HEADER_UNIT.match(text)
    if m:
        return m["name"].strip(), (m["u1"] or m["u2"] or "").strip()
    if text.endswith("%") and len(text) > 1:
        return text[:-1].strip(), "%"
    return text, ""


def vital_named(key: str) -> Vital | None:
    """The vital a normalized name means ('sbp', 'heartrate'), or None (also for 'bp')."""
    return next((v for v, names in VITAL_NAMES.items() if key in names), None)
