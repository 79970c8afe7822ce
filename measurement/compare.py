"""Two readings of one case side by side: quality review and training scores.

:func:`compare_readings` pairs the timepoints and lesions of reading A (the
reference) and reading B, and reports per lesion and timepoint both diameters, the
difference in mm and percent and whether it lies inside the single-lesion noise band
(:mod:`measurement.noise`); whether the same target lesions were chosen; whether the
RECIST 1.1 categories agree at each timepoint; and summary figures: bias, mean
absolute difference, Bland-Altman 95% limits of agreement and Cohen's kappa of the
overall responses. :func:`score_training` scores a trainee's reading against a
teacher's, :func:`aggregate_training` many such scores. Readings are nadir-case/1
objects; where they come from (case file, DICOM SR) is the reporting package's job.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from measurement.case import Case, Lesion, parse_case
from measurement.noise import NOISE_BAND_PCT, in_noise_band, relative_difference_pct
from measurement.recist import evaluate, measurement_value

logger = logging.getLogger(__name__)

MATCH_TOLERANCE_MM: Final = 15.0
MIN_KAPPA_PAIRS: Final = 5
LOA_Z: Final = 1.96
CATEGORY_FIELDS: Final = ("target", "non_target", "new_lesions", "overall")

Reading = Mapping[str, Any] | Case


def compare_readings(
    reading_a: Reading,
    reading_b: Reading,
    *,
    match_tolerance_mm: float = MATCH_TOLERANCE_MM,
    min_kappa_pairs: int = MIN_KAPPA_PAIRS,
) -> dict[str, Any]:
    """Compare reading B with reading A (the reference) of one case.

    Timepoints pair by study_uid where both have one, else by id, else by date.
    Lesions pair by id first; the rest by location, the nearest centre of their
    measurement end points (``image.points_mm``) at a shared timepoint within
    ``match_tolerance_mm``. Differences are B - A, percentages relative to A.

    Returns
    -------
    dict
        ``timepoints`` (pairs) and ``unmatched_timepoints``, ``lesions`` (pairs
        with per-timepoint ``values`` and ``assessments``), ``unmatched_lesions``,
        ``targets`` (the target choice), ``categories`` (per paired follow-up) and
        ``summary`` (see :func:`measurement_summary`, :func:`category_summary`,
        :func:`kappa_summary`).
    """
    a = _parsed(reading_a)
    b = _parsed(reading_b)
    timepoints = _pair_timepoints(a, b)
    pairs = _pair_lesions(a, b, timepoints, match_tolerance_mm)
    logger.debug("paired %d timepoints and %d lesions", len(timepoints), len(pairs))
    lesions = [
        _lesion_comparison(la, lb, how, dist, timepoints) for la, lb, how, dist in pairs
    ]
    paired_a = {p[0].id for p in pairs}
    paired_b = {p[1].id for p in pairs}
    categories = _category_comparison(a, b, timepoints)
    values = [v for lesion in lesions for v in lesion["values"]]
    overall_pairs = [
        (c["a"]["overall"], c["b"]["overall"])
        for c in categories
        if c["a"]["overall"] is not None and c["b"]["overall"] is not None
    ]
    summary = {
        **measurement_summary(values),
        **category_summary(categories),
        **kappa_summary(overall_pairs, min_kappa_pairs),
    }
    return {
        "timepoints": [{"a": ta, "b": tb} for ta, tb in timepoints],
        "unmatched_timepoints": {
            "a": [tp.id for tp in a.timepoints if tp.id not in dict(timepoints)],
            "b": [
                tp.id for tp in b.timepoints if tp.id not in dict(timepoints).values()
            ],
        },
        "lesions": lesions,
        "unmatched_lesions": {
            "a": [lesion.id for lesion in a.lesions if lesion.id not in paired_a],
            "b": [lesion.id for lesion in b.lesions if lesion.id not in paired_b],
        },
        "targets": _target_choice(a, b, pairs),
        "categories": categories,
        "noise_band_pct": list(NOISE_BAND_PCT),
        "summary": summary,
        "warnings": _identity_warnings(a, b),
    }


def _identity_warnings(a: Case, b: Case) -> list[str]:
    """Say when two readings do not look like readings of one case."""
    warnings = []
    id_a = str((a.patient or {}).get("id", "") or "")
    id_b = str((b.patient or {}).get("id", "") or "")
    if id_a and id_b and id_a != id_b:
        warnings.append(
            f"the readings name different patients ({id_a} and {id_b}); "
            "compare two readings of one case"
        )
    studies_a = {tp.study_uid for tp in a.timepoints if tp.study_uid}
    studies_b = {tp.study_uid for tp in b.timepoints if tp.study_uid}
    if studies_a and studies_b and not studies_a & studies_b:
        warnings.append(
            "the readings share no study (no Study Instance UID in common); "
            "timepoints were paired by id or date"
        )
    return warnings


def measurement_summary(values: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Bias, mean absolute difference and Bland-Altman limits over paired values.

    ``values`` are per-lesion, per-timepoint dicts from :func:`value_comparison`.
    Only pairs that both readers measured count: a missing value or a status (too
    small, absent, merged, whose diameters are nominal) leaves the pair out. The 95%
    limits of agreement are bias +- 1.96 x the sample standard deviation of the
    differences (Bland and Altman, Lancet 1986), None with fewer than 2 pairs.
    """
    measured = [
        v
        for v in values
        if v["diff_mm"] is not None and not v.get("a_status") and not v.get("b_status")
    ]
    diffs = [v["diff_mm"] for v in measured]
    pcts = [v["diff_pct"] for v in measured if v["diff_pct"] is not None]
    bands = [v["in_noise_band"] for v in measured if v["in_noise_band"] is not None]
    bias, sd = _mean_sd(diffs)
    bias_pct, sd_pct = _mean_sd(pcts)
    return {
        "n_pairs": len(diffs),
        "bias_mm": bias,
        "mean_abs_diff_mm": sum(abs(d) for d in diffs) / len(diffs) if diffs else None,
        "sd_diff_mm": sd,
        "loa_mm": _loa(bias, sd),
        "bias_pct": bias_pct,
        "loa_pct": _loa(bias_pct, sd_pct),
        "n_in_noise_band": sum(bands),
        "n_band_checked": len(bands),
    }


