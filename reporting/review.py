"""The review case file: one reviewer's comparison of two readings of one case.

A quality reviewer re-reads a colleague's case (reading A, the reference, against
reading B, or the other way round) and records a peer-review score with a comment.
:func:`build_review` gathers what the review PDF and the review file show: both
readings' identities and readers, per lesion and timepoint both diameters, the
difference in mm and percent and whether it lies inside the single-lesion noise
band (:mod:`measurement.noise`), whether the same target lesions were chosen, the
RECIST 1.1 response categories at each timepoint and whether they agree, the
summary figures of :func:`measurement.compare.compare_readings`, each reading's
changes between timepoints against the noise band, and the score. The file format
is ``nadir-review/1`` (JSON); :func:`write_review` writes it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from measurement.case import parse_case
from measurement.compare import MATCH_TOLERANCE_MM, compare_readings
from measurement.noise import INTERVAL_CHANGE_BAND_PCT, lesion_changes

logger = logging.getLogger(__name__)

REVIEW_FORMAT: Final = "nadir-review/1"

# Peer-review scores, after the discrepancy grading common to radiology peer
# review (concur; minor; significant, graded by likely clinical consequence).
SCORES: Final[dict[str, str]] = {
    "concur": "Concur with the reading",
    "minor": "Minor discrepancy",
    "significant-likely": "Significant discrepancy, likely to matter clinically",
    "significant-unlikely": "Significant discrepancy, unlikely to matter clinically",
}


class ReviewError(ValueError):
    """A review that cannot be made as asked: the field, the value and the fix."""


@dataclass(frozen=True)
class PeerReview:
    """The reviewer's verdict: a score from :data:`SCORES` (or none yet), comment."""

    score: str | None = None
    comment: str = ""
    reviewer: str = ""

    def __post_init__(self) -> None:
        if self.score is not None and self.score not in SCORES:
            known = ", ".join(SCORES)
            raise ReviewError(
                f"peer-review score {self.score!r} is not known; use one of {known}"
            )

    @property
    def score_text(self) -> str:
        """The score in words, or "not scored"."""
        return SCORES[self.score] if self.score is not None else "not scored"


def reading_identity(reading: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """Who made a reading and a fingerprint of its content.

    ``id`` is the first 16 hex digits of the SHA-256 of the reading's canonical
    JSON (keys sorted), so the same reading gets the same id whatever its file.
    """
    canonical = json.dumps(reading, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return {
        "id": f"sha256:{digest}",
        "source": source,
        "reader": str(reading.get("reader") or ""),
    }


def build_review(
    reading_a: Mapping[str, Any],
    reading_b: Mapping[str, Any],
    peer_review: PeerReview | None = None,
    *,
    source_a: str = "",
    source_b: str = "",
    match_tolerance_mm: float = MATCH_TOLERANCE_MM,
    created: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The review of reading B against reading A (the reference) as a JSON object.

    Per lesion, ``timepoints`` hold both values (``a_mm``, ``b_mm``: LD, or SA for
    a node, RECIST 1.1 section 4.2), ``diff_mm`` (B - A), ``diff_pct`` (of A) and
    ``in_noise_band``; ``target_in_both`` says whether both readers chose it as a
    target. ``changes`` list each reading's lesion changes between timepoints with
    the single-lesion band; ``interval_band_pct`` is the wider band for a change
    measured by two readers (Yoon et al. 2016).
    """
    peer_review = peer_review or PeerReview()
    comparison = compare_readings(
        reading_a, reading_b, match_tolerance_mm=match_tolerance_mm
    )
    both_targets = {pair["a"] for pair in comparison["targets"]["both"]}
    lesions = [
        {
            "a": lesion["a"],
            "b": lesion["b"],
            "matched_by": lesion["matched_by"],
            "kind_a": lesion["kind_a"],
            "kind_b": lesion["kind_b"],
            "same_kind": lesion["same_kind"],
            "target_in_both": lesion["a"] in both_targets,
            "timepoints": lesion["values"],
            "assessments": lesion["assessments"],
        }
        for lesion in comparison["lesions"]
    ]
    when = created or datetime.datetime.now(datetime.UTC)
    patient = reading_a.get("patient") or {}
    review = {
        "format": REVIEW_FORMAT,
        "created": when.isoformat(timespec="seconds"),
        "patient": {"id": str(patient.get("id", ""))},
        "reading_a": reading_identity(reading_a, source_a) | {"role": "reference"},
        "reading_b": reading_identity(reading_b, source_b) | {"role": "reviewed"},
        "noise_band_pct": comparison["noise_band_pct"],
        "interval_band_pct": list(INTERVAL_CHANGE_BAND_PCT),
        "timepoints": comparison["timepoints"],
        "unmatched_timepoints": comparison["unmatched_timepoints"],
        "lesions": lesions,
        "unmatched_lesions": comparison["unmatched_lesions"],
        "targets": comparison["targets"],
        "categories": comparison["categories"],
        "summary": comparison["summary"],
        "changes": {
            "a": lesion_changes(parse_case(reading_a)),
            "b": lesion_changes(parse_case(reading_b)),
        },
        "peer_review": {
            "score": peer_review.score,
            "score_text": peer_review.score_text,
            "comment": peer_review.comment,
            "reviewer": peer_review.reviewer,
        },
    }
    logger.debug("review: %d paired lesions, score %s", len(lesions), peer_review.score)
    return review


def write_review(path: Path, review: Mapping[str, Any]) -> None:
    """Write a review object as a ``nadir-review/1`` file (UTF-8 JSON)."""
    path.write_text(json.dumps(review, indent=2) + "\n", encoding="utf-8")
    logger.debug("wrote review file %s", path)
