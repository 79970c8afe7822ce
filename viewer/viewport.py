"""A 2D viewport: one plane of a volume painted with Qt from numpy.

The viewport windows the slice through a lookup table, wraps the bytes in a
QImage and paints it with the physical aspect of its pixels (non-square pixels
stay true). Around it: patient, study and series text, slice position in mm and
thickness, window/level and zoom, orientation letters at the edges and a scale
bar in mm. The mouse and keys follow :class:`Bindings`; measurement tools plug in
through :meth:`Viewport.set_tool` and paint through :meth:`add_overlay`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from viewer import render
from viewer.plane import Plane
from viewer.slicing import SliceSource
from viewer.volume import Volume, WindowPreset, iso_date

logger = logging.getLogger(__name__)

OVERLAY_COLOUR = QColor(235, 220, 120)
CROSSHAIR_COLOUR = QColor(80, 200, 255)
TEXT_VEIL = QColor(0, 0, 0, 150)


@dataclass
class Bindings:
    """Which mouse button does what; the reader's convention is configurable."""

    window_button: Qt.MouseButton = Qt.MouseButton.LeftButton
    zoom_button: Qt.MouseButton = Qt.MouseButton.RightButton
    pan_button: Qt.MouseButton = Qt.MouseButton.MiddleButton
    # +1: wheel away from the reader moves to the next slice (higher k).
    wheel_direction: int = -1
    window_sensitivity: float = 2.0


class Tool(Protocol):
    """A measurement or annotation tool attached to a viewport."""

    def press(self, viewport: Viewport, pixel_xy: npt.NDArray[np.float64]) -> bool: ...

    def move(self, viewport: Viewport, pixel_xy: npt.NDArray[np.float64]) -> bool: ...

    def release(
        self, viewport: Viewport, pixel_xy: npt.NDArray[np.float64]
    ) -> bool: ...


Overlay = Callable[[QPainter, "Viewport"], None]


