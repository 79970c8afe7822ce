"""How measurements and annotations look on a viewport.

Calipers and bidirectional axes are lines with square handles at their points,
ellipses their outline with the statistics of the pixels inside, arrows a line
with a head, notes their text. Labels carry the lesion and the lengths with the
calibration note of :class:`measurement.geometry.Quantity`, so an uncalibrated
image says so on the measurement itself. Colours tell assigned (green),
unassigned (orange) and selected (blue) measurements apart.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

from measurement.geometry import (
    EllipseStatistics,
    Quantity,
    ellipse,
    ellipse_statistics,
    length_unit,
)
from measurement.model import Annotation, AnnotationKind, Measurement, Tool
from viewer.viewport import Viewport

logger = logging.getLogger(__name__)

ASSIGNED = QColor(120, 230, 120)
UNASSIGNED = QColor(255, 170, 60)
SELECTED = QColor(90, 200, 255)
ANNOTATION = QColor(245, 235, 140)
# Ellipse statistics kept for this many (plane, ellipse) pairs.
STATISTICS_CACHE = 200


class MeasureOverlay:
    """Paints marks; keeps the ellipse statistics of the planes shown."""

    def __init__(self) -> None:
        self._statistics: dict[tuple[Any, ...], EllipseStatistics | str] = {}

    def paint(
        self,
        painter: QPainter,
        viewport: Viewport,
        items: list[Measurement | Annotation],
        selected: str | None,
    ) -> None:
        """Draw ``items`` (all on the viewport's plane), ``selected`` highlighted."""
        plane = viewport.plane
        if plane is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        font = QFont(viewport.font())
        font.setPointSizeF(9)
        painter.setFont(font)
        for item in items:
            widget = [
                viewport.pixel_to_widget(plane.from_patient(p))
                for p in item.points_lps_mm
            ]
            if isinstance(item, Annotation):
                colour = SELECTED if item.id == selected else ANNOTATION
                self._paint_annotation(painter, item, widget, colour)
                continue
            if item.id == selected:
                colour = SELECTED
            else:
                colour = ASSIGNED if item.lesion_id else UNASSIGNED
            painter.setPen(QPen(colour, 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if item.tool is Tool.ELLIPSE:
                _draw_ellipse(painter, widget)
                label = self.ellipse_label(viewport, item)
            else:
                for a, b in segments(item, widget):
                    painter.drawLine(a, b)
                label = measurement_label(item)
            for point in widget:
                painter.drawRect(QRectF(point.x() - 3, point.y() - 3, 6, 6))
            _draw_label(painter, _label_anchor(widget), label, colour)

    def _paint_annotation(
        self,
        painter: QPainter,
        annotation: Annotation,
        widget: list[QPointF],
        colour: QColor,
    ) -> None:
        painter.setPen(QPen(colour, 1.5))
        if annotation.kind is AnnotationKind.ARROW and len(widget) == 2:
            tip, tail = widget
            painter.drawLine(tail, tip)
            angle = math.atan2(tip.y() - tail.y(), tip.x() - tail.x())
            head = QPolygonF(
                [
                    tip,
                    tip - QPointF(math.cos(angle - 0.4), math.sin(angle - 0.4)) * 12,
                    tip - QPointF(math.cos(angle + 0.4), math.sin(angle + 0.4)) * 12,
                ]
            )
            painter.setBrush(colour)
            painter.drawPolygon(head)
            anchor = tail
        else:
            anchor = widget[0]
            painter.setBrush(colour)
            painter.drawEllipse(anchor, 2.5, 2.5)
        if annotation.text:
            _draw_label(painter, anchor, annotation.text, colour)

    def ellipse_label(self, viewport: Viewport, measurement: Measurement) -> str:
        """Mean, SD, minimum, maximum and area of an ellipse on the shown plane."""
        plane = viewport.plane
        source = viewport.source
        if plane is None or source is None:
            return ""
        key = (id(plane), measurement.id, measurement.points_lps_mm)
        statistics = self._statistics.get(key)
        if statistics is None:
            values, _ = source.plane(viewport.slice_index)
            try:
                centre, first, second = measurement.points_lps_mm
                shape = ellipse(centre, first, second, plane.calibration)
                statistics = ellipse_statistics(values, plane, shape)
            except ValueError as error:
                statistics = str(error)
            if len(self._statistics) > STATISTICS_CACHE:
                self._statistics.clear()
            self._statistics[key] = statistics
        if isinstance(statistics, str):
            return statistics
        volume = viewport.volume
        unit = "HU" if volume is not None and volume.info.modality == "CT" else ""
        return statistics.label(unit)


def measurement_label(measurement: Measurement) -> str:
    """``"L1 24.0 mm"``, ``"L5 26.0 × 18.0 mm"``; uncalibrated lengths say so."""
    calibration = measurement.calibration
    unit = length_unit(calibration)
    prefix = f"{measurement.lesion_id} " if measurement.lesion_id else ""
    if measurement.long_mm is None:
        return f"{prefix}{measurement.tool.value}"
    long = Quantity(measurement.long_mm, unit, calibration)
    if measurement.short_mm is None:
        return prefix + long.label()
    short = Quantity(measurement.short_mm, unit, calibration)
    return f"{prefix}{long.value:.1f} × {short.label()}"


def segments(
    item: Measurement | Annotation, widget: list[QPointF]
) -> list[tuple[QPointF, QPointF]]:
    """The straight lines of a mark, in widget coordinates."""
    if isinstance(item, Annotation):
        return [(widget[0], widget[1])] if len(widget) == 2 else []
    if item.tool is Tool.ELLIPSE:
        return []
    return [(widget[i], widget[i + 1]) for i in range(0, len(widget) - 1, 2)]


def _draw_ellipse(painter: QPainter, widget: list[QPointF]) -> None:
    centre, first, second = widget
    u = first - centre
    v = second - centre
    path = QPolygonF(
        [
            centre + u * math.cos(t) + v * math.sin(t)
            for t in np.linspace(0, 2 * math.pi, 73)
        ]
    )
    painter.drawPolyline(path)


def _label_anchor(widget: list[QPointF]) -> QPointF:
    rightmost = max(widget, key=lambda p: p.x())
    return QPointF(rightmost.x() + 8, rightmost.y())


def _draw_label(painter: QPainter, anchor: QPointF, text: str, colour: QColor) -> None:
    metrics = painter.fontMetrics()
    lines = text.split("\n")
    width = max(metrics.horizontalAdvance(line) for line in lines) + 8
    height = metrics.height() * len(lines) + 4
    box = QRectF(anchor.x(), anchor.y() - height / 2, width, height)
    # Keep the whole label inside the viewport: flip it to the mark's left side
    # at the right edge, and slide it down or up at the top and bottom.
    device = painter.device()
    if device is not None:
        if box.right() > device.width() - 2:
            box.moveRight(max(box.width() + 2, anchor.x() - 16))
        box.moveTop(min(max(box.top(), 2.0), device.height() - 2 - box.height()))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 160))
    painter.drawRect(box)
    painter.setPen(colour)
    painter.drawText(box.adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignLeft, text)
