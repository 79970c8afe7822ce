"""The RECIST 1.1 engine: from a case file to the response at every timepoint.

:func:`evaluate` takes a nadir-case/1 object (see :mod:`measurement.case` and
RECIST.md) and returns, per timepoint, the sum of diameters, baseline and nadir, the
changes in percent, the target, non-target, new-lesion and overall responses and the
response margin; for the case the best overall response and the rule-check warnings.
Everything follows Eisenhauer et al., Eur J Cancer 45 (2009) 228-247; the docstrings
name the section each rule comes from; the response margin and the best overall
response have modules of their own (:mod:`measurement.margin`,
:mod:`measurement.best_response`). Percentages are computed from unrounded
values; comparisons with a threshold allow 1e-6 mm of floating-point rounding, so a
sum of exactly 70% of baseline is a PR.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from measurement.best_response import (
    CONFIRMATION_DAYS,
    SD_MIN_INTERVAL_DAYS,
    best_overall_response,
)
from measurement.case import Case, Lesion, Measurement, Timepoint, parse_case
from measurement.margin import response_margin
from measurement.recist_checks import NORMAL_NODE_SA_MM, baseline_warnings
from measurement.responses import (
    CR,
    EPS_MM,
    NE,
    NON_CR_NON_PD,
    PD,
    PR,
    SD,
    Thresholds,
)

logger = logging.getLogger(__name__)

__all__ = [
    "CR",
    "NE",
    "NON_CR_NON_PD",
    "PD",
    "PR",
    "SD",
    "TOO_SMALL_MM",
    "best_overall_response",
    "evaluate",
    "measurement_value",
    "non_target_response",
    "overall_response",
    "response_margin",
    "target_response",
]

TOO_SMALL_MM: Final = 5.0


def evaluate(
    case: Mapping[str, Any] | Case,
    *,
    sd_min_interval_days: int = SD_MIN_INTERVAL_DAYS,
    confirmation_days: int = CONFIRMATION_DAYS,
    require_confirmation: bool = True,
    too_small_mm: float = TOO_SMALL_MM,
) -> dict[str, Any]:
    """Evaluate a case by RECIST 1.1.

    Parameters
    ----------
    case
        A nadir-case/1 object (decoded JSON) or a parsed :class:`Case`.
    sd_min_interval_days
        SD counts for the best overall response only this many days or more after
        the baseline (section 4.6.3; 6 weeks by default, set by the protocol).
    confirmation_days
        A CR or PR is confirmed by the same or a better response this many days or
        more later (section 4.6.1; 4 weeks).
    require_confirmation
        Whether CR and PR need confirmation for the best overall response (needed
        where response is the primary end point, section 4.4.3).
    too_small_mm
        The value of a target that is too small to measure (section 4.3.2).

    Returns
    -------
    dict
        ``timepoints``: one dict per timepoint, oldest first, with ``id``, ``date``,
        ``baseline``, ``sum_mm`` (of the assessed targets), ``sum_complete``,
        ``baseline_sum_mm``, ``nadir_mm`` (smallest complete sum before this
        timepoint, baseline included), ``change_from_baseline_pct`` and
        ``change_from_nadir_pct`` (unrounded; None for an incomplete sum or a 0 mm
        reference), ``target``, ``non_target``, ``new_lesions`` (``"yes"``,
        ``"equivocal"``, ``"no"``), ``overall``, ``margin`` (see
        :func:`response_margin`) and ``notes``; responses are None at the baseline
        and where the patient has no such lesions. ``best_overall_response`` (None
        without follow-up) with ``best_overall_response_detail`` (timepoint,
        confirming timepoint, reason); ``warnings`` (see
        :func:`measurement.recist_checks.baseline_warnings`); ``settings``.

    Raises
    ------
    measurement.case.CaseFormatError
        When ``case`` breaks the format.
    """
    parsed = case if isinstance(case, Case) else parse_case(case)
    targets = [lesion for lesion in parsed.lesions if lesion.kind == "target"]
    baseline = parsed.baseline
    baseline_sum = None
    if targets:
        values = [_target_value(t, baseline.id, too_small_mm) for t in targets]
        baseline_sum = sum(v for v in values if v is not None)

    new_lesions = _new_lesion_states(parsed)
    rows: list[dict[str, Any]] = []
    nadir = baseline_sum
    for tp in parsed.timepoints:
        row = _evaluate_timepoint(
            parsed, tp, targets, baseline_sum, nadir, new_lesions, too_small_mm
        )
        rows.append(row)
        if row["sum_complete"] and nadir is not None and row["sum_mm"] < nadir:
            nadir = row["sum_mm"]

    best, detail = best_overall_response(
        parsed,
        rows,
        sd_min_interval_days=sd_min_interval_days,
        confirmation_days=confirmation_days,
        require_confirmation=require_confirmation,
    )
    return {
        "format": parsed.format,
        "timepoints": rows,
        "best_overall_response": best,
        "best_overall_response_detail": detail,
        "warnings": baseline_warnings(parsed),
        "settings": {
            "sd_min_interval_days": sd_min_interval_days,
            "confirmation_days": confirmation_days,
            "require_confirmation": require_confirmation,
            "too_small_mm": too_small_mm,
        },
    }


def target_response(
    values: list[float | None],
    nodes: list[bool],
    baseline_sum_mm: float,
    nadir_mm: float,
) -> str:
    """The target-lesion response at a follow-up (section 4.3.1, 4.3.2, 4.4.2).

    ``values`` holds each target's contribution (LD, or SA for the nodes flagged in
    ``nodes``; None where not assessed). Checked in this order: PD when the measured
    sum is at least 20% and 5 mm above the nadir (a partial sum that already does so
    proves PD); CR when every non-nodal target is 0 mm and every node under 10 mm;
    PR when the sum is at most 70% of the baseline sum; NE when a target was not
    assessed; otherwise SD.
    """
    measured = sum(v for v in values if v is not None)
    complete = all(v is not None for v in values)
    limits = Thresholds.of(baseline_sum_mm, nadir_mm)
    if measured >= limits.pd_mm - EPS_MM:
        return PD
    if complete and all(
        (v is not None and v < NORMAL_NODE_SA_MM)
        if node
        else (v is not None and v <= EPS_MM)
        for v, node in zip(values, nodes, strict=True)
    ):
        return CR
    if complete and measured <= limits.pr_mm + EPS_MM:
        return PR
    if not complete:
        return NE
    return SD


def non_target_response(case: Case, timepoint_id: str) -> str | None:
    """The non-target response at a timepoint (section 4.3.3), None without any.

    PD when any non-target lesion progressed unequivocally; NE when any was not
    assessed; CR when all are gone, a node counting as gone when absent or measured
    under 10 mm short axis; otherwise Non-CR/Non-PD.
    """
    states = [
        _non_target_state(lesion, timepoint_id)
        for lesion in case.lesions
        if lesion.kind == "non-target"
    ]
    if not states:
        return None
    if "progression" in states:
        return PD
    if "not-assessed" in states:
        return NE
    if all(state == "absent" for state in states):
        return CR
    return NON_CR_NON_PD


def overall_response(
    target: str | None, non_target: str | None, new_lesions: str
) -> str | None:
    """The overall response at a timepoint (section 4.4.1, tables 1 and 2).

    ``target`` or ``non_target`` is None when the patient had no such lesion at
    baseline; ``new_lesions`` is ``"yes"``, ``"equivocal"`` or ``"no"`` (only
    ``"yes"`` means PD). Patients with non-target disease only get CR,
    Non-CR/Non-PD, NE or PD (table 2).
    """
    if new_lesions == "yes" or PD in (target, non_target):
        return PD
    if target is None:
        if non_target is None:
            return None
        return non_target
    if target == CR:
        return CR if non_target in (CR, None) else PR
    return target


def _evaluate_timepoint(
    case: Case,
    tp: Timepoint,
    targets: list[Lesion],
    baseline_sum: float | None,
    nadir: float | None,
    new_lesions: dict[str, tuple[str, list[str]]],
    too_small_mm: float,
) -> dict[str, Any]:
    """One timepoint's row: sums, changes, responses, margin and notes."""
    row: dict[str, Any] = {
        "id": tp.id,
        "date": tp.date.isoformat(),
        "baseline": tp.is_baseline,
        "sum_mm": None,
        "sum_complete": True,
        "baseline_sum_mm": baseline_sum,
        "nadir_mm": None,
        "change_from_baseline_pct": None,
        "change_from_nadir_pct": None,
        "target": None,
        "non_target": None,
        "new_lesions": None,
        "overall": None,
        "margin": None,
        "notes": [],
    }
    values = [_target_value(t, tp.id, too_small_mm) for t in targets]
    if targets:
        row["sum_mm"] = sum(v for v in values if v is not None)
        row["sum_complete"] = all(v is not None for v in values)
        missing = [t.id for t, v in zip(targets, values, strict=True) if v is None]
        if missing:
            row["notes"].append(f"not assessed: {', '.join(missing)}")
    if tp.is_baseline:
        return row

    if targets and baseline_sum is not None and nadir is not None:
        total = row["sum_mm"]
        row["nadir_mm"] = nadir
        if row["sum_complete"]:
            if baseline_sum > 0:
                row["change_from_baseline_pct"] = (
                    (total - baseline_sum) / baseline_sum * 100
                )
            if nadir > 0:
                row["change_from_nadir_pct"] = (total - nadir) / nadir * 100
        nodes = [t.is_node for t in targets]
        row["target"] = target_response(values, nodes, baseline_sum, nadir)
        row["margin"] = response_margin(
            total,
            row["target"],
            baseline_sum,
            nadir,
            complete=row["sum_complete"],
            cr_headroom_mm=_cr_headroom(targets, values),
        )
    row["non_target"] = non_target_response(case, tp.id)
    state, notes = new_lesions.get(tp.id, ("no", []))
    row["new_lesions"] = state
    row["notes"].extend(notes)
    row["overall"] = overall_response(row["target"], row["non_target"], state)
    return row


