"""``nadir register FIXED_SERIES MOVING_SERIES``: the rigid link between two series.

Prints the 4x4 matrix that maps MOVING patient coordinates (LPS, mm) to FIXED
ones and the final Mattes mutual information, so the link the viewer uses for a
prior can be checked outside the window. ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NAME = "register"


def add_parser(subparsers: Any) -> None:
    """Add the ``register`` sub-command."""
    parser = subparsers.add_parser(
        NAME,
        help="rigidly register one series onto another and print the transform",
        description="Register MOVING_SERIES onto FIXED_SERIES (each a folder, zip "
        "or DICOMDIR holding one image stack) and print the 4x4 transform from "
        "moving to fixed patient coordinates (LPS, mm) with the final metric.",
    )
    parser.add_argument(
        "fixed", metavar="FIXED_SERIES", type=Path, help="folder or files of one series"
    )
    parser.add_argument(
        "moving", metavar="MOVING_SERIES", type=Path, help="the series to move onto it"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    """Register and print; returns the exit code."""
    from app.cli import UsageError
    from viewer.registration import register_rigid

    fixed = _load(args.fixed, "FIXED_SERIES", UsageError)
    moving = _load(args.moving, "MOVING_SERIES", UsageError)
    try:
        result = register_rigid(fixed, moving)
    except ValueError as error:
        raise UsageError(str(error)) from None

    if args.json:
        data = {
            "fixed": str(args.fixed),
            "moving": str(args.moving),
            "frame": "LPS mm",
        }
        data.update(result.to_json())
        print(json.dumps(data, indent=2))
        return 0
    print("moving -> fixed (patient LPS, mm):")
    for row in result.matrix_moving_to_fixed:
        print("  " + " ".join(f"{value:12.6f}" for value in row))
    print(f"metric (Mattes mutual information): {result.metric_value:.6f}")
    print(f"iterations: {result.iterations}, time: {result.elapsed_s:.2f} s")
    return 0


def _load(path: Path, role: str, error: type[Exception]) -> Any:
    """The volume of the one image stack found at ``path``."""
    from viewer.loader import LoadError, load_series

    if not path.exists():
        raise error(f"{role} {path} does not exist")
    try:
        return load_series(path)
    except LoadError as problem:
        raise error(f"{role} {path}: {problem}") from None
