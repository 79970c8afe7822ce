"""Shared fixtures: a private data folder per test and the real public scans."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The real public scans sit beside the checkout; NADIR_SHARED_DATA points elsewhere.
SHARED_DATA = Path(
    os.environ.get("NADIR_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Point Nadir's data folder (workspaces, logs, demo) at a temporary folder."""
    path = tmp_path_factory.mktemp("nadir-data")
    monkeypatch.setenv("NADIR_DATA_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public scans of ../shared/data; skips, saying so, where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real scans not found at {SHARED_DATA} (set NADIR_SHARED_DATA to "
            "their folder); real-data tests skipped"
        )
    return SHARED_DATA


@pytest.fixture(autouse=True)
def synchronous_workers(monkeypatch):
    """Background work runs inline in tests, so results are there when asserted."""
    from app.workers import Workers

    monkeypatch.setattr(Workers, "synchronous", True)


@pytest.fixture(autouse=True, scope="session")
def _one_qapplication(qapp):
    """One QApplication for the whole run, before any module makes a lesser one.

    The report writers create a QGuiApplication when none exists (they run
    without widgets); made first, it would stop pytest-qt's widget tests.
    """
    return qapp
