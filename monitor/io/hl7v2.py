"""HL7 v2 ORU^R01 vital-sign messages (IHE PCD-01 and the like), and the ACK to answer them.

Decisions, so the behaviour is predictable:

- Input is bytes (never text mode): segments may end in CR, LF or CRLF; MLLP framing bytes
  and batch/file segments (FHS, BHS, BTS, FTS) are dropped; a file may hold many messages.
  Text that is not UTF-8 is read as Latin-1 (HL7's usual 8859/1) and reported unless MSH-18
  declares 8859.
- Codes (OBX-3): LOINC and IEEE 11073 MDC as listed in ``resources/vocabulary/vital_codes.csv``
  (``monitor.io.vocabulary``): NIBP 150021-150023 and cuff pressure 150301-150303, heart rate
  from ECG, oximeter, cuff or line (ECG 147842 wins when several are sent for one moment),
  respiration from every source, SpO2. A code the vocabulary marks *not charted* (invasive
  arterial pressure, temperature, perfusion index...) and a code it does not list are
  *not charted* notices: the rest of the message is kept, and over MLLP the message is still
  AA. Only an unlisted code whose text names a vital ('NIBP Sys', 'Pulse') is an error, since
  it is probably chartable data the app failed to read. Rows without a value and without a
  value type (device, channel and panel rows of PCD-01) are structure, not errors.
- Units (OBX-6): MDC unit codes (266016, 264864, 262688), UCUM ``mm[Hg]``, ``/min``, ``%``,
  plain ``mmHg``/``bpm``; kPa is converted; an empty unit means the display unit.
- Status (OBX-11): F, P, R, A, U and empty are accepted. C (correction) replaces an earlier
  value for the same vital and time in the same message, or is taken as the value when the
  message has none. D and W delete the value for that vital and time in the message; a
  deletion of a value sent in an earlier message cannot be applied here and is reported.
  X (cannot be obtained), I, N, O, S and others are skipped and reported.
- Time: OBX-14, else OBR-7, else MSH-7, as ``YYYYMMDDHHMM[SS[.ffff]][+/-ZZZZ]``. A time
  without offset takes MSH-7's offset when MSH-7 has one, else ``default_tz`` (None: this
  computer's zone). A date without a time of day is rejected.
- All values of one message with the same time make one reading; PID-3 is the patient id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import BinaryIO

import hl7
from hl7.util import unescape as _unescape

from monitor.domain.readings import Source, validate_values
from monitor.domain.vitals import VITAL_SPECS, Vital

from .hl7_stream import raw_messages
from .limits import is_limit
from .local_time import LocalZone
from .parsed import (
    HL7,
    MAX_ERRORS,
    PAIR_MESSAGE,
    PANEL_CODES,
    VITAL_BY_LOINC_RANKED,
    VITAL_BY_MDC,
    ParsedReading,
    ParseResult,
    RowError,
    imported_reading,
    not_charted_reason,
    not_text_problem,
    source_detail,
    to_display_unit,
)
from .vocabulary import LOINC, MDC, looks_like_vital

ACK_CODES = ("AA", "AE", "AR", "CA", "CE", "CR")
_ACCEPTED = {"F", "P", "R", "A", "U", ""}
_CORRECTION, _DELETIONS = "C", {"D", "W"}
_STATUS_WORDS = {
    "X": "cannot be obtained", "I": "in process", "N": "not asked", "O": "order detail only",
    "S": "partial result", "D": "deleted", "W": "wrong",
}
_PANELS = PANEL_CODES
_HL7_TIME = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,4}))?)?([+-]\d{4})?$")
_SEGMENT_NAME = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_SKIPPED_SEGMENTS = {"FHS", "BHS", "BTS", "FTS"}
_MSA3_MAX = 80  # MSA-3 is 80 characters in HL7 2.x


# --- bytes to messages -----------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, warning) or (None, reason it is not HL7 text)."""
    problem = not_text_problem(data, HL7, "HL7 v2 must be ASCII, UTF-8 or 8859/1")
    if problem:
        return None, problem
    text, warning = _decode_message(data.removeprefix(b"\xef\xbb\xbf"))
    return text, warning


