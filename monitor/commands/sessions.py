"""``python main.py sessions``: list sessions with their reading and alert counts.

``--json`` prints one JSON array, newest session first; each element is an object with
``id`` (int), ``patient_id``, ``name``, ``started_at`` (ISO 8601 with offset), ``status``
(``active`` or ``closed``), ``readings`` and ``alerts`` (ints)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..paths import default_db_path
from ..store import Store, StoreError

_COLUMNS = ("id", "patient", "name", "started", "status", "readings", "alerts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py sessions",
        description="List sessions, newest first: id, patient id, name, start, status, "
                    "number of readings and of alerts.")
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help=f"database (default {default_db_path()})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--limit", type=int, metavar="N", help="only the newest N sessions")
    return parser


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    db_path = args.db or default_db_path()
    if not db_path.exists():
        print(f"error: there is no database at {db_path}", file=sys.stderr)
        return 2
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    try:
        with Store.open(db_path) as store:
            listings = store.session_listings(limit=args.limit)
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([s.to_dict() for s in listings], indent=2, ensure_ascii=False))
        return 0
    rows = [(str(s.id), s.patient_id, s.patient_name,
             s.started_at.astimezone().strftime("%Y-%m-%d %H:%M"), s.status, str(s.readings),
             str(s.alerts)) for s in listings]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(_COLUMNS)]
    for line in [_COLUMNS, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    if not rows:
        print("(no sessions)")
    return 0
