"""The import service: a file of readings (CSV/TSV, HL7 v2, FHIR R4) into the right sessions.

One pass streams the file through its parser (CSV row by row, HL7 message by message, FHIR
resource by resource) and hands the readings to the store in batches:

- :func:`preview_file` counts what an import would do (new, duplicate, invalid, with every
  invalid row and its reason) and writes nothing.
- :func:`import_file` commits in ONE transaction: all of it, or with ``skip_invalid`` the
  valid rows only. A file with an invalid row saves nothing by default
  (:class:`ImportRejected`); a cancel (:class:`ImportCancelled`) or any failure rolls back,
  leaving the database exactly as before.

What counts as invalid: every problem the parser reports that loses chartable data (a bad
value, a bad time, a code whose text names a vital but that the vocabulary does not list, a
CSV header that looks like a vital and is not understood), except *not charted* notices
(``RowError.kind``) about data the app deliberately leaves out (invasive arterial pressure, a
temperature or body weight Observation, an extra spreadsheet column, an OBX the device marked
'cannot be obtained', a CSV row with a time but no values), which are listed but never block
the import or reject the rest of the row, message or file, and rows repeating an earlier row
of the same file, which count as duplicates.

Memory stays bounded: readings are never collected, duplicates are found with indexed
queries, and the list of problems is capped by the parsers (``MAX_ERRORS``).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import BinaryIO, cast

from monitor.domain.reading_blocks import ReadingBlock
from monitor.domain.readings import (
    EARLIEST_READING,
    MAX_FUTURE_SKEW,
    Reading,
    Source,
    time_problem,
)
from monitor.domain.sessions import Patient, Session, validate_session
from monitor.resources import default_profile
from monitor.store.column_maps import SavedColumnMap
from monitor.store.database import Store
from monitor.store.imports import ImportRun, ImportTarget, SessionImport

from ..io.column_map import MAPPING_HINTS, header_key
from ..io.csv_format import iter_csv, peek_header
from ..io.detect import SNIFF_BYTES, detect_format
from ..io.fhir import iter_fhir_stream
from ..io.hl7v2 import iter_hl7_stream
from ..io.limits import refuses_file
from ..io.parsed import CSV, FORMAT_LABELS, HL7, XLSX, ParsedReading, RowError
from ..io.read_ahead import ReadAhead, start_method
from ..io.xlsx import iter_xlsx, sheet_header
from .alerting import SessionAlerts

#: Readings per bulk insert: large enough for executemany to pay, small enough that a cancel
#: is noticed within a fraction of a second.
BATCH_ROWS = 2000
_CHUNK = 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes done, bytes in the file)
#: What a batch carries: one reading, or a block of plain rows from a CSV file.
Item = Reading | ReadingBlock
CancelCheck = Callable[[], bool]

# Parts of parser messages that describe data the app does not chart (see module docstring).
_NOTICE = re.compile(
    r"invasive arterial pressure is not charted"
    r"|is already read from column|is not a result to chart|the preferred code is given in"
    r"|OBX-11 is [A-Z]+ \((?!unknown)|panel with only hasMember references"
    r"|^no vital-sign values$"
    r"|^(row |this )?(skipped|column ignored|column is ignored)$"
)
# An extra spreadsheet column is left out; an unknown code in HL7 or FHIR is a rejected row.
_EXTRA_COLUMN = re.compile(r"^not a vital sign the monitor charts$")
_REPEATS = re.compile(r"^repeats line \d+; row skipped$")


class ImportCancelled(Exception):
    """The user cancelled; nothing was saved."""


class ImportRejected(Exception):
    """The file has invalid rows and ``skip_invalid`` was not given; nothing was saved."""

    def __init__(self, report: ImportReport):
        if report.refused_by is not None:
            super().__init__(f"{report.file_name}: {report.refused_by}")
        else:
            super().__init__(f"{report.file_name}: {report.rejected} invalid row"
                             f"{'s' * (report.rejected != 1)}; nothing was imported")
        self.report = report


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file and where its readings go.

    ``target`` None sends each reading to its patient (HL7 PID-3, FHIR subject, CSV
    patient_id column): that patient's active session, or a new one."""

    target: ImportTarget | None = None
    skip_invalid: bool = False
    default_tz: tzinfo | None = None
    start: datetime | None = None  # what a CSV elapsed-time column counts from
    zero_is_missing: bool = False  # CSV: 0 means 'no value' (MIMIC numerics)
    date_only_as_midnight: bool = False  # FHIR: a date without time is 00:00
    by: str = ""  # who imports, recorded with the run
    now: datetime | None = None  # the clock times are checked against (None: the real one)
    #: CSV: what each column holds, header -> role (io.column_map). None: the mapping
    #: remembered for this header set, if any. A committed import remembers the one given.
    columns: Mapping[str, str] | None = None


