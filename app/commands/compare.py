"""``nadir compare READING_A READING_B``: two readings of one case side by side.

Prints each paired lesion's diameters per timepoint with the difference in mm and
percent and whether it lies inside the single-lesion noise band, the target choice,
the response categories per timepoint, and the summary figures (bias, mean absolute
difference, limits of agreement, category agreement, kappa). Reading A is the
reference. Files are read by suffix (``reporting.readings``), so any reading format
registered there works. ``--json`` prints the whole comparison.

A reviewer records the peer review with ``--score`` (concur, minor,
significant-likely, significant-unlikely) and ``--comment``, and writes it as a
review PDF (``--review-pdf``) and a review case file (``--review-json``,
``nadir-review/1``). Output files are never written over a reading given.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

NAME = "compare"
DASH = "-"
# The same keys as reporting.review.SCORES, kept here so that the parser is built
# without importing the reporting package.
SCORE_CHOICES = ("concur", "minor", "significant-likely", "significant-unlikely")


def add_parser(subparsers: Any) -> None:
    """Register ``nadir compare``."""
    parser = subparsers.add_parser(
        NAME,
        help="compare two readings of one case",
        description="Compare reading B with reading A (the reference) of one case.",
    )
    parser.add_argument("reading_a", type=Path, metavar="READING_A")
    parser.add_argument("reading_b", type=Path, metavar="READING_B")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--match-tolerance-mm",
        type=float,
        default=15.0,
        metavar="MM",
        help="pair lesions with different ids whose centres lie this close "
        "(default 15)",
    )
    review = parser.add_argument_group("peer review")
    review.add_argument(
        "--review-pdf", type=Path, metavar="OUT.pdf", help="write the review report"
    )
    review.add_argument(
        "--review-json",
        type=Path,
        metavar="OUT.json",
        help="write the review case file (nadir-review/1)",
    )
    review.add_argument(
        "--score",
        choices=SCORE_CHOICES,
        help="peer-review score: concur; minor (discrepancy); significant-likely or "
        "significant-unlikely (a significant discrepancy likely or unlikely to "
        "matter clinically)",
    )
    review.add_argument("--comment", default="", help="the reviewer's comment")
    review.add_argument("--reviewer", default="", help="the reviewer's name")


def run(args: argparse.Namespace) -> int:
    """Read both readings, compare them and print the result."""
    from app.cli import UsageError
    from measurement.compare import compare_readings
    from reporting.readings import ReadingFileError, read_reading

    if args.match_tolerance_mm < 0:
        raise UsageError(
            f"--match-tolerance-mm must be >= 0, got {args.match_tolerance_mm}"
        )
    try:
        reading_a = read_reading(args.reading_a)
        reading_b = read_reading(args.reading_b)
    except ReadingFileError as error:
        raise UsageError(str(error)) from None
    result = compare_readings(
        reading_a, reading_b, match_tolerance_mm=args.match_tolerance_mm
    )
    if args.review_pdf is not None or args.review_json is not None:
        _write_review(args, reading_a, reading_b)
    elif args.score is not None or args.comment or args.reviewer:
        raise UsageError(
            "--score, --comment and --reviewer go into a review: add --review-pdf "
            "OUT.pdf and/or --review-json OUT.json"
        )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_comparison(result, args.reading_a.name, args.reading_b.name))
    return 0


def _write_review(
    args: argparse.Namespace, reading_a: dict[str, Any], reading_b: dict[str, Any]
) -> None:
    """Write the review PDF and/or file the arguments ask for."""
    from app.cli import UsageError
    from reporting.review import PeerReview, build_review, write_review

    outputs = [p for p in (args.review_pdf, args.review_json) if p is not None]
    inputs = {args.reading_a.resolve(), args.reading_b.resolve()}
    for path in outputs:
        if path.resolve() in inputs:
            raise UsageError(f"{path}: is one of the readings; choose another file")
        if not path.parent.is_dir():
            raise UsageError(f"{path}: the folder {path.parent} does not exist")
    review = build_review(
        reading_a,
        reading_b,
        PeerReview(args.score, args.comment, args.reviewer),
        source_a=args.reading_a.name,
        source_b=args.reading_b.name,
        match_tolerance_mm=args.match_tolerance_mm,
    )
    try:
        if args.review_json is not None:
            write_review(args.review_json, review)
        if args.review_pdf is not None:
            from reporting.review_pdf import write_review_pdf

            write_review_pdf(args.review_pdf, review)
    except OSError as error:
        raise UsageError(
            f"{error.filename}: cannot be written ({error.strerror})"
        ) from None
    for path in outputs:
        logger.info("wrote %s", path)


def format_comparison(result: dict[str, Any], name_a: str, name_b: str) -> str:
    """The comparison as plain text."""
    out = [f"A: {name_a} (reference)", f"B: {name_b}"]
    out += [f"Warning: {warning}" for warning in result.get("warnings", [])]
    low, high = result["noise_band_pct"]
    band = f"{low:+.0f}% to {high:+.0f}%"
    table = [["lesion", "timepoint", "A (mm)", "B (mm)", "B-A (mm)", "B-A (%)", "band"]]
    for lesion in result["lesions"]:
        name = (
            lesion["a"]
            if lesion["a"] == lesion["b"]
            else f"{lesion['a']}={lesion['b']}"
        )
        for v in lesion["values"]:
            inside = v["in_noise_band"]
            table.append(
                [
                    name,
                    v["timepoint"],
                    _num(v["a_mm"]),
                    _num(v["b_mm"]),
                    _num(v["diff_mm"], signed=True),
                    _num(v["diff_pct"], signed=True, unit="%"),
                    DASH if inside is None else ("inside" if inside else "OUTSIDE"),
                ]
            )
    out.append("")
    out.extend(_columns(table))
    out.append(f"band: single-lesion inter-reader limits of agreement, {band}")

    differing = [
        f"  {lesion['a']} at {s['timepoint']}: A {s['a'] or DASH}, B {s['b'] or DASH}"
        for lesion in result["lesions"]
        for s in lesion["assessments"]
        if not s["agree"]
    ]
    if differing:
        out.append("assessments that differ:")
        out.extend(differing)
    lost = result["unmatched_timepoints"]
    if lost["a"] or lost["b"]:
        out.append(
            f"unpaired timepoints: A {', '.join(lost['a']) or DASH}; "
            f"B {', '.join(lost['b']) or DASH}"
        )
    unmatched = result["unmatched_lesions"]
    if unmatched["a"] or unmatched["b"]:
        out.append(
            f"unpaired lesions: A {', '.join(unmatched['a']) or DASH}; "
            f"B {', '.join(unmatched['b']) or DASH}"
        )
    targets = result["targets"]
    if targets["same"]:
        out.append("targets: the same in both readings")
    else:
        out.append(
            f"targets: different; only in A {', '.join(targets['only_a']) or DASH}, "
            f"only in B {', '.join(targets['only_b']) or DASH}"
        )

    out.append("")
    cats = [["timepoint", "category", "A", "B", "agree"]]
    for c in result["categories"]:
        for name in ("target", "non_target", "new_lesions", "overall"):
            agree = c["agree"][name]
            cats.append(
                [
                    c["timepoint"],
                    name.replace("_", "-"),
                    c["a"][name] or DASH,
                    c["b"][name] or DASH,
                    DASH if agree is None else ("yes" if agree else "NO"),
                ]
            )
    out.extend(_columns(cats))
    out.append("")
    out.extend(_summary_lines(result["summary"]))
    return "\n".join(out)


def _summary_lines(s: dict[str, Any]) -> list[str]:
    lines = ["summary:"]
    lines.append(f"  paired diameters: {s['n_pairs']}")
    if s["bias_mm"] is not None:
        lines.append(f"  mean difference (bias): {s['bias_mm']:+.1f} mm")
        lines.append(f"  mean absolute difference: {s['mean_abs_diff_mm']:.1f} mm")
    if s["loa_mm"] is not None:
        lo, hi = s["loa_mm"]
        lines.append(f"  95% limits of agreement: {lo:+.1f} to {hi:+.1f} mm")
    if s["loa_pct"] is not None:
        lo, hi = s["loa_pct"]
        lines.append(f"  95% limits of agreement: {lo:+.1f}% to {hi:+.1f}%")
    lines.append(
        f"  inside the noise band: {s['n_in_noise_band']} of {s['n_band_checked']}"
    )
    if s["overall_compared"]:
        lines.append(
            f"  overall response agreement: {s['overall_agreeing']} of "
            f"{s['overall_compared']} ({s['overall_agreement'] * 100:.1f}%)"
        )
    kappa = s["kappa"]
    lines.append(
        f"  kappa: {kappa:.2f}" if kappa is not None else f"  kappa: {s['kappa_note']}"
    )
    return lines


def _num(value: float | None, signed: bool = False, unit: str = "") -> str:
    if value is None:
        return DASH
    return f"{value:+.1f}{unit}" if signed else f"{value:.1f}{unit}"


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
