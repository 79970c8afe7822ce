"""Import contracts of ARCHITECTURE.md, checked on the source text.

Imports point down the list app > reporting > measurement > viewer; the domain
core (the modules in scripts/domain-core.txt) imports neither Qt nor VTK, so it
runs and is tested without a display.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["app", "reporting", "measurement", "viewer"]
GUI_MODULES = ("PySide6", "vtk", "vtkmodules")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def domain_core() -> list[Path]:
    listed = (ROOT / "scripts" / "domain-core.txt").read_text().split()
    return [ROOT / name for name in listed]


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", domain_core(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_core_imports_no_qt_and_no_vtk(path):
    assert path.is_file(), f"{path} is listed as domain core but does not exist"
    offending = {
        name for name in imported_modules(path) if name.split(".")[0] in GUI_MODULES
    }
    assert not offending, f"{path.name} imports {sorted(offending)}"


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_down_the_layers(layer):
    above = set(LAYERS[: LAYERS.index(layer)])
    for path in package_files(layer):
        upward = {
            name for name in imported_modules(path) if name.split(".")[0] in above
        }
        assert not upward, f"{path.relative_to(ROOT)} imports upward: {sorted(upward)}"


def test_resources_hold_no_code():
    code = [p for p in package_files("resources") if p.name != "__init__.py"]
    assert code == []


def test_domain_core_modules_import_without_qt_or_vtk_loaded():
    import subprocess
    import sys

    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts) for path in domain_core()
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{GUI_MODULES!r})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip() == ""
