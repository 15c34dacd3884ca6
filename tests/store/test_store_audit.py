"""Changes of what governs alerts are audited with what they replaced."""

from __future__ import annotations


def test_a_schedule_change_is_audited_with_what_it_replaced(store):
    from monitor.domain.schedule import CLINIC, WARD
    from monitor.domain.sessions import Patient, Session

    session = store.create_session(Session(Patient("P-1")), "AB")
    store.set_schedule(session.id, WARD, "AB")
    store.set_schedule(session.id, CLINIC, "KL")
    first, second = [e for e in store.audit_trail(session.id)
                     if e.action == "schedule changed"]
    assert first.detail["changes"]["schedule"]["old"] == "default"
    assert second.actor == "KL"
    assert second.detail["changes"]["schedule"] == {"old": WARD.to_dict(),
                                                    "new": CLINIC.to_dict()}
