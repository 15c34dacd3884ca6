"""Layers that can be seen: the clinical model (monitor.domain), the store, the file formats
(monitor.io), the application layer (monitor.app) and the headless commands never import Qt.
Every module of those packages, found on disk so new ones are covered too, is imported in a
fresh interpreter in which importing any Qt binding fails; so is the real command line for
the exports and the import that need no picture. Only monitor.ui and monitor.render (the
png / svg / pdf exports and printing) may load Qt."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.domain.vitals import Vital
from monitor.store import Store
from tests.export_fixtures import PATIENT_ID, build_session

ROOT = Path(__file__).resolve().parents[1]
#: The packages that must import no Qt.
QT_FREE = ("monitor.domain", "monitor.store", "monitor.io", "monitor.app", "monitor.commands")

# Runs in the child before the code under test: any Qt binding, or a library built on one,
# cannot be imported, whether it is already installed or not.
BLOCK_QT = """
import importlib.abc, sys
BLOCKED = ("PySide6", "PySide2", "shiboken6", "PyQt5", "PyQt6", "qtpy", "pyqtgraph", "pytestqt")

class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"Qt is blocked: {name}")
        return None

sys.meta_path.insert(0, BlockQt())
for name in BLOCKED:
    sys.modules[name] = None
"""

# Imports every module named in MODULES, and on failure names each one that needs Qt.
IMPORT_ALL = """
import importlib, traceback
failed = []
for module in MODULES:
    try:
        importlib.import_module(module)
    except Exception:
        failed.append(module)
        print(f"--- {module} cannot be imported without Qt:", file=sys.stderr)
        traceback.print_exc()
if failed:
    print("FAILED: " + ", ".join(failed), file=sys.stderr)
    sys.exit(1)
"""


def modules_of(package: str) -> list[str]:
    """``package`` and every module below it, found on disk (nothing imported)."""
    folder = ROOT.joinpath(*package.split("."))
    found = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def run_without_qt(code: str, extra_path: Path | None = None,
                   cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with Qt blocked."""
    prelude = BLOCK_QT
    if extra_path is not None:
        prelude += f"sys.path.insert(0, {str(extra_path)!r})\n"
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def import_without_qt(modules: list[str],
                      extra_path: Path | None = None) -> subprocess.CompletedProcess:
    return run_without_qt(f"MODULES = {modules!r}\n" + IMPORT_ALL, extra_path)


def main_without_qt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python main.py ARGS`` with Qt blocked."""
    argv = [str(ROOT / "main.py"), *args]
    return run_without_qt(f"import runpy\nsys.path.insert(0, {str(ROOT)!r})\n"
                          f"sys.argv = {argv!r}\n"
                          f"runpy.run_path({argv[0]!r}, run_name='__main__')\n", cwd=cwd)


def test_discovery_finds_every_layers_modules() -> None:
    found = {module for package in QT_FREE for module in modules_of(package)}
    expected = {"monitor.domain", "monitor.domain.readings", "monitor.domain.due_status",
                "monitor.store.database", "monitor.io.export_data", "monitor.app",
                "monitor.app.export", "monitor.app.export_marks", "monitor.commands.export",
                "monitor.commands.import_files"}
    assert expected <= found
    assert not any(module.startswith(("monitor.ui", "monitor.render")) for module in found)


@pytest.mark.parametrize("package", QT_FREE)
def test_every_module_of_the_layer_imports_without_qt(package: str) -> None:
    # One interpreter per package: starting one per module would take a minute.
    result = import_without_qt(modules_of(package))
    assert result.returncode == 0, f"{package} needs Qt:\n{result.stderr}"


def test_the_block_catches_a_module_that_imports_qt(tmp_path: Path) -> None:
    (tmp_path / "qt_free.py").write_text("import json\n")
    (tmp_path / "qt_dependent.py").write_text("from PySide6 import QtCore\n")
    result = import_without_qt(["qt_free", "qt_dependent"], extra_path=tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr or "ModuleNotFoundError" in result.stderr
    assert "FAILED: qt_dependent\n" in result.stderr  # the culprit is named, and only it


@pytest.fixture
def session_db(db_path: Path) -> tuple[Path, int]:
    with Store.open(db_path) as store:
        sid = build_session(store)
    return db_path, sid


@pytest.mark.parametrize("fmt", ["json", "csv", "fhir"])
def test_data_export_command_runs_without_qt(session_db, tmp_path: Path, fmt: str) -> None:
    db, sid = session_db
    out = tmp_path / f"session.{fmt}"
    done = main_without_qt("export", "--session", str(sid), "--format", fmt, "-o", str(out),
                           "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"Exported session {sid} as {fmt}" in done.stdout
    text = out.read_text(encoding="utf-8")
    if fmt == "csv":
        rows = list(csv.DictReader(text.splitlines()))
        assert rows and {"valid", "corrected", "entered-in-error"} <= {r["status"] for r in rows}
    else:
        data = json.loads(text)
        if fmt == "json":
            assert data["session"]["patient"]["identifier"] == PATIENT_ID
        else:
            assert data["resourceType"] == "Bundle" and len(data["entry"]) > 1


def test_import_command_runs_without_qt(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "vitals.csv"
    source.write_text("time,SBP,DBP,HR,SpO2\n2024-05-01T10:00:00Z,120,80,70,98\n"
                      "2024-05-01T10:05:00Z,125,82,72,97\n", encoding="utf-8")
    done = main_without_qt("import", str(source), "--db", str(db_path), "--patient", "P-200",
                           cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 imported" in done.stdout
    with Store.open(db_path) as store:
        session = store.active_session_for_patient("P-200")
        assert session is not None
        charted = [(r.values[Vital.SBP], r.values[Vital.SPO2])
                   for r in store.readings(session.id or 0)]
    assert charted == [(120, 98), (125, 97)]