def category_summary(categories: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Agreement of each response category over the paired follow-ups."""
    out: dict[str, Any] = {"n_timepoints": len(categories)}
    for name in CATEGORY_FIELDS:
        compared = [
            c["agree"][name] for c in categories if c["agree"][name] is not None
        ]
        out[f"{name}_agreement"] = sum(compared) / len(compared) if compared else None
        out[f"{name}_agreeing"] = sum(compared)
        out[f"{name}_compared"] = len(compared)
    return out


def kappa_summary(
    pairs: Sequence[tuple[str, str]], min_pairs: int = MIN_KAPPA_PAIRS
) -> dict[str, Any]:
    """Cohen's kappa of paired categories, or why it was not computed."""
    if len(pairs) < min_pairs:
        return {
            "kappa": None,
            "kappa_pairs": len(pairs),
            "kappa_note": f"not computed: {len(pairs)} paired categories, at least "
            f"{min_pairs} needed",
        }
    kappa = cohens_kappa(pairs)
    note = (
        "computed"
        if kappa is not None
        else (
            "not computed: both readers used a single and the same category throughout"
        )
    )
    return {"kappa": kappa, "kappa_pairs": len(pairs), "kappa_note": note}


def cohens_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa (Cohen, Educ Psychol Meas 1960) of two raters' categories.

    (p_o - p_e) / (1 - p_e), with p_o the observed agreement and p_e the agreement
    expected from each rater's category frequencies; None when p_e is 1 (no
    variation to agree on) or there are no pairs.
    """
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for x, y in pairs if x == y) / n
    categories = {x for pair in pairs for x in pair}
    expected = sum(
        (sum(1 for x, _ in pairs if x == k) / n)
        * (sum(1 for _, y in pairs if y == k) / n)
        for k in categories
    )
    if expected >= 1.0 - 1e-12:
        return None
    return (observed - expected) / (1 - expected)


def score_training(
    reference: Reading,
    trainee: Reading,
    *,
    tolerance_mm: float | None = None,
    tolerance_pct: float | None = None,
    match_tolerance_mm: float = MATCH_TOLERANCE_MM,
) -> dict[str, Any]:
    """Score a trainee's reading against a teacher's reference reading.

    Exactly one tolerance is given: a trainee diameter is within it when
    ``|trainee - reference| <= tolerance_mm``, or ``<= tolerance_pct`` percent of
    the reference. Three parts, each a fraction from 0 to 1 (None when there is
    nothing to score): ``selection`` (the Jaccard index of the two sets of target
    lesions: targets chosen by both / targets chosen by either), ``measurement``
    (paired target diameters within the tolerance), ``categories`` (follow-ups whose
    overall response agrees). ``score`` is the mean of the parts that exist.
    """
    if (tolerance_mm is None) == (tolerance_pct is None):
        raise ValueError("give exactly one of tolerance_mm and tolerance_pct")
    comparison = compare_readings(
        reference, trainee, match_tolerance_mm=match_tolerance_mm
    )
    targets = comparison["targets"]
    chosen = len(targets["both"]) + len(targets["only_a"]) + len(targets["only_b"])
    selection = len(targets["both"]) / chosen if chosen else None

    both_targets = {pair["a"] for pair in targets["both"]}
    pairs = [
        v
        for lesion in comparison["lesions"]
        if lesion["a"] in both_targets
        for v in lesion["values"]
        if v["diff_mm"] is not None
    ]
    within = [_within(v, tolerance_mm, tolerance_pct or 0.0) for v in pairs]
    measurement = sum(within) / len(within) if within else None

    categories = comparison["categories"]
    overall = [
        c["agree"]["overall"] for c in categories if c["agree"]["overall"] is not None
    ]
    category_score = sum(overall) / len(overall) if overall else None

    parts = [p for p in (selection, measurement, category_score) if p is not None]
    return {
        "selection": selection,
        "missed_targets": targets["only_a"],
        "extra_targets": targets["only_b"],
        "measurement": measurement,
        "measurements_within": sum(within),
        "measurements_scored": len(within),
        "categories": category_score,
        "score": sum(parts) / len(parts) if parts else None,
        "tolerance": {"mm": tolerance_mm, "pct": tolerance_pct},
        "values": pairs,
        "category_pairs": [
            [c["a"]["overall"], c["b"]["overall"]]
            for c in categories
            if c["agree"]["overall"] is not None
        ],
        "comparison": comparison,
    }


def aggregate_training(
    scores: Sequence[Mapping[str, Any]], min_kappa_pairs: int = MIN_KAPPA_PAIRS
) -> dict[str, Any]:
    """A trainee's summary over many scored cases (from :func:`score_training`).

    Pools every paired target diameter (bias, mean absolute difference, limits of
    agreement) and every paired overall response (agreement rate, kappa), and
    averages the per-case scores.
    """
    values = [v for s in scores for v in s["values"]]
    pairs = [(a, b) for s in scores for a, b in s["category_pairs"]]
    agreeing = sum(1 for a, b in pairs if a == b)

    def mean_of(key: str) -> float | None:
        got = [s[key] for s in scores if s[key] is not None]
        return sum(got) / len(got) if got else None

    return {
        "n_cases": len(scores),
        **measurement_summary(values),
        "category_agreement": agreeing / len(pairs) if pairs else None,
        "categories_agreeing": agreeing,
        "categories_compared": len(pairs),
        **kappa_summary(pairs, min_kappa_pairs),
        "mean_selection": mean_of("selection"),
        "mean_measurement": mean_of("measurement"),
        "mean_score": mean_of("score"),
    }


def _parsed(reading: Reading) -> Case:
    return reading if isinstance(reading, Case) else parse_case(reading)


def _pair_timepoints(a: Case, b: Case) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()
    for ta in a.timepoints:
        candidates = [tb for tb in b.timepoints if tb.id not in used]
        match = next(
            (
                tb
                for tb in candidates
                if ta.study_uid is not None and tb.study_uid == ta.study_uid
            ),
            None,
        )
        match = match or next((tb for tb in candidates if tb.id == ta.id), None)
        match = match or next((tb for tb in candidates if tb.date == ta.date), None)
        if match is not None:
            pairs.append((ta.id, match.id))
            used.add(match.id)
    return pairs


def _pair_lesions(
    a: Case, b: Case, timepoints: list[tuple[str, str]], tolerance_mm: float
) -> list[tuple[Lesion, Lesion, str, float | None]]:
    b_ids = {lesion.id: lesion for lesion in b.lesions}
    pairs: list[tuple[Lesion, Lesion, str, float | None]] = []
    for la in a.lesions:
        lb = b_ids.get(la.id)
        if lb is not None:
            pairs.append((la, lb, "id", _distance(la, lb, timepoints)))
    rest_a = [la for la in a.lesions if la.id not in b_ids]
    rest_b = [lb for lb in b.lesions if lb.id not in {la.id for la in a.lesions}]
    candidates = sorted(
        (d, i, j)
        for i, la in enumerate(rest_a)
        for j, lb in enumerate(rest_b)
        if (d := _distance(la, lb, timepoints)) is not None and d <= tolerance_mm
    )
    taken_a: set[int] = set()
    taken_b: set[int] = set()
    for d, i, j in candidates:
        if i in taken_a or j in taken_b:
            continue
        taken_a.add(i)
        taken_b.add(j)
        pairs.append((rest_a[i], rest_b[j], "location", d))
    order = {lesion.id: k for k, lesion in enumerate(a.lesions)}
    pairs.sort(key=lambda p: order[p[0].id])
    return pairs


def _distance(
    la: Lesion, lb: Lesion, timepoints: list[tuple[str, str]]
) -> float | None:
    """The smallest distance between the two lesions' centres at a shared timepoint."""
    best: float | None = None
    for ta, tb in timepoints:
        ma = (la.measurements or {}).get(ta)
        mb = (lb.measurements or {}).get(tb)
        ca = ma.image.centre_mm() if ma is not None and ma.image is not None else None
        cb = mb.image.centre_mm() if mb is not None and mb.image is not None else None
        if ca is None or cb is None:
            continue
        d = math.dist(ca, cb)
        best = d if best is None else min(best, d)
    return best