def _segments(text: str) -> list[str]:
    cleaned = text.replace("\x0b", "").replace("\x1c", "\r")
    return [s.strip("\n ") for s in re.split(r"\r\n|\r|\n", cleaned) if s.strip()]


def _messages(text: str) -> tuple[list[str], list[RowError]]:
    """Split text into messages at each MSH segment."""
    messages: list[list[str]] = []
    errors: list[RowError] = []
    for number, segment in enumerate(_segments(text), start=1):
        name = segment[:3]
        if name in _SKIPPED_SEGMENTS:
            continue
        if name == "MSH":
            messages.append([segment])
        elif not messages:
            if not errors:
                errors.append(RowError(f"segment {number}",
                                       "text before the first MSH segment is not HL7 v2; "
                                       "ignored"))
        else:
            messages[-1].append(segment)
    return ["\r".join(m) + "\r" for m in messages], errors


def split_messages(data: bytes) -> list[bytes]:
    """The messages in an HL7 v2 file or MLLP stream, each with CR segment ends."""
    text, _ = _decode(data)
    if text is None:
        return []
    return [m.encode("utf-8") for m in _messages(text)[0]]


# --- fields and times ------------------------------------------------------------------------


def _get(segment: hl7.Segment, field_num: int, component: int = 1, repeat: int = 1) -> str:
    """One component of one field, unescaped, or '' when absent. HL7's explicit null ``""``
    reads as empty.

    What ``Segment.extract_field`` gives (first subcomponent, a leaf where the path ends
    early), walked directly: extract_field builds an accessor per call, which was a third of
    the time of reading a large HL7 file. ``tests/io/test_hl7_fields.py`` holds the two
    equal on every field of the real files."""
    try:
        if field_num >= len(segment):
            return ""
        rep = segment[field_num][repeat - 1]
        if not isinstance(rep, hl7.Repetition):
            if component != 1:
                return ""
            value = rep
        else:
            if component > len(rep):
                return ""
            value = rep[component - 1]
            if isinstance(value, hl7.Component):
                value = value[0] if len(value) else ""
        value = str(value)
        if segment.esc in value:
            value = _unescape(segment, value)
    except (IndexError, KeyError, TypeError, ValueError, AttributeError, hl7.HL7Exception):
        return ""
    value = value.strip()
    return "" if value == '""' else value


def _has_repeats(segment: hl7.Segment, field_num: int) -> bool:
    return bool(_get(segment, field_num, repeat=2))


def parse_hl7_time(text: str, fallback: tzinfo | None,
                   default_tz: tzinfo | None) -> tuple[datetime | None, str | None]:
    """``YYYYMMDDHHMM[SS[.ffff]][+/-ZZZZ]`` as an aware datetime, or (None, reason).

    Without an offset the time is in ``fallback`` (MSH-7's zone) or else ``default_tz``."""
    m = _HL7_TIME.match(text.strip())
    if not m:
        return None, f"'{text}' is not an HL7 time (YYYYMMDDHHMMSS[+/-ZZZZ])"
    year, month, day, hour, minute, second, fraction, offset = m.groups()
    if hour is None:
        return None, f"'{text}' is a date without a time of day"
    try:
        micro = int((fraction or "0").ljust(6, "0"))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute or 0),
                          int(second or 0), micro)
        if offset:
            sign = -1 if offset[0] == "-" else 1
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
            return moment.replace(tzinfo=timezone(sign * delta)), None
    except (ValueError, OverflowError):
        return None, f"'{text}' is not a valid date and time"
    if fallback:
        return moment.replace(tzinfo=fallback), None
    # A wall time the zone shows twice or never (a DST change) is refused, not guessed.
    return LocalZone(default_tz).aware(moment)


def _device(segment: hl7.Segment, field_num: int) -> str:
    """A device id from MSH-3 / OBX-18 (``name^id^EUI-64``): the name and id, not the type."""
    parts = [_get(segment, field_num, c) for c in (1, 2)]
    return " ".join(p for p in parts if p)


