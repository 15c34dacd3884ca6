"""MLLP framing, fallback ACKs and the listener, end to end on 127.0.0.1."""

from __future__ import annotations

import logging
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import hl7
import pytest

from monitor.io.mllp import (
    CR,
    EB,
    HEAD_BYTES,
    SB,
    FeedStatus,
    FrameError,
    FrameErrorKind,
    MessageEvent,
    MllpDecoder,
    MllpListener,
    PeerInfo,
    ack_code,
    build_ack,
    control_id,
    frame,
)
from monitor.io.mllp_client import MllpClient, NoAck, send_messages

TIMEOUT = 5.0
PATIENT = "Doe^John"  # must never reach a log


def oru(control: str, value: int = 120) -> bytes:
    """A small ORU^R01 with a patient name, as a monitor gateway sends it."""
    return (
        f"MSH|^~\\&|GATEWAY|WARD3|MONITOR|RECOVERY|20240501120000||ORU^R01^ORU_R01|{control}|P|2.6\r"
        f"PID|||MRN123^^^HOSP^MR||{PATIENT}||19800101|M\r"
        "OBR|1|||VITALS\r"
        f"OBX|1|NM|8480-6^SBP^LN||{value}|mm[Hg]|||||F\r"
    ).encode()


def accept_all(message: bytes, peer: PeerInfo) -> bytes:
    """A handler that accepts every message it can parse (like the real one will)."""
    return str(hl7.parse(message.decode("latin-1")).create_ack("AA")).encode("latin-1")