@dataclass
class ImportReport:
    """What a preview found or an import did."""

    path: Path
    format: str = ""
    sha256: str = ""
    new: int = 0  # readings imported (or, in a preview, that would be)
    duplicates: int = 0
    rejected: int = 0  # invalid rows
    readings: int = 0  # valid readings found in the file (saved or not)
    invalid: list[RowError] = field(default_factory=list)  # every invalid row and why
    notices: list[RowError] = field(default_factory=list)  # data not charted, not an error
    patient_ids: set[str] = field(default_factory=set)
    sessions: list[SessionImport] = field(default_factory=list)
    committed: bool = False
    #: A limit the file went beyond (see io.limits): the whole file is refused.
    refused_by: RowError | None = None
    #: CSV: the header cells and the first data row, for a column mapping (empty otherwise).
    header: list[str] = field(default_factory=list)
    sample: list[str] = field(default_factory=list)
    #: The column mapping the file was read with, and who saved it when it was remembered.
    columns: dict[str, str] = field(default_factory=dict)
    columns_saved: SavedColumnMap | None = None

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def columns_unrecognised(self) -> bool:
        """A spreadsheet whose header the reader could not place (a column that looks like
        a vital, no time or no vital column): what a column mapping is for."""
        return bool(self.header) and any(
            hint in e.message for e in self.invalid for hint in MAPPING_HINTS)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format or "unknown format")

    @property
    def clean(self) -> bool:
        """Every row is importable or a duplicate."""
        return self.rejected == 0

    def summary(self) -> str:
        """One line: ``vitals.csv (CSV): 12 imported, 3 duplicates, 1 rejected``."""
        verb = "imported" if self.committed else "new"
        return (f"{self.file_name} ({self.format_label}): {self.new} {verb}, "
                f"{self.duplicates} duplicate{'s' * (self.duplicates != 1)}, "
                f"{self.rejected} rejected")


def is_notice(error: RowError) -> bool:
    """True when ``error`` only says that data the app does not chart was left out: a
    *not charted* notice from a parser (``RowError.kind``), or one of the older notice
    messages below."""
    if error.is_notice:
        return True
    parts = [p.strip() for p in error.message.split("; ")]
    column = ", column '" in error.location
    return all(_NOTICE.search(p) or (column and _EXTRA_COLUMN.match(p)) for p in parts)


def _row_key(error: RowError) -> str:
    # Several cells of one CSV row are reported separately; they are one rejected row.
    return error.location.split(", column ", 1)[0]


class _HashingReader:
    """A binary stream that hashes and counts what is read through it."""

    def __init__(self, raw: BinaryIO, progress: Callable[[int], None] | None = None):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.done = 0
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.done += len(data)
        if self._progress is not None:
            self._progress(self.done)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.raw.readline(size)
        self.digest.update(data)
        self.done += len(data)
        if self._progress is not None:
            self._progress(self.done)
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


