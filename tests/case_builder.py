"""Small builders for nadir-case/1 objects with values written out in the tests."""

from __future__ import annotations

import copy
import datetime
from typing import Any

BASELINE_DATE = datetime.date(2026, 1, 5)

EXAMPLE_CASE: dict[str, Any] = {
    "format": "nadir-case/1",
    "patient": {"id": "ANON-001"},
    "timepoints": [
        {"id": "T0", "date": "2026-01-12", "baseline": True, "study_uid": "1.2.3"},
        {"id": "T1", "date": "2026-03-20", "study_uid": "1.2.4"},
    ],
    "lesions": [
        {
            "id": "L1",
            "kind": "target",
            "organ": "liver",
            "node": False,
            "measurements": {
                "T0": {"long_mm": 32.0},
                "T1": {
                    "long_mm": 25.1,
                    "image": {
                        "sop_uid": "1.2.4.9",
                        "points_mm": [[10.0, -4.5, 120.0], [35.1, -4.5, 120.0]],
                    },
                },
            },
        },
        {
            "id": "L2",
            "kind": "target",
            "organ": "mediastinal node",
            "node": True,
            "measurements": {
                "T0": {"long_mm": 24.0, "short_mm": 17.0},
                "T1": {"status": "too-small"},
            },
        },
        {
            "id": "N1",
            "kind": "non-target",
            "organ": "bone",
            "assessments": {"T0": "present", "T1": "present"},
        },
        {
            "id": "X1",
            "kind": "new",
            "organ": "lung",
            "first_seen": "T1",
            "assessments": {"T1": "equivocal"},
        },
    ],
}


def example_case() -> dict[str, Any]:
    """A fresh copy of the case file printed in RECIST.md."""
    return copy.deepcopy(EXAMPLE_CASE)


def timepoints(*days: int) -> list[dict[str, Any]]:
    """Timepoints T0 (baseline), T1, ... at these days after the baseline date."""
    out = []
    for i, day in enumerate(days):
        tp: dict[str, Any] = {
            "id": f"T{i}",
            "date": (BASELINE_DATE + datetime.timedelta(days=day)).isoformat(),
        }
        if i == 0:
            tp["baseline"] = True
        out.append(tp)
    return out


def target(
    lesion_id: str,
    *values: float | str | list[float] | None,
    organ: str = "liver",
    node: bool = False,
) -> dict[str, Any]:
    """A target with one value per timepoint T0, T1, ...

    A number is the LD (the SA for a node, whose LD is then 5 mm longer), a string a
    status, a list the fragments of a split lesion, None no measurement.
    """
    measurements: dict[str, Any] = {}
    for i, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, str):
            measurements[f"T{i}"] = {"status": value}
        elif isinstance(value, list):
            measurements[f"T{i}"] = {"fragments_mm": value}
        elif node:
            measurements[f"T{i}"] = {"long_mm": value + 5.0, "short_mm": value}
        else:
            measurements[f"T{i}"] = {"long_mm": value}
    lesion: dict[str, Any] = {"id": lesion_id, "kind": "target", "organ": organ}
    if node:
        lesion["node"] = True
    lesion["measurements"] = measurements
    return lesion


def non_target(lesion_id: str, *states: str | None, organ: str = "bone") -> dict:
    """A non-target lesion with one assessment per timepoint (None: none recorded)."""
    return {
        "id": lesion_id,
        "kind": "non-target",
        "organ": organ,
        "assessments": {f"T{i}": s for i, s in enumerate(states) if s is not None},
    }


def new_lesion(lesion_id: str, *states: str | None, first_seen: str | None = None):
    """A new lesion with one assessment per timepoint T0, T1, ... (None: none)."""
    lesion: dict[str, Any] = {
        "id": lesion_id,
        "kind": "new",
        "organ": "lung",
        "assessments": {f"T{i}": s for i, s in enumerate(states) if s is not None},
    }
    if first_seen is not None:
        lesion["first_seen"] = first_seen
    return lesion


def case(days: list[int], *lesions: dict[str, Any]) -> dict[str, Any]:
    """A case with timepoints at ``days`` after baseline and these lesions."""
    return {
        "format": "nadir-case/1",
        "timepoints": timepoints(*days),
        "lesions": list(lesions),
    }