def msa(ack: bytes) -> tuple[str, str]:
    """(MSA-1, MSA-2) of an ACK, read with the hl7 package."""
    segment = hl7.parse(ack.decode("latin-1")).segment("MSA")
    return str(segment(1)), str(segment(2))


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        threading.Event().wait(0.01)


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Every test must leave no listener thread behind."""
    yield
    wait_until(lambda: not [t for t in threading.enumerate() if t.name.startswith("mllp")])


@pytest.fixture
def start_listener() -> Iterator[Callable[..., MllpListener]]:
    """Start listeners on an ephemeral loopback port; stop them after the test."""
    started: list[MllpListener] = []

    def start(handler: Callable[[bytes, PeerInfo], bytes] = accept_all, **options: object
              ) -> MllpListener:
        listener = MllpListener(handler, port=0, **options)  # type: ignore[arg-type]
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


def client_for(listener: MllpListener) -> MllpClient:
    return MllpClient(*listener.address, timeout=TIMEOUT)


# -- decoder ---------------------------------------------------------------------------------


def test_decoder_returns_frame_content_without_framing() -> None:
    assert MllpDecoder().feed(frame(b"MSH|1")) == [b"MSH|1"]


def test_decoder_joins_a_frame_split_across_many_reads() -> None:
    decoder = MllpDecoder()
    data = frame(oru("C1"))
    out = [item for i in range(len(data)) for item in decoder.feed(data[i:i + 1])]
    assert out == [oru("C1")]


def test_decoder_returns_every_frame_of_one_read() -> None:
    messages = [oru(f"C{i}") for i in range(5)]
    assert MllpDecoder().feed(b"".join(frame(m) for m in messages)) == messages


def test_decoder_accepts_end_block_without_cr_and_blank_lines_between_frames() -> None:
    data = SB + b"A" + EB + SB + b"B" + EB + CR + b"\r\n\n" + SB + b"C" + EB + CR
    assert MllpDecoder().feed(data) == [b"A", b"B", b"C"]


def test_decoder_keeps_a_cr_that_starts_the_next_read_out_of_the_frame() -> None:
    decoder = MllpDecoder()
    assert decoder.feed(SB + b"A" + EB) == [b"A"]
    assert decoder.feed(CR + SB + b"B" + EB + CR) == [b"B"]
    assert decoder.finish() == []


def test_decoder_reports_and_skips_garbage_before_and_between_frames() -> None:
    out = MllpDecoder().feed(b"hello" + frame(b"A") + b"noise" + frame(b"B"))
    assert out == [
        FrameError(FrameErrorKind.GARBAGE, 5, b"hello"),
        b"A",
        FrameError(FrameErrorKind.GARBAGE, 5, b"noise"),
        b"B",
    ]


def test_decoder_restarts_on_a_start_block_inside_a_frame() -> None:
    out = MllpDecoder().feed(SB + b"partial" + frame(b"whole"))
    assert out == [FrameError(FrameErrorKind.RESTARTED, 7, b"partial"), b"whole"]


@pytest.mark.parametrize("ending", [EB + CR, b""], ids=["ended", "unended"])
def test_decoder_reports_oversize_once_and_resumes_at_the_next_frame(ending: bytes) -> None:
    decoder = MllpDecoder(max_frame=10)
    out = decoder.feed(SB + b"MSH|" + b"x" * 20)
    out += decoder.feed(b"y" * 50 + ending + frame(b"next"))
    assert out == [FrameError(FrameErrorKind.OVERSIZE, 11, b"MSH|" + b"x" * 20), b"next"]


def test_decoder_keeps_only_the_head_of_an_oversize_frame() -> None:
    (error,) = MllpDecoder(max_frame=HEAD_BYTES).feed(SB + b"z" * (3 * HEAD_BYTES))
    assert isinstance(error, FrameError) and error.head == b"z" * HEAD_BYTES


def test_decoder_accepts_a_frame_of_exactly_max_frame() -> None:
    assert MllpDecoder(max_frame=10).feed(frame(b"0123456789")) == [b"0123456789"]


def test_decoder_reports_a_frame_truncated_by_the_end_of_the_stream() -> None:
    decoder = MllpDecoder()
    assert decoder.feed(frame(b"A") + SB + b"MSH|half") == [b"A"]
    assert decoder.in_frame
    assert decoder.finish() == [FrameError(FrameErrorKind.TRUNCATED, 8, b"MSH|half")]
    assert not decoder.in_frame
    assert decoder.feed(frame(b"B")) == [b"B"]


def test_decoder_reports_a_message_that_lost_its_start_block() -> None:
    out = MllpDecoder().feed(b"\r\nMSH|lost" + EB + CR + frame(b"B"))
    assert out == [FrameError(FrameErrorKind.UNFRAMED, 10, b"MSH|lost"), b"B"]


def test_decoder_reports_a_stray_end_block_as_garbage() -> None:
    assert MllpDecoder().feed(EB + CR + frame(b"B")) == [
        FrameError(FrameErrorKind.GARBAGE, 1, b""), b"B"]


def test_decoder_reports_endless_garbage_without_waiting_for_its_end() -> None:
    out = MllpDecoder(max_frame=100).feed(b"g" * 250)
    assert [(e.kind, e.size) for e in out if isinstance(e, FrameError)] == [
        (FrameErrorKind.GARBAGE, 100), (FrameErrorKind.GARBAGE, 100)]


def test_decoder_rejects_a_max_frame_below_one() -> None:
    with pytest.raises(ValueError):
        MllpDecoder(max_frame=0)


# -- ACK helpers ------------------------------------------------------------------------------


def test_the_ack_echoes_the_control_id_with_code_and_text() -> None:
    ack = build_ack(oru("CTRL-7"), "AE", "message could not be processed")
    parsed = hl7.parse(ack.decode())
    assert msa(ack) == ("AE", "CTRL-7")
    assert str(parsed.segment("MSA")(3)) == "message could not be processed"
    assert str(parsed.segment("MSH")(9)) == "ACK^R01^ACK"
    assert str(parsed.segment("MSH")(5)) == "GATEWAY"  # answered to the sender
    assert PATIENT.encode() not in ack


def test_the_ack_reads_only_the_header_of_crlf_or_cut_messages() -> None:
    crlf = oru("C1").replace(b"\r", b"\r\n")
    assert msa(build_ack(crlf, "AE"))[1] == "C1"
    assert msa(build_ack(oru("C2")[:120], "AR"))[1] == "C2"


@pytest.mark.parametrize("message", [b"", b"garbage", b"MSH|^~\\&|short", b"\xff\xfe" * 40,
                                     b"MSH||||||||||||"])
def test_the_ack_answers_anything_with_a_parseable_ack(message: bytes) -> None:
    assert msa(build_ack(message, "AR", "bad")) == ("AR", "")


def test_the_ack_without_a_header_leaves_msa2_empty() -> None:
    assert msa(build_ack(b"no header here", "AE")) == ("AE", "")


def test_the_ack_dates_itself_with_an_explicit_offset() -> None:
    for message in (oru("C1"), b"junk"):
        stamp = str(hl7.parse(build_ack(message, "AA").decode()).segment("MSH")(7))
        assert stamp.endswith("+0000") and len(stamp) == 19


def test_the_ack_refuses_an_unknown_code() -> None:
    with pytest.raises(ValueError):
        build_ack(oru("C1"), "OK")


def test_the_ack_text_cannot_break_the_ack() -> None:
    ack = build_ack(oru("C1"), "AE", "bad|field^with~separators\\&\r\x0bMSH")
    assert ack.count(b"\r") == 2 and SB not in ack
    assert msa(ack) == ("AE", "C1")


def test_control_id_and_ack_code_read_headers() -> None:
    assert control_id(oru("ABC")) == "ABC"
    assert control_id(b"PID|x") is None
    assert ack_code(build_ack(oru("A"), "AR")) == "AR"
    assert ack_code(b"MSH|^~\\&|x") == ""


# -- listener: mllp_send -----------------------------------------------------------------------


def run_mllp_send(listener: MllpListener, file: Path, *options: str) -> list[bytes]:
    """Run hl7's own mllp_send program on ``file``; return the ACKs it printed."""
    script = Path(sys.executable).with_name("mllp_send")
    command = ([str(script)] if script.exists()
               else [sys.executable, "-c", "from hl7.client import mllp_send; mllp_send()"])
    host, port = listener.address
    done = subprocess.run(command + ["--port", str(port), "--file", str(file), *options, host],
                          capture_output=True, timeout=30, check=True)
    # It prints each ACK as it came, framing included, one per line.
    return [item for item in MllpDecoder().feed(done.stdout) if isinstance(item, bytes)]


