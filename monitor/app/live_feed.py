"""The live feed: what the MLLP listener does with each HL7 v2 message from a monitor gateway.

:class:`LiveFeedHandler` is the listener's message handler. For each message it:

1. rejects (AR) what is not an HL7 v2 ORU^R01 at all: garbage, an unreadable MSH, other
   message types;
2. reads the ORU^R01 with :func:`monitor.io.hl7v2.parse_hl7_message` (source: device);
3. routes the readings to the patient's active session (PID-3), starting one when the
   patient has none, or to the one session it was told to fill;
4. commits them in one transaction, duplicates skipped (a gateway resending a message it
   got no ACK for adds nothing), with the alerts they raise recorded in the same
   transaction (``monitor.app.alerting``), whether or not any window is open;
5. only then returns the ACK. **AA only when everything chartable was stored**: every reading
   committed (or already recorded), with at most *not charted* notices (a temperature, an
   invasive pressure, a device status, a value the device could not obtain); MSA-3 then
   counts the observations not charted. **AE when any chartable data was lost**: a bad value
   or unit, an unreadable time of a vital, an impossible value, a deletion that cannot be
   applied, an unlisted code whose text names a vital, or nothing saved at all; MSA-3 says
   how many were lost and the first reason (at most 80 characters) and one ERR segment per
   problem names its OBX (ERR-2 ``OBX^<set id>``, ERR-8 the reason). The readings that were
   good are committed all the same, so a resend adds nothing twice. AR as above.

The listener runs every handler call on one dedicated thread, so the handler opens its own
Store there on first use (a SQLite connection belongs to the thread that opened it).
Messages hold names and identifiers: logs name the control id and the reason, never values
of PID or the message text.

:class:`FeedTicker` lets time pass for the sessions a feed fills: *feed silent* when a
session's monitor stops sending, *reading overdue* from its schedule, reminders of
acknowledged alerts. ``main.py listen`` and the window's live feed both run it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from monitor.domain.alerts import Alert
from monitor.domain.readings import Reading, Source
from monitor.domain.sessions import Patient, Session, validate_session
from monitor.domain.thresholds import ThresholdProfile
from monitor.resources import default_profile
from monitor.store import Store, StoreError
from monitor.store.imports import ImportTarget, SessionImport

from ..io.hl7v2 import ack_error_location, build_ack, parse_hl7_message, split_messages
from ..io.mllp import PeerInfo, control_id
from ..io.parsed import RowError
from .alerting import SessionAlerts, utc_now
from .importing import is_notice

log = logging.getLogger(__name__)

#: The name imported device readings carry in their source detail: "MLLP (HL7 v2), device X".
FEED_NAME = "MLLP"


@dataclass(frozen=True)
class FeedCommit:
    """Readings of one message, committed (reported to ``on_committed``)."""

    control_id: str | None
    session_ids: tuple[int, ...]
    readings: int
    created_sessions: tuple[int, ...]
    at: datetime
    #: The alerts the readings raised or escalated (recorded with them): what to sound.
    alerts: tuple[Alert, ...] = ()


def message_type_problem(message: bytes) -> str | None:
    """Why ``message`` is not an HL7 v2 ORU^R01 at all (answer AR), or None."""
    messages = split_messages(message)
    if not messages:
        return "not an HL7 v2 message (no MSH segment)"
    msh = messages[0].split(b"\r", 1)[0]
    if len(msh) < 8:
        return "MSH segment too short"
    field_sep, component_sep = msh[3:4], msh[4:5]
    fields = msh.split(field_sep)
    if len(fields) < 12:
        return "MSH segment is incomplete (needs MSH-12)"
    kind = fields[8].split(component_sep)
    event = kind[1] if len(kind) > 1 else b""
    if kind[0].upper() != b"ORU":
        shown = fields[8].decode("ascii", "replace")[:20] or "no MSH-9"
        return f"{shown} is not an observation result (ORU^R01)"
    if event and event.upper() != b"R01":
        return f"ORU^{event.decode('ascii', 'replace')[:8]} is not ORU^R01"
    return None


def _not_charted_text(notices: int) -> str:
    return f"{notices} observation(s) not charted" if notices else ""


def _lost_text(errors: list[RowError]) -> str:
    """MSA-3 of an AE: how much chartable data was lost and the first reason (80 chars)."""
    first = errors[0].message
    if len(errors) == 1:
        return first[:80]
    return f"{len(errors)} problems, first: {first}"[:80]


def _ack_errors(errors: list[RowError]) -> list[tuple[str, str]]:
    return [(ack_error_location(e.location), e.message) for e in errors]


class LiveFeedHandler:
    """The MLLP message handler that writes device readings to the database at ``db_path``.

    ``session_id`` sends every reading to that session instead of routing by PID-3.
    ``on_committed`` is called on the handler thread after each commit (a GUI must marshal
    it to its own thread). Call :meth:`close` after the listener has stopped."""

    def __init__(self, db_path: str | Path, *, session_id: int | None = None,
                 default_tz: tzinfo | None = None,
                 on_committed: Callable[[FeedCommit], None] | None = None,
                 by: str = "feed",
                 shipped: ThresholdProfile | None = None,
                 clock: Callable[[], datetime] = utc_now):
        self.db_path = Path(db_path)
        self.session_id = session_id
        self.default_tz = default_tz
        self.on_committed = on_committed
        self.by = by
        self.shipped = shipped or default_profile()
        self.clock = clock
        self._store: Store | None = None
        self._alerts: SessionAlerts | None = None
        self._thread: threading.Thread | None = None
        self._fed: dict[int, datetime] = {}
        self._fed_lock = threading.Lock()

    def __call__(self, message: bytes, peer: PeerInfo) -> bytes:
        """Handle one de-framed message; return its ACK (unframed)."""
        ctrl = control_id(message)
        problem = message_type_problem(message)
        if problem is not None:
            log.warning("feed: message %s from %s rejected: %s", ctrl, peer, problem)
            return build_ack(message, "AR", problem)
        result = parse_hl7_message(message, name=FEED_NAME, default_tz=self.default_tz,
                                   source=Source.DEVICE)
        errors = [e for e in result.errors if not is_notice(e)]
        notices = len(result.errors) - len(errors)
        for error in errors:
            log.warning("feed: message %s from %s: %s", ctrl, peer, error.message)
        routed: list[tuple[ImportTarget, Reading]] = []
        for parsed in result.readings:
            target, why = self._target(parsed.patient_id)
            if target is None:
                log.warning("feed: message %s from %s: %s", ctrl, peer, why)
                return build_ack(message, "AE", why)
            routed.append((target, parsed.reading))
        if not routed and not errors:
            # Only data the app does not chart: nothing chartable was lost.
            return build_ack(message, "AA", _not_charted_text(notices) or
                             "no vital-sign values in the message")
        if not routed:
            return build_ack(message, "AE", _lost_text(errors), _ack_errors(errors))
        return self._commit(message, ctrl, peer, routed, errors, notices)
    def _target(self, patient_id: str | None) -> tuple[ImportTarget | None, str]:
        if self.session_id is not None:
            return ImportTarget(session_id=self.session_id), ""
        if not patient_id:
            return None, "no patient id in PID-3"
        if validate_session(Session(Patient(patient_id)), datetime.now(UTC)):
            return None, "PID-3 patient id is not usable (too long or with separators)"
        return ImportTarget(patient_id=patient_id), ""

    def _commit(self, message: bytes, ctrl: str | None, peer: PeerInfo,
                routed: list[tuple[ImportTarget, Reading]], errors: list[RowError],
                notices: int) -> bytes:
        try:
            store = self._open()
            alerts = self._alerts
            assert alerts is not None

            sounding: list[Alert] = []

            def record_alerts(written: list[SessionImport]) -> None:
                for result in written:
                    if result.imported and result.session_id is not None:
                        sounding.extend(alerts.update(result.session_id).sounding())

            totals = store.commit_import([routed], by=self.by, before_commit=record_alerts)
        except StoreError as error:
            log.error("feed: message %s from %s not saved: %s", ctrl, peer,
                      type(error).__name__)
            return build_ack(message, "AE", "could not be saved; send again later")
        received = self.clock()
        with self._fed_lock:
            for s in totals.sessions:
                if s.session_id is not None:
                    self._fed[s.session_id] = received
        if errors:  # the good readings are stored; the gateway must know the rest was not
            return build_ack(message, "AE", _lost_text(errors), _ack_errors(errors))
        if not totals.imported:
            return build_ack(message, "AA", "duplicate: already recorded")
        commit = FeedCommit(
            ctrl, tuple(s.session_id for s in totals.sessions if s.session_id is not None),
            totals.imported,
            tuple(s.session_id for s in totals.sessions if s.created and s.session_id),
            datetime.now(UTC), tuple(sounding))
        if self.on_committed is not None:
            try:
                self.on_committed(commit)
            except Exception:  # noqa: BLE001 - an observer must not cost the gateway its ACK
                log.exception("feed: on_committed failed")
        return build_ack(message, "AA", _not_charted_text(notices))

    def fed_sessions(self) -> dict[int, datetime]:
        """The sessions this feed has sent readings to, each with when its last message came
        (what *feed silent* counts from). Safe from any thread."""
        with self._fed_lock:
            return dict(self._fed)

    def _open(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.db_path, check=False)
            self._alerts = SessionAlerts(self._store, self.shipped, self.clock)
            self._thread = threading.current_thread()
        return self._store

    def close(self) -> None:
        """Close the handler's database connection (after the listener stopped)."""
        store, self._store = self._store, None
        if store is None:
            return
        if threading.current_thread() is self._thread:
            store.close()
        # Otherwise the connection belongs to the listener's finished handler thread, and
        # sqlite3 refuses a close from here; dropping it closes it when it is collected.


class FeedTicker:
    """Lets time pass for the sessions a feed fills, on its own connection: call
    :meth:`tick` every few seconds from one thread (the one that made it)."""

    def __init__(self, store: Store, shipped: ThresholdProfile | None = None,
                 clock: Callable[[], datetime] = utc_now, *,
                 alerts: SessionAlerts | None = None):
        self.alerts = alerts or SessionAlerts(store, shipped or default_profile(), clock)

    def tick(self, fed: dict[int, datetime]) -> list[tuple[int, Alert]]:
        """Raise or resolve the technical alerts of each fed session; returns the alerts to
        sound, each with its session. A session closed meanwhile is left alone; a database
        error is logged and tried again at the next tick."""
        sounding: list[tuple[int, Alert]] = []
        for session_id, last_message_at in sorted(fed.items()):
            try:
                update = self.alerts.tick(session_id, last_feed_message_at=last_message_at)
            except StoreError as error:
                log.error("feed: alerts of session %s not updated: %s", session_id,
                          type(error).__name__)
                continue
            for alert in update.sounding():
                log.warning("feed: session %s: %s", session_id, alert.text)
                sounding.append((session_id, alert))
        return sounding