class Viewport(QWidget):
    """Shows one plane of a volume with window/level, zoom, pan and overlays."""

    slice_changed = Signal(int)
    window_changed = Signal(float, float)
    view_changed = Signal()
    point_picked = Signal(object)  # LPS mm of a click, for "link here"
    activated = Signal()  # the reader clicked or tabbed into this viewport

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"viewport-{title.lower() or 'unnamed'}")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.title = title
        self.bindings = Bindings()
        self.link_text = ""
        self.source: SliceSource | None = None
        self._index = 0
        self._window = WindowPreset("", 40.0, 400.0)
        self._invert = False
        self._zoom = 1.0
        self._pan = QPointF(0.0, 0.0)
        self._image: QImage | None = None
        self._image_bytes: npt.NDArray[np.uint8] | None = None
        self._plane: Plane | None = None
        self._drag_button: Qt.MouseButton | None = None
        self._drag_start = QPointF()
        self._drag_window = self._window
        self._drag_zoom = 1.0
        self._drag_pan = QPointF()
        self._crosshair_lps_mm: npt.NDArray[np.float64] | None = None
        self._tool: Tool | None = None
        self._overlays: list[Overlay] = []

    # ------------------------------------------------------------ content

    @property
    def volume(self) -> Volume | None:
        """The volume shown, if any."""
        return self.source.volume if self.source else None

    def set_volume(self, volume: Volume | None, orientation: str = "native") -> None:
        """Show ``volume`` in ``orientation``, at its middle, in its first window."""
        if volume is None:
            self.source = None
            self._image = None
            self.update()
            return
        self.source = SliceSource(volume, orientation)
        presets = self.presets()
        self._window = presets[0]
        self._invert = False
        self._index = self.source.count // 2
        self._zoom, self._pan = 1.0, QPointF(0.0, 0.0)
        self._render()
        self.slice_changed.emit(self._index)

    def set_orientation(self, orientation: str) -> None:
        """Switch plane (native, axial, coronal, sagittal), keeping the centre."""
        if self.source is None or orientation == self.source.orientation:
            return
        centre = self.centre_lps_mm()
        self.source = SliceSource(self.source.volume, orientation)
        self._index = self.source.index_of(centre)
        self._render()
        self.slice_changed.emit(self._index)

    def refresh(self) -> None:
        """Render the shown plane again (its voxels changed in place)."""
        self._render()

    def presets(self) -> list[WindowPreset]:
        """The file's own window presets first, then the standard ones."""
        volume = self.volume
        own = list(volume.window_presets) if volume else []
        if volume is not None and not own:
            own = [render.auto_window(volume.voxels)]
        modality = volume.info.modality if volume else ""
        standard = list(render.STANDARD_PRESETS) if modality in ("CT", "") else []
        return own + standard

    @property
    def slice_index(self) -> int:
        """Index of the plane shown, 0-based."""
        return self._index

    @property
    def slice_count(self) -> int:
        """How many planes the current orientation has."""
        return self.source.count if self.source else 0

    @property
    def plane(self) -> Plane | None:
        """The geometry of the image shown."""
        return self._plane

    @property
    def window(self) -> WindowPreset:
        """The window in force, in modality units."""
        return self._window

    @property
    def zoom(self) -> float:
        """Zoom relative to fitting the image into the viewport."""
        return self._zoom

    def set_slice(self, index: int) -> None:
        """Show plane ``index``, clipped to the stack."""
        if self.source is None:
            return
        index = int(np.clip(index, 0, self.source.count - 1))
        if index == self._index and self._image is not None:
            return
        self._index = index
        self._render()
        self.slice_changed.emit(index)

    def scroll(self, steps: int) -> None:
        """Move ``steps`` planes (negative goes back)."""
        self.set_slice(self._index + steps)

    def show_point(self, point_lps_mm: npt.ArrayLike) -> None:
        """Scroll to the plane nearest a patient point and mark it."""
        if self.source is None:
            return
        point = np.asarray(point_lps_mm, dtype=np.float64)
        self._crosshair_lps_mm = point
        self.set_slice(self.source.index_of(point))
        self.update()

    @property
    def crosshair_lps_mm(self) -> npt.NDArray[np.float64] | None:
        """The marked patient point, if any."""
        return self._crosshair_lps_mm

    def set_crosshair(self, point_lps_mm: npt.ArrayLike | None) -> None:
        """Mark a patient point without scrolling (None removes the mark)."""
        self._crosshair_lps_mm = (
            None if point_lps_mm is None else np.asarray(point_lps_mm, dtype=float)
        )
        self.update()

    def set_window(self, center: float, width: float, name: str = "") -> None:
        """Set window centre and width (modality units)."""
        width = max(float(width), 1.0)
        if (center, width) == (self._window.center, self._window.width):
            return
        self._window = WindowPreset(name, float(center), width)
        self._render()
        self.window_changed.emit(self._window.center, self._window.width)

    def apply_preset(self, number: int) -> None:
        """Apply preset ``number`` (1-based, as on the number keys)."""
        presets = self.presets()
        if 1 <= number <= len(presets):
            preset = presets[number - 1]
            self.set_window(preset.center, preset.width, preset.name)

    def set_invert(self, invert: bool) -> None:
        """Show the grey scale inverted (on top of MONOCHROME1's own inversion)."""
        self._invert = invert
        self._render()

    def set_view(self, zoom: float, pan: QPointF) -> None:
        """Set zoom (1 = fit) and pan (widget pixels), as linked viewports do."""
        self._zoom = float(np.clip(zoom, 0.1, 40.0))
        self._pan = QPointF(pan)
        self.update()
        self.view_changed.emit()

    @property
    def pan(self) -> QPointF:
        """Pan offset in widget pixels."""
        return QPointF(self._pan)

    def reset_view(self) -> None:
        """Fit the image, first preset, not inverted."""
        self._invert = False
        presets = self.presets()
        if presets:
            self.set_window(presets[0].center, presets[0].width, presets[0].name)
        self.set_view(1.0, QPointF(0.0, 0.0))
        self._render()

    # ------------------------------------------------------------ tools

    def set_tool(self, tool: Tool | None) -> None:
        """Give the left button to a measurement tool (None: back to window)."""
        self._tool = tool
        cursor = Qt.CursorShape.CrossCursor if tool else Qt.CursorShape.ArrowCursor
        self.setCursor(cursor)

    def add_overlay(self, overlay: Overlay) -> None:
        """Paint ``overlay(painter, viewport)`` above the image each frame."""
        self._overlays.append(overlay)

    # ------------------------------------------------------------ geometry

    def image_transform(self) -> QTransform:
        """Map image pixel coordinates (pixel centres at integers) to widget."""
        plane = self._plane
        if plane is None:
            return QTransform()
        columns, rows = plane.size
        sx, sy = plane.spacing_mm
        fit = min(self.width() / (columns * sx), self.height() / (rows * sy))
        scale = fit * self._zoom
        transform = QTransform()
        transform.translate(
            self.width() / 2 + self._pan.x(), self.height() / 2 + self._pan.y()
        )
        transform.scale(scale * sx, scale * sy)
        transform.translate(-columns / 2 + 0.5, -rows / 2 + 0.5)
        return transform

    def pixels_per_mm(self) -> float:
        """Screen pixels per millimetre along the image's x axis."""
        plane = self._plane
        if plane is None:
            return 0.0
        return float(self.image_transform().m11() / plane.spacing_mm[0])

    def widget_to_pixel(self, position: QPointF) -> npt.NDArray[np.float64]:
        """Continuous image pixel coordinates under a widget position."""
        inverse, _ = self.image_transform().inverted()
        mapped = inverse.map(position)
        return np.array([mapped.x(), mapped.y()], dtype=np.float64)

    def pixel_to_widget(self, pixel_xy: npt.ArrayLike) -> QPointF:
        """Widget position of continuous image pixel coordinates."""
        x, y = np.asarray(pixel_xy, dtype=np.float64)[:2]
        return self.image_transform().map(QPointF(float(x), float(y)))

    def widget_to_patient(self, position: QPointF) -> npt.NDArray[np.float64] | None:
        """Patient point (LPS mm) under a widget position on the shown plane."""
        if self._plane is None:
            return None
        return self._plane.to_patient(self.widget_to_pixel(position))

    def centre_lps_mm(self) -> npt.NDArray[np.float64]:
        """Patient point at the centre of the viewport, on the shown plane."""
        point = self.widget_to_patient(QPointF(self.width() / 2, self.height() / 2))
        return point if point is not None else np.zeros(3)

    # ------------------------------------------------------------ painting

    def _render(self) -> None:
        if self.source is None:
            return
        values, plane = self.source.plane(self._index)
        volume = self.source.volume
        invert = volume.monochrome1 != self._invert
        grey = render.window_slice(
            values, self._window.center, self._window.width, invert=invert
        )
        grey = np.ascontiguousarray(grey)
        rows, columns = grey.shape
        self._image_bytes = grey
        self._image = QImage(
            grey.data, columns, rows, columns, QImage.Format.Format_Grayscale8
        )
        self._plane = plane
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._image is not None and self._plane is not None:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            transform = self.image_transform()
            # QImage pixel x spans [x, x+1); our pixel centres sit at integers.
            shift = QTransform().translate(-0.5, -0.5)
            painter.setTransform(shift * transform)
            painter.drawImage(QPointF(0, 0), self._image)
            painter.restore()
            self._paint_crosshair(painter)
            for overlay in self._overlays:
                painter.save()
                overlay(painter, self)
                painter.restore()
            self._paint_text(painter)
            self._paint_orientation(painter)
            self._paint_scale_bar(painter)
        else:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, self.title or "No series"
            )
        painter.end()

    def _paint_crosshair(self, painter: QPainter) -> None:
        plane = self._plane
        if self._crosshair_lps_mm is None or plane is None:
            return
        centre = self.pixel_to_widget(plane.from_patient(self._crosshair_lps_mm))
        pen = QPen(CROSSHAIR_COLOUR, 1)
        painter.setPen(pen)
        gap, arm = 6, 18
        x, y = centre.x(), centre.y()
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            painter.drawLine(
                QPointF(x + dx * gap, y + dy * gap), QPointF(x + dx * arm, y + dy * arm)
            )

    def overlay_corners(self) -> tuple[list[str], list[str], list[str], list[str]]:
        """Text lines of the top-left, top-right, bottom-left, bottom-right corners."""
        volume = self.volume
        plane = self._plane
        if volume is None or plane is None or self.source is None:
            return [], [], [], []
        info = volume.info
        top_left = [
            self.title,
            info.patient_name.replace("^", " "),
            info.patient_id,
            iso_date(info.study_date),
        ]
        position = float(plane.distance_to(np.zeros(3)) * -1)
        # Only a native plane is one acquired slice with a thickness of its own.
        own = (
            volume.slice_thickness_at(self._index)
            if self.source.orientation == "native"
            else None
        )
        thickness = f"  thk {own:g} mm" if own else ""
        top_right = [
            info.series_description or info.modality,
            f"{self.source.orientation_name}  {self._index + 1}/{self.source.count}",
            f"pos {position:.1f} mm{thickness}",
        ]
        zoom_pct = self.pixels_per_mm() * plane.spacing_mm[0] * 100
        bottom_left = [
            f"W {self._window.width:.0f}  L {self._window.center:.0f}"
            + (f"  {self._window.name}" if self._window.name else ""),
            f"Zoom {zoom_pct:.0f}%",
        ]
        if not plane.calibration.trusted:
            bottom_left.append(f"Uncalibrated: {plane.calibration.note}")
        bottom_right = [self.link_text] if self.link_text else []
        return top_left, top_right, bottom_left, bottom_right

    def _paint_text(self, painter: QPainter) -> None:
        if self.volume is None:
            return
        font = QFont(self.font())
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.setPen(OVERLAY_COLOUR)
        margin = 6
        area = QRectF(self.rect()).adjusted(margin, margin, -margin, -margin)
        flags = Qt.AlignmentFlag
        alignments = (
            flags.AlignLeft | flags.AlignTop,
            flags.AlignRight | flags.AlignTop,
            flags.AlignLeft | flags.AlignBottom,
            flags.AlignRight | flags.AlignBottom,
        )
        for alignment, lines in zip(alignments, self.overlay_corners(), strict=True):
            _shadowed_text(painter, area, alignment, _lines(lines))

    def _paint_orientation(self, painter: QPainter) -> None:
        plane = self._plane
        if plane is None:
            return
        painter.setPen(OVERLAY_COLOUR)
        width, height = self.width(), self.height()
        right = render.orientation_label(plane.x_axis)
        left = render.orientation_label(-plane.x_axis)
        bottom = render.orientation_label(plane.y_axis)
        top = render.orientation_label(-plane.y_axis)
        box = 24
        centre = Qt.AlignmentFlag.AlignCenter
        middle_y, middle_x = height / 2 - box / 2, width / 2 - box / 2
        for rect, letters in (
            (QRectF(2, middle_y, box, box), left),
            (QRectF(width - box - 2, middle_y, box, box), right),
            (QRectF(middle_x, 40, box, box), top),
            (QRectF(middle_x, height - box - 40, box, box), bottom),
        ):
            _shadowed_text(painter, rect, centre, letters)

    def _paint_scale_bar(self, painter: QPainter) -> None:
        plane = self._plane
        if plane is None:
            return
        per_mm = self.pixels_per_mm()
        length = render.scale_bar_mm(per_mm, self.width() * 0.25)
        if length <= 0:
            return
        unit = plane.calibration.unit
        x1 = self.width() - 12
        x0 = x1 - length * per_mm
        y = self.height() - 52
        painter.setPen(QPen(OVERLAY_COLOUR, 2))
        painter.drawLine(QPointF(x0, y), QPointF(x1, y))
        for x in (x0, x1):
            painter.drawLine(QPointF(x, y - 4), QPointF(x, y + 4))
        painter.drawText(
            QRectF(x0, y - 20, x1 - x0, 16),
            Qt.AlignmentFlag.AlignCenter,
            f"{length:g} {unit}",
        )

    # ------------------------------------------------------------ input

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() // 120
        if steps:
            self.scroll(int(steps) * self.bindings.wheel_direction)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        keys = Qt.Key
        if key in (keys.Key_Up, keys.Key_Right):
            self.scroll(1)
        elif key in (keys.Key_Down, keys.Key_Left):
            self.scroll(-1)
        elif key == keys.Key_PageUp:
            self.scroll(10)
        elif key == keys.Key_PageDown:
            self.scroll(-10)
        elif key == keys.Key_Home:
            self.set_slice(0)
        elif key == keys.Key_End:
            self.set_slice(self.slice_count - 1)
        elif keys.Key_1 <= key <= keys.Key_9:
            self.apply_preset(int(key) - int(keys.Key_0))
        elif key == keys.Key_I:
            self.set_invert(not self._invert)
        elif key == keys.Key_R:
            self.reset_view()
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusInEvent(event)
        self.activated.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus()
        position = event.position()
        button = event.button()
        if (
            self._tool is not None
            and button == Qt.MouseButton.LeftButton
            and self._tool.press(self, self.widget_to_pixel(position))
        ):
            self._drag_button = button
            return
        self._drag_button = button
        self._drag_start = position
        self._drag_window = self._window
        self._drag_zoom = self._zoom
        self._drag_pan = QPointF(self._pan)
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            point = self.widget_to_patient(position)
            if point is not None:
                self.point_picked.emit(point)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        position = event.position()
        button = self._drag_button
        if button is None:
            return
        if (
            self._tool is not None
            and button == Qt.MouseButton.LeftButton
            and self._tool.move(self, self.widget_to_pixel(position))
        ):
            return
        delta = position - self._drag_start
        if button == self.bindings.window_button:
            sensitivity = self.bindings.window_sensitivity
            self.set_window(
                self._drag_window.center - delta.y() * sensitivity,
                self._drag_window.width + delta.x() * sensitivity,
            )
        elif button == self.bindings.zoom_button:
            self.set_view(self._drag_zoom * float(np.exp(-delta.y() / 200)), self._pan)
        elif button == self.bindings.pan_button:
            self.set_view(self._zoom, self._drag_pan + delta)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if (
            self._tool is not None
            and self._drag_button == Qt.MouseButton.LeftButton
            and event.button() == Qt.MouseButton.LeftButton
        ):
            self._tool.release(self, self.widget_to_pixel(event.position()))
        self._drag_button = None

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.update()


def _shadowed_text(
    painter: QPainter, rect: QRectF, alignment: Qt.AlignmentFlag, text: str
) -> None:
    """Overlay text on a dark veil, readable on white bone and on black air."""
    if not text:
        return
    bounds = painter.boundingRect(rect, alignment, text).adjusted(-3, -1, 3, 1)
    painter.fillRect(bounds, TEXT_VEIL)
    painter.drawText(rect, alignment, text)


def _lines(parts: list[str]) -> str:
    return "\n".join(part for part in parts if part)