# --- observations ----------------------------------------------------------------------------


@dataclass
class _Obs:
    vital: Vital
    rank: int
    value: float
    location: str
    label: str  # 'OBX 3', or 'OBR 2 OBX 3' when the message has several OBR groups
    device: str


@dataclass
class _Moment:
    """The values of one message at one time."""

    values: dict[Vital, _Obs] = field(default_factory=dict)
    conflicted: set[Vital] = field(default_factory=set)


def _system(code: str, system: str) -> str:
    system = system.upper()
    return LOINC if system in {"LN", "LOINC"} or (not system and "-" in code) else MDC


def _vital_for(code: str, system: str) -> tuple[Vital, int] | None:
    if _system(code, system) == LOINC:
        return VITAL_BY_LOINC_RANKED.get(code)
    return VITAL_BY_MDC.get(code)


def _may_be_vital(code: str, system: str, text: str) -> bool:
    """An unlisted code whose text names a vital (probably chartable data the app failed to
    read, such as a mistyped code). Device, attribute, event and unit terms (MDC partitions
    1, 3, 4 and 8, or texts MDC_DEV_*, MDC_ATTR_*...) describe the device, never a measurement,
    however they are named (MDC_DEV_SPEC_PROFILE_BP)."""
    if _system(code, system) == MDC:
        if code.isdigit() and int(code) // 65536 in {1, 3, 4, 8}:
            return False
        if re.match(r"MDC_(DEV|ATTR|EVT|DIM|MDS|VMD|CHAN)_", text.upper()):
            return False
    return looks_like_vital(text)


def _numeric(segment: hl7.Segment, value_type: str) -> tuple[float | None, str | None]:
    if value_type == "SN":  # structured numeric: comparator^number; only '=' or none is exact
        comparator, text = _get(segment, 5, 1), _get(segment, 5, 2)
        if comparator not in {"", "="}:
            return None, f"'{comparator}{text}' is not an exact value"
    else:
        text = _get(segment, 5)
    if _has_repeats(segment, 5):
        return None, "OBX-5 holds several values"
    try:
        value = float(text)
    except ValueError:
        return None, f"'{text}' is not a number"
    if value != value or value in (float("inf"), float("-inf")):
        return None, f"'{text}' is not a number"
    return value, None


