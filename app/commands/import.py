"""``nadir import``: turn a TID 1500 measurement report into a case file.

Reads an SR written by Nadir or by another tool and writes the lesions, timepoints,
lengths and end points it holds as a case file (RECIST.md). An existing case file is
never overwritten.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from app.cli import UsageError

NAME = "import"
logger = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> None:
    """Register ``nadir import``."""
    parser = subparsers.add_parser(
        NAME,
        help="read a DICOM SR measurement report into a case file",
        description="Read a DICOM TID 1500 measurement report (SR) and write the "
        "reading it holds as a case file (JSON).",
    )
    parser.add_argument("sr", type=Path, metavar="SR.dcm")
    parser.add_argument("--out", required=True, type=Path, metavar="CASE.json")


def run(args: argparse.Namespace) -> int:
    """Import; returns the exit code."""
    from reporting.casefile import write_case
    from reporting.srread import SrReadError, read_sr_reading

    if not args.sr.is_file():
        raise UsageError(f"{args.sr} does not exist or is not a file")
    if args.out.exists():
        raise UsageError(
            f"{args.out} exists; choose a new file name (never overwritten)"
        )
    try:
        reading = read_sr_reading(args.sr)
    except SrReadError as error:
        raise UsageError(str(error)) from error
    case = reading.case
    write_case(args.out, case)
    lesions = len(case["lesions"])
    print(f"wrote {args.out}: {lesions} lesions, {len(case['timepoints'])} timepoints")
    if reading.not_imported:
        print(
            f"not imported ({len(reading.not_imported)} measurements a RECIST case "
            "has no place for):"
        )
        for text in reading.not_imported:
            print(f"  {text}")
    return 0
