"""HL7 v2 ORU^R01 import and ACKs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import hl7
import pytest

from monitor.domain.readings import Source
from monitor.domain.vitals import Vital
from monitor.io.csv_format import parse_csv
from monitor.io.hl7v2 import build_ack, parse_hl7_file, parse_hl7_message, split_messages

BERLIN = ZoneInfo("Europe/Berlin")
PLUS5 = timezone(timedelta(hours=5))


def fixture(shared: Path, name: str) -> bytes:
    return (shared / "hl7v2" / name).read_bytes()


def message(*obx: str, msh7: str = "20240501101500+0200", obr7: str = "", ctrl: str = "C1",
            end: str = "\r") -> bytes:
    segments = [
        f"MSH|^~\\&|Mon^ABC123^EUI-64|Ward|||{msh7}||ORU^R01^ORU_R01|{ctrl}|P|2.6",
        "PID|||PAT-1^^^Hosp^PI||Doe^Jane",
        f"OBR|1|||vitals|||{obr7}",
        *obx,
    ]
    return (end.join(segments) + end).encode()


def values(result) -> list[dict[Vital, float]]:
    return [dict(p.reading.values) for p in result.readings]


def texts(result) -> list[str]:
    return [str(e) for e in result.errors]


# --- real sample messages --------------------------------------------------------------------


def test_ipf_pcd01_request_blood_pressure(shared_fixtures: Path):
    result = parse_hl7_file(fixture(shared_fixtures, "ipf__valid-pcd01-request.hl7v2"),
                            name="request.hl7v2")
    assert result.errors == []
    assert result.format == "hl7"
    assert result.patient_ids == {"789567"}
    [parsed] = result.readings
    r = parsed.reading
    assert dict(r.values) == {Vital.SBP: 120, Vital.DBP: 80, Vital.MAP: 100}
    assert not r.map_derived
    assert r.taken_at == datetime(2009, 8, 13, 9, 57, 15, tzinfo=PLUS5)
    assert r.taken_at.utcoffset() == timedelta(hours=5)
    assert parsed.patient_id == "789567"
    assert parsed.location == "message MSGID1234 OBX 3, 4, 5"
    assert r.source is Source.IMPORT
    assert r.source_detail == "request.hl7v2 (HL7 v2), device AcmeInc ACDE48234567ABCD"


def test_ipf_pcd01_gateway_heart_rate_and_unsupported_codes(shared_fixtures: Path):
    result = parse_hl7_file(fixture(shared_fixtures, "ipf__valid-pcd01-request2.hl7v2"),
                            name="request2.hl7v2", default_tz=BERLIN)
    assert values(result) == [{Vital.HR: 60}]
    # No offset anywhere: the caller's zone applies (winter: +01:00).
    assert result.readings[0].reading.taken_at == datetime(2008, 12, 11, 14, 45, tzinfo=BERLIN)
    assert result.patient_ids == {"AB60001"}
    assert "device HL7 080019FFFF4F6AC0" in result.readings[0].reading.source_detail
    where = {e.location: e.message for e in result.errors}
    ctrl = "message 12d15a9:11df9e61347:-7fee:30456965"
    for obx in (3, 4, 5):
        assert "invasive arterial pressure is not charted" in where[f"{ctrl} OBX {obx}"]
    assert "148065 MDC_ECG_V_P_C_CNT: an arrhythmia count is not charted" in where[f"{ctrl} OBX 2"]
    # The line's pulse rate (149522) is heart rate too, ranked after the ECG's.
    assert "preferred code is given in OBX 1" in where[f"{ctrl} OBX 6"]
    assert len(result.errors) == 8
    assert all(e.is_notice for e in result.errors)  # nothing chartable was lost


def test_ipf_maximal_request_statuses(shared_fixtures: Path):
    result = parse_hl7_file(fixture(shared_fixtures, "ipf__valid-pcd01-MaximumRequest2.hl7"),
                            name="max.hl7")
    assert result.patient_ids == {"111222333444"}
    # Only the MEAN (F, time from OBR-7) survives: SYS (C) lost its DIA, which is a D.
    [parsed] = result.readings
    assert dict(parsed.reading.values) == {Vital.MAP: 100}
    assert parsed.reading.taken_at == datetime(2009, 8, 13, 9, 57, 15, tzinfo=PLUS5)
    assert parsed.location == "message MSGID1234 OBR 1 OBX 5"
    where = {e.location: e.message for e in result.errors}
    assert "OBX-11 D deletes a value sent in an earlier message" in \
        where["message MSGID1234 OBR 1 OBX 4"]
    assert "needs both systolic and diastolic" in where["message MSGID1234 OBR 1 OBX 3"]
    assert "OBX-11 is X (cannot be obtained)" in where["message MSGID1234 OBR 2 OBX 5"]
    assert "OBX-11 is S" in where["message MSGID1234 OBR 2 OBX 3"]
    assert "1500212" in where["message MSGID1234 OBR 2 OBX 4"]
    assert "not a vital sign" in where["message MSGID1234 OBR 1 OBX 1"]  # a device row


def test_ack_fixture_is_not_an_observation(shared_fixtures: Path):
    result = parse_hl7_file(fixture(shared_fixtures, "ipf__valid-pcd01-response.hl7v2"),
                            name="response.hl7v2")
    assert result.readings == []
    assert texts(result) == ["message AMSGID1234: ACK^R01 is not an observation result "
                             "(ORU^R01); skipped"]


def test_converter_stress_message_with_lf_segments(shared_fixtures: Path):
    result = parse_hl7_file(fixture(shared_fixtures, "ms-fhir-converter__ORU-R01-01.hl7"),
                            name="oru.hl7")
    assert result.readings == []
    assert result.patient_ids == {"14"}
    ctrl = "message 2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325"
    messages = texts(result)
    assert f"{ctrl} OBX 1: 8867-4 heartrate: value type RP is not numeric; skipped" in messages
    assert any("8867-4 Bacteria identified: OBX-11 is I" in m for m in messages)
    assert all(m.startswith(ctrl) for m in messages)


def test_all_line_endings_give_the_same_result(shared_fixtures: Path):
    data = fixture(shared_fixtures, "ipf__valid-pcd01-request.hl7v2")
    lf, cr = data.replace(b"\r\n", b"\n"), data.replace(b"\r\n", b"\r")
    results = [parse_hl7_file(d, name="x") for d in (data, lf, cr)]
    assert values(results[0]) == values(results[1]) == values(results[2])


def test_file_with_several_messages_and_mllp_framing(shared_fixtures: Path):
    one = fixture(shared_fixtures, "ipf__valid-pcd01-request.hl7v2")
    two = fixture(shared_fixtures, "ipf__valid-pcd01-request2.hl7v2")
    framed = b"\x0b" + one + b"\x1c\r" + b"\x0b" + two + b"\x1c\r"
    result = parse_hl7_file(framed, name="feed.hl7", default_tz=UTC)
    assert len(result.readings) == 2
    assert result.patient_ids == {"789567", "AB60001"}
    assert len(split_messages(framed)) == 2


def test_same_reading_from_hl7_and_csv_has_the_same_identity(shared_fixtures: Path):
    hl7_reading = parse_hl7_file(
        fixture(shared_fixtures, "ipf__valid-pcd01-request.hl7v2"), name="a").readings[0]
    csv_reading = parse_csv(b"time,SBP,DBP,MAP\n2009-08-13T04:57:15Z,120,80,100\n",
                            name="b.csv").readings[0]
    from monitor.domain.reading_blocks import reading_identity

    assert reading_identity(hl7_reading.reading) == reading_identity(csv_reading.reading)


# --- codes, units, statuses, times -----------------------------------------------------------


def test_loinc_and_mdc_codes_and_unit_codes():
    data = message(
        "OBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F",
        "OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|262688^MDC_DIM_PERCENT^MDC|||||F",
        "OBX|3|NM|151562^MDC_RESP_RATE^MDC||14|264928^MDC_DIM_RESP_PER_MIN^MDC|||||P",
        "OBX|4|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||16|kPa|||||R",
        "OBX|5|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC||80|mm[Hg]^mm[Hg]^UCUM|||||F",
    )
    result = parse_hl7_message(data, name="m.hl7")
    assert result.errors == []
    assert values(result)[0] == {Vital.HR: 72, Vital.SPO2: 97, Vital.RR: 14, Vital.SBP: 120.0,
                                 Vital.DBP: 80, Vital.MAP: 93.3}
    assert result.readings[0].reading.map_derived


def test_correction_replaces_the_earlier_value_in_the_message():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F",
                   "OBX|2|NM|8867-4^HR^LN||85|/min|||||C")
    result = parse_hl7_message(data, name="m")
    assert values(result) == [{Vital.HR: 85}]
    assert result.errors == []


def test_deletion_removes_the_value_and_is_reported():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F",
                   "OBX|2|NM|9279-1^RR^LN||12|/min|||||F",
                   "OBX|3|NM|8867-4^HR^LN||80|/min|||||D")
    result = parse_hl7_message(data, name="m")
    assert values(result) == [{Vital.RR: 12}]
    assert texts(result) == ["message C1 OBX 3: Heart rate: OBX-11 D deletes the value in "
                             "OBX 1; neither is imported"]


def test_contradicting_values_for_one_time_are_not_imported():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F",
                   "OBX|2|NM|8867-4^HR^LN||120|/min|||||F",
                   "OBX|3|NM|59408-5^SpO2^LN||98|%|||||F")
    result = parse_hl7_message(data, name="m")
    assert values(result) == [{Vital.SPO2: 98}]
    assert "contradicts 80 in OBX 1" in result.errors[0].message
    assert result.errors[0].location == "message C1 OBX 2"


def test_ecg_heart_rate_wins_over_oximeter_pulse():
    data = message("OBX|1|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC||74|264864^bpm^MDC|||||F",
                   "OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC||72|264864^bpm^MDC|||||F")
    result = parse_hl7_message(data, name="m")
    assert values(result) == [{Vital.HR: 72}]
    assert result.errors[0].location == "message C1 OBX 1"
    assert "ignored" in result.errors[0].message


def test_values_at_different_times_make_separate_readings():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||20240501100000+0200",
                   "OBX|2|NM|8867-4^HR^LN||82|/min|||||F|||20240501100500+0200")
    result = parse_hl7_message(data, name="m")
    assert values(result) == [{Vital.HR: 80}, {Vital.HR: 82}]


def test_time_falls_back_from_obx14_to_obr7_to_msh7():
    obr = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F", obr7="20240501093000+0200")
    msh = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F")
    assert parse_hl7_message(obr, name="m").readings[0].reading.taken_at == \
        datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert parse_hl7_message(msh, name="m").readings[0].reading.taken_at == \
        datetime(2024, 5, 1, 8, 15, tzinfo=UTC)


def test_time_without_offset_takes_the_offset_of_msh7():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||20240501100000.25")
    taken = parse_hl7_message(data, name="m", default_tz=UTC).readings[0].reading.taken_at
    assert taken == datetime(2024, 5, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert taken.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("obx", "words"),
    [
        ("OBX|1|NM|8867-4^HR^LN||fast|/min|||||F", "'fast' is not a number"),
        ("OBX|1|NM|8867-4^HR^LN||80|furlongs|||||F", "unknown unit 'furlongs'"),
        ("OBX|1|NM|8867-4^HR^LN||400|/min|||||F", "outside the plausible range"),
        ("OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||20240501", "date without a time of day"),
        ("OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||yesterday", "is not an HL7 time"),
        ("OBX|1|NM|150456^SpO2^MDC||||||||X", "OBX-11 is X (cannot be obtained)"),
        ("OBX|1|NM|8310-5^Body temperature^LN||36.6|Cel|||||F", "temperature is not charted"),
        ("OBX|1|NM|99999-9^Pulse rate^LN||80|/min|||||F", "its text names a vital sign"),
        ("OBX|1|ST|8867-4^HR^LN||eighty|/min|||||F", "value type ST is not numeric"),
        ("OBX|1|NM|8867-4^HR^LN||80~81|/min|||||F", "several values"),
    ],
)
def test_bad_observations_are_reported_naming_the_obx(obx, words):
    result = parse_hl7_message(message(obx), name="m")
    assert result.readings == []
    assert result.errors[0].location == "message C1 OBX 1"
    assert words in result.errors[0].message


def test_impossible_blood_pressure_is_rejected():
    data = message("OBX|1|NM|8480-6^SBP^LN||80|mm[Hg]|||||F",
                   "OBX|2|NM|8462-4^DBP^LN||90|mm[Hg]|||||F")
    result = parse_hl7_message(data, name="m")
    assert result.readings == []
    assert result.errors[0].location == "message C1 OBX 1, 2"
    assert "must be below systolic" in result.errors[0].message


def test_device_id_from_obx18_is_named():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||||||BEDSIDE7^0011AB^EUI-64")
    detail = parse_hl7_message(data, name="m.hl7", source=Source.DEVICE).readings[0].reading
    assert detail.source is Source.DEVICE
    assert detail.source_detail == "m.hl7 (HL7 v2), device BEDSIDE7 0011AB"


# --- bad input -------------------------------------------------------------------------------


def test_empty_input():
    assert texts(parse_hl7_file(b"", name="e")) == ["file: the file is empty"]
    assert texts(parse_hl7_file(b"\r\n\n", name="e")) == ["file: the file is empty"]


def test_binary_garbage_and_utf16_are_reported():
    garbage = parse_hl7_file(bytes(range(256)), name="g")
    assert garbage.readings == [] and "binary" in garbage.errors[0].message
    utf16 = parse_hl7_file(message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F").decode()
                           .encode("utf-16"), name="u")
    assert utf16.readings == [] and "UTF-16" in utf16.errors[0].message


def test_text_that_is_not_hl7():
    result = parse_hl7_file(b"time,HR\n2024-05-01T10:00Z,70\n", name="x.csv")
    assert result.readings == []
    assert texts(result)[-1] == "file: no MSH segment: not HL7 v2"


def test_truncated_message_keeps_what_is_complete():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F",
                   "OBX|2|NM|9279-1^RR^LN||12|/min|||||F")
    for cut in range(12, 22):  # cut anywhere in the last OBX, e.g. '12' read as '1'
        result = parse_hl7_message(data[:-cut], name="m")
        assert values(result) == [{Vital.HR: 80}]
        assert result.errors[0].location == "message C1 OBX 2"
        assert "may be cut off" in result.errors[0].message


def test_truncated_msh_is_reported():
    result = parse_hl7_file(b"MSH|^~\\&|Mon", name="m")
    assert result.readings == []
    assert result.errors


def test_latin1_names_are_read_and_reported():
    data = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F").replace(b"Doe", "Doë".encode("latin-1"))
    result = parse_hl7_message(data, name="m")
    assert values(result) == [{Vital.HR: 80}]
    assert "not UTF-8" in result.errors[0].message


def test_message_parser_reads_only_the_first_message():
    one = message("OBX|1|NM|8867-4^HR^LN||80|/min|||||F", ctrl="A")
    two = message("OBX|1|NM|8867-4^HR^LN||90|/min|||||F", ctrl="B")
    result = parse_hl7_message(one + two, name="m")
    assert values(result) == [{Vital.HR: 80}]
    assert "2 messages where one was expected" in result.errors[0].message


def test_message_without_observations_is_reported():
    result = parse_hl7_message(message(), name="m")
    assert texts(result) == ["message C1: holds no vital-sign values"]


# --- ACK -------------------------------------------------------------------------------------


def test_ack_echoes_the_control_id(shared_fixtures: Path):
    request = fixture(shared_fixtures, "ipf__valid-pcd01-request.hl7v2")
    expected = hl7.parse(fixture(shared_fixtures, "ipf__valid-pcd01-response.hl7v2")
                         .decode().replace("\r\n", "\r"))
    ack = hl7.parse(build_ack(request, "AA").decode())
    assert str(ack.segment("MSA")(1)) == str(expected.segment("MSA")(1)) == "AA"
    assert str(ack.segment("MSA")(2)) == str(expected.segment("MSA")(2)) == "MSGID1234"
    assert str(ack.segment("MSH")(9)) == "ACK^R01^ACK"
    assert str(ack.segment("MSH")(5)) == "AcmeInc^ACDE48234567ABCD^EUI-64"


def test_ack_with_error_text_is_escaped():
    raw = build_ack(message(ctrl="XYZ"), "AE", "SBP | bad")
    assert raw.endswith(b"\r")
    msa = hl7.parse(raw.decode()).segment("MSA")
    assert (str(msa(1)), str(msa(2))) == ("AE", "XYZ")
    assert msa.extract_field(1, 3) == "SBP | bad"


def test_ack_for_garbage_is_still_an_ack():
    raw = build_ack(b"\x00\x01garbage", "AR", "unreadable")
    msa = hl7.parse(raw.decode()).segment("MSA")
    assert str(msa(1)) == "AR"


def test_ack_code_must_be_known():
    with pytest.raises(ValueError):
        build_ack(message(), "OK")


def test_ack_uses_standard_delimiters_when_the_sender_declared_others():
    odd = (b"MSH0^~\\&0SENDER0000200811211445000ORU^R01^ORU_R010CTRL-77\rPID0000AB60001\r")
    ack = build_ack(odd, "AE", "odd delimiters")
    assert ack.startswith(b"MSH|^~\\&|") and b"\rMSA|AE|" in ack


# --- issue 13: codes from the vocabulary, notices for what is not charted ---------------------


def test_cuff_pressure_terms_are_blood_pressure():
    result = parse_hl7_message(message(
        "OBX|1|NM|150300^MDC_PRESS_CUFF^MDC|1.1.9|||||||R",
        "OBX|2|NM|150301^MDC_PRESS_CUFF_SYS^MDC|1.1.9.150301|16|265987^MDC_DIM_KILO_PASCAL^MDC"
        "|||||R",
        "OBX|3|NM|150302^MDC_PRESS_CUFF_DIA^MDC|1.1.9.150302|84|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|4|NM|149546^MDC_PULS_RATE_NON_INV^MDC|1.1.9.149546|66|264864^MDC_DIM_BEAT_PER_MIN"
        "^MDC|||||R"), name="m")
    assert result.errors == []
    [parsed] = result.readings
    assert dict(parsed.reading.values) == {Vital.SBP: 120.0, Vital.DBP: 84, Vital.MAP: 96.0,
                                           Vital.HR: 66}


def test_nibp_code_is_preferred_over_the_cuff_code_for_one_moment():
    result = parse_hl7_message(message(
        "OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC||121|mm[Hg]|||||F",
        "OBX|2|NM|150301^MDC_PRESS_CUFF_SYS^MDC||122|mm[Hg]|||||F",
        "OBX|3|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC||80|mm[Hg]|||||F"), name="m")
    assert dict(result.readings[0].reading.values)[Vital.SBP] == 121
    assert [e.is_notice for e in result.errors] == [True]


def test_temperature_and_device_status_are_notices_and_the_vitals_are_kept():
    result = parse_hl7_message(message(
        "OBX|1|NM|188496^MDC_TEMP_AXIL^MDC||36.9|268192^MDC_DIM_DEGC^MDC|||||R",
        "OBX|2|ST|68480^MDC_ATTR_DEV_STATUS^MDC||on|||||||R",
        "OBX|3|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||96|262688^MDC_DIM_PERCENT^MDC|||||R",
        "OBX|4|NM|147842^MDC_ECG_HEART_RATE^MDC||71|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R"),
        name="m")
    assert dict(result.readings[0].reading.values) == {Vital.SPO2: 96, Vital.HR: 71}
    assert [(e.location, e.is_notice) for e in result.errors] == [
        ("message C1 OBX 1", True), ("message C1 OBX 2", True)]
    assert "temperature is not charted" in result.errors[0].message


def test_a_diastolic_the_device_could_not_obtain_keeps_the_systolic():
    result = parse_hl7_message(message(
        "OBX|1|NM|150301^MDC_PRESS_CUFF_SYS^MDC||131|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|2|NM|150302^MDC_PRESS_CUFF_DIA^MDC|||266016^MDC_DIM_MMHG^MDC|||||X"), name="m")
    assert [dict(p.reading.values) for p in result.readings] == [{Vital.SBP: 131}]
    assert [e.is_notice for e in result.errors] == [True]
