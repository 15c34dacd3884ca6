"""The shipped demo session (resources/demo/demo_session.json), placed around 'now' so a
newcomer sees a live-looking chart at once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from .domain.readings import Source, new_reading
from .domain.sessions import Infusion, Patient, Session
from .domain.vitals import Vital
from .resources import resource
from .store import Store

DEMO_FILE = resource("demo", "demo_session.json")


def load_demo(store: Store, now: datetime) -> Session:
    """Create the demo session in ``store`` with times relative to ``now``."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    end = now - timedelta(minutes=data["infusion_ended_minutes_ago"])
    start = end - timedelta(minutes=data["infusion"]["duration_minutes"])
    p = data["patient"]
    session = Session(
        patient=Patient(p["identifier"], p["name"], age_years=p.get("age_years")),
        infusion=Infusion(
            drug=data["infusion"]["drug"],
            dose_mg=data["infusion"]["dose_mg"],
            rate_mg_per_kg_h=data["infusion"]["rate_mg_per_kg_h"],
            started_at=start,
            ended_at=end,
            indication=data["infusion"]["indication"],
        ),
        weight_kg=data["weight_kg"],
        baseline={Vital(k): float(v) for k, v in data["baseline"].items()},
        started_at=start - timedelta(minutes=20),
    )
    session = store.create_session(session, by=data["nurse"])
    readings = [
        new_reading(
            start + timedelta(minutes=row["minutes_from_start"]),
            {Vital(k): float(v) for k, v in row["values"].items()},
            source=Source(row.get("source", "manual")),
            entered_by=row.get("by", data["nurse"]),
            note=row.get("note", ""),
            source_detail=row.get("source_detail", ""),
        )
        for row in data["readings"]
    ]
    assert session.id is not None
    store.add_readings(session.id, [r for r in readings if r.taken_at <= now])
    return session
