"""The live-feed handler: ACK codes, routing by PID-3, commit before ACK, on a real listener."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import hl7
import pytest

from monitor.app.live_feed import FeedCommit, LiveFeedHandler, message_type_problem
from monitor.domain.readings import Source
from monitor.domain.sessions import Patient, Session
from monitor.domain.vitals import Vital
from monitor.io.mllp import MllpListener, PeerInfo
from monitor.io.mllp_client import MllpClient
from monitor.store import Store

PEER = PeerInfo("127.0.0.1", 40000, datetime(2024, 5, 1, tzinfo=UTC))


def oru(ctrl: str, *obx: str, patient: str = "P-100", time: str = "20240501120000+0000",
        kind: str = "ORU^R01") -> bytes:
    lines = [f"MSH|^~\\&|GW|WARD|MON|REC|{time}||{kind}|{ctrl}|P|2.6",
             f"PID|||{patient}^^^HOSP^MR||Doe^John", f"OBR|1|||VITALS|||{time}",
             *(obx or ("OBX|1|NM|8867-4^HR^LN||72|/min|||||F",))]
    return ("\r".join(lines) + "\r").encode()


def msa(ack: bytes) -> tuple[str, str, str]:
    message = hl7.parse(ack.decode())
    segment = message.segment("MSA")
    text = message.unescape(str(segment(3))) if len(segment) > 3 else ""
    return str(segment(1)), str(segment(2)), text


@pytest.fixture
def handler(db_path: Path):
    commits: list[FeedCommit] = []
    h = LiveFeedHandler(db_path, on_committed=commits.append)
    h.commits = commits  # type: ignore[attr-defined]
    yield h
    h.close()


def test_readings_go_to_the_patients_active_session(handler: LiveFeedHandler,
                                                    store: Store) -> None:
    session = store.create_session(Session(Patient("P-100")), by="AB")
    assert msa(handler(oru("M1"), PEER))[:2] == ("AA", "M1")
    [reading] = store.readings(session.id or 0)
    assert dict(reading.values) == {Vital.HR: 72}
    assert reading.source is Source.DEVICE
    assert reading.source_detail == "MLLP (HL7 v2), device GW"
    assert handler.commits[0].session_ids == (session.id,)  # type: ignore[attr-defined]


def test_a_new_patient_gets_a_new_session(handler: LiveFeedHandler, store: Store) -> None:
    assert msa(handler(oru("M1", patient="P-NEW"), PEER))[0] == "AA"
    session = store.active_session_for_patient("P-NEW")
    assert session is not None
    assert handler.commits[0].created_sessions == (session.id,)  # type: ignore[attr-defined]


def test_a_resent_message_is_acknowledged_and_adds_nothing(handler: LiveFeedHandler,
                                                           store: Store) -> None:
    handler(oru("M1"), PEER)
    assert msa(handler(oru("M1"), PEER)) == ("AA", "M1", "duplicate: already recorded")
    session = store.active_session_for_patient("P-100")
    assert session is not None and len(store.readings(session.id or 0)) == 1


def test_fixed_session_takes_every_reading(db_path: Path, store: Store) -> None:
    session = store.create_session(Session(Patient("BED-3")), by="AB")
    handler = LiveFeedHandler(db_path, session_id=session.id)
    try:
        assert msa(handler(oru("M1", patient="SOMEONE"), PEER))[0] == "AA"
        assert msa(handler(oru("M2", patient=""), PEER))[0] == "AA"
    finally:
        handler.close()
    assert len(store.readings(session.id or 0)) == 1  # M2 repeats M1's reading
    assert store.active_session_for_patient("SOMEONE") is None


@pytest.mark.parametrize(("message", "code", "reason"), [
    (oru("E1", "OBX|1|NM|8867-4^HR^LN||700|/min|||||F"), "AE", "plausible range"),
    (oru("E2", "OBX|1|NM|8867-4^HR^LN||fast|/min|||||F"), "AE", "not a number"),
    (oru("E3", "OBX|1|NM|99999-9^Pulse^LN||5|/min|||||F"), "AE", "its text names a vital"),
    # The device could not obtain it: nothing chartable was lost, so AA (nothing saved).
    (oru("E4", "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|||%|||||X"), "AA",
     "1 observation(s) not charted"),
    (oru("E5", patient=""), "AE", "no patient id in PID-3"),
    (oru("E6", patient="A" * 80), "AE", "patient id is not usable"),
    (oru("E7", kind="ADT^A01"), "AR", "ADT^A01 is not an observation result"),
    (oru("E8", kind="ORU^R30"), "AR", "ORU^R30 is not ORU^R01"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "AR", "not an HL7 v2 message"),
    (b"MSH|^~\\&|short", "AR", "MSH segment is incomplete"),
    (bytes(range(256)), "AR", ""),
    (b"", "AR", "not an HL7 v2 message"),
])
def test_bad_messages_are_answered_logged_and_save_nothing(
        handler: LiveFeedHandler, store: Store, caplog, message: bytes, code: str,
        reason: str) -> None:
    with caplog.at_level(logging.WARNING, logger="monitor.app.live_feed"):
        ack = handler(message, PEER)
    got, _, text = msa(ack)
    assert got == code
    assert reason in text
    assert store.sessions() == []
    assert "Doe" not in caplog.text  # no patient data in the log
    if code == "AR":
        assert "rejected" in caplog.text


def test_partly_invalid_message_commits_the_rest(handler: LiveFeedHandler, store: Store) -> None:
    ack = handler(oru("M1", "OBX|1|NM|8867-4^HR^LN||72|/min|||||F",
                      "OBX|2|NM|99999-9^Odd^LN||5|/min|||||F"), PEER)
    assert msa(ack) == ("AA", "M1", "1 observation(s) not charted")


def test_message_type_problem() -> None:
    assert message_type_problem(oru("X")) is None
    assert message_type_problem(oru("X", kind="ORU")) is None


def test_ack_arrives_only_after_the_commit(db_path: Path, store: Store) -> None:
    """Over a real socket: the moment the AA arrives, another connection sees the reading."""
    handler = LiveFeedHandler(db_path)
    listener = MllpListener(handler, port=0)
    listener.start()
    try:
        with MllpClient(*listener.address, timeout=10) as client:
            for n in range(5):
                ack = client.send(oru(f"M{n}", f"OBX|1|NM|8867-4^HR^LN||{70 + n}|/min|||||F",
                                      time=f"2024050112{n:02d}00+0000"))
                assert msa(ack)[:2] == ("AA", f"M{n}")
                session = store.active_session_for_patient("P-100")
                assert session is not None
                assert len(store.readings(session.id or 0)) == n + 1
            client.send_raw(b"\x0bnot hl7 at all\x1c\r")
            assert msa(client.receive())[0] == "AR"
    finally:
        listener.stop()
        handler.close()


def test_a_message_records_its_alerts_and_the_ticker_says_when_the_feed_goes_silent(
        db_path: Path, store: Store) -> None:
    from datetime import timedelta

    from monitor.app.live_feed import FeedTicker

    now = [datetime.now(UTC).replace(microsecond=0)]
    commits: list[FeedCommit] = []
    handler = LiveFeedHandler(db_path, on_committed=commits.append, clock=lambda: now[0])
    try:
        stamp = now[0].strftime("%Y%m%d%H%M%S+0000")
        ack = handler(oru("M1", "OBX|1|NM|59408-5^SpO2^LN||86|%|||||F", time=stamp), PEER)
        assert msa(ack)[0] == "AA"
    finally:
        handler.close()
    (commit,) = commits
    assert [a.message for a in commit.alerts] == ["SpO2 86 < 90 %"]
    session_id = commit.session_ids[0]
    assert [s.alert.message for s in store.alert_history(session_id)] == ["SpO2 86 < 90 %"]

    ticker = FeedTicker(store, clock=lambda: now[0])
    fed = handler.fed_sessions()
    assert list(fed) == [session_id]
    assert ticker.tick(fed) == []  # the monitor has just sent
    now[0] += timedelta(minutes=4)
    ((silent_in, silent),) = ticker.tick(fed)
    assert silent_in == session_id and silent.condition == "feed-silent"
    assert ticker.tick(fed) == []  # raised once, carried on
    assert "feed-silent" in {s.alert.condition for s in store.alert_history(session_id)}


# --- issue 13: AA only when everything chartable was stored ----------------------------------

CUFF = ("OBX|1|NM|150301^MDC_PRESS_CUFF_SYS^MDC|1.1.9.150301|132|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|2|NM|150302^MDC_PRESS_CUFF_DIA^MDC|1.1.9.150302|84|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|3|NM|150303^MDC_PRESS_CUFF_MEAN^MDC|1.1.9.150303|100|266016^MDC_DIM_MMHG^MDC|||||R")


def err_segments(ack: bytes) -> list[tuple[str, str]]:
    """(ERR-2, ERR-8) of every ERR segment of an ACK."""
    message = hl7.parse(ack.decode())
    return [(str(s(2)), message.unescape(str(s(8)))) for s in message if str(s[0]) == "ERR"]


def send_with_hl7_client(db_path: Path, *messages: bytes) -> list[bytes]:
    """Each message sent to a real listener with the ``hl7`` package's own client."""
    from hl7.client import MLLPClient

    handler = LiveFeedHandler(db_path)
    listener = MllpListener(handler, port=0)
    listener.start()
    try:
        with MLLPClient(*listener.address) as client:
            client.socket.settimeout(10)
            return [client.send_message(m).strip(b"\x0b\x1c\r") for m in messages]
    finally:
        listener.stop()
        handler.close()