class _MessageReader:
    """Reads one parsed message into readings and errors."""

    def __init__(self, message: hl7.Message, control_id: str, *, name: str,
                 default_tz: tzinfo | None, source: Source):
        self.msg = message
        self.ctrl = control_id
        self.name = name
        self.default_tz = default_tz
        self.source = source
        self.errors: list[RowError] = []
        self.moments: dict[datetime, _Moment] = {}
        #: Vitals the device sent as X (cannot be obtained): a blood-pressure half it could
        #: not obtain keeps the other half.
        self.absent: set[Vital] = set()
        msh = message.segment("MSH")
        self.msh_time_text = _get(msh, 7)
        msh_time, _ = parse_hl7_time(self.msh_time_text, None, default_tz)
        offset = self.msh_time_text[-5:] if re.search(r"[+-]\d{4}$", self.msh_time_text) else ""
        self.zone = msh_time.tzinfo if offset and msh_time else None
        self.device = _device(msh, 3)
        self.patient = ""

    def error(self, where: str, message: str) -> None:
        self.errors.append(RowError(where, message))

    def notice(self, where: str, message: str) -> None:
        self.errors.append(RowError.not_charted(where, message))

    def read(self) -> list[ParsedReading | RowError]:
        obr_count = sum(1 for s in self.msg if str(s[0]) == "OBR")
        obr_index, obr_time, obx_ordinal = 0, "", 0
        for segment in self.msg:
            kind = str(segment[0])
            if kind == "PID" and not self.patient:
                self.patient = _get(segment, 3)
            elif kind == "OBR":
                obr_index += 1
                obr_time, obx_ordinal = _get(segment, 7), 0
            elif kind == "OBX":
                obx_ordinal += 1
                setid = _get(segment, 1) or str(obx_ordinal)
                prefix = f"OBR {obr_index} " if obr_count > 1 else ""
                self._obx(segment, f"{prefix}OBX {setid}", obr_time)
        return [*self.errors, *self._readings()]

    def _obx(self, seg: hl7.Segment, label: str, obr_time: str) -> None:
        where = f"message {self.ctrl} {label}"
        value_type, code, text = _get(seg, 2).upper(), _get(seg, 3, 1), _get(seg, 3, 2)
        system, status = _get(seg, 3, 3), _get(seg, 11).upper()
        has_value = bool(_get(seg, 5) or _get(seg, 5, 2))
        what = f"{code} {text}".strip() or "(no code)"
        if len(seg) <= 11:
            # OBX-11 is required: a row that ends before it was cut off (a truncated file or
            # a garbled feed), and its last value may be cut too ('12' read as '1'). A row
            # that could never be charted (Continua gateways send their time-sync OBX one
            # field short) loses nothing: a notice, not an error.
            if _vital_for(code, system) is None and not _may_be_vital(code, system, text):
                self.notice(where, f"{what}: incomplete OBX (ends before OBX-11 status); "
                            "not a vital sign the monitor charts")
                return
            self.error(where, f"{what}: incomplete OBX (ends before OBX-11 status), the message"
                       " may be cut off; skipped")
            return
        if not has_value and status not in _STATUS_WORDS:
            return  # device, channel or panel row: structure, not a value
        if code in _PANELS and not has_value:
            return
        if status not in _ACCEPTED | _DELETIONS | {_CORRECTION}:
            word = _STATUS_WORDS.get(status)
            if word is None:  # a status HL7 does not define: the value may be real
                self.error(where, f"{what}: OBX-11 is {status} (unknown status); skipped")
            else:  # the device says there is no result to chart
                self.notice(where, f"{what}: OBX-11 is {status} ({word}); skipped")
                mapped = _vital_for(code, system)
                if status == "X" and mapped is not None:
                    self.absent.add(mapped[0])
            return
        mapped = _vital_for(code, system)
        if mapped is None:
            reason = not_charted_reason(_system(code, system), code)
            if reason is not None:
                self.notice(where, f"{what}: {reason}")
            elif _may_be_vital(code, system, text):
                self.error(where, f"{what}: code {code} is not in the vocabulary but its text "
                           "names a vital sign; skipped: check the device's codes")
            else:
                self.notice(where, f"{what}: not a vital sign the monitor charts")
            return
        vital, rank = mapped
        if value_type not in {"NM", "SN", ""}:
            self.error(where, f"{what}: value type {value_type} is not numeric; skipped")
            return
        value, problem = _numeric(seg, value_type)
        if problem is None and value is not None:
            raw = value
            value, problem = to_display_unit(vital, raw, _get(seg, 6, 1))
            if problem and _get(seg, 6, 2):  # 'code^text': the text may be the known spelling
                value, problem = to_display_unit(vital, raw, _get(seg, 6, 2))
        if problem or value is None:
            self.error(where, f"{VITAL_SPECS[vital].label}: {problem}; skipped")
            return
        time_text = _get(seg, 14) or obr_time or self.msh_time_text
        moment, time_problem = parse_hl7_time(time_text, self.zone, self.default_tz)
        if moment is None:
            self.error(where, f"{VITAL_SPECS[vital].label}: time {time_problem}; skipped")
            return
        device = _device(seg, 18) or self.device
        self._place(_Obs(vital, rank, value, where, label, device), moment, status)

    def _place(self, obs: _Obs, moment: datetime, status: str) -> None:
        slot = self.moments.setdefault(moment, _Moment())
        label = VITAL_SPECS[obs.vital].label
        earlier = slot.values.get(obs.vital)
        if status in _DELETIONS:
            if earlier is None:
                self.error(obs.location, f"{label}: OBX-11 {status} deletes a value sent in an "
                           "earlier message; not applied: review the chart")
            else:
                del slot.values[obs.vital]
                self.error(obs.location, f"{label}: OBX-11 {status} deletes the value in "
                           f"{earlier.label}; neither is imported")
            return
        if obs.vital in slot.conflicted:
            return
        if earlier is None or status == _CORRECTION:
            slot.values[obs.vital] = obs
        elif earlier.rank != obs.rank:
            keep, drop = (earlier, obs) if earlier.rank < obs.rank else (obs, earlier)
            slot.values[obs.vital] = keep
            self.notice(drop.location, f"{label} {drop.value:g} ignored: the preferred code "
                       f"is given in {keep.label}")
        elif earlier.value != obs.value:
            del slot.values[obs.vital]
            slot.conflicted.add(obs.vital)
            self.error(obs.location, f"{label} {obs.value:g} contradicts {earlier.value:g} "
                       f"in {earlier.label} for the same time; neither is imported")

    def _readings(self) -> list[ParsedReading | RowError]:
        out: list[ParsedReading | RowError] = []
        for moment, slot in sorted(self.moments.items()):
            if not slot.values:
                continue
            obs = list(slot.values.values())
            where = f"message {self.ctrl} {_join_labels([o.label for o in obs])}"
            values = {o.vital: o.value for o in obs}
            absent = {VITAL_SPECS[v].label for v in self.absent}
            problems = [p for p in validate_values(values)
                        if not (p.message == PAIR_MESSAGE and p.field in absent)]
            if problems:
                out.append(RowError(where, "; ".join(str(p) for p in problems) + "; skipped"))
                continue
            detail = source_detail(self.name, HL7, obs[0].device)
            reading = imported_reading(moment, values, source=self.source, detail=detail,
                                       extra={"hl7_control_id": self.ctrl})
            out.append(ParsedReading(reading, where, self.patient or None))
        return out


