"""Discharge details and amendments: every field checked and named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.domain.closing import DischargeDetails, validate_amendment, validate_discharge
from monitor.domain.sessions import Infusion, Patient, Session, SessionStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SESSION = Session(Patient("P-1"), Infusion(started_at=NOW - timedelta(hours=2),
                                           ended_at=NOW - timedelta(hours=1)),
                  started_at=NOW - timedelta(hours=3))


def details(**changes) -> DischargeDetails:
    values = {"discharged_at": NOW, "escort_present": True, "instructions_given": True,
              "by": "KL", "note": ""}
    values.update(changes)
    return DischargeDetails(**values)


def messages(d: DischargeDetails, session: Session = SESSION, last=None) -> list[str]:
    return [str(e) for e in validate_discharge(d, session, last, NOW)]


def test_complete_details_pass_and_are_kept_for_the_audit_trail():
    assert messages(details()) == []
    assert details(by="kl ").to_dict()["by"] == "KL"
    assert details().to_dict()["discharged_at"] == NOW.isoformat()


@pytest.mark.parametrize(("changes", "expected"), [
    ({"discharged_at": None}, "Discharge time: is required"),
    ({"discharged_at": datetime(2026, 3, 1, 12, 0)}, "Discharge time: has no timezone"),
    ({"discharged_at": NOW + timedelta(minutes=10)}, "Discharge time: is in the future"),
    ({"discharged_at": NOW - timedelta(minutes=90)}, "Discharge time: is before the infusion end"),
    ({"escort_present": None}, "Escort: say whether an escort is present"),
    ({"instructions_given": None}, "Instructions: say whether"),
    ({"escort_present": False}, "Note: say why"),
    ({"instructions_given": False, "note": "  "}, "Note: say why"),
    ({"by": ""}, "Initials: enter your initials"),
    ({"by": "K1"}, "Initials: 'K1' must be up to 6 letters"),
    ({"by": "ABCDEFG"}, "Initials: 'ABCDEFG' must be up to 6 letters"),
])
def test_each_bad_field_is_named(changes, expected):
    assert any(m.startswith(expected) for m in messages(details(**changes))), messages(
        details(**changes))


def test_discharge_must_follow_the_last_reading_to_the_minute():
    last = NOW - timedelta(minutes=5, seconds=-40)  # 11:55:40
    assert messages(details(discharged_at=NOW - timedelta(minutes=5)), last=last) == []
    assert "before the last reading" in messages(
        details(discharged_at=NOW - timedelta(minutes=6)), last=last)[0]


def test_a_closed_session_cannot_be_closed_again():
    closed = Session(SESSION.patient, SESSION.infusion, status=SessionStatus.CLOSED)
    assert "Session: is already closed" in messages(details(), closed)


@pytest.mark.parametrize(("by", "reason", "expected"), [
    ("", "late", ["Initials: enter your initials"]),
    ("KL", " ", ["Reason: say why the closed session is amended"]),
    ("K.L.", "Paper chart", []),
])
def test_an_amendment_needs_initials_and_a_reason(by, reason, expected):
    assert [str(e) for e in validate_amendment(by, reason)] == expected