def _lesion_comparison(
    la: Lesion,
    lb: Lesion,
    how: str,
    distance: float | None,
    timepoints: list[tuple[str, str]],
) -> dict[str, Any]:
    values: list[dict[str, Any]] = []
    assessments: list[dict[str, Any]] = []
    for ta, tb in timepoints:
        ma = (la.measurements or {}).get(ta)
        mb = (lb.measurements or {}).get(tb)
        if ma is not None or mb is not None:
            a_mm = None if ma is None else measurement_value(ma, la.is_node)
            b_mm = None if mb is None else measurement_value(mb, lb.is_node)
            statuses = {
                "a_status": None if ma is None else ma.status,
                "b_status": None if mb is None else mb.status,
            }
            values.append(value_comparison(a_mm, b_mm) | statuses | {"timepoint": ta})
        sa = (la.assessments or {}).get(ta)
        sb = (lb.assessments or {}).get(tb)
        if sa is not None or sb is not None:
            assessments.append({"timepoint": ta, "a": sa, "b": sb, "agree": sa == sb})
    return {
        "a": la.id,
        "b": lb.id,
        "matched_by": how,
        "distance_mm": distance,
        "kind_a": la.kind,
        "kind_b": lb.kind,
        "same_kind": la.kind == lb.kind,
        "values": values,
        "assessments": assessments,
    }


