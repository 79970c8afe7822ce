"""Every edit of a reading as a command: a small value that maps one state to the next.

A command's :meth:`apply` takes a :class:`~measurement.model.ReadingState` and
returns the edited state, or raises :class:`EditError` saying why the edit cannot
be made; it never changes its input. The undo stack in :mod:`measurement.reading`
keeps the states before and after, so undo and redo are exact. Status values and
lesion kinds are those of RECIST 1.1 as summarised in RECIST.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from measurement.geometry import Point, bidirectional, tool_lengths
from measurement.model import (
    STATUSES,
    Annotation,
    ImageRef,
    KeyImage,
    Lesion,
    LesionKind,
    Measurement,
    ReadingState,
    Status,
    Timepoint,
    Tool,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class EditError(ValueError):
    """An edit that cannot be applied to the current reading."""


class Command(Protocol):
    """An edit of a reading."""

    @property
    def label(self) -> str:
        """What the edit does, for the Undo and Redo menu items."""
        ...

    def apply(self, state: ReadingState) -> ReadingState:
        """The state after the edit."""
        ...


# ----------------------------------------------------------------- timepoints


@dataclass(frozen=True)
class AddTimepoint:
    """Add a study as a timepoint; a baseline one replaces the previous baseline."""

    timepoint: Timepoint

    @property
    def label(self) -> str:
        return f"Add timepoint {self.timepoint.id}"

    def apply(self, state: ReadingState) -> ReadingState:
        if any(t.id == self.timepoint.id for t in state.timepoints):
            raise EditError(f"timepoint {self.timepoint.id} already exists")
        if state.timepoint_of_study(self.timepoint.study_uid) is not None:
            raise EditError(
                f"study {self.timepoint.study_uid} already has a timepoint; "
                "each study is one timepoint"
            )
        others = state.timepoints
        if self.timepoint.baseline:
            others = tuple(replace(t, baseline=False) for t in others)
        return replace(state, timepoints=(*others, self.timepoint))


@dataclass(frozen=True)
class SetBaseline:
    """Mark one timepoint as the baseline (RECIST 1.1 section 4.3.1)."""

    timepoint_id: str

    @property
    def label(self) -> str:
        return f"Make {self.timepoint_id} the baseline"

    def apply(self, state: ReadingState) -> ReadingState:
        _require(state.timepoint, self.timepoint_id)
        timepoints = tuple(
            replace(t, baseline=t.id == self.timepoint_id) for t in state.timepoints
        )
        return replace(state, timepoints=timepoints)


# --------------------------------------------------------------- measurements


@dataclass(frozen=True)
class AddMeasurement:
    """Add a finished measurement; diameters are computed from its points."""

    measurement: Measurement

    @property
    def label(self) -> str:
        return f"Add {self.measurement.tool} {self.measurement.id}"

    def apply(self, state: ReadingState) -> ReadingState:
        new = self.measurement
        if any(m.id == new.id for m in state.measurements):
            raise EditError(f"measurement {new.id} already exists")
        _require(state.timepoint, new.timepoint_id)
        measured = with_lengths(new)
        state = replace(
            state, measurements=(*state.measurements, replace(measured, lesion_id=None))
        )
        if new.lesion_id is not None:
            state = AssignMeasurement(new.id, new.lesion_id).apply(state)
        return state


@dataclass(frozen=True)
class MoveMeasurement:
    """Replace a measurement's points (a handle was dragged); diameters follow."""

    measurement_id: str
    points_lps_mm: tuple[Point, ...]

    @property
    def label(self) -> str:
        return f"Move {self.measurement_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        old = _require(state.measurement, self.measurement_id)
        moved = with_lengths(
            replace(old, points_lps_mm=self.points_lps_mm, long_mm=None, short_mm=None)
        )
        return _replace_measurement(state, moved)


@dataclass(frozen=True)
class DeleteMeasurement:
    """Remove a measurement."""

    measurement_id: str

    @property
    def label(self) -> str:
        return f"Delete {self.measurement_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        _require(state.measurement, self.measurement_id)
        kept = tuple(m for m in state.measurements if m.id != self.measurement_id)
        return replace(state, measurements=kept)