def test_cuff_pressure_terms_chart_the_blood_pressure_over_mllp(db_path: Path,
                                                               store: Store) -> None:
    [ack] = send_with_hl7_client(db_path, oru("C1", *CUFF))
    assert msa(ack) == ("AA", "C1", "")
    session = store.active_session_for_patient("P-100")
    assert session is not None
    [reading] = store.readings(session.id or 0)
    assert dict(reading.values) == {Vital.SBP: 132, Vital.DBP: 84, Vital.MAP: 100}
    assert not reading.map_derived


def test_uncharted_observations_are_notices_and_the_message_is_aa(db_path: Path,
                                                                 store: Store) -> None:
    temperature = "OBX|2|NM|150364^MDC_TEMP_BODY^MDC||36.8|268192^MDC_DIM_DEGC^MDC|||||R"
    status = "OBX|3|ST|68480^MDC_ATTR_DEV_STATUS^MDC||on|||||||R"
    spo2 = "OBX|4|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|262688^MDC_DIM_PERCENT^MDC|||||R"
    [ack] = send_with_hl7_client(db_path, oru("N1", "OBX|1|NM|8867-4^HR^LN||72|/min|||||F",
                                               temperature, status, spo2))
    assert msa(ack) == ("AA", "N1", "2 observation(s) not charted")
    assert err_segments(ack) == []
    session = store.active_session_for_patient("P-100")
    assert session is not None
    [reading] = store.readings(session.id or 0)
    assert dict(reading.values) == {Vital.HR: 72, Vital.SPO2: 97}