def test_mllp_send_program_gets_an_ack_echoing_each_message(
        start_listener: Callable[..., MllpListener], tmp_path: Path) -> None:
    seen: list[bytes] = []
    listener = start_listener(lambda m, p: seen.append(m) or accept_all(m, p))
    messages = [oru(f"MSG{i}", 100 + i) for i in range(5)]
    file = tmp_path / "batch.hl7"
    file.write_bytes(b"".join(frame(m) for m in messages))

    acks = run_mllp_send(listener, file)

    # mllp_send strips the final CR of each message before sending.
    assert seen == [m.rstrip(b"\r") for m in messages]
    assert [msa(a) for a in acks] == [("AA", f"MSG{i}") for i in range(5)]
    wait_until(lambda: listener.status().total_messages == 5)


def test_mllp_send_program_with_real_gateway_samples(
        start_listener: Callable[..., MllpListener], shared_fixtures: Path,
        tmp_path: Path) -> None:
    names = ["ipf__valid-pcd01-request.hl7v2", "ipf__valid-pcd01-request2.hl7v2",
             "ipf__valid-pcd01-MaximumRequest2.hl7", "ms-fhir-converter__ORU-R01-01.hl7"]
    samples = [(shared_fixtures / "hl7v2" / name).read_bytes() for name in names]
    expected = [str(hl7.parse(s.replace(b"\r\n", b"\r").replace(b"\n", b"\r").decode())
                    .segment("MSH")(10)) for s in samples]
    file = tmp_path / "samples.hl7"  # the samples side by side, as a file a gateway could log
    file.write_bytes(b"\n".join(samples))
    seen: list[bytes] = []
    listener = start_listener(lambda m, p: seen.append(m) or accept_all(m, p))

    acks = run_mllp_send(listener, file, "--loose")

    assert [control_id(m) for m in seen] == expected
    assert [msa(a) for a in acks] == [("AA", c) for c in expected]


# -- listener: bad input -----------------------------------------------------------------------