class _FileStream:
    """Parses one file and sorts what the parser says into batches of routed readings,
    invalid rows, notices and in-file duplicates, keeping the report up to date."""

    def __init__(self, path: Path, options: ImportOptions, progress: Progress | None,
                 cancel: CancelCheck | None):
        self.path = path
        self.options = options
        self.progress = progress
        self.cancel = cancel
        self.report = ImportReport(path)
        self.unrouted = 0
        self._rejected_rows: set[str] = set()
        self._patients_checked: dict[str, str | None] = {}
        self._last_percent = -1
        self.now = options.now or datetime.now(UTC)
        # Times outside these (UTC seconds) are refused: see readings.time_problem.
        self._latest_ts = (self.now + MAX_FUTURE_SKEW).timestamp()
        self._earliest_ts = EARLIEST_READING.timestamp()

    # -- the parser's output -------------------------------------------------------------

    def batches(self, *, stop_at_invalid: bool) -> Iterator[list[tuple[ImportTarget, Item]]]:
        """Routed readings (and blocks of them) in batches of about ``BATCH_ROWS`` readings.
        With ``stop_at_invalid`` no batch is given after the first invalid row (nothing will
        be saved), but the file is still read to the end so that every invalid row is
        reported."""
        batch: list[tuple[ImportTarget, Item]] = []
        size = 0
        for item in self._items():
            if isinstance(item, RowError):
                self._error(item)
                continue
            if isinstance(item, ReadingBlock):
                if not self._in_time(item):
                    continue
                target = self._route_block(item)
                if target is None:
                    continue
                batch.append((target, item))
                count = len(item)
            else:
                problem = time_problem(item.reading.taken_at, self.now)
                if problem:
                    self._reject(RowError(item.location, problem))
                    continue
                target = self._route(item)
                if target is None:
                    continue
                batch.append((target, _with_original_source(item.reading)))
                count = 1
            self.report.readings += count
            size += count
            if size >= BATCH_ROWS:
                self.check_cancel()
                if not self._holding_back(stop_at_invalid):
                    yield batch
                batch, size = [], 0
        self._finish()
        self.check_cancel()
        if batch and not self._holding_back(stop_at_invalid):
            yield batch

    def _in_time(self, block: ReadingBlock) -> bool:
        """Leave out (and report) the block's rows taken at impossible times; False when no
        row is left."""
        stamps = [row[2] for row in block.rows]
        if stamps and self._earliest_ts <= min(stamps) and max(stamps) <= self._latest_ts:
            return True
        kept = []
        for row in block.rows:
            if self._earliest_ts <= row[2] <= self._latest_ts:
                kept.append(row)
            else:
                problem = time_problem(datetime.fromisoformat(row[1]), self.now)
                self._reject(RowError(f"line {row[0]}", problem or "impossible time"))
        block.rows = kept
        return bool(kept)

    def _holding_back(self, stop_at_invalid: bool) -> bool:
        # Nothing more will be saved: the file is refused, or invalid with nothing skipped.
        return self.report.refused_by is not None or (stop_at_invalid
                                                       and bool(self.report.rejected))

    def _items(self) -> Iterator[ParsedReading | ReadingBlock | RowError]:
        o = self.options
        try:
            handle = self.path.open("rb")
        except OSError as e:
            yield RowError("file", f"cannot read {self.path}: {e.strerror or e}")
            return
        with handle:
            total = self._size(handle)
            reader = _HashingReader(handle)
            head = reader.read(SNIFF_BYTES)
            fmt = self.report.format = detect_format(self.path.name, head)
            if fmt == CSV:
                handle.seek(0)
                self.report.header, self.report.sample = peek_header(
                    handle.read(PEEK_BYTES)) or ([], [])
                handle.seek(0)
                reader = _HashingReader(handle)
                yield from iter_csv(cast(BinaryIO, reader), name=self.path.name,
                                    default_tz=o.default_tz, start=o.start,
                                    zero_is_missing=o.zero_is_missing, source=Source.IMPORT,
                                    progress=lambda done: self._progress(done, total),
                                    blocks=True, columns=o.columns)
                reader.drain()  # the parser may stop early; the checksum covers the file
            elif fmt == XLSX:
                def header(cells: list[str], sample: list[str]) -> None:
                    self.report.header, self.report.sample = cells, sample

                yield from self._checked(iter_xlsx(
                    self.path, name=self.path.name, default_tz=o.default_tz, start=o.start,
                    zero_is_missing=o.zero_is_missing, source=Source.IMPORT,
                    progress=lambda part: self._progress(int(part * total), total),
                    columns=o.columns, on_header=header))
                handle.seek(0)
                reader = _HashingReader(handle)
                reader.drain()
                self._progress(total, total)
            else:
                handle.seek(0)
                reader = _HashingReader(handle, lambda done: self._progress(done, total))
                yield from self._checked(self._stream_parser(fmt, cast(BinaryIO, reader)))
                reader.drain()
                self._progress(total, total)
            self.report.sha256 = reader.digest.hexdigest()

    def _stream_parser(self, fmt: str, stream: BinaryIO
                       ) -> Iterator[ParsedReading | ReadingBlock | RowError]:
        o = self.options
        if fmt == HL7:
            return iter_hl7_stream(stream, name=self.path.name, default_tz=o.default_tz)
        return iter_fhir_stream(stream, name=self.path.name, default_tz=o.default_tz,
                                date_only_as_midnight=o.date_only_as_midnight,
                                reopen=lambda: self.path.open("rb"))

    def _checked(self, items: Iterator[ParsedReading | ReadingBlock | RowError]
                 ) -> Iterator[ParsedReading | ReadingBlock | RowError]:
        # A cancel is noticed within a batch's worth of readings, however the parser works.
        for number, item in enumerate(items):
            if number % BATCH_ROWS == 0:
                self.check_cancel()
            yield item

    @staticmethod
    def _size(handle: BinaryIO) -> int:
        try:
            return os.fstat(handle.fileno()).st_size
        except OSError:
            return 0

    def _progress(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        percent = done * 100 // total if total else 100
        if percent != self._last_percent:  # the CSV parser reports after every row
            self._last_percent = percent
            self.progress(done, total)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel():
            raise _cancelled(self.path)

    # -- sorting -------------------------------------------------------------------------

    def _error(self, error: RowError) -> None:
        if refuses_file(error):
            self.report.refused_by = error
            self._reject(error)
        elif _REPEATS.match(error.message):
            self.report.duplicates += 1
        elif is_notice(error):
            self.report.notices.append(error)
        else:
            self._reject(error)

    def _reject(self, error: RowError) -> None:
        self.report.invalid.append(error)
        key = _row_key(error)
        if key not in self._rejected_rows:
            self._rejected_rows.add(key)
            self.report.rejected += 1

    def _route(self, parsed: ParsedReading) -> ImportTarget | None:
        if parsed.patient_id:
            self.report.patient_ids.add(parsed.patient_id)
        if self.options.target is not None:
            return self.options.target
        if not parsed.patient_id:
            self.unrouted += 1
            return None
        problem = self._patient_problem(parsed.patient_id)
        if problem:
            self._reject(RowError(parsed.location, problem))
            return None
        return ImportTarget(patient_id=parsed.patient_id)

    def _route_block(self, block: ReadingBlock) -> ImportTarget | None:
        # A block comes from a file without a patient column: it goes where the user chose.
        if self.options.target is None:
            self.unrouted += len(block)
        return self.options.target

    def _patient_problem(self, patient_id: str) -> str | None:
        if patient_id not in self._patients_checked:
            errors = validate_session(Session(Patient(patient_id)), datetime.now(UTC))
            self._patients_checked[patient_id] = (
                f"patient id '{patient_id[:70]}' {errors[0].message}" if errors else None)
        return self._patients_checked[patient_id]

    def _finish(self) -> None:
        if self.unrouted:
            n = self.unrouted
            self.report.invalid.append(RowError(
                "file", f"{n} reading{'s' * (n != 1)} do{'es' * (n == 1)} not say which "
                "patient they belong to: choose the session to import into"))
            self.report.rejected += n


def _with_original_source(reading: Reading) -> Reading:
    """A canonical CSV names how each reading was taken (manual, device); keep that, so an
    export imports losslessly. The source detail still names the file it came through."""
    original = (reading.extra or {}).get("original_source", "")
    if original in _SOURCE_NAMES and original != reading.source.value:
        return replace(reading, source=Source(original))
    return reading


_SOURCE_NAMES = frozenset(s.value for s in Source)


def _found_nothing(report: ImportReport, readings_seen: int) -> None:
    if readings_seen == 0 and report.duplicates == 0 and not report.invalid:
        report.invalid.append(RowError("file", "no vital-sign readings found in the file"))
        report.rejected += 1


#: How much of a CSV file is read for its header (a mapping and the key it is remembered
#: under); a header longer than this is read without a remembered mapping.
PEEK_BYTES = 256 * 1024


def with_saved_columns(store: Store, path: Path, options: ImportOptions
                       ) -> tuple[ImportOptions, SavedColumnMap | None]:
    """``options`` with the column mapping remembered for the header of ``path`` (a CSV
    file or a workbook), unless a mapping is given; and that remembered mapping (None when
    none is used)."""
    if options.columns is not None:
        return options, None
    try:
        with path.open("rb") as handle:
            head = handle.read(PEEK_BYTES)
    except OSError:
        return options, None  # the import says why the file cannot be read
    fmt = detect_format(path.name, head[:SNIFF_BYTES])
    if fmt not in (CSV, XLSX) or not store.has_column_maps():
        # Nothing to look up, so the header is not read before the import reads it: for a
        # workbook without a <dimension> record (openpyxl writes none) opening it makes
        # openpyxl scan the whole sheet (4 s at 200,000 rows).
        return options, None
    peeked = peek_header(head) if fmt == CSV else sheet_header(path)
    saved = store.saved_column_map(header_key(peeked[0])) if peeked else None
    if saved is None:
        return options, None
    return replace(options, columns=saved.mapping), saved


def _note_columns(report: ImportReport, options: ImportOptions,
                  saved: SavedColumnMap | None) -> None:
    report.columns = dict(options.columns or {})
    report.columns_saved = saved


def preview_file(store: Store, path: str | Path, options: ImportOptions = ImportOptions(),
                 progress: Progress | None = None,
                 cancel: CancelCheck | None = None) -> ImportReport:
    """What importing ``path`` would do, without writing anything. Raises
    :class:`ImportCancelled` when ``cancel()`` turns true, or a StoreError (e.g. the chosen
    session is closed)."""
    options, saved = with_saved_columns(store, Path(path), options)
    stream = _FileStream(Path(path), options, progress, cancel)
    counted = _Counted(stream.batches(stop_at_invalid=False))
    totals = store.preview_import(counted)
    report = stream.report
    _note_columns(report, options, saved)
    report.sessions = totals.sessions
    report.new = totals.imported
    report.duplicates += totals.duplicates
    _found_nothing(report, counted.readings)
    return report


#: Files at least this big are read in a second process while this one writes (see
#: read_ahead). Below it, spawning that process (about 0.3 s) costs more than it saves;
#: forking it (the command line) takes milliseconds, so it pays from FORKED_AHEAD_BYTES.
AHEAD_BYTES = 8 * 1024 * 1024
FORKED_AHEAD_BYTES = 256 * 1024


def _read_file(path: Path, options: ImportOptions, stop_at_invalid: bool,
               progress: Progress) -> Generator[list[tuple[ImportTarget, Item]], None,
                                                ImportReport]:
    """The batches of ``path`` and, at the end, what was found reading it (for read_ahead)."""
    stream = _FileStream(path, options, progress, None)
    yield from stream.batches(stop_at_invalid=stop_at_invalid)
    return stream.report


def _cancelled(path: Path) -> ImportCancelled:
    return ImportCancelled(f"Import of {path.name} cancelled; nothing was saved.")


def _reads_ahead(path: Path) -> bool:
    if multiprocessing.current_process().daemon:
        return False  # a daemonic process (a Pool worker) may not start another
    if (os.cpu_count() or 1) < 2:
        return False  # one core: the two processes would only take turns
    threshold = FORKED_AHEAD_BYTES if start_method() == "fork" else AHEAD_BYTES
    try:
        return path.stat().st_size >= min(threshold, AHEAD_BYTES)
    except OSError:
        return False  # read here, which reports why the file cannot be read


def import_file(store: Store, path: str | Path, options: ImportOptions = ImportOptions(),
                progress: Progress | None = None,
                cancel: CancelCheck | None = None,
                alerts: SessionAlerts | None = None) -> ImportReport:
    """Import ``path`` in one transaction and return what was done, with the alerts its
    readings raise recorded in the same transaction (by ``alerts``, or a recorder with the
    shipped thresholds as the baseline preset); a file of old readings records them at
    their own times, as history.

    Raises :class:`ImportRejected` (nothing saved) when the file has invalid rows and
    ``options.skip_invalid`` is false, :class:`ImportCancelled` (nothing saved) on cancel,
    or a StoreError (nothing saved) when the database cannot take it. A big file is read
    in a second process while this one writes (:data:`AHEAD_BYTES`)."""
    path = Path(path)
    started = datetime.now(UTC)
    stop_at_invalid = not options.skip_invalid
    options, saved = with_saved_columns(store, path, options)
    if _reads_ahead(path):
        ahead: ReadAhead[list[tuple[ImportTarget, Item]], ImportReport] = ReadAhead(
            partial(_read_file, path, options, stop_at_invalid), progress=progress,
            cancelled=cancel, on_cancel=lambda: _cancelled(path))
        counted = _Counted(ahead.batches())

        def found() -> ImportReport:
            assert ahead.result is not None, "read before the file was read to its end"
            return ahead.result
    else:
        stream = _FileStream(path, options, progress, cancel)
        counted = _Counted(stream.batches(stop_at_invalid=stop_at_invalid))

        def found() -> ImportReport:
            return stream.report

    def checked() -> Iterator[list[tuple[ImportTarget, Item]]]:
        yield from counted
        # Only now is the whole file read: decide before COMMIT. A cancel that came while the
        # last batches were written is still honoured.
        if cancel is not None and cancel():
            raise _cancelled(path)
        _found_nothing(found(), counted.readings)
        if found().refused_by is not None or (found().rejected and not options.skip_invalid):
            raise ImportRejected(found())

    def run() -> ImportRun:
        r = found()
        return ImportRun(file_name=r.file_name, format=r.format, sha256=r.sha256,
                         by=options.by, rejected=r.rejected, started_at=started,
                         detail={"notices": len(r.notices), "skip_invalid":
                                 options.skip_invalid, "path": str(r.path)})

    recorder = alerts if alerts is not None else SessionAlerts(store, default_profile())

    def before_commit(written: list[SessionImport]) -> None:
        for result in written:
            if result.imported and result.session_id is not None:
                recorder.update(result.session_id, keep_events=False)
        header = found().header
        if options.columns and saved is None and header:
            # A mapping given for this import is remembered with it, for the next file.
            store.save_column_map(header_key(header), header, options.columns, options.by,
                                  datetime.now(UTC))

    totals = store.commit_import(checked(), run=run, by=options.by,
                                 before_commit=before_commit)
    report = found()
    _note_columns(report, options, saved)
    report.sessions = totals.sessions
    report.new = totals.imported
    report.duplicates += totals.duplicates
    report.committed = True
    return report


class _Counted:
    """Passes batches through, counting the readings."""

    def __init__(self, batches: Iterator[list[tuple[ImportTarget, Item]]]):
        self._batches = batches
        self.readings = 0

    def __iter__(self) -> Iterator[list[tuple[ImportTarget, Item]]]:
        for batch in self._batches:
            self.readings += sum(1 if isinstance(item, Reading) else len(item)
                                 for _, item in batch)
            yield batch
