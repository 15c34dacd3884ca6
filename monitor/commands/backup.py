"""``python main.py backup`` and ``python main.py restore``: checked, rotated backups."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..paths import default_db_path
from ..store import StoreError
from ..store.backup import DEFAULT_KEEP, backup_database, list_backups, restore_database


def default_backup_folder(database: Path) -> Path:
    """Backups live beside the database they protect unless told otherwise."""
    return database.parent / "backups"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py backup",
        description="Back up the database with SQLite's online backup API (safe while the "
                    "app runs), check the copy, and keep the newest N.")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help=f"database to back up (default {default_db_path()})")
    parser.add_argument("--to", type=Path, metavar="DIR",
                        help="backup folder (default: 'backups' beside the database)")
    parser.add_argument("--keep", type=int, default=DEFAULT_KEEP,
                        help=f"how many backups to keep (default {DEFAULT_KEEP})")
    parser.add_argument("--list", action="store_true", help="list the backups and stop")
    return parser


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    database = args.db or default_db_path()
    folder = args.to or default_backup_folder(database)
    if args.list:
        for info in list_backups(folder):
            print(f"{info.path}\t{info.taken_at:%Y-%m-%d %H:%M:%S} UTC\t{info.size} bytes")
        return 0
    if not database.exists():
        print(f"error: there is no database at {database}", file=sys.stderr)
        return 2
    try:
        info = backup_database(database, folder, keep=args.keep)
    except (StoreError, OSError, ValueError) as error:
        print(f"error: backup failed: {error}", file=sys.stderr)
        return 1
    print(f"backed up {database} to {info.path} ({info.size} bytes, integrity ok)")
    return 0


def build_restore_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py restore",
        description="Replace the database with a backup, after checking the backup. The "
                    "current database is kept beside it (.before-restore-TIME). Close the "
                    "app first.")
    parser.add_argument("backup", type=Path, help="the backup file to restore")
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help=f"database to replace (default {default_db_path()})")
    return parser


def run_restore(argv: Sequence[str]) -> int:
    args = build_restore_parser().parse_args(list(argv))
    database = args.db or default_db_path()
    if not args.backup.is_file():
        print(f"error: there is no backup file {args.backup}", file=sys.stderr)
        return 2
    try:
        kept = restore_database(args.backup, database)
    except (StoreError, OSError) as error:
        print(f"error: restore refused: {error}", file=sys.stderr)
        return 1
    print(f"restored {args.backup} into {database}; the previous database is kept as {kept}")
    return 0