def test_partly_lost_chartable_data_is_ae_with_err_naming_the_obx(db_path: Path,
                                                                 store: Store) -> None:
    acks = send_with_hl7_client(
        db_path,
        oru("L1", "OBX|1|NM|8867-4^HR^LN||fast|/min|||||F",
            "OBX|2|NM|59408-5^SpO2^LN||97|%|||||F"),
        oru("L2", "OBX|1|NM|8867-4^HR^LN||72|/min|||||D", "OBX|2|NM|9279-1^RR^LN||14|/min|||||F",
            time="20240501121500+0000"),
        oru("L3", "OBX|1|NM|9279-1^RR^LN||14|/min|||||F|||20240501", time="20240501123000"),
    )
    code, ctrl, text = msa(acks[0])
    assert (code, ctrl) == ("AE", "L1")
    assert "'fast' is not a number" in text and len(text) <= 80
    assert err_segments(acks[0]) == [("OBX^1", "Heart rate: 'fast' is not a number; skipped")]
    code, _, text = msa(acks[1])
    assert code == "AE" and "deletes a value sent in an earlier message" in text
    assert err_segments(acks[1])[0][0] == "OBX^1"
    code, _, text = msa(acks[2])  # the only vital's time is a date: nothing could be stored
    assert code == "AE" and "date without a time of day" in text
    session = store.active_session_for_patient("P-100")
    assert session is not None
    # What was good is stored all the same (a resend adds nothing twice).
    assert [dict(r.values) for r in store.readings(session.id or 0)] == [
        {Vital.SPO2: 97}, {Vital.RR: 14}]


def test_a_resent_message_with_a_lost_value_stays_ae(handler: LiveFeedHandler) -> None:
    message = oru("R1", "OBX|1|NM|8867-4^HR^LN||700|/min|||||F",
                  "OBX|2|NM|59408-5^SpO2^LN||97|%|||||F|||20240501120500+0000")
    assert msa(handler(message, PEER))[0] == "AE"
    assert msa(handler(message, PEER))[0] == "AE"  # not 'AA duplicate': HR is still lost
