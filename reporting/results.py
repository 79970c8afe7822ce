"""Reading the RECIST evaluation of a case for the report writers.

The evaluation (``measurement.recist.evaluate``, RECIST.md) gives, per timepoint,
the sum of diameters, baseline sum, nadir, changes in percent and the target,
non-target, new-lesion and overall responses, and for the case the best overall
response. This module gives the writers one view of it, whatever container the
per-timepoint results come in, and the figures the table shows per lesion.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# What a status counts in the sum of diameters (RECIST.md, "The sum of diameters").
STATUS_MM = {"too-small": 5.0, "absent": 0.0}


@dataclass(frozen=True)
class TimepointResult:
    """The evaluation of one timepoint, with None where it has no value."""

    id: str
    date: str
    baseline: bool
    sum_mm: float | None = None
    # False where a target was not assessed: ``sum_mm`` then only bounds the sum.
    sum_complete: bool = True
    baseline_sum_mm: float | None = None
    nadir_mm: float | None = None
    change_from_baseline_pct: float | None = None
    change_from_nadir_pct: float | None = None
    target: str | None = None
    non_target: str | None = None
    new_lesions: str | None = None
    overall: str | None = None
    margin: Any = None


def timepoint_results(
    case: Mapping[str, Any], evaluation: Mapping[str, Any] | None
) -> list[TimepointResult]:
    """The results of every timepoint of the case, in the case's order."""
    by_id = by_timepoint(evaluation or {})
    out = []
    for tp in case.get("timepoints", []):
        tp_id = str(tp.get("id"))
        r = by_id.get(tp_id, {})
        new = r.get("new_lesions")
        out.append(
            TimepointResult(
                id=tp_id,
                date=str(tp.get("date", "")),
                baseline=bool(tp.get("baseline", False)),
                sum_mm=_number(r.get("sum_mm")),
                sum_complete=r.get("sum_complete") is not False,
                baseline_sum_mm=_number(r.get("baseline_sum_mm")),
                nadir_mm=_number(r.get("nadir_mm")),
                change_from_baseline_pct=_number(r.get("change_from_baseline_pct")),
                change_from_nadir_pct=_number(r.get("change_from_nadir_pct")),
                target=_text(r.get("target")),
                non_target=_text(r.get("non_target")),
                new_lesions=_new_lesions(new),
                overall=_text(r.get("overall")),
                margin=r.get("margin"),
            )
        )
    return out


def by_timepoint(evaluation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Per-timepoint results by timepoint ID, from a list or a mapping."""
    results = evaluation.get("timepoints", {})
    if isinstance(results, Mapping):
        return {str(k): v for k, v in results.items() if isinstance(v, Mapping)}
    return {
        str(r.get("id", r.get("timepoint"))): r
        for r in results
        if isinstance(r, Mapping)
    }


@dataclass(frozen=True)
class BestResponse:
    """The best overall response (RECIST 1.1 section 4.4), where it was seen, and
    the margin of that timepoint's target response."""

    response: str | None
    timepoint: str | None = None
    confirmed_by: str | None = None
    reason: str = ""
    margin: Any = None


def best_overall(evaluation: Mapping[str, Any] | None) -> BestResponse:
    """The best overall response of the evaluation, with its detail and margin."""
    if not evaluation:
        return BestResponse(None)
    best = evaluation.get("best_overall_response")
    detail = evaluation.get("best_overall_response_detail") or {}
    if isinstance(best, Mapping):
        detail, best = best, best.get("response")
    timepoint = _text(detail.get("timepoint")) if isinstance(detail, Mapping) else None
    row = by_timepoint(evaluation).get(timepoint or "", {})
    return BestResponse(
        response=_text(best),
        timepoint=timepoint,
        confirmed_by=_text(detail.get("confirmed_by")) if detail else None,
        reason=str(detail.get("reason", "") or "") if detail else "",
        margin=row.get("margin"),
    )


def lesion_value_mm(lesion: Mapping[str, Any], tp_id: str) -> float | None:
    """What a target lesion contributes to the sum at a timepoint (RECIST.md)."""
    m = (lesion.get("measurements") or {}).get(tp_id)
    if not m:
        return None
    status = m.get("status")
    if status is not None:
        return STATUS_MM.get(str(status), 0.0 if status == "merged" else None)
    if m.get("fragments_mm"):
        return float(sum(float(v) for v in m["fragments_mm"]))
    key = "short_mm" if lesion.get("node") else "long_mm"
    return _number(m.get(key))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _new_lesions(value: Any) -> str | None:
    """``"yes"``, ``"equivocal"`` or ``"no"`` (the evaluation's words)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value:
        return value.lower()
    return None
