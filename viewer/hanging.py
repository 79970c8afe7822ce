"""Hanging a follow-up comparison: which studies and series go side by side.

The newest study is the current one and the study before it the comparison;
any other study of the patient can be chosen instead. Series are paired by
modality, orientation, body part, description, slice thickness and contrast
phase, the way a reader would pick the matching series of a prior.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


class SeriesLike(Protocol):
    """What hanging needs to know about a series (see :mod:`viewer.index`)."""

    modality: str
    orientation: str
    body_part_examined: str
    series_description: str
    slice_thickness_mm: float | None
    contrast: str
    is_volume: bool

    @property
    def count(self) -> int: ...


class StudyLike(Protocol):
    """What hanging needs to know about a study."""

    study_date: str
    study_time: str

    @property
    def series(self) -> Sequence[SeriesLike]: ...


@dataclass(frozen=True)
class Hanging:
    """Indices into the patient's studies (oldest first) and their series."""

    current_study: int
    current_series: int | None
    comparison_study: int | None
    comparison_series: int | None


def study_order_key(study: StudyLike) -> tuple[str, str]:
    """Sort key: date then time; undated studies sort first."""
    return (study.study_date or "", study.study_time or "")


def hang(studies: Sequence[StudyLike], comparison: int | None = None) -> Hanging:
    """Hang the newest study against the one before it (or ``comparison``).

    ``studies`` must be ordered oldest first.
    """
    if not studies:
        raise ValueError("no study to hang")
    newest = studies[-1].study_date
    same_day = [i for i, study in enumerate(studies) if study.study_date == newest]
    # Of several studies on the newest date, the one with the best series.
    current = max(same_day, key=lambda i: (_series_rank(studies[i].series), i))
    current_series = best_series(studies[current].series)
    if comparison is None and len(studies) > 1:
        comparison = _default_comparison(studies, current, current_series)
    comparison_series = None
    if comparison is not None and current_series is not None:
        reference = studies[current].series[current_series]
        comparison_series = matching_series(reference, studies[comparison].series)
    elif comparison is not None:
        comparison_series = best_series(studies[comparison].series)
    return Hanging(current, current_series, comparison, comparison_series)


def _default_comparison(
    studies: Sequence[StudyLike], current: int, current_series: int | None
) -> int:
    """The study before: of the latest earlier date, the best matching one."""
    newest = studies[current].study_date
    earlier = [i for i, study in enumerate(studies) if study.study_date != newest]
    if not earlier:
        return max(i for i in range(len(studies)) if i != current)
    date = studies[earlier[-1]].study_date
    candidates = [i for i in earlier if studies[i].study_date == date]
    if current_series is None:
        return candidates[-1]
    reference = studies[current].series[current_series]

    def match(index: int) -> float:
        series = studies[index].series
        found = matching_series(reference, series)
        return -1.0 if found is None else pairing_score(reference, series[found])

    return max(candidates, key=lambda i: (match(i), i))


def _series_rank(series: Sequence[SeriesLike]) -> tuple[int, int, int]:
    index = best_series(series)
    if index is None:
        return (-1, -1, -1)
    return _rank(series[index])


def best_series(series: Sequence[SeriesLike]) -> int | None:
    """The series a reader looks at first: the largest axial volume."""
    candidates = [(index, item) for index, item in enumerate(series) if item.is_volume]
    if not candidates:
        return None
    return max(candidates, key=lambda entry: _rank(entry[1]))[0]


def _rank(item: SeriesLike) -> tuple[int, int, int]:
    """Cross-sectional first, then axial, then the larger stack."""
    axial = int(item.orientation == "AXIAL")
    cross_sectional = int(item.modality in ("CT", "MR", "PT"))
    return (cross_sectional, axial, item.count)


def matching_series(reference: SeriesLike, series: Sequence[SeriesLike]) -> int | None:
    """The series of another study that best matches ``reference``."""
    scored = [
        (pairing_score(reference, item), index)
        for index, item in enumerate(series)
        if item.is_volume
    ]
    if not scored:
        return None
    score, index = max(scored)
    logger.debug("paired series %d with score %.2f", index, score)
    return index


def pairing_score(reference: SeriesLike, candidate: SeriesLike) -> float:
    """How alike two series are, higher is better (0 to about 10)."""
    score = 0.0
    if candidate.modality == reference.modality:
        score += 4.0
    if candidate.orientation and candidate.orientation == reference.orientation:
        score += 2.0
    if (
        candidate.body_part_examined
        and candidate.body_part_examined.upper() == reference.body_part_examined.upper()
    ):
        score += 1.0
    score += difflib.SequenceMatcher(
        None,
        reference.series_description.lower(),
        candidate.series_description.lower(),
    ).ratio()
    a, b = reference.slice_thickness_mm, candidate.slice_thickness_mm
    if a and b:
        score += max(0.0, 1.0 - abs(a - b) / max(a, b))
    if bool(candidate.contrast) == bool(reference.contrast):
        score += 1.0
    # Among equals, the larger volume wins, by a small margin only.
    score += min(candidate.count, 1000) / 100000.0
    return score
