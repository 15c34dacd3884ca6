"""``python main.py export --session ID --format FMT -o OUT [--db PATH] [--deidentify]``:
export one session headless, for archiving scripts: a thin command line over
monitor.app.export.export_session. csv, json and fhir import no Qt; png, svg and pdf work
without a display (Qt offscreen). Exit status 0 on success, 1 when the export fails (unknown
session, unwritable path), 2 for bad arguments."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..app.export import ExportRequest, export_session
from ..domain.profiles import ProfileVersion
from ..io.export_data import BUNDLE_TYPES, DEFAULT_PATIENT_ID_SYSTEM, FORMATS, FhirOptions
from ..paths import default_db_path
from ..resources import default_profile
from ..store import Store, StoreError


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 2400x1500") from None
    return width, height


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a time like 2024-05-01T10:15+02:00") from None
    return moment if moment.tzinfo else moment.astimezone()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py export",
        description="Export a recovery session as a chart image (png, svg), a PDF report, "
                    "or data (canonical csv, json archive, fhir R4 Bundle).")
    parser.add_argument("--session", type=int, required=True, metavar="ID",
                        help="the session number (see 'main.py sessions')")
    parser.add_argument("--format", required=True, choices=FORMATS, metavar="FORMAT",
                        help="one of: " + ", ".join(FORMATS))
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                        help="file to write (replaced if it exists)")
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help=f"database file (default {default_db_path()})")
    parser.add_argument("--deidentify", action="store_true",
                        help="remove name, date of birth and identifier (pseudonym instead)")
    parser.add_argument("--size", type=_size, metavar="WxH",
                        help="png/svg size in pixels (default 2400x1500: 8x5 in at 300 dpi)")
    parser.add_argument("--from", dest="start", type=_moment, metavar="TIME",
                        help="chart from this time (ISO 8601); default: the whole session")
    parser.add_argument("--to", dest="end", type=_moment, metavar="TIME",
                        help="chart up to this time (ISO 8601)")
    parser.add_argument("--fhir-bundle", choices=BUNDLE_TYPES, default="collection",
                        help="fhir: a 'collection' (archive, default) or a 'transaction' of "
                             "conditional PUTs to POST to a FHIR server")
    parser.add_argument("--patient-id-system", default=DEFAULT_PATIENT_ID_SYSTEM,
                        metavar="URI",
                        help="fhir: the system of the Patient identifier, e.g. your MRN "
                             f"system URI (default {DEFAULT_PATIENT_ID_SYSTEM})")
    return parser


def run(argv: Sequence[str]) -> int:
    """Run the command; returns the exit status."""
    parser = build_parser()
    options = parser.parse_args(list(argv))
    if (options.start is None) != (options.end is None):
        parser.error("--from and --to go together")
    if options.start is not None and options.end <= options.start:
        parser.error("--to must be after --from")
    try:
        fhir = FhirOptions(options.fhir_bundle, options.patient_id_system)
    except ValueError as error:
        parser.error(f"--patient-id-system: {error}")
    try:
        request = ExportRequest(options.format, options.output, options.size, options.start,
                                options.end, fhir=fhir)
    except ValueError as error:
        parser.error(f"--size: {error}")
    try:
        with Store.open(options.db or default_db_path(), read_only=True) as store:
            export_session(store, options.session, request,
                           shipped=ProfileVersion(default_profile()), now=datetime.now(UTC),
                           deidentify=options.deidentify)
    except StoreError as error:
        print(f"export: {error}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        print(f"export: cannot write {options.output}: {reason}", file=sys.stderr)
        return 1
    print(f"Exported session {options.session} as {options.format} to {options.output}")
    return 0
