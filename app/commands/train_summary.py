"""``nadir train-summary PATH...``: a trainee's figures over many cases.

Each PATH is a training case folder (``reference.json`` or ``.dcm`` beside
``trainee.json`` or ``.dcm``) or a course folder whose subfolders are such cases
(:mod:`reporting.training`); ``--pair REFERENCE TRAINEE`` adds a case given by its
two files. Every case is scored (see ``nadir train-score``); the summary pools
every paired target diameter and every paired overall response: mean absolute
difference, bias, limits of agreement, the agreement rate of the responses, kappa
where enough exist, and the mean scores.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NAME = "train-summary"
DASH = "-"


def add_parser(subparsers: Any) -> None:
    """Register ``nadir train-summary``."""
    from app.commands.train_score import add_tolerance_options

    parser = subparsers.add_parser(
        NAME,
        help="summarise a trainee's scores over many cases",
        description="Score every training case (folders holding reference.json "
        "or .dcm and trainee.json or .dcm, or folders of such folders) and "
        "summarise the trainee's agreement with the teacher.",
    )
    parser.add_argument("paths", type=Path, nargs="*", metavar="PATH")
    parser.add_argument(
        "--pair",
        nargs=2,
        type=Path,
        action="append",
        default=[],
        metavar=("REFERENCE", "TRAINEE"),
        help="a case given by its two reading files (repeatable)",
    )
    add_tolerance_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    """Find and score every case, then print each score and the summary."""
    from app.cli import UsageError
    from app.commands.train_score import tolerances
    from measurement.compare import aggregate_training, score_training
    from reporting.readings import ReadingFileError, read_reading
    from reporting.training import (
        TrainingCase,
        TrainingFolderError,
        find_training_cases,
    )

    tol_mm, tol_pct = tolerances(args)
    try:
        cases = find_training_cases(args.paths)
    except TrainingFolderError as error:
        raise UsageError(str(error)) from None
    cases += [TrainingCase(f"{r.name} / {t.name}", r, t) for r, t in args.pair]
    if not cases:
        raise UsageError("no training case given: add case folders or --pair")
    scored: list[tuple[str, dict[str, Any]]] = []
    for case in cases:
        try:
            reference = read_reading(case.reference)
            trainee = read_reading(case.trainee)
        except ReadingFileError as error:
            raise UsageError(str(error)) from None
        score = score_training(
            reference, trainee, tolerance_mm=tol_mm, tolerance_pct=tol_pct
        )
        scored.append((case.name, score))
    summary = aggregate_training([s for _, s in scored])
    if args.json:
        cases_out = [
            {k: v for k, v in s.items() if k != "comparison"} | {"case": name}
            for name, s in scored
        ]
        print(json.dumps({"cases": cases_out, "summary": summary}, indent=2))
    else:
        print(format_summary(scored, summary))
    return 0


def format_summary(
    scored: list[tuple[str, dict[str, Any]]], summary: dict[str, Any]
) -> str:
    """Per-case scores and the pooled summary as plain text."""
    rows = [["case", "selection", "measurements", "responses", "score"]]
    for name, s in scored:
        rows.append(
            [
                name,
                _share(s["selection"]),
                _share(s["measurement"]),
                _share(s["categories"]),
                _share(s["score"]),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    s = summary
    out.append("")
    out.append(f"summary over {s['n_cases']} case(s):")
    out.append(f"  paired target diameters: {s['n_pairs']}")
    out.append(f"  mean absolute difference: {_mm(s['mean_abs_diff_mm'])}")
    out.append(f"  bias (trainee - reference): {_mm(s['bias_mm'], signed=True)}")
    if s["loa_mm"] is not None:
        low, high = s["loa_mm"]
        out.append(f"  95% limits of agreement: {low:+.1f} to {high:+.1f} mm")
    out.append(
        f"  overall response agreement: {s['categories_agreeing']} of "
        f"{s['categories_compared']} ({_share(s['category_agreement'])})"
    )
    kappa = s["kappa"]
    out.append(
        f"  kappa: {kappa:.2f}" if kappa is not None else f"  kappa: {s['kappa_note']}"
    )
    out.append(f"  mean score: {_share(s['mean_score'])}")
    return "\n".join(out)


def _mm(value: float | None, signed: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.1f} mm" if signed else f"{value:.1f} mm"


def _share(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"
