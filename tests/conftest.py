"""Shared fixtures: a private data folder per test and the real public scans."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
        pytest.skip(f"real scans not found at {SHARED_DATA}; real-data tests skipped")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def synchronous_workers(monkeypatch):
    """Background work runs inline in tests, so results are there when asserted."""
    from app.workers import Workers

    monkeypatch.setattr(Workers, "synchronous", True)