@dataclass(frozen=True)
class AssignMeasurement:
    """Tie a measurement to a lesion (or free it with ``lesion_id=None``).

    A target lesion holds one measurement per timepoint: assigning one frees the
    measurement it had there and clears a status set there.
    """

    measurement_id: str
    lesion_id: str | None

    @property
    def label(self) -> str:
        if self.lesion_id is None:
            return f"Unassign {self.measurement_id}"
        return f"Assign {self.measurement_id} to {self.lesion_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        measurement = _require(state.measurement, self.measurement_id)
        if self.lesion_id is None:
            return _replace_measurement(state, replace(measurement, lesion_id=None))
        lesion = _require(state.lesion, self.lesion_id)
        if measurement.tool is Tool.ELLIPSE:
            raise EditError(
                f"{measurement.id} is an ellipse and has no diameter; measure "
                f"{lesion.id} with a caliper or the bidirectional tool"
            )
        if lesion.kind is LesionKind.TARGET:
            state = _free_target_cell(state, lesion.id, measurement.timepoint_id)
        return _replace_measurement(state, replace(measurement, lesion_id=lesion.id))


# -------------------------------------------------------------------- lesions


@dataclass(frozen=True)
class CreateLesion:
    """Add a lesion row."""

    lesion: Lesion

    @property
    def label(self) -> str:
        return f"Create lesion {self.lesion.id}"

    def apply(self, state: ReadingState) -> ReadingState:
        if any(lesion.id == self.lesion.id for lesion in state.lesions):
            raise EditError(f"lesion {self.lesion.id} already exists")
        if not self.lesion.id:
            raise EditError("a lesion needs an id")
        return replace(state, lesions=(*state.lesions, self.lesion))


@dataclass(frozen=True)
class RenameLesion:
    """Change a lesion's name (location) and organ."""

    lesion_id: str
    name: str
    organ: str

    @property
    def label(self) -> str:
        return f"Rename {self.lesion_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        lesion = _require(state.lesion, self.lesion_id)
        return _replace_lesion(state, replace(lesion, name=self.name, organ=self.organ))


@dataclass(frozen=True)
class RetypeLesion:
    """Make a lesion target, non-target or new, nodal or not.

    Statuses that do not exist for the new kind are dropped, and a lesion that
    stops being a target keeps its measurements.
    """

    lesion_id: str
    kind: LesionKind
    node: bool

    @property
    def label(self) -> str:
        return f"Make {self.lesion_id} {self.kind.value}"

    def apply(self, state: ReadingState) -> ReadingState:
        lesion = _require(state.lesion, self.lesion_id)
        state = _replace_lesion(state, replace(lesion, kind=self.kind, node=self.node))
        allowed = STATUSES[self.kind]
        kept = tuple(
            s
            for s in state.statuses
            if s.lesion_id != self.lesion_id or s.value in allowed
        )
        if self.kind is LesionKind.TARGET:
            for timepoint in state.timepoints:
                cell = state.cell_measurements(self.lesion_id, timepoint.id)
                for extra in cell[1:]:
                    state = _replace_measurement(state, replace(extra, lesion_id=None))
        return replace(state, statuses=kept)


@dataclass(frozen=True)
class DeleteLesion:
    """Remove a lesion row; its measurements stay on their images, unassigned."""

    lesion_id: str

    @property
    def label(self) -> str:
        return f"Delete lesion {self.lesion_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        _require(state.lesion, self.lesion_id)
        return replace(
            state,
            lesions=tuple(x for x in state.lesions if x.id != self.lesion_id),
            measurements=tuple(
                replace(m, lesion_id=None) if m.lesion_id == self.lesion_id else m
                for m in state.measurements
            ),
            statuses=tuple(s for s in state.statuses if s.lesion_id != self.lesion_id),
        )


@dataclass(frozen=True)
class SetStatus:
    """Set (or clear with ``None``) a lesion's status at a timepoint.

    On a target lesion a status replaces the measurement of that cell, which stays
    on its image unassigned.
    """

    lesion_id: str
    timepoint_id: str
    value: str | None

    @property
    def label(self) -> str:
        return f"Set {self.lesion_id} at {self.timepoint_id} to {self.value or 'none'}"

    def apply(self, state: ReadingState) -> ReadingState:
        lesion = _require(state.lesion, self.lesion_id)
        _require(state.timepoint, self.timepoint_id)
        allowed = STATUSES[lesion.kind]
        if self.value is not None and self.value not in allowed:
            raise EditError(
                f"{self.value!r} is not a status of a {lesion.kind.value} lesion; "
                f"choose one of {', '.join(allowed)}"
            )
        if lesion.kind is LesionKind.TARGET and self.value is not None:
            state = _free_target_cell(state, lesion.id, self.timepoint_id)
        kept = tuple(
            s
            for s in state.statuses
            if (s.lesion_id, s.timepoint_id) != (self.lesion_id, self.timepoint_id)
        )
        if self.value is not None:
            kept = (*kept, Status(self.lesion_id, self.timepoint_id, self.value))
        return replace(state, statuses=kept)


