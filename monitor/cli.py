"""Command line: ``python main.py [--db PATH] [--patient ID] [--demo]`` opens the app;
``python main.py COMMAND ...`` runs a headless command (see monitor/commands)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from .commands import COMMANDS
from .paths import default_db_path, demo_db_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Infusion Recovery Monitor: chart vital signs during recovery from an "
                    "IV ketamine infusion.",
        epilog=f"Default database: {default_db_path()}  (--demo uses {demo_db_path()}, "
               "rebuilt on every start). Commands: "
               + ", ".join(f"main.py {name} --help" for name in COMMANDS) + ".",
    )
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help="use this database file (created if missing)")
    parser.add_argument("--patient", metavar="ID",
                        help="open this patient's active session, starting one if none")
    parser.add_argument("--demo", action="store_true",
                        help="open a realistic demo session in a separate demo database")
    parser.add_argument("--theme", choices=("light", "dark"),
                        help="start in the light or dark (night) theme")
    parser.add_argument("--quit-after", type=int, metavar="MS", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in COMMANDS:
        command = importlib.import_module(COMMANDS[args[0]])
        return int(command.run(args[1:]))
    options = build_parser().parse_args(args)
    if options.demo and options.patient:
        build_parser().error("--demo and --patient cannot be used together")
    from .ui.app import GuiOptions, run_gui

    db_path = options.db or (demo_db_path() if options.demo else default_db_path())
    return run_gui(
        GuiOptions(db_path=db_path, patient_id=options.patient, demo=options.demo,
                   theme=options.theme, quit_after_ms=options.quit_after),
        [sys.argv[0], *args],
    )
