"""Measuring on the viewports: caliper, bidirectional, ellipse ROI, arrow and text.

One :class:`MeasureTools` serves every viewport as its tool (see
:meth:`viewer.viewport.Viewport.set_tool`) and overlay. Points are taken from the
viewport's :class:`~viewer.plane.Plane` in patient millimetres, so lengths are
true on any plane and an uncalibrated image says so in the label. Measurements
are drawn on every plane that passes within half a slice of all their points, in
every viewport that shows their study. While a tool is dragged the reading shows
a preview (the lesion table follows live); when it is released the edit enters
the history, after a finished caliper asked which lesion it measures
(RECIST 1.1 section 4.1: one longest diameter per target lesion and timepoint).
Handles adjust any end point in any mode; with no tool the left button windows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QInputDialog

from app.measure_overlay import MeasureOverlay, segments
from measurement import edits
from measurement.edits import Command, EditError
from measurement.geometry import Point, bidirectional, centre_of, ellipse
from measurement.model import (
    Annotation,
    AnnotationKind,
    ImageRef,
    Lesion,
    LesionKind,
    Measurement,
    ReadingState,
    Timepoint,
    Tool,
)
from measurement.reading import Reading, Suggestion
from viewer.viewport import Viewport

if TYPE_CHECKING:
    from app.reading_session import ReadingSession

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

# Tool name, button text, key.
TOOLS: tuple[tuple[str, str, str], ...] = (
    ("none", "W/L", "W"),
    ("caliper", "Caliper", "C"),
    ("bidirectional", "Bidirectional", "B"),
    ("ellipse", "Ellipse", "E"),
    ("arrow", "Arrow", "A"),
    ("text", "Text", "T"),
)
HANDLE_PX = 8.0
LINE_PX = 5.0
MIN_DRAG_PX = 3.0
# A new bidirectional tool starts with a short axis half as long as its long axis.
DEFAULT_SHORT_RATIO = 0.5


@dataclass(frozen=True)
class AssignRequest:
    """What the lesion chooser is asked after a caliper or bidirectional tool."""

    state: ReadingState
    measurement: Measurement
    timepoint: Timepoint
    suggestion: Suggestion
    preferred_lesion: str | None = None

    @property
    def proposed(self) -> str | None:
        """The lesion to offer first: the suggestion, else the one selected."""
        return self.suggestion.lesion_id or self.preferred_lesion


@dataclass(frozen=True)
class LesionChoice:
    """The reader's answer: an existing lesion, a new one, or neither (unassigned).

    A ``new_lesion`` with an empty id gets the next free id of its kind.
    ``status`` is set at the measurement's timepoint (present, unequivocal...).
    """

    lesion_id: str | None = None
    new_lesion: Lesion | None = None
    status: str | None = None


Chooser = Callable[[AssignRequest], LesionChoice | None]
TextPrompt = Callable[[str], str | None]


@dataclass
class _Drag:
    viewport: Viewport
    tool: str
    timepoint: Timepoint
    start_pixel: FloatArray
    item_id: str = ""
    index: int = -1
    original: tuple[Point, ...] = ()
    is_annotation: bool = False


@dataclass(frozen=True)
class _Hit:
    is_annotation: bool
    item_id: str
    index: int  # handle index, -1 for the line itself


class MeasureTools(QObject):
    """The measuring tools of all viewports of a window."""

    mode_changed = Signal(str)
    selection_changed = Signal(object)  # measurement or annotation id, or None

    def __init__(
        self,
        session: ReadingSession,
        chooser: Chooser | None = None,
        text_prompt: TextPrompt | None = None,
    ) -> None:
        super().__init__(session)
        self.session = session
        self.chooser: Chooser = chooser or self._ask_lesion
        self.text_prompt: TextPrompt = text_prompt or self._ask_text
        self.mode = "none"
        self.selected: str | None = None
        self.preferred_lesion: str | None = None
        self.viewports: list[Viewport] = []
        self._drag: _Drag | None = None
        self.overlay = MeasureOverlay()
        session.changed.connect(lambda _change: self._repaint())

    @property
    def reading(self) -> Reading:
        """The session's reading."""
        return self.session.reading

    def attach(self, viewport: Viewport) -> None:
        """Measure on ``viewport`` and draw its study's measurements there."""
        self.viewports.append(viewport)
        viewport.set_tool(self)
        viewport.add_overlay(self.paint)
        self._set_cursor(viewport)

    def set_mode(self, mode: str) -> None:
        """Pick a tool by name (``none`` gives the left button back to windowing)."""
        if mode not in {name for name, _, _ in TOOLS}:
            raise ValueError(f"no measuring tool {mode!r}")
        self.mode = mode
        for viewport in self.viewports:
            self._set_cursor(viewport)
        self.mode_changed.emit(mode)

    def select(self, item_id: str | None) -> None:
        """Select a measurement or annotation (Del deletes it)."""
        if item_id != self.selected:
            self.selected = item_id
            self.selection_changed.emit(item_id)
            self._repaint()

    def delete_selected(self) -> bool:
        """Delete the selected measurement or annotation; False if none."""
        item_id = self.selected
        if item_id is None:
            return False
        state = self.reading.committed_state
        command: Command
        if any(a.id == item_id for a in state.annotations):
            command = edits.DeleteAnnotation(item_id)
        elif any(m.id == item_id for m in state.measurements):
            command = edits.DeleteMeasurement(item_id)
        else:
            return False
        self.select(None)
        self._execute(command)
        return True

    # ------------------------------------------------------------ tool protocol

    def press(self, viewport: Viewport, pixel_xy: FloatArray) -> bool:
        """Grab a handle, or start the current tool; False lets the viewport window."""
        plane = viewport.plane
        timepoint = self.session.timepoint_of(viewport)
        if plane is None or timepoint is None:
            return False
        hit = self._hit(viewport, pixel_xy)
        if hit is not None:
            self.select(hit.item_id)
            if hit.index >= 0:
                original = self._points_of(hit)
                self._drag = _Drag(
                    viewport,
                    "handle",
                    timepoint,
                    pixel_xy,
                    hit.item_id,
                    hit.index,
                    original,
                    hit.is_annotation,
                )
                return True
        else:
            self.select(None)
        if self.mode == "none":
            return False
        if self.mode == "text":
            self._add_text(viewport, timepoint, pixel_xy)
            return True
        self._drag = _Drag(viewport, self.mode, timepoint, pixel_xy)
        return True

    def move(self, viewport: Viewport, pixel_xy: FloatArray) -> bool:
        """Follow the drag with a preview."""
        drag = self._drag
        if drag is None or drag.viewport is not viewport:
            return False
        command = self._command(drag, pixel_xy)
        if command is None:
            self.reading.cancel_preview()
        else:
            try:
                self.reading.preview(command)
            except EditError as error:
                logger.debug("preview refused: %s", error)
        return True

    def cancel_drag(self) -> bool:
        """Drop the drag in progress (Esc): nothing enters the reading."""
        drag, self._drag = self._drag, None
        if drag is None:
            return False
        self.reading.cancel_preview()
        drag.viewport.update()
        return True

    def release(self, viewport: Viewport, pixel_xy: FloatArray) -> bool:
        """Finish the drag: the edit enters the history."""
        drag, self._drag = self._drag, None
        if drag is None or drag.viewport is not viewport:
            return False
        command = self._command(drag, pixel_xy)
        if command is None:
            self.reading.cancel_preview()
            return True
        if drag.tool == "handle":
            self._execute(command)
        else:
            self._finish_new(drag, command)
        return True

    # ------------------------------------------------------------ building edits

    def _command(self, drag: _Drag, pixel_xy: FloatArray) -> Command | None:
        viewport = drag.viewport
        plane = viewport.plane
        if plane is None:
            return None
        dragged = viewport.pixel_to_widget(pixel_xy) - viewport.pixel_to_widget(
            drag.start_pixel
        )
        if math.hypot(dragged.x(), dragged.y()) < MIN_DRAG_PX:
            return None
        point = _point(plane.to_patient(pixel_xy))
        try:
            if drag.tool == "handle":
                return self._handle_command(drag, point)
            return self._new_command(drag, pixel_xy)
        except ValueError as error:
            logger.debug("no shape yet: %s", error)
            return None

    def _new_command(self, drag: _Drag, pixel_xy: FloatArray) -> Command | None:
        viewport = drag.viewport
        plane = viewport.plane
        assert plane is not None
        start = _point(plane.to_patient(drag.start_pixel))
        end = _point(plane.to_patient(pixel_xy))
        timepoint = drag.timepoint
        if drag.tool == "arrow":
            annotation = Annotation(
                self.reading.next_annotation_id(),
                timepoint.id,
                AnnotationKind.ARROW,
                (start, end),
                image=_image_ref(viewport),
            )
            return edits.AddAnnotation(annotation)
        points: tuple[Point, ...]
        if drag.tool == "caliper":
            tool, points = Tool.CALIPER, (start, end)
        elif drag.tool == "bidirectional":
            tool, points = (
                Tool.BIDIRECTIONAL,
                _default_bidirectional(start, end, plane.normal),
            )
        elif drag.tool == "ellipse":
            tool, points = (
                Tool.ELLIPSE,
                _ellipse_points(plane.to_patient, drag.start_pixel, pixel_xy),
            )
        else:
            return None
        measurement = Measurement(
            self.reading.next_measurement_id(),
            timepoint.id,
            tool,
            points,
            image=_image_ref(viewport),
            calibration=plane.calibration,
        )
        if tool is not Tool.ELLIPSE:
            proposed = self._request(measurement, timepoint).proposed
            measurement = replace(measurement, lesion_id=proposed)
        return edits.AddMeasurement(measurement)

    def _handle_command(self, drag: _Drag, point: Point) -> Command:
        state = self.reading.committed_state
        points = list(drag.original)
        plane = drag.viewport.plane
        assert plane is not None
        if drag.is_annotation:
            annotation = state.annotation(drag.item_id)
            points[drag.index] = point
            return edits.EditAnnotation(annotation.id, tuple(points), annotation.text)
        measurement = state.measurement(drag.item_id)
        if measurement.tool is Tool.ELLIPSE and drag.index == 0:
            shift = np.asarray(point) - np.asarray(points[0])
            points = [_point(np.asarray(p) + shift) for p in points]
        else:
            points[drag.index] = point
        if measurement.tool is Tool.BIDIRECTIONAL:
            axes = bidirectional(points, normal=plane.normal)
            points = list(axes.points_lps_mm)
        elif measurement.tool is Tool.ELLIPSE:
            shape = ellipse(points[0], points[1], points[2], plane.calibration)
            points = list(shape.points_lps_mm)
        return edits.MoveMeasurement(measurement.id, tuple(points))

    def _request(self, measurement: Measurement, timepoint: Timepoint) -> AssignRequest:
        suggestion = self.reading.suggest_lesion(
            centre_of(measurement.points_lps_mm),
            timepoint.id,
            self.session.map_point,
        )
        preferred = self.preferred_lesion
        state = self.reading.committed_state
        if preferred is not None and preferred not in {x.id for x in state.lesions}:
            preferred = None
        return AssignRequest(state, measurement, timepoint, suggestion, preferred)

    def _finish_new(self, drag: _Drag, command: Command) -> None:
        if isinstance(command, edits.AddAnnotation):
            text = self.text_prompt("Arrow label (may be empty)")
            if text is None:
                self.reading.cancel_preview()
                return
            annotation = replace(command.annotation, text=text)
            self._execute(edits.AddAnnotation(annotation))
            self.select(annotation.id)
            return
        if not isinstance(command, edits.AddMeasurement):
            return
        # Lengths computed now, so the lesion question can state them.
        measurement = edits.with_lengths(replace(command.measurement, lesion_id=None))
        if measurement.tool is Tool.ELLIPSE:
            self._execute(edits.AddMeasurement(measurement))
            self.select(measurement.id)
            return
        request = self._request(measurement, drag.timepoint)
        choice = self.chooser(request)
        if choice is None:
            self.reading.cancel_preview()
            return
        commands, lesion_id = self._assignment(choice, measurement, drag.timepoint)
        label = (
            f"Measure {lesion_id} at {drag.timepoint.id}"
            if lesion_id
            else f"Add {measurement.tool.value} {measurement.id}"
        )
        if self._execute(edits.Batch(label, tuple(commands))):
            self.select(measurement.id)

    def _assignment(
        self, choice: LesionChoice, measurement: Measurement, timepoint: Timepoint
    ) -> tuple[list[Command], str | None]:
        state = self.reading.committed_state
        commands: list[Command] = []
        lesion_id = choice.lesion_id
        kind: LesionKind | None = None
        if choice.new_lesion is not None:
            kind = choice.new_lesion.kind
            lesion_id = choice.new_lesion.id or self.reading.next_lesion_id(kind)
            commands.append(
                edits.CreateLesion(replace(choice.new_lesion, id=lesion_id))
            )
        elif lesion_id is not None:
            kind = state.lesion(lesion_id).kind
        commands.append(edits.AddMeasurement(replace(measurement, lesion_id=lesion_id)))
        status = choice.status
        if (
            status is None
            and lesion_id is not None
            and state.status(lesion_id, timepoint.id) is None
        ):
            status = {
                LesionKind.NON_TARGET: "present",
                LesionKind.NEW: "equivocal",
            }.get(kind or LesionKind.TARGET)
        if status is not None and lesion_id is not None:
            commands.append(edits.SetStatus(lesion_id, timepoint.id, status))
        return commands, lesion_id

    def _add_text(
        self, viewport: Viewport, timepoint: Timepoint, pixel_xy: FloatArray
    ) -> None:
        plane = viewport.plane
        assert plane is not None
        text = self.text_prompt("Text")
        if not text:
            return
        annotation = Annotation(
            self.reading.next_annotation_id(),
            timepoint.id,
            AnnotationKind.TEXT,
            (_point(plane.to_patient(pixel_xy)),),
            text,
            _image_ref(viewport),
        )
        self._execute(edits.AddAnnotation(annotation))
        self.select(annotation.id)

    def _execute(self, command: Command) -> bool:
        return self.session.execute(command)

    # ------------------------------------------------------------ hit testing

    def visible(self, viewport: Viewport) -> list[Measurement | Annotation]:
        """The measurements and annotations drawn on the viewport's plane."""
        plane = viewport.plane
        timepoint = self.session.timepoint_of(viewport)
        if plane is None or timepoint is None:
            return []
        half = half_slice_mm(viewport) + 1e-6
        state = self.reading.state
        shown: list[Measurement | Annotation] = []
        items: list[Measurement | Annotation] = [
            *state.measurements,
            *state.annotations,
        ]
        for item in items:
            if item.timepoint_id != timepoint.id or not item.points_lps_mm:
                continue
            distances = np.abs(plane.distance_to(np.asarray(item.points_lps_mm)))
            if float(distances.max()) <= half:
                shown.append(item)
        return shown

    def _hit(self, viewport: Viewport, pixel_xy: FloatArray) -> _Hit | None:
        plane = viewport.plane
        assert plane is not None
        where = viewport.pixel_to_widget(pixel_xy)
        best: tuple[float, _Hit] | None = None
        for item in self.visible(viewport):
            is_annotation = isinstance(item, Annotation)
            widget = [
                viewport.pixel_to_widget(plane.from_patient(p))
                for p in item.points_lps_mm
            ]
            for index, point in enumerate(widget):
                distance = _distance(where, point)
                if distance <= HANDLE_PX and (best is None or distance < best[0]):
                    best = (distance, _Hit(is_annotation, item.id, index))
            if best is None:
                for a, b in segments(item, widget):
                    if _segment_distance(where, a, b) <= LINE_PX:
                        best = (LINE_PX, _Hit(is_annotation, item.id, -1))
        return None if best is None else best[1]

    def _points_of(self, hit: _Hit) -> tuple[Point, ...]:
        state = self.reading.committed_state
        if hit.is_annotation:
            return state.annotation(hit.item_id).points_lps_mm
        return state.measurement(hit.item_id).points_lps_mm

    # ------------------------------------------------------------ painting

    def paint(self, painter: QPainter, viewport: Viewport) -> None:
        """Draw the measurements and annotations on the viewport's plane."""
        self.overlay.paint(painter, viewport, self.visible(viewport), self.selected)

    # ------------------------------------------------------------ dialogs

    def _ask_lesion(self, request: AssignRequest) -> LesionChoice | None:
        from app.lesion_chooser import LesionChooser

        return LesionChooser.ask(request, self.session.window)

    def _ask_text(self, prompt: str) -> str | None:
        text, accepted = QInputDialog.getText(self.session.window, "Nadir", prompt)
        return str(text) if accepted else None

    def _repaint(self) -> None:
        for viewport in self.viewports:
            viewport.update()

    def _set_cursor(self, viewport: Viewport) -> None:
        shape = (
            Qt.CursorShape.ArrowCursor
            if self.mode == "none"
            else Qt.CursorShape.CrossCursor
        )
        viewport.setCursor(shape)