# ---------------------------------------------------- annotations, key images


@dataclass(frozen=True)
class AddAnnotation:
    """Add an arrow or a text note."""

    annotation: Annotation

    @property
    def label(self) -> str:
        return f"Add {self.annotation.kind.value} {self.annotation.id}"

    def apply(self, state: ReadingState) -> ReadingState:
        if any(a.id == self.annotation.id for a in state.annotations):
            raise EditError(f"annotation {self.annotation.id} already exists")
        _require(state.timepoint, self.annotation.timepoint_id)
        return replace(state, annotations=(*state.annotations, self.annotation))


@dataclass(frozen=True)
class EditAnnotation:
    """Move an annotation or change its text."""

    annotation_id: str
    points_lps_mm: tuple[Point, ...]
    text: str

    @property
    def label(self) -> str:
        return f"Edit {self.annotation_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        old = _require(state.annotation, self.annotation_id)
        new = replace(old, points_lps_mm=self.points_lps_mm, text=self.text)
        return replace(
            state,
            annotations=tuple(new if a.id == old.id else a for a in state.annotations),
        )


@dataclass(frozen=True)
class DeleteAnnotation:
    """Remove an annotation."""

    annotation_id: str

    @property
    def label(self) -> str:
        return f"Delete {self.annotation_id}"

    def apply(self, state: ReadingState) -> ReadingState:
        _require(state.annotation, self.annotation_id)
        kept = tuple(a for a in state.annotations if a.id != self.annotation_id)
        return replace(state, annotations=kept)


@dataclass(frozen=True)
class FlagKeyImage:
    """Flag an image as a key image, or remove the flag."""

    image: ImageRef
    timepoint_id: str
    flagged: bool = True

    @property
    def label(self) -> str:
        verb = "Flag" if self.flagged else "Unflag"
        return f"{verb} key image"

    def apply(self, state: ReadingState) -> ReadingState:
        _require(state.timepoint, self.timepoint_id)
        kept = tuple(
            k for k in state.key_images if k.image.sop_uid != self.image.sop_uid
        )
        if self.flagged:
            kept = (*kept, KeyImage(self.image, self.timepoint_id))
        return replace(state, key_images=kept)


@dataclass(frozen=True)
class Batch:
    """Several edits undone and redone as one (e.g. a new lesion and its caliper)."""

    text: str
    commands: tuple[Command, ...]

    @property
    def label(self) -> str:
        return self.text

    def apply(self, state: ReadingState) -> ReadingState:
        for command in self.commands:
            state = command.apply(state)
        return state


# -------------------------------------------------------------------- helpers


def _require(look_up: Callable[[str], T], key: str) -> T:
    try:
        return look_up(key)
    except KeyError as error:
        raise EditError(str(error.args[0])) from None


def with_lengths(measurement: Measurement) -> Measurement:
    """The measurement with its long (and short) axis computed from its points."""
    if measurement.tool not in (Tool.CALIPER, Tool.BIDIRECTIONAL):
        return measurement
    if measurement.long_mm is not None:
        return measurement
    points = measurement.points_lps_mm
    try:
        if measurement.tool is Tool.BIDIRECTIONAL:
            # Store the short axis as measured: perpendicular to the long axis.
            axes = bidirectional(points, calibration=measurement.calibration)
            points = axes.points_lps_mm
        long, short = tool_lengths(measurement.tool, points, measurement.calibration)
    except ValueError as error:
        raise EditError(f"{measurement.id}: {error}") from None
    return replace(
        measurement,
        points_lps_mm=points,
        long_mm=long.value if long else None,
        short_mm=short.value if short else None,
    )


def _replace_measurement(state: ReadingState, new: Measurement) -> ReadingState:
    return replace(
        state,
        measurements=tuple(new if m.id == new.id else m for m in state.measurements),
    )


def _replace_lesion(state: ReadingState, new: Lesion) -> ReadingState:
    return replace(
        state, lesions=tuple(new if x.id == new.id else x for x in state.lesions)
    )


def _free_target_cell(
    state: ReadingState, lesion_id: str, timepoint_id: str
) -> ReadingState:
    for old in state.cell_measurements(lesion_id, timepoint_id):
        state = _replace_measurement(state, replace(old, lesion_id=None))
    statuses = tuple(
        s
        for s in state.statuses
        if (s.lesion_id, s.timepoint_id) != (lesion_id, timepoint_id)
    )
    return replace(state, statuses=statuses)