def value_comparison(a_mm: float | None, b_mm: float | None) -> dict[str, Any]:
    """Both diameters, B - A in mm and percent of A, and the noise-band check."""
    out: dict[str, Any] = {
        "a_mm": a_mm,
        "b_mm": b_mm,
        "diff_mm": None,
        "diff_pct": None,
        "in_noise_band": None,
    }
    if a_mm is not None and b_mm is not None:
        out["diff_mm"] = b_mm - a_mm
        out["diff_pct"] = relative_difference_pct(a_mm, b_mm)
        out["in_noise_band"] = in_noise_band(a_mm, b_mm)
    return out


def _target_choice(
    a: Case, b: Case, pairs: list[tuple[Lesion, Lesion, str, float | None]]
) -> dict[str, Any]:
    both = [
        {"a": la.id, "b": lb.id}
        for la, lb, _, _ in pairs
        if la.kind == "target" and lb.kind == "target"
    ]
    in_both_a = {p["a"] for p in both}
    in_both_b = {p["b"] for p in both}
    only_a = [x.id for x in a.lesions if x.kind == "target" and x.id not in in_both_a]
    only_b = [x.id for x in b.lesions if x.kind == "target" and x.id not in in_both_b]
    return {
        "same": not only_a and not only_b,
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
    }


def _category_comparison(
    a: Case, b: Case, timepoints: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    rows_a = {r["id"]: r for r in evaluate(a)["timepoints"]}
    rows_b = {r["id"]: r for r in evaluate(b)["timepoints"]}
    out: list[dict[str, Any]] = []
    for ta, tb in timepoints:
        ra, rb = rows_a[ta], rows_b[tb]
        if ra["baseline"] or rb["baseline"]:
            continue
        cats_a = {name: ra[name] for name in CATEGORY_FIELDS}
        cats_b = {name: rb[name] for name in CATEGORY_FIELDS}
        agree = {
            name: None
            if cats_a[name] is None and cats_b[name] is None
            else cats_a[name] == cats_b[name]
            for name in CATEGORY_FIELDS
        }
        out.append(
            {
                "timepoint": ta,
                "timepoint_b": tb,
                "a": cats_a,
                "b": cats_b,
                "agree": agree,
            }
        )
    return out


def _within(value: Mapping[str, Any], tol_mm: float | None, tol_pct: float) -> bool:
    """Whether a paired diameter lies within the tolerance (mm, else % of A)."""
    diff = abs(value["diff_mm"])
    if tol_mm is not None:
        return bool(diff <= tol_mm + 1e-9)
    reference = value["a_mm"]
    if reference <= 0:
        return bool(diff <= 1e-9)
    return bool(diff / reference * 100 <= tol_pct + 1e-9)


def _mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def _loa(bias: float | None, sd: float | None) -> list[float] | None:
    if bias is None or sd is None:
        return None
    return [bias - LOA_Z * sd, bias + LOA_Z * sd]