def _join_labels(labels: list[str]) -> str:
    """'OBX 3', 'OBX 4' -> 'OBX 3, 4'; labels from several OBR groups are listed in full."""
    prefixes = {label.rsplit("OBX ", 1)[0] for label in labels}
    if len(prefixes) == 1:
        return prefixes.pop() + "OBX " + ", ".join(label.rsplit("OBX ", 1)[1] for label in labels)
    return ", ".join(labels)


def _control_id(text: str, ordinal: int) -> str:
    first = text.split("\r", 1)[0]
    separator = first[3:4] or "|"
    fields = first.split(separator)
    control = fields[9].strip() if len(fields) > 9 else ""
    return control or f"#{ordinal} (no MSH-10)"


def _read_message(text: str, ordinal: int, *, name: str, default_tz: tzinfo | None,
                  source: Source) -> tuple[list[ParsedReading | RowError], str]:
    """One message's outputs and its patient id."""
    ctrl = _control_id(text, ordinal)
    where = f"message {ctrl}"
    try:
        message = hl7.parse(text)
        msh = message.segment("MSH")
    except Exception as e:  # noqa: BLE001 - hl7 raises IndexError, KeyError... on bad input
        return [RowError(where, f"not a readable HL7 v2 message ({type(e).__name__})")], ""
    kind = f"{_get(msh, 9, 1)}^{_get(msh, 9, 2)}".strip("^")
    if _get(msh, 9, 1).upper() != "ORU":
        return [RowError(where, f"{kind or 'no MSH-9'} is not an observation result "
                         "(ORU^R01); skipped")], ""
    reader = _MessageReader(message, ctrl, name=name, default_tz=default_tz, source=source)
    try:
        outputs = reader.read()
    except Exception as e:  # noqa: BLE001 - last guard: one odd message must not stop a feed
        return [RowError(where, f"could not be read ({type(e).__name__}: {e})")], ""
    if not outputs:
        outputs = [RowError(where, "holds no vital-sign values")]

    return outputs, reader.patient


