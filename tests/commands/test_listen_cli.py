"""main.py listen in a subprocess, fed by hl7's own mllp_send program (a sender nobody here
wrote), garbage frames included; stopped with SIGINT or SIGTERM like a service manager does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import hl7
import pytest

from monitor.domain.readings import Source
from monitor.domain.vitals import Vital
from monitor.io.mllp import MllpDecoder, frame
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")


def oru(ctrl: str, hr: int, minute: int, patient: str = "P-100") -> bytes:
    time = f"202405011{minute // 60}{minute % 60:02d}00+0000"
    return (f"MSH|^~\\&|GW|WARD|MON|REC|{time}||ORU^R01|{ctrl}|P|2.6\r"
            f"PID|||{patient}^^^HOSP^MR||Doe^John\rOBR|1|||VITALS|||{time}\r"
            f"OBX|1|NM|8867-4^HR^LN||{hr}|/min|||||F\r").encode()


class Listener:
    """``main.py listen`` running in a subprocess."""

    def __init__(self, db: Path, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "listen", "--port", "0", "--db", str(db),
             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()  # blocks until it listens (or fails)
        match = re.match(r"listening on 127\.0\.0\.1:(\d+)", first)
        assert match, first + self.proc.stderr.read()
        self.port = int(match[1])

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err


@pytest.fixture
def listening(db_path: Path) -> Iterator[Listener]:
    listener = Listener(db_path)
    yield listener
    if listener.proc.poll() is None:
        listener.proc.kill()
        listener.proc.communicate()


def mllp_send(port: int, file: Path) -> list[bytes]:
    """Run hl7's mllp_send on ``file``; return the ACKs it printed."""
    script = Path(sys.executable).with_name("mllp_send")
    command = ([str(script)] if script.exists()
               else [sys.executable, "-c", "from hl7.client import mllp_send; mllp_send()"])
    done = subprocess.run([*command, "--port", str(port), "--file", str(file), "127.0.0.1"],
                          capture_output=True, timeout=60, check=True)
    return [item for item in MllpDecoder().feed(done.stdout) if isinstance(item, bytes)]


def msa(ack: bytes) -> tuple[str, str]:
    segment = hl7.parse(ack.decode("latin-1")).segment("MSA")
    return str(segment(1)), str(segment(2))


def test_mllp_send_with_garbage_frames(listening: Listener, db_path: Path,
                                       tmp_path: Path) -> None:
    frames = [
        frame(oru("M1", 70, 0)),
        frame(b"this is not HL7 at all"),
        frame(oru("M2", 71, 1)),
        frame(bytes(range(1, 11)) + bytes(range(14, 28))),  # control bytes, no framing bytes
        frame(oru("M3", 700, 2)),  # impossible heart rate
        frame(oru("M1", 70, 0)),  # resent: a duplicate
        frame(oru("M4", 80, 3, patient="P-200")),
        frame(b"MSH|^~\\&|GW|WARD|MON|REC|20240501120000||ADT^A01|A1|P|2.6\rPID|||P-100\r"),
    ]
    file = tmp_path / "feed.hl7"
    file.write_bytes(b"".join(frames))

    acks = [msa(a) for a in mllp_send(listening.port, file)]

    assert acks == [("AA", "M1"), ("AR", ""), ("AA", "M2"), ("AR", ""), ("AE", "M3"),
                    ("AA", "M1"), ("AA", "M4"), ("AR", "A1")]
    code, out, err = listening.stop()
    assert code == 0 and out.rstrip().endswith("stopped")
    assert "message M2 from 127.0.0.1" in out
    assert "rejected" in err and "Traceback" not in err
    assert "Doe" not in out + err  # no patient data in the output or the log
    with Store.open(db_path) as store:
        first = store.active_session_for_patient("P-100")
        second = store.active_session_for_patient("P-200")
        assert first is not None and second is not None
        readings = store.readings(first.id or 0)
        assert [r.values[Vital.HR] for r in readings] == [70, 71]
        assert {r.source for r in readings} == {Source.DEVICE}
        assert [r.values[Vital.HR] for r in store.readings(second.id or 0)] == [80]


def test_real_gateway_samples_through_mllp_send(listening: Listener, db_path: Path,
                                                shared_fixtures: Path, tmp_path: Path) -> None:
    names = ["ipf__valid-pcd01-request.hl7v2", "ipf__valid-pcd01-request2.hl7v2"]
    file = tmp_path / "samples.hl7"
    file.write_bytes(b"".join(frame((shared_fixtures / "hl7v2" / n).read_bytes()
                                    .replace(b"\r\n", b"\r")) for n in names))
    acks = [msa(a) for a in mllp_send(listening.port, file)]
    assert [a[0] for a in acks] == ["AA", "AA"]
    assert listening.stop(signal.SIGTERM)[0] == 0
    with Store.open(db_path) as store:
        bp = store.active_session_for_patient("789567")
        hr = store.active_session_for_patient("AB60001")
        assert bp is not None and hr is not None
        assert dict(store.readings(bp.id or 0)[0].values) == {
            Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 100}
        assert dict(store.readings(hr.id or 0)[0].values) == {Vital.HR: 60}


def test_port_in_use_and_bad_arguments(listening: Listener, db_path: Path) -> None:
    busy = subprocess.run([sys.executable, str(ROOT / "main.py"), "listen", "--port",
                           str(listening.port), "--db", str(db_path)], capture_output=True,
                          text=True, timeout=60, env=ENV)
    assert busy.returncode == 2
    assert f"cannot listen on 127.0.0.1:{listening.port}" in busy.stderr
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "listen", "--port", "70000",
                          "--db", str(db_path)], capture_output=True, text=True, timeout=60,
                         env=ENV)
    assert bad.returncode == 2 and "not a TCP port" in bad.stderr
    missing = subprocess.run([sys.executable, str(ROOT / "main.py"), "listen", "--port", "0",
                              "--db", str(db_path), "--session", "42"], capture_output=True,
                             text=True, timeout=60, env=ENV)
    assert missing.returncode == 2 and "There is no session 42." in missing.stderr
