"""Headless commands: ``python main.py COMMAND ...``. Each module here has
``build_parser() -> argparse.ArgumentParser`` and ``run(argv) -> int``; user-facing errors
are printed to stderr with a non-zero exit status, never a traceback."""

#: command name -> module (imported only when used, so the GUI starts fast).
COMMANDS: dict[str, str] = {
    "import": "monitor.commands.import_files",
    "sessions": "monitor.commands.sessions",
    "listen": "monitor.commands.listen",
    "export": "monitor.commands.export",
    "backup": "monitor.commands.backup",
    "restore": "monitor.commands.restore",
}