def _cr_headroom(targets: list[Lesion], values: list[float | None]) -> float | None:
    """The smallest growth of one target that ends a CR (section 4.3.1)."""
    if any(v is None for v in values):
        return None
    if any(not t.is_node for t in targets):
        return 0.0
    return min(NORMAL_NODE_SA_MM - (v or 0.0) for v in values)


def _target_value(
    lesion: Lesion, timepoint_id: str, too_small_mm: float
) -> float | None:
    """A target's contribution to the sum (section 4.3.2), None if not assessed."""
    m = (lesion.measurements or {}).get(timepoint_id)
    if m is None:
        return None
    return measurement_value(m, lesion.is_node, too_small_mm)


def measurement_value(
    m: Measurement, node: bool, too_small_mm: float = TOO_SMALL_MM
) -> float | None:
    """The diameter a measurement contributes (section 4.3.2).

    LD, or SA for a node; the sum of the fragments of a split lesion; ``too-small``
    counts ``too_small_mm``; ``absent`` and ``merged`` 0 mm; ``not-assessed`` None.
    """
    if m.status == "not-assessed":
        return None
    if m.status == "too-small":
        return too_small_mm
    if m.status in ("absent", "merged"):
        return 0.0
    if m.fragments_mm is not None:
        return sum(m.fragments_mm)
    return m.short_mm if node else m.long_mm


