"""The review report: two readings of one case compared, as a PDF.

Drawn from a review object (:func:`reporting.review.build_review`) with the same
page flow as the tumour response report (:mod:`reporting.pdfflow`): the two
readings and the reviewer, the peer-review score and comment, the target choice,
the per-lesion comparison with the noise-band flag of every difference, assessments
of non-target and new lesions that differ, the response categories per timepoint
and their agreement, the summary figures (bias, mean absolute difference, limits
of agreement, kappa or why it was not computed), and each reading's changes
between timepoints that lie inside the noise band. Rows outside the band and
categories that disagree are tinted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor

from reporting.pdfflow import BODY_PT, Flow, write_document

logger = logging.getLogger(__name__)

TITLE = "Peer review of a RECIST 1.1 reading"
DISAGREE = QColor("#fbe3d6")
DASH = "–"
CATEGORY_NAMES = {
    "target": "Target",
    "non_target": "Non-target",
    "new_lesions": "New lesions",
    "overall": "Overall",
}

# The review report is written in English only: it stays within the reading team,
# unlike the tumour response report that goes to patients in their language.
LANG = "en"


def write_review_pdf(path: Path, review: Mapping[str, Any]) -> int:
    """Write the review report to ``path``; returns the number of pages."""

    def paint(flow: Flow) -> None:
        _header(flow, review)
        _verdict(flow, review)
        _lesions(flow, review)
        _assessments(flow, review)
        _categories(flow, review)
        _summary(flow, review)
        _changes(flow, review)

    return write_document(path, TITLE, LANG, paint)


def _header(flow: Flow, review: Mapping[str, Any]) -> None:
    flow.text(TITLE, BODY_PT + 7, True, gap=0.3)
    lines = [f"Patient ID: {review['patient']['id']}"]
    for key, role in (
        ("reading_a", "Reading A (reference)"),
        ("reading_b", "Reading B (reviewed)"),
    ):
        reading = review[key]
        who = reading["reader"] or "reader not named"
        source = f", {reading['source']}" if reading["source"] else ""
        lines.append(f"{role}: {who}{source}")
        lines.append(f"    id {reading['id']}")
    reviewer = review["peer_review"]["reviewer"]
    if reviewer:
        lines.append(f"Reviewer: {reviewer}")
    lines.append(f"Created: {review['created']}")
    low, high = review["noise_band_pct"]
    lines.append(
        f"Noise band: single-lesion inter-reader limits of agreement "
        f"{low:+.0f}% to {high:+.0f}% (Yoon et al., Eur J Cancer 2016)"
    )
    flow.text("\n".join(lines))


def _verdict(flow: Flow, review: Mapping[str, Any]) -> None:
    peer = review["peer_review"]
    flow.heading("Peer-review score")
    flow.text(peer["score_text"], BODY_PT + 2, True)
    if peer["comment"].strip():
        flow.text(f"Comment: {peer['comment'].strip()}")
    targets = review["targets"]
    if targets["same"]:
        text = "Target lesions: the same in both readings."
    else:
        text = (
            "Target lesions: different. Only in A: "
            f"{', '.join(targets['only_a']) or DASH}; only in B: "
            f"{', '.join(targets['only_b']) or DASH}."
        )
    unmatched = review["unmatched_lesions"]
    if unmatched["a"] or unmatched["b"]:
        text += (
            f"\nLesions without a partner: in A {', '.join(unmatched['a']) or DASH}; "
            f"in B {', '.join(unmatched['b']) or DASH}."
        )
    flow.text(text, BODY_PT, True)


def _lesions(flow: Flow, review: Mapping[str, Any]) -> None:
    flow.heading("Measurements compared (B − A)")
    header = ["Lesion", "Type A / B", "Time", "A", "B", "B − A", "B − A %", "Band"]
    rows: list[list[str]] = []
    tints: dict[int, QColor] = {}
    for lesion in review["lesions"]:
        name = lesion["a"] if lesion["a"] == lesion["b"] else f"{lesion['a']} = "
        if lesion["a"] != lesion["b"]:
            name += lesion["b"]
        kinds = (
            lesion["kind_a"]
            if lesion["same_kind"]
            else f"{lesion['kind_a']} / {lesion['kind_b']}"
        )
        for value in lesion["timepoints"]:
            inside = value["in_noise_band"]
            if inside is False:
                tints[len(rows)] = DISAGREE
            rows.append(
                [
                    name,
                    kinds,
                    value["timepoint"],
                    _value(value["a_mm"], value.get("a_status")),
                    _value(value["b_mm"], value.get("b_status")),
                    _signed(value["diff_mm"], " mm"),
                    _signed(value["diff_pct"], "%"),
                    DASH if inside is None else ("inside" if inside else "OUTSIDE"),
                ]
            )
    if not rows:
        flow.text("No paired measurements.")
        return
    widths = [0.1, 0.2, 0.07, 0.12, 0.12, 0.13, 0.13, 0.13]
    flow.table(header, rows, widths, tints=tints)


def _assessments(flow: Flow, review: Mapping[str, Any]) -> None:
    rows = [
        [lesion["a"], s["timepoint"], s["a"] or DASH, s["b"] or DASH]
        for lesion in review["lesions"]
        for s in lesion["assessments"]
        if not s["agree"]
    ]
    if not rows:
        return
    flow.heading("Non-target and new-lesion assessments that differ")
    flow.table(["Lesion", "Time", "A", "B"], rows, [0.2, 0.2, 0.3, 0.3])


def _categories(flow: Flow, review: Mapping[str, Any]) -> None:
    rows: list[list[str]] = []
    tints: dict[int, QColor] = {}
    for c in review["categories"]:
        for key, name in CATEGORY_NAMES.items():
            agree = c["agree"][key]
            if agree is False:
                tints[len(rows)] = DISAGREE
            rows.append(
                [
                    c["timepoint"],
                    name,
                    c["a"][key] or DASH,
                    c["b"][key] or DASH,
                    DASH if agree is None else ("agree" if agree else "DISAGREE"),
                ]
            )
    # Kept on one page with its heading when it fits: agreement is read across rows.
    row_h = flow.line_height(BODY_PT) * 1.5
    flow.heading("Response categories (RECIST 1.1)", keep_with=row_h * len(rows))
    if not rows:
        flow.text("No follow-up timepoint in both readings.")
        return
    flow.table(
        ["Time", "Category", "A", "B", "Agreement"],
        rows,
        [0.12, 0.22, 0.24, 0.24, 0.18],
        tints=tints,
    )


def _summary(flow: Flow, review: Mapping[str, Any]) -> None:
    s = review["summary"]
    flow.heading("Summary figures")
    rows = [["Paired diameters", str(s["n_pairs"])]]
    rows.append(["Mean difference (bias)", _signed(s["bias_mm"], " mm")])
    rows.append(["Mean absolute difference", _plain(s["mean_abs_diff_mm"], " mm")])
    rows.append(["95% limits of agreement", _limits(s["loa_mm"], " mm")])
    rows.append(["95% limits of agreement, relative", _limits(s["loa_pct"], "%")])
    rows.append(
        [
            "Differences inside the noise band",
            f"{s['n_in_noise_band']} of {s['n_band_checked']}",
        ]
    )
    if s["overall_compared"]:
        share = s["overall_agreement"] * 100
        agreement = f"{s['overall_agreeing']} of {s['overall_compared']} ({share:.1f}%)"
    else:
        agreement = DASH
    rows.append(["Overall response agreement", agreement])
    kappa = s["kappa"]
    rows.append(
        [
            "Cohen's kappa, overall response",
            f"{kappa:.2f}" if kappa is not None else _kappa_note(s),
        ]
    )
    flow.table(["Figure", "Value"], rows, [0.45, 0.55])


def _kappa_note(summary: Mapping[str, Any]) -> str:
    note = str(summary["kappa_note"])
    if summary["kappa_pairs"] < 5 and note.startswith("not computed"):
        return f"not enough lesions: {note.removeprefix('not computed: ')}"
    return note


def _changes(flow: Flow, review: Mapping[str, Any]) -> None:
    rows: list[list[str]] = []
    for key, name in (("a", "A"), ("b", "B")):
        for change in review["changes"][key]:
            if change["in_noise_band"]:
                rows.append(
                    [
                        name,
                        change["lesion"],
                        f"{change['from']} → {change['to']}",
                        _signed(change["change_mm"], " mm"),
                        _signed(change["change_pct"], "%"),
                    ]
                )
    if not rows:
        return
    flow.heading("Changes between timepoints inside the noise band")
    flow.text(
        "A change this small may be measurement noise rather than a real change.",
        gap=0.6,
    )
    flow.table(
        ["Reading", "Lesion", "Timepoints", "Change", "Change %"],
        rows,
        [0.15, 0.15, 0.25, 0.225, 0.225],
    )


def _value(value: float | None, status: str | None) -> str:
    if status:
        return status if value is None else f"{value:.1f} mm ({status})"
    return DASH if value is None else f"{value:.1f} mm"


def _plain(value: float | None, unit: str) -> str:
    return DASH if value is None else f"{value:.1f}{unit}"


def _signed(value: float | None, unit: str) -> str:
    if value is None:
        return DASH
    if abs(value) < 0.05:
        return f"0.0{unit}"
    return f"{value:+.1f}{unit}".replace("-", "−")


def _limits(limits: Sequence[float] | None, unit: str) -> str:
    if limits is None:
        return "not computed: fewer than 2 paired diameters"
    low, high = limits
    return f"{_signed(low, unit)} to {_signed(high, unit)}"
