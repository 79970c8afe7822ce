"""Where Nadir keeps its own files: the user's data folder, never a source folder.

``NADIR_DATA_DIR`` overrides the platform's data folder (tests point it at a
temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The user's Nadir data folder, created on first use."""
    override = os.environ.get("NADIR_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("nadir"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_file() -> Path:
    """The log file of the running application."""
    return data_dir() / "nadir.log"


def demo_dir() -> Path:
    """Where ``nadir demo`` writes the demo case unless told otherwise."""
    return data_dir() / "demo"


def workspace_dir() -> Path:
    """Where readings are saved, one SQLite workspace per set of studies."""
    path = data_dir() / "workspaces"
    path.mkdir(parents=True, exist_ok=True)
    return path
