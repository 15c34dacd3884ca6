"""Property tests: any input, random or a damaged real file, gives a ParseResult quickly."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.domain.readings import ReadingStatus, Source, new_reading, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital
from monitor.io.csv_format import parse_csv, write_canonical_csv
from monitor.io.detect import detect_format
from monitor.io.fhir import parse_fhir
from monitor.io.hl7v2 import build_ack, parse_hl7_file, parse_hl7_message
from monitor.io.parsed import ParsedReading, ParseResult, RowError

from ..conftest import SHARED_FIXTURES

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
#: Generous for a slow CI machine; a hang or quadratic blow-up takes far longer.
MAX_SECONDS = 5.0

SEEDS = [
    b"time,SBP (mmHg),DBP (mmHg),BP,HR,RR,SpO2,note\r\n"
    b"2024-05-01T10:00:00+02:00,120,80,,70,14,98,\"a, b\"\r\n"
    b"2024-05-01 10:15,,,118/79,72,,97%,\r\n",
    b"elapsed_s;HR[bpm];NBPSys[mmHg];NBPDias[mmHg]\n0;70,5;120;80\n60;0;;\n",
    b"MSH|^~\\&|Mon^ABC^EUI-64||||20240501101500+0200||ORU^R01^ORU_R01|C1|P|2.6\r"
    b"PID|||P1^^^H^PI\rOBR|1|||x|||20240501101500+0200\r"
    b"OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.1.1|120|266016^MDC_DIM_MMHG^MDC|||||F\r"
    b"OBX|2|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.0.1.2|80|266016^MDC_DIM_MMHG^MDC|||||C\r",
    b'{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":'
    b'"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":'
    b'"85354-9"}]},"effectiveDateTime":"2024-05-01T10:00:00Z","component":[{"code":{"coding":'
    b'[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"code":'
    b'"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},'
    b'"valueQuantity":{"value":120,"code":"mm[Hg]"}}]}}]}',
]
if SHARED_FIXTURES.is_dir():
    SEEDS += [p.read_bytes()[:20000] for folder in ("hl7v2", "fhir-r4", "timeseries")
              for p in sorted((SHARED_FIXTURES / folder).iterdir())
              if p.suffix not in {".dat", ".hea"}]

PARSERS = {
    "csv": lambda data: parse_csv(data, name="f", start=datetime(2024, 1, 1, tzinfo=UTC)),
    "csv-zero": lambda data: parse_csv(io.BytesIO(data), name="f", zero_is_missing=True,
                                       default_tz=UTC),
    "hl7": lambda data: parse_hl7_file(data, name="f"),
    "hl7-message": lambda data: parse_hl7_message(data, name="f"),
    "fhir": lambda data: parse_fhir(data, name="f", date_only_as_midnight=True),
}


def _check(result: ParseResult) -> None:
    assert isinstance(result, ParseResult)
    assert all(isinstance(e, RowError) and e.location and e.message for e in result.errors)
    for parsed in result.readings:
        assert isinstance(parsed, ParsedReading)
        r = parsed.reading
        assert r.taken_at.tzinfo is not None
        assert validate_values(r.values) == []


def _run_all(data: bytes) -> None:
    for parse in PARSERS.values():
        started = time.monotonic()
        _check(parse(data))
        assert time.monotonic() - started < MAX_SECONDS
    detect_format("x", data[:4096])
    ack = build_ack(data, "AE", "error text | with ^ separators")
    assert ack.startswith(b"MSH|") and b"\rMSA|AE|" in ack


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes):
    _run_all(data)


@FAST
@given(st.text(alphabet=st.sampled_from(list("MSHOBXPID|^~\\&\r\n,;\t\"{}[]:0123456789.-+/ "
                                               "timeSBPHRZT")), max_size=600))
def test_structured_looking_text_never_raises(text: str):
    _run_all(text.encode())


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 20))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        elif action == "truncate":
            del data[at:]
        else:
            end = min(len(data), at + draw(st.integers(1, 200)))
            data[at:at] = data[at:end]
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_seed())
def test_damaged_real_files_never_raise(data: bytes):
    _run_all(data)


# --- canonical CSV round trip ----------------------------------------------------------------


@st.composite
def readings(draw: st.DrawFn):
    values: dict[Vital, float] = {}
    for vital in draw(st.sets(st.sampled_from(list(Vital)), min_size=1)):
        s = VITAL_SPECS[vital]
        digits = draw(st.integers(0, 3))
        values[vital] = round(draw(st.floats(s.plausible_min, s.plausible_max)), digits)
    offset = timezone(timedelta(minutes=draw(st.integers(-12 * 4, 14 * 4)) * 15))
    base = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
        seconds=draw(st.integers(0, 10**8)), microseconds=draw(st.integers(0, 999999)))
    text = st.text(st.one_of(st.sampled_from(list("'=+-@,;\"\r\n\t /")),
                             st.characters(blacklist_categories=["Cs"],
                                           blacklist_characters="\x00")), max_size=30)
    reading = new_reading(base.astimezone(offset), values, entered_by=draw(text),
                          note=draw(text), source=draw(st.sampled_from(list(Source))))
    return replace(reading, status=draw(st.sampled_from(list(ReadingStatus))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(readings(), max_size=5))
def test_canonical_csv_round_trip(batch):
    valid = [r for r in batch if not validate_values(r.values)]
    out = io.StringIO(newline="")
    write_canonical_csv(valid, out)
    first = out.getvalue()
    result = parse_csv(first.encode(), name="export.csv")
    # Two current readings at one instant are reported as a conflict, as in any file.
    conflicts = [e for e in result.errors if "already on line" in e.message
                 or "repeats line" in e.message]
    assert len(result.errors) == len(conflicts), result.errors
    if conflicts:
        return
    again = io.StringIO(newline="")
    write_canonical_csv([p.reading for p in result.readings], again)
    assert again.getvalue() == first
