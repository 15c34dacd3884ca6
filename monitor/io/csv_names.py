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
        "nbps", "nibps", "nibpsbp", "nbpsbp",
    },
    Vital.DBP: {
        "dbp", "dia", "dias", "diastolic", "diastolicbp", "diastolicpressure",
        "diastolicbloodpressure", "bpdia", "bpdias", "bpdiastolic", "diabp", "nbpdia",
        "nbpdias", "nibpdia", "nibpdias", "nbpdiastolic", "nibpdiastolic", "nbpd", "nibpd",
        "nibpdbp", "nbpdbp",
    },
    Vital.MAP: {
        "map", "mean", "meanbp", "mbp", "meanpressure", "meanarterialpressure", "bpmean",
        "nbpmean", "nibpmean", "nbpm", "nibpm", "nibpmbp", "nbpmbp",
    },
    # 'puls', 'herzfrequenz': German monitor and home-BP exports ('HF' is the German
    # abbreviation; 'RF' for respiration below); 'pul' Microlife; 'plethhr' VitalDB.
    Vital.HR: {"hr", "heartrate", "pulse", "pulserate", "pr", "hf", "ecghr", "puls",
               "herzfrequenz", "pul", "plethhr"},
    # 'rrco2' (capnography) and 'ventrr' (ventilator): VitalDB tracks.
    Vital.RR: {
        "rr", "resp", "resprate", "respiratoryrate", "respiration", "respirations",
        "respirationrate", "breathingrate", "rf", "br", "rrco2", "ventrr",
    },
    Vital.SPO2: {
        "spo2", "o2sat", "o2sats", "sat", "sats", "sao2", "spo2pct", "oxygensaturation",
        "o2saturation", "pulseox", "saturation", "plethspo2",
    },
}
BP_NAMES = {"bp", "bloodpressure", "nibp", "nbp", "sysdia", "sbpdbp"}
# Invasive pressures: arterial (ABP, ART, IBP, AP) and the pulmonary-artery, left/right
# atrial, umbilical and femoral lines monitors export beside them (Philips PAP, LAP, RAP,
# UAP, FAP; GE P1-P8; VitalDB ART_SBP, FEM_MBP, PA_DBP).
INVASIVE = re.compile(r"^(abp|art|ibp|ap|pap|lap|rap|uap|fap|fem|pa|p[1-8])"
                       r"(sys|systolic|dia|dias|diastolic|mean|m|s|d|sbp|dbp|mbp)$")
#: Columns ambulatory and home BP monitors add that are worked out from the charted values,
#: so leaving them out loses nothing: pulse pressure (SBP - DBP).
DERIVED_NAMES = {"pp", "pulsepressure", "pulsdruck"}
#: A VitalDB / Vital Recorder track header, ``Device/TRACK`` (``Solar8000/NIBP_SBP``): the
#: track name says what it holds, and such a file's bare ``Time`` counts seconds from the
#: start of the case.
DEVICE_TRACK = re.compile(r"^[A-Za-z][A-Za-z0-9]*/(?P<track>[A-Za-z0-9_]+)$")
OTHER_NAMES = {
    "time": {
        "time", "timestamp", "datetime", "dateandtime", "takenat", "charttime", "recordedat",
        "observationtime", "measuredat", "effectivedatetime", "uhrzeit",
    },
    "date": {"date", "day", "datum"},
    "elapsed": {"elapsed", "elapseds", "elapsedsec", "elapsedseconds", "elapsedmin"},
    "source": {"source", "origin"},
    "entered_by": {"enteredby", "initials", "nurse", "by", "recordedby", "user"},
    "status": {"status"},
    "note": {"note", "notes", "comment", "comments", "remark", "remarks", "bemerkung",
             "kommentar"},
    "patient": {"patient", "patientid", "mrn", "pid"},
}
#: Time-column names that mean a full date and time (all but 'time' and German 'Uhrzeit',
#: which beside a date column are the time of day).
FULL_TIME_NAMES = OTHER_NAMES["time"] - {"time", "uhrzeit"}
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


def track_name(header: str) -> str | None:
    """The track of a VitalDB header (``'Solar8000/NIBP_SBP'`` -> ``'NIBP_SBP'``), or None."""
    found = DEVICE_TRACK.match(header.strip())
    return found["track"] if found else None


def vital_named(key: str) -> Vital | None:
    """The vital a normalized name means ('sbp', 'heartrate'), or None (also for 'bp')."""
    return next((v for v, names in VITAL_NAMES.items() if key in names), None)
