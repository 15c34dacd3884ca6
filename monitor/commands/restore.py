"""``python main.py restore BACKUP [--db PATH]`` (see backup.py)."""

from __future__ import annotations

from .backup import build_restore_parser as build_parser
from .backup import run_restore as run

__all__ = ["build_parser", "run"]