def _non_target_state(lesion: Lesion, timepoint_id: str) -> str:
    assessed = (lesion.assessments or {}).get(timepoint_id)
    m = (lesion.measurements or {}).get(timepoint_id)
    sa = None
    if lesion.is_node and m is not None:
        sa = measurement_value(m, node=True)
    if sa is not None and assessed in (None, "present"):
        return "absent" if sa < NORMAL_NODE_SA_MM else "present"
    return assessed or "not-assessed"


def _new_lesion_states(case: Case) -> dict[str, tuple[str, list[str]]]:
    """Per follow-up: "yes", "equivocal" or "no", and notes (section 4.3.5).

    A lesion confirmed unequivocal at some timepoint counts as new ("yes") from
    the timepoint it first appeared, equivocal or not: PD is dated back.
    """
    order = [tp.id for tp in case.timepoints]
    states: dict[str, tuple[str, list[str]]] = {}
    for lesion in case.lesions:
        if lesion.kind != "new":
            continue
        seen = [
            tp_id
            for tp_id in order
            if (lesion.assessments or {}).get(tp_id) in ("equivocal", "unequivocal")
        ]
        first = lesion.first_seen or (seen[0] if seen else None)
        if first is None:
            continue
        confirmed = next(
            (t for t in order if (lesion.assessments or {}).get(t) == "unequivocal"),
            None,
        )
        for tp_id in order[order.index(first) :]:
            state, notes = states.get(tp_id, ("no", []))
            if confirmed is not None:
                if tp_id == first and confirmed != first:
                    notes = [
                        *notes,
                        f"new lesion {lesion.id} confirmed at {confirmed}: PD dated "
                        f"back to {first}, where it first appeared",
                    ]
                states[tp_id] = ("yes", notes)
            elif tp_id in seen and state == "no":
                states[tp_id] = ("equivocal", notes)
    return states
