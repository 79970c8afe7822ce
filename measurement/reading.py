"""The reading a radiologist builds: state, undo and redo, change listeners.

A :class:`Reading` holds the current :class:`~measurement.model.ReadingState`,
applies edits (:mod:`measurement.edits`) through :meth:`Reading.execute`, keeps
an undo and a redo stack of exact earlier states, and calls its listeners after
every change: plain callables, which a Qt window adapts to signals and the
workspace uses to save. A preview (a caliper being dragged) changes what the
table shows without entering the history. :func:`suggest_lesion` proposes the
lesion a new measurement most likely belongs to; :meth:`Reading.to_case` and
:meth:`Reading.from_case` speak the nadir-case/1 format of RECIST.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from measurement.edits import AddMeasurement, Batch, Command, CreateLesion
from measurement.geometry import Point, centre_of
from measurement.model import (
    ID_PREFIXES,
    Lesion,
    LesionKind,
    Measurement,
    ReadingState,
    next_id,
)
from measurement.serial import state_from_case, state_to_case

logger = logging.getLogger(__name__)

# Enough for a long session; the oldest steps are dropped beyond it.
MAX_UNDO = 500

# How far (mm) a mapped centre may lie from a lesion's earlier measurement.
SUGGESTION_TOLERANCE_MM = 15.0

ChangeKind = Literal["do", "undo", "redo", "preview", "reset"]

# Maps a point (LPS mm) from the first study to the second (study instance UIDs);
# None where no mapping is known.
PointMap = Callable[[npt.NDArray[np.float64], str, str], npt.ArrayLike | None]


StateSource = ReadingState | Callable[[], ReadingState]


class HistoryEntry:
    """One undoable step: its label and the exact states around it.

    Either state may be given as a function that builds it when first needed, so a
    long history reopened from a workspace costs nothing until it is undone.
    """

    __slots__ = ("label", "_after", "_before")

    def __init__(self, label: str, before: StateSource, after: StateSource) -> None:
        self.label = label
        self._before = before
        self._after = after

    @property
    def before(self) -> ReadingState:
        """The state before the step."""
        if not isinstance(self._before, ReadingState):
            self._before = self._before()
        return self._before

    @property
    def after(self) -> ReadingState:
        """The state after the step."""
        if not isinstance(self._after, ReadingState):
            self._after = self._after()
        return self._after

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HistoryEntry):
            return NotImplemented
        return (self.label, self.before, self.after) == (
            other.label,
            other.before,
            other.after,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"HistoryEntry({self.label!r})"


@dataclass(frozen=True)
class Change:
    """What a listener is told: the kind of change and the step's label.

    ``transient`` changes (previews) are shown but not saved.
    """

    kind: ChangeKind
    label: str = ""

    @property
    def transient(self) -> bool:
        """True for a preview, which is not part of the saved reading."""
        return self.kind == "preview"


Listener = Callable[[Change], None]


@dataclass(frozen=True)
class Suggestion:
    """The lesion a new measurement probably measures, or none (a new lesion)."""

    lesion_id: str | None
    distance_mm: float | None = None
    timepoint_id: str | None = None

    @property
    def is_new_lesion(self) -> bool:
        """True when no measured lesion lies close enough."""
        return self.lesion_id is None


class Reading:
    """A reading with undo/redo and change listeners."""

    def __init__(self, state: ReadingState | None = None) -> None:
        self._committed = state or ReadingState()
        self._preview: ReadingState | None = None
        self._undo: list[HistoryEntry] = []
        self._redo: list[HistoryEntry] = []
        self._listeners: list[Listener] = []

    # --------------------------------------------------------------- state

    @property
    def state(self) -> ReadingState:
        """What the reading shows now, a preview included."""
        return self._preview if self._preview is not None else self._committed

    @property
    def committed_state(self) -> ReadingState:
        """The reading without any preview: what is saved."""
        return self._committed

    def execute(self, command: Command) -> ReadingState:
        """Apply an edit, push it on the undo stack, clear redo, tell listeners.

        Any preview is dropped first. Raises :class:`~measurement.edits.EditError`
        (leaving the reading unchanged) when the edit cannot be made.
        """
        before = self._committed
        after = command.apply(before)
        had_preview, self._preview = self._preview is not None, None
        if after == before:
            logger.debug("%s changed nothing", command.label)
            if had_preview:
                self._notify(Change("preview", command.label))
            return after
        self._committed = after
        self._undo.append(HistoryEntry(command.label, before, after))
        del self._undo[:-MAX_UNDO]
        self._redo.clear()
        self._notify(Change("do", command.label))
        return after

    def preview(self, command: Command) -> ReadingState:
        """Show an edit (a handle being dragged) without saving or recording it."""
        self._preview = command.apply(self._committed)
        self._notify(Change("preview", command.label))
        return self._preview

    def cancel_preview(self) -> None:
        """Drop a preview and show the committed state again."""
        if self._preview is not None:
            self._preview = None
            self._notify(Change("preview", "Cancel"))

    def undo(self) -> None:
        """Return to the state before the last edit."""
        if not self._undo:
            raise IndexError("nothing to undo")
        entry = self._undo.pop()
        self._redo.append(entry)
        self._preview = None
        self._committed = entry.before
        self._notify(Change("undo", entry.label))

    def redo(self) -> None:
        """Apply again the last undone edit."""
        if not self._redo:
            raise IndexError("nothing to redo")
        entry = self._redo.pop()
        self._undo.append(entry)
        self._preview = None
        self._committed = entry.after
        self._notify(Change("redo", entry.label))

    @property
    def can_undo(self) -> bool:
        """True when there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True when there is an undone edit to redo."""
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        """Label of the edit :meth:`undo` would revert, or ``""``."""
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_label(self) -> str:
        """Label of the edit :meth:`redo` would apply, or ``""``."""
        return self._redo[-1].label if self._redo else ""

    @property
    def undo_entries(self) -> tuple[HistoryEntry, ...]:
        """The undo stack, oldest first."""
        return tuple(self._undo)

    @property
    def redo_entries(self) -> tuple[HistoryEntry, ...]:
        """The redo stack, the next to redo last."""
        return tuple(self._redo)

    def reset(
        self,
        state: ReadingState,
        undo: Iterable[HistoryEntry] = (),
        redo: Iterable[HistoryEntry] = (),
    ) -> None:
        """Replace the whole reading (opening a case or a workspace)."""
        self._committed = state
        self._preview = None
        self._undo = list(undo)[-MAX_UNDO:]
        self._redo = list(redo)
        self._notify(Change("reset", "Open"))

    # ----------------------------------------------------------- listeners

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` after every change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def _notify(self, change: Change) -> None:
        for listener in tuple(self._listeners):
            listener(change)

    # ------------------------------------------------------------ ids

    def next_measurement_id(self) -> str:
        """A free measurement id, ``M1``, ``M2``..."""
        return next_id("M", [m.id for m in self._committed.measurements])

    def next_lesion_id(self, kind: LesionKind) -> str:
        """A free lesion id: ``L`` targets, ``N`` non-targets, ``X`` new lesions."""
        return next_id(ID_PREFIXES[kind], [x.id for x in self._committed.lesions])

    def next_annotation_id(self) -> str:
        """A free annotation id, ``A1``, ``A2``..."""
        return next_id("A", [a.id for a in self._committed.annotations])

    # ------------------------------------------------------------ shortcuts

    def add_measurement(
        self, measurement: Measurement, new_lesion: Lesion | None = None
    ) -> Measurement:
        """Add a finished measurement, in a new lesion if one is given, as one step.

        ``measurement.lesion_id`` names an existing lesion (or None); with
        ``new_lesion`` the lesion is created and the measurement assigned to it.
        Returns the measurement as stored (diameters computed).
        """
        if new_lesion is None:
            self.execute(AddMeasurement(measurement))
        else:
            assigned = replace(measurement, lesion_id=new_lesion.id)
            self.execute(
                Batch(
                    f"Measure new lesion {new_lesion.id}",
                    (CreateLesion(new_lesion), AddMeasurement(assigned)),
                )
            )
        return self._committed.measurement(measurement.id)

    # ------------------------------------------------------------ case file

    def to_case(self) -> dict[str, Any]:
        """The lesion table as a nadir-case/1 dict (RECIST.md), preview included."""
        return state_to_case(self.state)

    @classmethod
    def from_case(cls, case: Mapping[str, Any]) -> Reading:
        """A new reading holding a nadir-case/1 dict's lesion table."""
        return cls(state_from_case(case))

    # ------------------------------------------------------------ suggestions

    def suggest_lesion(
        self,
        centre_lps_mm: npt.ArrayLike,
        timepoint_id: str,
        map_point: PointMap,
        tolerance_mm: float = SUGGESTION_TOLERANCE_MM,
    ) -> Suggestion:
        """See :func:`suggest_lesion`."""
        return suggest_lesion(
            self.state, centre_lps_mm, timepoint_id, map_point, tolerance_mm
        )


