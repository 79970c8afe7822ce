"""Logging set-up: one logger per module, a rotating log file in the data folder.

Patient names and IDs are logged only at DEBUG; the file handler's level follows
``--log-level`` so a default run never writes them.
"""

from __future__ import annotations

import logging
import logging.handlers

from app import paths

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level_name: str = "INFO") -> None:
    """Send records at ``level_name`` and above to stderr and the log file."""
    level = logging.getLevelName(level_name.upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {level_name!r}")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    console = logging.StreamHandler()
    console.setLevel(max(level, logging.WARNING))
    console.setFormatter(logging.Formatter("nadir: %(levelname)s: %(message)s"))
    root.addHandler(console)
    file_handler = logging.handlers.RotatingFileHandler(
        paths.log_file(), maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setLevel(level)
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(file_handler)
