"""``nadir open PATH...``: open folders, DICOMDIRs, zips or files in the window."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

NAME = "open"


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = subparsers.add_parser(
        NAME, help="open folders, DICOMDIR files, zip files or DICOM files"
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")


def run(args: argparse.Namespace) -> int:
    """Check the paths, then open the window on them."""
    from app.cli import UsageError
    from app.gui import run_window

    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {missing[0]}")
    return run_window(args.paths, screenshot=args.screenshot)
