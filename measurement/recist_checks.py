"""Rule checks on the choice of baseline lesions (RECIST 1.1 sections 3.1 and 4.2).

The reader chooses the target lesions; these checks say where a choice breaks a rule
of RECIST 1.1 and never refuse it. Each warning is a dict with the lesion id, a short
rule code, the RECIST section and a message the reader can act on.
"""

from __future__ import annotations

import logging
from typing import Final

from measurement.case import Case, Lesion, Measurement

logger = logging.getLogger(__name__)

MAX_TARGETS: Final = 5
MAX_TARGETS_PER_ORGAN: Final = 2
MEASURABLE_LD_MM: Final = 10.0
THIN_SLICE_MM: Final = 5.0
MEASURABLE_NODE_SA_MM: Final = 15.0
NORMAL_NODE_SA_MM: Final = 10.0
NODES_ORGAN: Final = "lymph nodes"
# Longer than any lesion in a human body: flagged as a likely entry error.
IMPLAUSIBLE_MM: Final = 400.0

Warning = dict[str, str]


def baseline_warnings(case: Case) -> list[Warning]:
    """Every rule the baseline lesion choice breaks, in lesion order.

    Checks (RECIST 1.1 section 4.2): more than 5 targets; more than 2 targets in one
    organ, all lymph nodes counting as one organ. Section 3.1.1: a non-nodal target
    under 10 mm, or under twice the slice thickness where slices are thicker than
    5 mm; a node target with a short axis under 15 mm. Section 3.1.2: a node with a
    short axis of 10 to 15 mm may only be non-target, one under 10 mm is no lesion.
    """
    warnings: list[Warning] = []
    baseline = case.baseline
    targets = 0
    per_organ: dict[str, int] = {}
    for lesion in case.lesions:
        m = (lesion.measurements or {}).get(baseline.id)
        if lesion.kind == "target":
            targets += 1
            if targets > MAX_TARGETS:
                warnings.append(
                    _warn(
                        lesion,
                        "max-targets",
                        "4.2",
                        f"target lesion number {targets}; RECIST 1.1 allows at most "
                        f"{MAX_TARGETS} in total. Make it a non-target lesion.",
                    )
                )
            warnings.extend(_organ_check(lesion, per_organ))
            if m is not None:
                thickness = _slice_thickness(m, baseline.slice_thickness_mm)
                warnings.extend(_target_size_check(lesion, m, thickness))
        elif lesion.kind == "non-target" and lesion.is_node and m is not None:
            sa = m.short_mm
            if sa is not None and sa < NORMAL_NODE_SA_MM:
                warnings.append(_normal_node(lesion, sa))
    warnings.extend(_implausible_lengths(case))
    if warnings:
        logger.debug("%d rule warnings on the baseline lesion choice", len(warnings))
    return warnings


def _implausible_lengths(case: Case) -> list[Warning]:
    """Lengths no lesion can have: most likely a typing or unit error (cm, px)."""
    warnings: list[Warning] = []
    for lesion in case.lesions:
        for timepoint, m in (lesion.measurements or {}).items():
            for name, value in (("long", m.long_mm), ("short", m.short_mm)):
                if value is not None and value > IMPLAUSIBLE_MM:
                    warnings.append(
                        _warn(
                            lesion,
                            "implausible-length",
                            "3.1",
                            f"{name} axis at {timepoint} is {value:g} mm, more than "
                            f"{IMPLAUSIBLE_MM:g} mm; check the value and its unit.",
                        )
                    )
    return warnings


def _organ_check(lesion: Lesion, per_organ: dict[str, int]) -> list[Warning]:
    if lesion.is_node:
        organ = NODES_ORGAN
    elif lesion.organ is None or not lesion.organ.strip():
        return [
            _warn(
                lesion,
                "organ-missing",
                "4.2",
                "no organ recorded, so the two-per-organ rule cannot be checked. "
                "Record the organ.",
            )
        ]
    else:
        organ = " ".join(lesion.organ.lower().split())
    per_organ[organ] = per_organ.get(organ, 0) + 1
    count = per_organ[organ]
    if count <= MAX_TARGETS_PER_ORGAN:
        return []
    what = "lymph node (all nodes count as one organ)" if lesion.is_node else organ
    return [
        _warn(
            lesion,
            "max-per-organ",
            "4.2",
            f"target number {count} in {what}; RECIST 1.1 allows at most "
            f"{MAX_TARGETS_PER_ORGAN} per organ. Make it a non-target lesion.",
        )
    ]


def _target_size_check(
    lesion: Lesion, m: Measurement, thickness_mm: float | None
) -> list[Warning]:
    if lesion.is_node:
        sa = m.short_mm if m.fragments_mm is None else sum(m.fragments_mm)
        if sa is None:
            return []
        if sa < NORMAL_NODE_SA_MM:
            return [_normal_node(lesion, sa)]
        if sa < MEASURABLE_NODE_SA_MM:
            return [
                _warn(
                    lesion,
                    "node-not-measurable",
                    "3.1.2",
                    f"node target with short axis {sa:.1f} mm; a node needs at least "
                    f"{MEASURABLE_NODE_SA_MM:.0f} mm to be a target, from "
                    f"{NORMAL_NODE_SA_MM:.0f} mm it may only be a non-target lesion.",
                )
            ]
        return []
    ld = m.long_mm if m.fragments_mm is None else sum(m.fragments_mm)
    if ld is None:
        return []
    limit = MEASURABLE_LD_MM
    reason = ""
    if thickness_mm is not None and thickness_mm > THIN_SLICE_MM:
        limit = max(limit, 2 * thickness_mm)
        reason = f" (twice the slice thickness of {thickness_mm:g} mm)"
    if ld >= limit:
        return []
    return [
        _warn(
            lesion,
            "too-small-target",
            "3.1.1",
            f"non-nodal target with longest diameter {ld:.1f} mm, under the "
            f"measurable limit of {limit:.1f} mm{reason}. Make it a non-target "
            "lesion.",
        )
    ]


def _normal_node(lesion: Lesion, sa: float) -> Warning:
    return _warn(
        lesion,
        "normal-node",
        "3.1.2",
        f"node with short axis {sa:.1f} mm; a node under {NORMAL_NODE_SA_MM:.0f} mm is "
        "normal and not a lesion at all. Remove it from the table.",
    )


def _slice_thickness(m: Measurement, timepoint_mm: float | None) -> float | None:
    if m.image is not None and m.image.slice_thickness_mm is not None:
        return m.image.slice_thickness_mm
    return timepoint_mm


def _warn(lesion: Lesion, rule: str, section: str, message: str) -> Warning:
    return {
        "lesion": lesion.id,
        "rule": rule,
        "section": f"RECIST 1.1 section {section}",
        "message": f"{lesion.id}: {message}",
    }