def test_garbage_and_random_bytes_are_skipped_and_the_next_message_served(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener(max_frame=4096)
    noise = random.Random(7).randbytes(3000).replace(SB, b"").replace(EB, b"")
    with client_for(listener) as client:
        client.send_raw(b"GET / HTTP/1.1\r\n\r\n" + noise)
        assert msa(client.send(oru("AFTER-NOISE"))) == ("AA", "AFTER-NOISE")
        client.send_raw(SB + b"half a message")  # dropped at the next start block
        assert msa(client.send(oru("AFTER-RESTART"))) == ("AA", "AFTER-RESTART")
    status = listener.status()
    assert status.errors >= 2 and status.last_error is not None


def test_oversize_message_gets_ar_and_the_next_message_is_served(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener(max_frame=500)
    big = oru("BIG") + b"NTE|1||" + b"x" * 2000 + b"\r"
    with client_for(listener) as client:
        assert msa(client.send(big)) == ("AR", "BIG")
        assert msa(client.send(oru("SMALL"))) == ("AA", "SMALL")


def test_message_without_start_block_gets_ar(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener()
    with client_for(listener) as client:
        client.send_raw(oru("LOST-SB") + EB + CR)
        assert msa(client.receive()) == ("AR", "LOST-SB")
        assert msa(client.send(oru("OK"))) == ("AA", "OK")


def test_random_frames_are_answered_and_the_feed_keeps_going(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener()
    rng = random.Random(11)
    with client_for(listener) as client:
        for _ in range(20):
            junk = rng.randbytes(rng.randint(0, 200)).replace(SB, b"").replace(EB, b"")
            code, _ = msa(client.send(junk))
            assert code == "AE"  # the handler could not parse it and raised
        assert msa(client.send(oru("STILL-HERE"))) == ("AA", "STILL-HERE")


# -- listener: handler contract ----------------------------------------------------------------


def test_handler_failure_is_answered_ae_and_logged_without_patient_data(
        start_listener: Callable[..., MllpListener], caplog: pytest.LogCaptureFixture) -> None:
    def failing(message: bytes, peer: PeerInfo) -> bytes:
        raise KeyError(f"unknown patient in {message.decode()}")

    caplog.set_level(logging.DEBUG, logger="monitor.io.mllp")
    listener = start_listener(failing)
    with client_for(listener) as client:
        assert msa(client.send(oru("FAIL-1"))) == ("AE", "FAIL-1")
        assert msa(client.send(oru("FAIL-2"))) == ("AE", "FAIL-2")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert "FAIL-1" in errors[0].getMessage() and "KeyError" in errors[0].getMessage()
    assert "Doe" not in caplog.text and "MRN123" not in caplog.text
    assert listener.status().errors >= 2


@pytest.mark.parametrize("bad_ack", [None, "AA", b"", b"MSA|AA\x1c"])
def test_handler_returning_something_that_is_not_an_ack_gets_ae(
        start_listener: Callable[..., MllpListener], bad_ack: object) -> None:
    listener = start_listener(lambda m, p: bad_ack)
    with client_for(listener) as client:
        assert msa(client.send(oru("BAD-ACK"))) == ("AE", "BAD-ACK")


def test_ack_is_sent_only_after_the_handler_returns(
        start_listener: Callable[..., MllpListener]) -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_commit(message: bytes, peer: PeerInfo) -> bytes:
        entered.set()
        release.wait(TIMEOUT)
        return accept_all(message, peer)

    listener = start_listener(slow_commit)
    with client_for(listener) as client:
        client.send_raw(frame(oru("WAIT")))
        assert entered.wait(TIMEOUT)
        client.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            client.sock.recv(100)
        release.set()
        client.sock.settimeout(TIMEOUT)
        assert msa(client.receive()) == ("AA", "WAIT")


def test_pipelined_messages_are_handled_and_answered_in_order(
        start_listener: Callable[..., MllpListener]) -> None:
    seen: list[str | None] = []
    listener = start_listener(lambda m, p: seen.append(control_id(m)) or accept_all(m, p))
    ids = [f"P{i}" for i in range(50)]
    with client_for(listener) as client:
        client.send_raw(b"".join(frame(oru(i)) for i in ids))  # one write, many frames
        assert [msa(client.receive())[1] for _ in ids] == ids
    assert seen == ids


def test_handler_runs_on_one_thread_for_all_peers(
        start_listener: Callable[..., MllpListener]) -> None:
    threads: set[int] = set()
    peers: set[int] = set()

    def record(message: bytes, peer: PeerInfo) -> bytes:
        threads.add(threading.get_ident())
        peers.add(peer.port)
        return accept_all(message, peer)

    listener = start_listener(record)
    results: dict[int, list[bytes]] = {}

    def sender(n: int) -> None:
        results[n] = send_messages(*listener.address, [oru(f"T{n}-{i}") for i in range(20)],
                                   TIMEOUT)

    workers = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT * 2)
    assert {n: [msa(a)[1] for a in acks] for n, acks in results.items()} == {
        n: [f"T{n}-{i}" for i in range(20)] for n in range(4)}
    assert len(threads) == 1 and len(peers) == 4
    assert listener.status().total_messages == 80


# -- listener: connections ---------------------------------------------------------------------


def test_binds_loopback_on_an_ephemeral_port(start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener()
    host, port = listener.address
    assert host == "127.0.0.1" and port > 0
    assert listener.status().listening


def test_address_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = MllpListener(accept_all, port=0).address


def test_peer_outside_the_allow_list_is_closed_unheard(
        start_listener: Callable[..., MllpListener], caplog: pytest.LogCaptureFixture) -> None:
    seen: list[bytes] = []
    listener = start_listener(lambda m, p: seen.append(m) or accept_all(m, p),
                              allow_peers=["192.0.2.1", "10.0.0.0/8"])
    with client_for(listener) as client, pytest.raises((NoAck, ConnectionError)):
        client.send(oru("REFUSED"))
    wait_until(lambda: listener.status().refused_peers == 1)
    assert seen == [] and listener.status().peers == ()
    assert "127.0.0.1" in caplog.text and "allow-list" in caplog.text


def test_peer_inside_the_allow_list_is_served(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener(allow_peers=["192.0.2.1", "127.0.0.0/8"])
    assert msa(send_messages(*listener.address, [oru("IN")], TIMEOUT)[0]) == ("AA", "IN")


def test_allow_list_rejects_host_names() -> None:
    with pytest.raises(ValueError):
        MllpListener(accept_all, allow_peers=["monitor-gateway.local"])


def test_connections_beyond_the_limit_are_refused(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener(max_connections=1)
    with client_for(listener) as first:
        assert msa(first.send(oru("FIRST"))) == ("AA", "FIRST")
        with client_for(listener) as second, pytest.raises((NoAck, ConnectionError)):
            second.send(oru("SECOND"))
        assert msa(first.send(oru("FIRST-AGAIN"))) == ("AA", "FIRST-AGAIN")


def test_silent_and_half_sent_clients_do_not_block_others(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener()
    with client_for(listener) as silent, client_for(listener) as stalled:
        stalled.send_raw(SB + oru("STALLED")[:40])
        acks = send_messages(*listener.address, [oru("A"), oru("B")], TIMEOUT)
        assert [msa(a)[1] for a in acks] == ["A", "B"]
        wait_until(lambda: len(listener.status().peers) == 2)
        assert silent.sock.fileno() != -1


def test_a_reset_mid_frame_does_not_disturb_other_connections(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener()
    with client_for(listener) as steady:
        assert msa(steady.send(oru("S1"))) == ("AA", "S1")
        rude = socket.create_connection(listener.address, timeout=TIMEOUT)
        rude.sendall(SB + oru("RUDE")[:30])
        # Linger 0 makes close send a RST instead of a FIN.
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        rude.close()
        wait_until(lambda: len(listener.status().peers) == 1)
        assert msa(steady.send(oru("S2"))) == ("AA", "S2")


def test_idle_connection_is_closed_after_the_idle_timeout(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener(idle_timeout=0.3)
    with client_for(listener) as idle:
        assert idle.sock.recv(10) == b""  # blocks until the listener hangs up
    wait_until(lambda: listener.status().peers == ())


def test_stop_with_an_idle_client_returns_promptly_and_closes_it() -> None:
    listener = MllpListener(accept_all, port=0)
    listener.start()
    with client_for(listener) as idle:
        wait_until(lambda: len(listener.status().peers) == 1)
        stopper = threading.Thread(target=listener.stop)
        stopper.start()
        stopper.join(TIMEOUT)
        assert not stopper.is_alive()
        assert idle.sock.recv(10) == b""
    assert not listener.status().listening
    with pytest.raises(ConnectionError):
        MllpClient(*listener.address, timeout=TIMEOUT)


def test_context_manager_starts_and_stops() -> None:
    with MllpListener(accept_all, port=0) as listener:
        assert msa(send_messages(*listener.address, [oru("CM")], TIMEOUT)[0])[1] == "CM"
    assert not listener.status().listening
    listener.stop()  # a second stop is harmless


def test_start_twice_is_an_error(start_listener: Callable[..., MllpListener]) -> None:
    with pytest.raises(RuntimeError):
        start_listener().start()


def test_client_reports_a_receiver_that_hangs_up(
        start_listener: Callable[..., MllpListener]) -> None:
    listener = start_listener(max_connections=0)
    with pytest.raises((NoAck, ConnectionError)):
        send_messages(*listener.address, [oru("X")], TIMEOUT)


# -- listener: status and callbacks ------------------------------------------------------------


def test_status_and_callbacks_follow_the_feed(
        start_listener: Callable[..., MllpListener]) -> None:
    statuses: list[FeedStatus] = []
    events: list[MessageEvent] = []

    def reject_second(message: bytes, peer: PeerInfo) -> bytes:
        code = "AR" if control_id(message) == "M2" else "AA"
        return build_ack(message, code)

    listener = start_listener(reject_second, on_status_changed=statuses.append,
                              on_message=events.append)
    with client_for(listener) as client:
        for i in range(1, 4):
            client.send(oru(f"M{i}"))
        wait_until(lambda: len(events) == 3)
        status = listener.status()
        (peer,) = status.peers
        assert peer.messages == 3 and peer.errors == 1
        assert peer.peer.host == "127.0.0.1" and peer.last_message_at is not None
        assert status.total_messages == 3 and status.errors == 1
        assert status.last_message_at == peer.last_message_at
        assert status.last_error == "answered AR"
    assert [(e.control_id, e.ack_code) for e in events] == [("M1", "AA"), ("M2", "AR"),
                                                             ("M3", "AA")]
    assert all(e.size == len(oru("M1")) and e.peer == peer.peer for e in events)
    wait_until(lambda: statuses[-1].peers == ())
    totals = [s.total_messages for s in statuses]
    assert totals == sorted(totals) and totals[-1] == 3


def test_failing_callbacks_do_not_stop_the_feed(
        start_listener: Callable[..., MllpListener]) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("observer bug")

    listener = start_listener(on_status_changed=broken, on_message=broken)
    acks = send_messages(*listener.address, [oru("CB1"), oru("CB2")], TIMEOUT)
    assert [msa(a) for a in acks] == [("AA", "CB1"), ("AA", "CB2")]


def refuses_connections(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=TIMEOUT).close()
    except ConnectionError:
        return True
    return False


def test_stop_lets_a_busy_handler_finish_and_its_ack_go_out() -> None:
    entered, release = threading.Event(), threading.Event()

    def slow_commit(message: bytes, peer: PeerInfo) -> bytes:
        entered.set()
        release.wait(TIMEOUT)
        return accept_all(message, peer)

    listener = MllpListener(slow_commit, port=0)
    listener.start()
    with client_for(listener) as client:
        client.send_raw(frame(oru("BUSY")))
        assert entered.wait(TIMEOUT)
        stopper = threading.Thread(target=listener.stop)
        stopper.start()
        wait_until(lambda: refuses_connections(listener.address))  # stop is under way
        release.set()
        assert msa(client.receive()) == ("AA", "BUSY")
        stopper.join(TIMEOUT)
        assert not stopper.is_alive()


def test_listens_on_ipv6_loopback_when_asked(
        start_listener: Callable[..., MllpListener]) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        listener = start_listener(host="::1", allow_peers=["::1"])
    except OSError as exc:
        pytest.skip(f"cannot bind ::1 here: {exc}")
    assert msa(send_messages(*listener.address, [oru("V6")], TIMEOUT)[0]) == ("AA", "V6")