def suggest_lesion(
    state: ReadingState,
    centre_lps_mm: npt.ArrayLike,
    timepoint_id: str,
    map_point: PointMap,
    tolerance_mm: float = SUGGESTION_TOLERANCE_MM,
) -> Suggestion:
    """The lesion measured nearest the same anatomical place at another timepoint.

    ``centre_lps_mm`` is the new measurement's centre in the patient coordinates of
    the study of ``timepoint_id``; ``map_point`` carries it into each other study
    (for example through the registration between the two), where it is compared
    with the centre of every lesion's measurement there. The nearest within
    ``tolerance_mm`` wins; lesions already measured at this timepoint come second.
    Without one, the suggestion is a new lesion.
    """
    here = state.timepoint(timepoint_id)
    centre = np.asarray(centre_lps_mm, dtype=np.float64).reshape(3)
    mapped: dict[str, npt.NDArray[np.float64] | None] = {}
    best: tuple[bool, float, str, str] | None = None
    for measurement in state.measurements:
        lesion_id = measurement.lesion_id
        if (
            lesion_id is None
            or measurement.timepoint_id == timepoint_id
            or not measurement.points_lps_mm
        ):
            continue
        there = state.timepoint(measurement.timepoint_id)
        if there.study_uid not in mapped:
            moved = map_point(centre, here.study_uid, there.study_uid)
            mapped[there.study_uid] = (
                None if moved is None else np.asarray(moved, dtype=np.float64)
            )
        point = mapped[there.study_uid]
        if point is None:
            continue
        distance = float(
            np.linalg.norm(point - np.asarray(centre_of(measurement.points_lps_mm)))
        )
        if distance > tolerance_mm:
            continue
        taken = bool(state.cell_measurements(lesion_id, timepoint_id))
        candidate = (taken, distance, lesion_id, there.id)
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    if best is None:
        return Suggestion(None)
    return Suggestion(best[2], best[1], best[3])


def lesion_centre(
    state: ReadingState, lesion_id: str, timepoint_id: str
) -> Point | None:
    """Where a lesion was measured at a timepoint (LPS mm of that study), if it was.

    The window moves a viewport there when the reader selects the lesion, and maps
    it into the other study to show the same place there.
    """
    for measurement in state.cell_measurements(lesion_id, timepoint_id):
        if measurement.points_lps_mm:
            return centre_of(measurement.points_lps_mm)
    return None