def _iter_hl7(data: bytes, *, name: str, default_tz: tzinfo | None, source: Source,
              first_only: bool) -> Iterator[tuple[list[ParsedReading | RowError], str]]:
    text, problem = _decode(data)
    if text is None:
        yield [RowError("file", problem or "unreadable")], ""
        return
    messages, errors = _messages(text)
    if problem:
        yield [RowError("file", problem)], ""
    if errors:
        yield list(errors), ""
    if not messages:
        reason = "the file is empty" if not text.strip() else "no MSH segment: not HL7 v2"
        yield [RowError("file", reason)], ""
        return
    if first_only and len(messages) > 1:
        yield [RowError("file", f"{len(messages)} messages where one was expected; only the "
                        "first is read")], ""
        messages = messages[:1]
    for ordinal, message in enumerate(messages, start=1):
        yield _read_message(message, ordinal, name=name, default_tz=default_tz, source=source)


def _collect(data: bytes, *, name: str, default_tz: tzinfo | None, source: Source,
             first_only: bool) -> ParseResult:
    result = ParseResult(format=HL7)
    for outputs, patient in _iter_hl7(data, name=name, default_tz=default_tz, source=source,
                                      first_only=first_only):
        for item in outputs:
            result.add(item)
        if patient:
            result.patient_ids.add(patient)
        if len(result.errors) >= MAX_ERRORS:
            result.errors.append(RowError("file", f"stopped after {MAX_ERRORS} errors"))
            break
    return result


def parse_hl7_message(data: bytes, *, name: str, default_tz: tzinfo | None = None,
                      source: Source = Source.IMPORT) -> ParseResult:
    """Read one ORU^R01 message (e.g. from the MLLP listener; pass ``Source.DEVICE`` there).

    Locations name the message by MSH-10. Further messages in ``data`` are reported, not
    read."""
    return _collect(data, name=name, default_tz=default_tz, source=source, first_only=True)


def parse_hl7_file(data: bytes | BinaryIO, *, name: str, default_tz: tzinfo | None = None,
                   source: Source = Source.IMPORT) -> ParseResult:
    """Read a file of one or many ORU^R01 messages (bytes or a binary stream)."""
    raw = data if isinstance(data, bytes | bytearray) else data.read()
    return _collect(bytes(raw), name=name, default_tz=default_tz, source=source,
                    first_only=False)


def iter_hl7_stream(stream: BinaryIO, *, name: str, default_tz: tzinfo | None = None,
                    source: Source = Source.IMPORT) -> Iterator[ParsedReading | RowError]:
    """The readings and problems of a file of ORU^R01 messages read from ``stream``, message
    by message in file order, in memory bounded by one message (what the importer calls;
    :func:`parse_hl7_file` reads the same from bytes)."""
    head = stream.read(4096)  # enough to tell text from binary (see not_text_problem)
    problem = not_text_problem(head, HL7, "HL7 v2 must be ASCII, UTF-8 or 8859/1")
    if problem:
        yield RowError("file", problem)
        return
    ordinal = errors = 0
    warned = text_before = False
    for item in raw_messages(stream, head.removeprefix(b"\xef\xbb\xbf")):
        if isinstance(item, RowError):
            yield item
            if is_limit(item):
                return
            text_before = True
            continue
        ordinal += 1
        text, warning = _decode_message(item)
        if warning and not warned:
            warned = True
            yield RowError("file", warning)
        outputs, _ = _read_message(text, ordinal, name=name, default_tz=default_tz,
                                   source=source)
        for output in outputs:
            yield output
            if isinstance(output, RowError) and not output.is_notice:
                errors += 1
        if errors >= MAX_ERRORS:
            yield RowError("file", f"stopped after {MAX_ERRORS} errors")
            return
    if not ordinal:
        yield RowError("file", "no MSH segment: not HL7 v2" if text_before or head.strip(
            b" \t\r\n\x0b\x1c\xef\xbb\xbf") else "the file is empty")


