"""The clinical model must never depend on Qt: every module under monitor.domain is imported in
a fresh interpreter in which importing any Qt binding fails."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import monitor.domain

ROOT = Path(__file__).resolve().parents[2]

# Runs in the child before the import under test: any Qt binding, or a library built on one,
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


def domain_modules() -> list[str]:
    """Every module under monitor.domain, found on disk so new ones are covered too."""
    found = pkgutil.walk_packages(monitor.domain.__path__, prefix="monitor.domain.")
    return ["monitor.domain", *sorted(m.name for m in found)]


def import_without_qt(module: str, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    code = BLOCK_QT
    if extra_path is not None:
        code += f"sys.path.insert(0, {str(extra_path)!r})\n"
    code += f"import importlib; importlib.import_module({module!r})\n"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_discovery_finds_the_domain_modules() -> None:
    expected = {f"monitor.domain.{m}" for m in ("errors", "readings", "sessions", "thresholds",
                                                "vitals")}
    assert expected <= set(domain_modules())


@pytest.mark.parametrize("module", domain_modules())
def test_domain_module_imports_without_qt(module: str) -> None:
    result = import_without_qt(module)
    assert result.returncode == 0, f"{module} needs Qt:\n{result.stderr}"


def test_the_block_catches_a_module_that_imports_qt(tmp_path: Path) -> None:
    (tmp_path / "qt_dependent.py").write_text("from PySide6 import QtCore\n")
    result = import_without_qt("qt_dependent", extra_path=tmp_path)
    assert result.returncode != 0
    assert "ImportError" in result.stderr or "ModuleNotFoundError" in result.stderr