def half_slice_mm(viewport: Viewport) -> float:
    """Half the distance between the planes the viewport steps through."""
    source = viewport.source
    if source is None:
        return 0.0
    volume = source.volume
    if source.orientation == "native":
        step = float(volume.spacing_ijk_mm[2])
    else:
        step = float(min(volume.pixel_spacing_mm))
    return step / 2


def _image_ref(viewport: Viewport) -> ImageRef | None:
    plane = viewport.plane
    volume = viewport.volume
    if plane is None or volume is None:
        return None
    return ImageRef(
        plane.sop_instance_uid,
        volume.info.series_instance_uid,
        volume.info.slice_thickness_mm,
    )


def _default_bidirectional(
    start: Point, end: Point, normal: FloatArray
) -> tuple[Point, ...]:
    a, b = np.asarray(start), np.asarray(end)
    length = float(np.linalg.norm(b - a))
    if length < 1e-6:
        raise ValueError("the long axis has no length yet")
    across = np.cross(normal, (b - a) / length)
    middle = (a + b) / 2
    half = across * length * DEFAULT_SHORT_RATIO / 2
    return bidirectional(
        [a, b, middle - half, middle + half], normal=normal
    ).points_lps_mm


def _ellipse_points(
    to_patient: Callable[[npt.ArrayLike], FloatArray],
    corner_a: FloatArray,
    corner_b: FloatArray,
) -> tuple[Point, ...]:
    centre = (np.asarray(corner_a) + np.asarray(corner_b)) / 2
    first = np.array([corner_b[0], centre[1]])
    second = np.array([centre[0], corner_b[1]])
    if abs(first[0] - centre[0]) < 1e-6 or abs(second[1] - centre[1]) < 1e-6:
        raise ValueError("the ellipse has no width or height yet")
    return ellipse(
        to_patient(centre), to_patient(first), to_patient(second)
    ).points_lps_mm


def _point(vector: npt.ArrayLike) -> Point:
    x, y, z = (float(v) for v in np.asarray(vector, dtype=np.float64).reshape(3))
    return (x, y, z)


def _distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    ax, ay, bx, by = a.x(), a.y(), b.x(), b.y()
    length2 = (bx - ax) ** 2 + (by - ay) ** 2
    if length2 == 0:
        return _distance(p, a)
    t = max(
        0.0, min(1.0, ((p.x() - ax) * (bx - ax) + (p.y() - ay) * (by - ay)) / length2)
    )
    return _distance(p, QPointF(ax + t * (bx - ax), ay + t * (by - ay)))