def _decode_message(data: bytes) -> tuple[str, str | None]:
    """One message as text: UTF-8, else Latin-1 (with a warning unless its MSH-18 declares
    an 8859 character set)."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        first_segment = data.split(b"\r", 1)[0].split(b"\n", 1)[0]
        warning = None if b"8859" in first_segment else (
            f"not UTF-8 text (byte 0x{data[e.start]:02X}) and MSH-18 declares no 8859 "
            "character set; read as Latin-1: check names and notes")
        return data.decode("latin-1"), warning


# --- acknowledgement -------------------------------------------------------------------------


STANDARD_MSH = "MSH|^~\\&"


#: HL7 table 0357 code for ERR-3 of a value the receiver could not store.
_ERR_CODE = "207^Application internal error^HL70357"
_MAX_ERR = 20  # ERR segments per ACK: enough to name the problems, bounded for a huge message


def ack_error_location(location: str) -> str:
    """ERR-2 (ERL) for a parser location: 'message M OBR 2 OBX 3' -> 'OBX^3' (the OBX set
    id, else its ordinal), or '' when the location names no OBX."""
    m = re.search(r"OBX (\d+)(?!.*OBX)", location)
    return f"OBX^{m.group(1)}" if m else ""


def _err_segments(errors: list[tuple[str, str]], escape: Callable[[str], str]) -> str:
    out = []
    for erl, text in errors[:_MAX_ERR]:
        plain = "".join(c if c.isprintable() else " " for c in text)[:250]
        out.append(f"ERR||{erl}|{_ERR_CODE}|E||||{escape(plain)}\r")
    return "".join(out)


def build_ack(message: bytes, code: str, text: str = "",
              errors: list[tuple[str, str]] | None = None) -> bytes:
    """THE ACK answering ``message`` (the live feed's, and the listener's for what no handler
    could answer): MSA-1 ``code`` (AA, AE, AR, …), MSA-2 echoing its MSH-10, MSA-3 ``text``
    (at most 80 characters; line breaks and control characters become spaces and delimiters
    are escaped, or turned into spaces where no MSH says which they are, so it can never
    break the ACK). Segments end in CR; the caller adds MLLP framing.

    Only the MSH segment is read, so a truncated, oversize or undecodable message is answered
    too; its bytes are echoed unchanged (latin-1 maps every byte to one character and back).
    A sender that declared its own delimiters is answered in the standard ones. Anything
    without a usable MSH gets a minimal ACK with an empty MSA-2. MSH-7 carries an explicit
    UTC offset (hl7's own is UTC without saying so).

    ``errors`` adds one ERR segment per (ERR-2 location such as ``OBX^3``, ERR-8 text): ERR-3
    207 (application error), ERR-4 severity E; at most 20 are written."""
    if code not in ACK_CODES:
        raise ValueError(f"ACK code must be one of {', '.join(ACK_CODES)}, not {code!r}")
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")
    control = hl7.generate_message_control_id()
    plain = "".join(c if c.isprintable() else " " for c in text)[:_MSA3_MAX]
    safe = re.sub(r"[|^~\\&]", " ", plain)
    def strip(value: str) -> str:
        return re.sub(r"[|^~\\&]", " ", value)

    errs = _err_segments(errors or [], strip)
    minimal = f"MSH|^~\\&|||||{now}||ACK|{control}|P|2.6\rMSA|{code}||{safe}\r{errs}"
    msh = re.split(rb"[\r\n]", message.lstrip(b" \t\r\n\x00"), maxsplit=1)[0].decode("latin-1")
    if not msh.startswith("MSH") or len(msh) < 8 or len(msh.split(msh[3])) < 12:
        return minimal.encode("latin-1", "replace")
    try:
        parsed = hl7.parse(msh)
        if not msh.startswith(STANDARD_MSH):
            echoed = re.sub(r"[|^~\\&\r\n]", " ", str(parsed.segment("MSH")[10]))
            return (f"MSH|^~\\&|||||{now}||ACK|{control}|P|2.6\rMSA|{code}|{echoed}|{safe}\r"
                    f"{errs}").encode("latin-1", "replace")
        ack = parsed.create_ack(code, message_id=control)
        ack.segment("MSH").assign_field(now, 7)
        if plain:
            ack.segment("MSA").assign_field(parsed.escape(plain), 3)
        errs = _err_segments(errors or [], parsed.escape)
        return (str(ack).rstrip("\r") + "\r" + errs).encode("latin-1", "replace")
    except Exception:  # noqa: BLE001 - any input must get an answer: the minimal ACK
        return minimal.encode("latin-1", "replace")


