"""The response margin: how far a follow-up's sum is from another target response.

A verdict that rests on a millimetre or two of measurement is as fragile as the
measurement; the margin makes that visible ("PD if the sum grows 1.4 mm more"),
from the thresholds of RECIST 1.1 section 4.3.1.
"""

from __future__ import annotations

from typing import Any

from measurement.recist_checks import NORMAL_NODE_SA_MM
from measurement.responses import CR, EPS_MM, NE, PD, PR, SD, Thresholds


def response_margin(
    sum_mm: float,
    target: str,
    baseline_sum_mm: float,
    nadir_mm: float,
    *,
    complete: bool = True,
    cr_headroom_mm: float | None = None,
) -> dict[str, Any]:
    """How far this timepoint's sum is from changing its target response.

    Definition: ``grow_mm`` is the smallest increase and ``shrink_mm`` (negative)
    the smallest decrease of this timepoint's sum that changes the target response,
    with each lesion's status (assessed or not, node or not) unchanged;
    ``grow_to`` and ``shrink_to`` name the response it changes to. None where no
    change of the sum in that direction changes it: a PR cannot shrink into CR by
    the sum alone, an NE (``complete`` False) cannot prove PR. Entering PD or PR
    needs the sum to reach the threshold, leaving PD or PR to pass it. A CR ends
    when one lesion grows by ``cr_headroom_mm`` (0 where a non-nodal target would
    reappear, else the smallest gap of a node to 10 mm short axis); without it the
    CR's margin is the way to PD. ``to_pd_mm`` and ``to_pr_mm`` are the signed
    distances from the sum to the PD threshold (20% and 5 mm above the nadir) and to
    the PR threshold (70% of the baseline sum), section 4.3.1. ``text`` says it in
    words, e.g. "PD if the sum grows 1.4 mm more".
    """
    limits = Thresholds.of(baseline_sum_mm, nadir_mm)
    to_pd = limits.pd_mm - sum_mm
    to_pr = limits.pr_mm - sum_mm
    grow: tuple[float, str] | None = None
    shrink: tuple[float, str] | None = None
    words: list[str] = []
    if target == CR and cr_headroom_mm is not None:
        grow = (cr_headroom_mm, limits.category(sum_mm + cr_headroom_mm))
        if cr_headroom_mm <= 0:
            words.append(f"{grow[1]} as soon as a non-nodal target reappears")
        else:
            words.append(
                f"{grow[1]} if a node grows {cr_headroom_mm:.1f} mm more "
                f"(to {NORMAL_NODE_SA_MM:.0f} mm short axis)"
            )
        if grow[1] != PD:
            words.append(_margin_words((to_pd, PD), "the sum grows", leaving=False))
    elif target in (CR, NE, SD):
        grow = (to_pd, PD)
    elif target == PR:
        grow = (to_pd, PD) if limits.pd_mm <= limits.pr_mm else (to_pr, SD)
    if target == SD:
        shrink = (to_pr, PR)
    elif target == PD:
        below_pd = PR if limits.pd_mm <= limits.pr_mm + EPS_MM else SD
        after = below_pd if complete else NE
        shrink = (to_pd, after)
    if grow is not None and not words:
        words.append(_margin_words(grow, "the sum grows", leaving=target == PR))
    if shrink is not None:
        words.append(_margin_words(shrink, "it shrinks", leaving=target == PD))
    return {
        "to_pd_mm": to_pd,
        "to_pr_mm": to_pr,
        "grow_mm": None if grow is None else grow[0],
        "grow_to": None if grow is None else grow[1],
        "shrink_mm": None if shrink is None else shrink[0],
        "shrink_to": None if shrink is None else shrink[1],
        "text": "; ".join(words) if words else "no change of the sum alone changes it",
    }


def _margin_words(flip: tuple[float, str], verb: str, leaving: bool) -> str:
    amount = abs(flip[0])
    if leaving:
        return f"{flip[1]} if {verb} by more than {amount:.1f} mm"
    return f"{flip[1]} if {verb} {amount:.1f} mm more"
