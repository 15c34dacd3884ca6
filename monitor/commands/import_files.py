"""``python main.py import FILE...``: import readings from CSV/TSV, HL7 v2 or FHIR R4 files.

Each file is one transaction. Prints a summary per file on stdout and every rejected row
with its reason on stderr. Exit status 0 when every row was imported or was a duplicate,
1 when any row was rejected (saved or not), 2 when the command itself cannot run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..app.importing import ImportOptions, ImportRejected, ImportReport, import_file
from ..io.column_map import ROLES, parse_columns_option
from ..io.csv_format import parse_timestamp
from ..io.read_ahead import ReaderFailed
from ..paths import default_db_path
from ..store import Store, StoreError
from ..store.imports import ImportTarget

OK, REJECTED, FAILED = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py import",
        description="Import vital-sign readings from CSV/TSV, HL7 v2 (ORU^R01) or FHIR R4 "
                    "JSON files. Readings go to the patient named in the file (its active "
                    "session, or a new one) unless --session or --patient says otherwise. "
                    "A file with any invalid row saves nothing unless --skip-invalid. "
                    "Importing a file again adds nothing.",
        epilog="Exit status: 0 every row imported or a duplicate; 1 rows were rejected; "
               "2 the command could not run (no such session, database unusable).")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help=f"database (default {default_db_path()})")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--session", type=int, metavar="ID", help="import into this session")
    where.add_argument("--patient", metavar="ID",
                       help="import into this patient's active session (started if none)")
    parser.add_argument("--skip-invalid", action="store_true",
                        help="save the valid rows of a file that has invalid ones")
    parser.add_argument("--by", default="", metavar="INITIALS",
                        help="who imports (recorded with the import)")
    parser.add_argument("--start", metavar="TIME",
                        help="start time for a CSV 'elapsed' column, e.g. 2024-05-01T10:00")
    parser.add_argument("--tz", metavar="ZONE",
                        help="time zone of times written without a UTC offset, e.g. "
                             "Europe/Berlin (default: this computer's)")
    parser.add_argument("--zero-is-missing", action="store_true",
                        help="CSV: a 0 means 'no value' (monitor numerics exports)")
    parser.add_argument("--date-only-as-midnight", action="store_true",
                        help="FHIR: read a date without a time of day as 00:00")
    parser.add_argument("--columns", metavar="HEADER=ROLE,...",
                        help="CSV: what columns the app does not recognise hold, e.g. "
                             f"'Syst_L=sbp,Dia_L=dbp,Zeit=time' (roles: {', '.join(ROLES)}); "
                             "remembered for files with the same header. Without it, a "
                             "mapping remembered for the file's header is used")
    return parser


def _options(args: argparse.Namespace) -> ImportOptions | str:
    zone = None
    if args.tz:
        try:
            zone = ZoneInfo(args.tz.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return (f"--tz: '{args.tz}' is not a time zone this computer knows (use an IANA "
                    "name such as Europe/Berlin)")
    start = None
    if args.start:
        start, problem = parse_timestamp(args.start, zone)
        if problem:
            return f"--start: {problem}"
    if args.patient is not None and not args.patient.strip():
        return "--patient: give a patient id"
    target = (ImportTarget(session_id=args.session) if args.session is not None
              else ImportTarget(patient_id=args.patient.strip()) if args.patient else None)
    columns = None
    if args.columns is not None:
        columns, problem = parse_columns_option(args.columns)
        if problem:
            return f"--columns: {problem}"
    return ImportOptions(target=target, skip_invalid=args.skip_invalid, start=start,
                         default_tz=zone,
                         zero_is_missing=args.zero_is_missing,
                         date_only_as_midnight=args.date_only_as_midnight, by=args.by,
                         columns=columns)


def _print_columns(report: ImportReport) -> None:
    saved = report.columns_saved
    if saved is not None:
        mapped = ", ".join(f"{h}={r}" for h, r in sorted(saved.mapping.items()))
        by = f" by {saved.saved_by}" if saved.saved_by else ""
        print(f"{report.file_name}: columns mapped as saved{by} on "
              f"{saved.saved_at:%Y-%m-%d %H:%M} UTC: {mapped}", file=sys.stderr)


def _print_problems(report: ImportReport) -> None:
    _print_columns(report)
    for error in report.invalid:
        print(f"{report.file_name}: rejected: {error}", file=sys.stderr)
    for notice in report.notices:
        print(f"{report.file_name}: not charted: {notice}", file=sys.stderr)


def _where(report: ImportReport) -> str:
    parts = [f"session {s.session_id} (patient {s.patient_id}"
             + (", new session)" if s.created else ")") for s in report.sessions if s.imported]
    return f" -> {', '.join(parts)}" if parts else ""


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    options = _options(args)
    if isinstance(options, str):
        print(f"error: {options}", file=sys.stderr)
        return FAILED
    db_path = args.db or default_db_path()
    try:
        store = Store.open(db_path)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return FAILED
    status = OK
    with store:
        if args.session is not None:
            try:
                store.get_session(args.session)
            except StoreError as error:
                print(f"error: {error}", file=sys.stderr)
                return FAILED
        for path in args.files:
            try:
                report = import_file(store, path, options)
            except ImportRejected as rejected:
                report = rejected.report
                _print_problems(report)
                n = report.readings
                unsaved = (f"; {n} valid reading{'s' * (n != 1)} not saved (--skip-invalid "
                           "saves them)") if n else ""
                print(f"{report.file_name} ({report.format_label}): nothing imported, "
                      f"{report.rejected} rejected{unsaved}")
                status = max(status, REJECTED)
                continue
            except (StoreError, ReaderFailed) as error:
                print(f"error: {path.name}: nothing imported: {error}", file=sys.stderr)
                status = FAILED
                continue
            _print_problems(report)
            print(report.summary() + _where(report))
            if not report.clean:
                status = max(status, REJECTED)
    return status
