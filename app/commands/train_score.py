"""``nadir train-score REFERENCE TRAINEE``: a trainee's reading scored.

The teacher's reading is the reference. The score has three parts, each from 0 to
1: lesion selection (targets chosen by both / targets chosen by either), target
diameters within the teacher's tolerance (``--tolerance-mm``, default 2 mm, or
``--tolerance-pct``), and follow-ups whose overall response agrees; the score is
their mean (:func:`measurement.compare.score_training`). ``--json`` prints it all.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NAME = "train-score"
DEFAULT_TOLERANCE_MM = 2.0
DASH = "-"


def add_parser(subparsers: Any) -> None:
    """Register ``nadir train-score``."""
    parser = subparsers.add_parser(
        NAME,
        help="score a trainee's reading against a teacher's",
        description="Score a trainee's reading of a case against the teacher's "
        "reference reading (case files or DICOM SR).",
    )
    parser.add_argument("reference", type=Path, metavar="REFERENCE")
    parser.add_argument("trainee", type=Path, metavar="TRAINEE")
    add_tolerance_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_tolerance_options(parser: argparse.ArgumentParser) -> None:
    """``--tolerance-mm`` or ``--tolerance-pct``, one at most."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--tolerance-mm",
        type=float,
        metavar="MM",
        help="a trainee diameter within this many mm of the teacher's counts as "
        f"right (default {DEFAULT_TOLERANCE_MM:g})",
    )
    group.add_argument(
        "--tolerance-pct",
        type=float,
        metavar="PCT",
        help="a trainee diameter within this percentage of the teacher's counts "
        "as right",
    )


def tolerances(args: argparse.Namespace) -> tuple[float | None, float | None]:
    """The tolerance asked for as (mm, pct), the default when none was given."""
    from app.cli import UsageError

    for name in ("tolerance_mm", "tolerance_pct"):
        value = getattr(args, name)
        if value is not None and value < 0:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"{flag} must be >= 0, got {value:g}")
    if args.tolerance_mm is None and args.tolerance_pct is None:
        return DEFAULT_TOLERANCE_MM, None
    return args.tolerance_mm, args.tolerance_pct


def run(args: argparse.Namespace) -> int:
    """Read both readings, score the trainee's and print the score."""
    from app.cli import UsageError
    from measurement.compare import score_training
    from reporting.readings import ReadingFileError, read_reading

    tol_mm, tol_pct = tolerances(args)
    try:
        reference = read_reading(args.reference)
        trainee = read_reading(args.trainee)
    except ReadingFileError as error:
        raise UsageError(str(error)) from None
    score = score_training(
        reference, trainee, tolerance_mm=tol_mm, tolerance_pct=tol_pct
    )
    if args.json:
        print(json.dumps(score, indent=2))
    else:
        print(format_score(score, args.reference.name, args.trainee.name))
    return 0


def format_score(score: dict[str, Any], reference: str, trainee: str) -> str:
    """The score as plain text."""
    tol = score["tolerance"]
    tolerance = f"{tol['mm']:g} mm" if tol["mm"] is not None else f"{tol['pct']:g}%"
    out = [f"reference: {reference}", f"trainee: {trainee}", ""]
    out.append(f"lesion selection: {_share(score['selection'])}")
    if score["missed_targets"]:
        out.append(f"  targets missed: {', '.join(score['missed_targets'])}")
    if score["extra_targets"]:
        extra = ", ".join(score["extra_targets"])
        out.append(f"  targets not in the reference: {extra}")
    out.append(
        f"measurements within {tolerance}: {score['measurements_within']} of "
        f"{score['measurements_scored']} ({_share(score['measurement'])})"
    )
    comparison = score["comparison"]
    both = {pair["a"]: pair["b"] for pair in comparison["targets"]["both"]}
    for lesion in comparison["lesions"]:
        if lesion["a"] not in both:
            continue
        for v in lesion["values"]:
            if v["diff_mm"] is None:
                continue
            mark = "ok" if _within(v, tol["mm"], tol["pct"]) else "OUTSIDE"
            out.append(
                f"  {lesion['a']} {v['timepoint']}: reference {v['a_mm']:.1f} mm, "
                f"trainee {v['b_mm']:.1f} mm, {v['diff_mm']:+.1f} mm  {mark}"
            )
    pairs = score["category_pairs"]
    agreeing = sum(1 for a, b in pairs if a == b)
    out.append(
        f"overall responses agreeing: {agreeing} of {len(pairs)} "
        f"({_share(score['categories'])})"
    )
    out.append(f"score: {_share(score['score'])}")
    return "\n".join(out)


def _within(value: dict[str, Any], tol_mm: float | None, tol_pct: float) -> bool:
    diff = abs(value["diff_mm"])
    if tol_mm is not None:
        return bool(diff <= tol_mm + 1e-9)
    if value["a_mm"] <= 0:
        return bool(diff <= 1e-9)
    return bool(diff / value["a_mm"] * 100 <= tol_pct + 1e-9)


def _share(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"
