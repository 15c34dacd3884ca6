"""``python main.py export --session ID --format FMT -o OUT [--db PATH] [--deidentify]``:
export one session headless, for archiving scripts. Works without a display (Qt offscreen).
Exit status 0 on success, 1 when the export fails (unknown session, unwritable path), 2 for
bad arguments."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..io.export_data import FORMATS
from ..paths import default_db_path


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
    return parser


def _needs_display(fmt: str) -> bool:
    return fmt in ("png", "svg", "pdf")


def run(argv: Sequence[str]) -> int:
    """Run the command; returns the exit status."""
    parser = build_parser()
    options = parser.parse_args(list(argv))
    if (options.start is None) != (options.end is None):
        parser.error("--from and --to go together")
    if options.start is not None and options.end <= options.start:
        parser.error("--to must be after --from")
    if options.size is not None:
        from ..ui.chart_render import MAX_SIDE, MIN_SIDE

        if not all(MIN_SIDE <= side <= MAX_SIDE for side in options.size):
            parser.error(f"--size: each side must be between {MIN_SIDE} and {MAX_SIDE} px")
    if _needs_display(options.format) and not (os.environ.get("DISPLAY")
                                               or os.environ.get("WAYLAND_DISPLAY")):
        # Must be set before the QApplication exists; an explicit choice is kept.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ..domain.profiles import ProfileVersion
    from ..io.deidentify import deidentify
    from ..io.export_data import load_record
    from ..resources import default_profile
    from ..store import Store, StoreError

    db_path = options.db or default_db_path()
    try:
        with Store.open(db_path, read_only=True) as store:
            record = load_record(store, options.session, ProfileVersion(default_profile()),
                                 datetime.now(UTC))
    except StoreError as error:
        print(f"export: {error}", file=sys.stderr)
        return 1
    if options.deidentify:
        record = deidentify(record)
    from ..ui.export_dialog import ExportRequest, prepare_pictures, write_export

    request = ExportRequest(options.format, options.output, options.size, options.start,
                            options.end)
    try:
        if _needs_display(options.format):
            from ..ui.app import get_application

            get_application([sys.argv[0]])
        pictures = prepare_pictures(record, request)
        write_export(record, request, pictures)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        print(f"export: cannot write {options.output}: {reason}", file=sys.stderr)
        return 1
    print(f"Exported session {options.session} as {options.format} to {options.output}")
    return 0
