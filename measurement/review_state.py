"""Reviewing another reader's reading in the window: what is shown, and when.

A reviewer (or a trainee) opens another reader's reading of the case open in the
window and measures the lesions again. :class:`ReviewState` holds that other
reading and the review's mode:

- ``blind``: the other reader's values and calipers stay hidden; a lesion's are
  revealed at a timepoint once the reviewer has measured there, within
  ``match_tolerance_mm`` of where the other reader measured it;
- ``side-by-side``: both readings are shown at once;
- ``training``: blind, with the other reading as the teacher's reference; the
  trainee's score (:func:`measurement.compare.score_training`) and both readings
  are shown once the trainee finishes.

Finishing (:meth:`ReviewState.finish`) reveals everything. The response categories
and summary figures of the comparison are shown only once every one of the other
reader's measurements is revealed, because they would give its values away. The
reviewer's lesions are paired with the other reader's by where they were measured,
so the comparison (:meth:`ReviewState.aligned_case`) pairs the same lesions
whatever ids the reviewer gave them.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from measurement.compare import MATCH_TOLERANCE_MM, value_comparison
from measurement.geometry import centre_of
from measurement.model import Measurement, ReadingState, Timepoint
from measurement.serial import state_from_case, state_to_case

logger = logging.getLogger(__name__)

REVIEWER_SUFFIX: Final = "-reviewer"


class ReviewMode(StrEnum):
    """How the other reading is shown."""

    BLIND = "blind"
    SIDE_BY_SIDE = "side-by-side"
    TRAINING = "training"


@dataclass(frozen=True)
class ReviewRow:
    """One lesion of the other reading at one timepoint, beside the reviewer's.

    ``timepoint_id`` is the reviewer's timepoint of the same study (the other
    reading's id where the study is not in the reviewer's reading). While
    ``revealed`` is False, ``other_mm`` and ``other_status`` are None whatever the
    other reader recorded, so nothing hidden reaches the screen.
    """

    lesion_id: str
    kind: str
    timepoint_id: str
    study_uid: str
    revealed: bool
    other_mm: float | None
    other_status: str | None
    own_lesion_id: str | None
    own_mm: float | None
    diff_mm: float | None
    diff_pct: float | None
    in_noise_band: bool | None


class ReviewState:
    """Another reader's reading of the open case, and what of it is revealed.

    Parameters
    ----------
    other_case
        The other reading as a nadir-case/1 object (RECIST.md).
    mode
        :class:`ReviewMode`.
    source
        Where the other reading came from (a file name), for the review file.
    """

    def __init__(
        self,
        other_case: Mapping[str, Any],
        mode: ReviewMode = ReviewMode.BLIND,
        source: str = "",
        match_tolerance_mm: float = MATCH_TOLERANCE_MM,
    ) -> None:
        self.other_case = dict(other_case)
        self.other = state_from_case(other_case)
        self.mode = mode
        self.source = source
        self.match_tolerance_mm = match_tolerance_mm
        self.finished = False

    # ------------------------------------------------------------ workflow

    @property
    def blind(self) -> bool:
        """True while the other reading's values are hidden until measured."""
        return self.mode is not ReviewMode.SIDE_BY_SIDE and not self.finished

    def finish(self) -> None:
        """End the blind reading: everything of the other reading is shown."""
        self.finished = True
        logger.debug("review finished in %s mode", self.mode.value)

    # ------------------------------------------------------------ studies

    def study_of(self, other_timepoint: Timepoint, own: ReadingState) -> str:
        """The study an other reading's timepoint stands for.

        Its Study Instance UID where it has one; else the reviewer's timepoint of
        the same date, else of the same id.
        """
        if other_timepoint.study_uid:
            return other_timepoint.study_uid
        if other_timepoint.date:
            same_date = [t for t in own.timepoints if t.date == other_timepoint.date]
            if same_date:
                return same_date[0].study_uid
        same_id = [t for t in own.timepoints if t.id == other_timepoint.id]
        return same_id[0].study_uid if same_id else ""

    def own_timepoint(self, study_uid: str, own: ReadingState) -> Timepoint | None:
        """The reviewer's timepoint of a study, if the study is in the reading."""
        return own.timepoint_of_study(study_uid) if study_uid else None

    # ------------------------------------------------------------ matching

    def own_match(
        self, other: Measurement, own: ReadingState
    ) -> tuple[Measurement, float | None] | None:
        """The reviewer's measurement of the lesion ``other`` measures, if any.

        The nearest of the reviewer's measurements at the same study whose centre
        lies within the match tolerance of ``other``'s; for a value typed in
        without image points, the reviewer's measurement of the lesion with the
        same id there.
        """
        study = self.study_of(self.other.timepoint(other.timepoint_id), own)
        here = self.own_timepoint(study, own)
        if here is None:
            return None
        candidates = [m for m in own.measurements if m.timepoint_id == here.id]
        if not other.points_lps_mm:
            same = [m for m in candidates if m.lesion_id == other.lesion_id]
            return (same[0], None) if same else None
        centre = centre_of(other.points_lps_mm)
        best: tuple[float, Measurement] | None = None
        for m in candidates:
            if not m.points_lps_mm:
                continue
            distance = math.dist(centre, centre_of(m.points_lps_mm))
            if distance <= self.match_tolerance_mm and (
                best is None or distance < best[0]
            ):
                best = (distance, m)
        return None if best is None else (best[1], best[0])

    def is_revealed(self, other: Measurement, own: ReadingState) -> bool:
        """Whether an other reader's measurement may be shown now."""
        return not self.blind or self.own_match(other, own) is not None

    def visible_marks(self, own: ReadingState, study_uid: str) -> list[Measurement]:
        """The other reader's measurements to draw on a study's images now."""
        return [
            m
            for m in self.other.measurements
            if m.points_lps_mm
            and self.study_of(self.other.timepoint(m.timepoint_id), own) == study_uid
            and self.is_revealed(m, own)
        ]

    def all_revealed(self, own: ReadingState) -> bool:
        """True when every measurement of the other reading is revealed."""
        return all(self.is_revealed(m, own) for m in self.other.measurements)

    def hidden_count(self, own: ReadingState) -> int:
        """How many of the other reader's measurements are still hidden."""
        return sum(1 for m in self.other.measurements if not self.is_revealed(m, own))

    # ------------------------------------------------------------ table

    def rows(self, own: ReadingState) -> list[ReviewRow]:
        """One row per other reader's measured lesion and timepoint, in its order."""
        out: list[ReviewRow] = []
        for lesion in self.other.lesions:
            for tp in self.other.timepoints:
                cells = self.other.cell_measurements(lesion.id, tp.id)
                status = self.other.status(lesion.id, tp.id)
                if not cells and status is None:
                    continue
                out.append(self._row(lesion.id, tp, cells, status, own))
        return out

    def _row(
        self,
        lesion_id: str,
        tp: Timepoint,
        cells: tuple[Measurement, ...],
        status: str | None,
        own: ReadingState,
    ) -> ReviewRow:
        lesion = self.other.lesion(lesion_id)
        study = self.study_of(tp, own)
        here = self.own_timepoint(study, own)
        other = cells[0] if cells else None
        match = None if other is None else self.own_match(other, own)
        if other is None:
            revealed = not self.blind
        else:
            revealed = not self.blind or match is not None
        own_m = None if match is None else match[0]
        own_lesion = None
        if own_m is not None and own_m.lesion_id is not None:
            own_lesion = own.lesion(own_m.lesion_id)
        node = own_lesion.node if own_lesion is not None else lesion.node
        own_mm = None if own_m is None else _diameter(own_m, node)
        other_mm = None if other is None else _diameter(other, lesion.node)
        shown_mm = other_mm if revealed else None
        compared = value_comparison(shown_mm, own_mm)
        return ReviewRow(
            lesion_id=lesion.id,
            kind=lesion.kind.value,
            timepoint_id=here.id if here is not None else tp.id,
            study_uid=study,
            revealed=revealed,
            other_mm=shown_mm,
            other_status=status if revealed else None,
            own_lesion_id=None if own_m is None else own_m.lesion_id,
            own_mm=own_mm,
            diff_mm=compared["diff_mm"],
            diff_pct=compared["diff_pct"],
            in_noise_band=compared["in_noise_band"],
        )

    # ------------------------------------------------------------ comparison

    def lesion_pairs(self, own: ReadingState) -> dict[str, str]:
        """The reviewer's lesion ids paired with the other reader's, by location.

        Each of the reviewer's measurements votes for the other reader's lesion it
        matches (:meth:`own_match`, seen from the other side); a reviewer's lesion
        takes the lesion with the most votes, one to one, the lesions with more
        votes choosing first. Lesions without image points pair by equal ids.
        """
        votes: dict[str, Counter[str]] = {}
        for other in self.other.measurements:
            if other.lesion_id is None:
                continue
            match = self.own_match(other, own)
            if match is None or match[0].lesion_id is None:
                continue
            votes.setdefault(match[0].lesion_id, Counter())[other.lesion_id] += 1
        ranked = sorted(
            (
                (-count, own_id, other_id)
                for own_id, counter in votes.items()
                for other_id, count in counter.items()
            ),
        )
        pairs: dict[str, str] = {}
        for _, own_id, other_id in ranked:
            if own_id not in pairs and other_id not in pairs.values():
                pairs[own_id] = other_id
        other_ids = {lesion.id for lesion in self.other.lesions}
        for lesion in own.lesions:
            if (
                lesion.id not in pairs
                and lesion.id in other_ids
                and lesion.id not in pairs.values()
                and not any(m.points_lps_mm for m in _of_lesion(own, lesion.id))
            ):
                pairs[lesion.id] = lesion.id
        return pairs

    def aligned_case(self, own: ReadingState) -> dict[str, Any]:
        """The reviewer's reading as a case file, lesions renamed to their pairs.

        A lesion paired with one of the other reader's (:meth:`lesion_pairs`) takes
        its id; an unpaired lesion whose id the other reading uses for another
        lesion gets ``-reviewer`` appended, so that ids pair only true pairs.
        """
        pairs = self.lesion_pairs(own)
        taken = {lesion.id for lesion in self.other.lesions}
        case = state_to_case(own)
        for lesion in case["lesions"]:
            own_id = lesion["id"]
            if own_id in pairs:
                lesion["id"] = pairs[own_id]
            elif own_id in taken:
                lesion["id"] = own_id + REVIEWER_SUFFIX
        return case


def _diameter(measurement: Measurement, node: bool) -> float | None:
    """The diameter RECIST 1.1 follows: the short axis of a node, else the long."""
    if node and measurement.short_mm is not None:
        return measurement.short_mm
    return measurement.long_mm


def _of_lesion(state: ReadingState, lesion_id: str) -> list[Measurement]:
    return [m for m in state.measurements if m.lesion_id == lesion_id]
