"""``nadir recist CASE.json``: the RECIST 1.1 evaluation of a case file.

Reads a case file, or a measurement report (``.dcm``), and prints the timepoints as
columns (sum of diameters, change from baseline and nadir, target, non-target,
new-lesion and overall responses), the response margins, the best overall response
and the rule-check warnings; ``--json`` prints the engine's whole result instead. A
missing or broken file gives one line naming the file and the field, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NAME = "recist"
DASH = "-"


def add_parser(subparsers: Any) -> None:
    """Register ``nadir recist``."""
    parser = subparsers.add_parser(
        NAME,
        help="evaluate a case file by RECIST 1.1",
        description="Print the RECIST 1.1 evaluation of a nadir-case/1 file.",
    )
    parser.add_argument(
        "case",
        type=Path,
        metavar="CASE.json",
        help="a nadir-case/1 file, or a TID 1500 measurement report (.dcm)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--sd-min-days",
        type=int,
        default=42,
        metavar="DAYS",
        help="minimum days from baseline for SD to count as best response "
        "(default 42, 6 weeks)",
    )
    parser.add_argument(
        "--no-confirmation",
        action="store_true",
        help="count CR and PR for the best response without confirmation",
    )


def run(args: argparse.Namespace) -> int:
    """Evaluate the case file and print the result."""
    from app.cli import UsageError
    from measurement.recist import evaluate
    from reporting.readings import ReadingFileError, read_case_file, read_reading

    if args.sd_min_days < 0:
        raise UsageError(f"--sd-min-days must be >= 0, got {args.sd_min_days}")
    try:
        case = read_reading(args.case, default=read_case_file)
    except ReadingFileError as error:
        raise UsageError(str(error)) from None
    result = evaluate(
        case,
        sd_min_interval_days=args.sd_min_days,
        require_confirmation=not args.no_confirmation,
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_table(result))
    return 0


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a plain-text table, timepoints as columns."""
    rows = result["timepoints"]
    header = [f"{r['id']} (baseline)" if r["baseline"] else r["id"] for r in rows]
    lines: list[list[str]] = [["", *header]]
    lines.append(["date", *(r["date"] for r in rows)])
    lines.append(["sum (mm)", *(_sum(r) for r in rows)])
    lines.append(["nadir (mm)", *(_mm(r["nadir_mm"]) for r in rows)])
    lines.append(
        ["from baseline", *(_pct(r["change_from_baseline_pct"]) for r in rows)]
    )
    lines.append(["from nadir", *(_pct(r["change_from_nadir_pct"]) for r in rows)])
    for key, label in (
        ("target", "target"),
        ("non_target", "non-target"),
        ("new_lesions", "new lesions"),
        ("overall", "overall"),
    ):
        lines.append([label, *(r[key] or DASH for r in rows)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]

    if any(not r["sum_complete"] for r in rows):
        out.append("* incomplete sum: a target lesion was not assessed")
    out.append("")
    out.append("margin:")
    margins = [(r["id"], r["margin"]) for r in rows if r["margin"] is not None]
    out.extend(f"  {tp_id}: {m['text']}" for tp_id, m in margins)
    if not margins:
        out.append("  none (no follow-up with target lesions)")
    notes = [(r["id"], n) for r in rows for n in r["notes"]]
    if notes:
        out.append("notes:")
        out.extend(f"  {tp_id}: {n}" for tp_id, n in notes)
    detail = result["best_overall_response_detail"]
    best = result["best_overall_response"] or DASH
    where = f" at {detail['timepoint']}" if detail.get("timepoint") else ""
    out.append(f"best overall response: {best}{where} ({detail['reason']})")
    warnings = result["warnings"]
    out.append(f"warnings: {len(warnings) or 'none'}")
    out.extend(f"  {w['message']} [{w['section']}]" for w in warnings)
    return "\n".join(out)


def _sum(row: dict[str, Any]) -> str:
    text = _mm(row["sum_mm"])
    return text + "*" if not row["sum_complete"] and row["sum_mm"] is not None else text


def _mm(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:+.1f}%"
