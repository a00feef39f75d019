"""The layers of docs/architecture.md hold (``lint-imports``, run by ``make lint``), and the contract really
catches a layer violation or a new cycle: shown on a copy of ``logis`` with one deliberate bad import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def logis_copy(tmp_path: Path) -> Path:
    """The sources of ``logis`` and the project's contract, in a scratch directory."""
    shutil.copytree(ROOT / "logis", tmp_path / "logis", ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}  # deliberate, to break the contract\n")


def test_the_code_keeps_its_layers() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_core_importing_an_upper_app_breaks_the_contract(logis_copy: Path) -> None:
    _add_import(logis_copy, "logis.core.money", "from logis.invoicing.models import Invoice")
    result = _lint_imports(logis_copy)
    assert result.returncode == 1
    assert "Contracts: 0 kept, 1 broken." in result.stdout
    assert "logis.core is not allowed to import logis.invoicing" in result.stdout
    assert "logis.core.money -> logis.invoicing.models" in result.stdout


def test_a_new_cycle_between_apps_breaks_the_contract(logis_copy: Path) -> None:
    # invoicing imports properties; properties importing invoicing back closes a cycle.
    _add_import(logis_copy, "logis.properties.selectors", "from logis.invoicing import selectors as _cycle")
    result = _lint_imports(logis_copy)
    assert result.returncode == 1
    assert "logis.properties is not allowed to import logis.invoicing" in result.stdout
    assert "logis.properties.selectors -> logis.invoicing.selectors" in result.stdout


def test_the_copy_without_the_bad_import_keeps_the_contract(logis_copy: Path) -> None:
    """The two failures above come from the deliberate import alone, not from the copy."""
    result = _lint_imports(logis_copy)
    assert result.returncode == 0, result.stdout + result.stderr
