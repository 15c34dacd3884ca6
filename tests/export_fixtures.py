"""A recorded session with everything an export shows, built through the store API:
readings (one corrected, one entered in error), an acknowledged critical alert, timeline
entries and a discharge assessment."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from monitor.app.export import load_record
from monitor.domain.alerts import AlertEngine
from monitor.domain.events import (
    ClinicalEventKind,
    SedationScale,
    new_clinical_event,
    new_sedation_entry,
)
from monitor.domain.profiles import ProfileVersion
from monitor.domain.readings import new_reading
from monitor.domain.sessions import Infusion, Patient, Session
from monitor.domain.vitals import Vital
from monitor.io.export_data import SessionRecord
from monitor.resources import default_profile
from monitor.store import Store

ZONE = timezone(timedelta(hours=2))
START = datetime(2024, 5, 1, 9, 0, tzinfo=ZONE)
PATIENT_ID = "P-4711"
NAME = "Maria Example"
DOB = date(1978, 3, 14)
SHIPPED = ProfileVersion(default_profile())
ROWS = [  # minutes from the infusion start, sbp, dbp, hr, rr, spo2, note
    (-15, 124, 78, 72, 14, 98, "Pre-infusion baseline"),
    (15, 138, 84, 82, 14, 97, ""),
    (30, 166, 96, 98, 12, 95, "Maria reports dissociation"),
    (40, 184, 104, 104, 12, 94, "Rechecked, physician informed"),
    (60, 150, 90, 92, 13, 96, ""),
    (90, 142, 88, 86, 14, 96, ""),
    (130, 132, 82, 77, 15, 97, "Ready for discharge"),
]


def build_session(store: Store) -> int:
    """Create the session in ``store`` and return its id."""
    session = store.create_session(Session(
        patient=Patient(PATIENT_ID, NAME, date_of_birth=DOB),
        infusion=Infusion(drug="ketamine", dose_mg=86, rate_mg_per_kg_h=0.6,
                          started_at=START, ended_at=START + timedelta(hours=2),
                          indication="CRPS"),
        weight_kg=72,
        baseline={Vital.SBP: 124, Vital.DBP: 78, Vital.HR: 72, Vital.RR: 14, Vital.SPO2: 98},
        started_at=START - timedelta(minutes=20),
    ), by="JM")
    sid = session.id
    assert sid is not None
    readings = store.add_readings(sid, [
        new_reading(START + timedelta(minutes=m), {Vital.SBP: s, Vital.DBP: d, Vital.HR: h,
                                                   Vital.RR: r, Vital.SPO2: o},
                    entered_by="JM", note=note)
        for m, s, d, h, r, o, note in ROWS])
    # A typing error corrected (HR 77 typed as 177), and a reading of the wrong patient.
    typo = store.add_reading(sid, new_reading(START + timedelta(minutes=75),
                                              {Vital.SBP: 145, Vital.DBP: 86, Vital.HR: 177},
                                              entered_by="KL"))
    store.correct_reading(typo.id, new_reading(typo.taken_at, {Vital.SBP: 145, Vital.DBP: 86,
                                                               Vital.HR: 77}), "KL",
                          "Typing error")
    wrong = store.add_reading(sid, new_reading(START + timedelta(minutes=100),
                                               {Vital.SBP: 99, Vital.DBP: 61, Vital.HR: 58},
                                               entered_by="AB"))
    store.mark_entered_in_error(wrong.id, "AB", "Wrong patient")
    engine = AlertEngine(SHIPPED.profile, session.baseline)
    events = []
    for reading in store.current_readings(sid):
        events += engine.on_reading(reading)
        if reading.id == readings[3].id:  # the critical SBP: acknowledged at once
            high = [a for a in engine.active_alerts() if a.condition == "sbp-high"][0]
            events += engine.acknowledge(high.id, "KL", reading.taken_at + timedelta(minutes=1))
    store.record_alert_events(sid, events)
    store.add_timeline_entry(sid, new_clinical_event(
        START + timedelta(minutes=100), ClinicalEventKind.NAUSEA, entered_by="KL",
        note="Ondansetron 4 mg IV"))
    store.add_timeline_entry(sid, new_sedation_entry(
        START + timedelta(minutes=45), SedationScale.RASS, -1, entered_by="JM"))
    store.add_assessment(sid, kind="aldrete", at=START + timedelta(minutes=135),
                         items={"activity": 2, "respiration": 2, "circulation": 2,
                                "consciousness": 2, "spo2": 2}, total=10, meets=True, by="KL")
    return sid


def record_of(store: Store, session_id: int) -> SessionRecord:
    """The session as exports read it, generated at a fixed time."""
    return load_record(store, session_id, SHIPPED, START + timedelta(hours=3))
