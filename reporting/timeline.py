"""The timeline plot of the sum of diameters, painted with QPainter.

Shows the sum of target diameters at each timepoint over the study dates, with the
baseline and nadir sums and the two RECIST 1.1 thresholds (section 4.3.1): partial
response at 30 % below the baseline sum, progression at 20 % and at least 5 mm
above the nadir. Used by the PDF report and, through :func:`draw_timeline` on any
QPainter, by the application's table view.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QLocale, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from reporting import i18n
from reporting.qtsupport import (
    ensure_gui_application,
    format_date,
    report_font_family,
)

logger = logging.getLogger(__name__)

PR_FACTOR = 0.70
PD_FACTOR = 1.20
PD_MIN_MM = 5.0


@dataclass(frozen=True)
class TimelinePoint:
    """One timepoint on the plot; ``sum_mm`` None where the sum is incomplete."""

    date: datetime.date
    sum_mm: float | None
    label: str
    response: str | None = None


def time_fractions(dates: Sequence[datetime.date]) -> list[float]:
    """Where each timepoint sits along the time axis, 0 (first) to 1 (last).

    Proportional to the days between studies; studies of one day step apart a
    little, and when all share one day they spread evenly, so their points and
    labels do not sit on each other.
    """
    if not dates:
        return []
    first = min(dates)
    span = max(1, (max(dates) - first).days)
    if len(set(dates)) == 1:
        return [i / max(1, len(dates) - 1) for i in range(len(dates))]
    fractions = []
    for index, date in enumerate(dates):
        same_day = sum(1 for earlier in dates[:index] if earlier == date)
        fractions.append(min(1.0, (date - first).days / span + 0.12 * same_day))
    return fractions


def pd_threshold_mm(nadir_mm: float) -> float:
    """The smallest sum that is progression from this nadir (RECIST 1.1 4.3.1)."""
    return max(nadir_mm * PD_FACTOR, nadir_mm + PD_MIN_MM)


def draw_timeline(
    painter: QPainter,
    rect: QRectF,
    points: Sequence[TimelinePoint],
    baseline_mm: float | None,
    nadir_mm: float | None,
    lang: str,
    locale: QLocale,
    font_family: str = "",
) -> None:
    """Paint the plot into ``rect`` (device units) of an active painter."""
    painter.save()
    unit = rect.height() / 60.0
    font = QFont(font_family or report_font_family())
    font.setPixelSize(max(6, round(unit * 2.6)))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    left = rect.left() + metrics.horizontalAdvance("000 mm") + unit
    plot = QRectF(
        left,
        rect.top() + unit * 2,
        rect.right() - left - unit * 3,
        rect.height() - unit * 2 - metrics.height() * 6.6,
    )
    sums = [p.sum_mm for p in points if p.sum_mm is not None]
    heights = sums + [v for v in (baseline_mm,) if v is not None]
    if nadir_mm is not None:
        heights.append(pd_threshold_mm(nadir_mm))
    top_mm = max(heights + [10.0]) * 1.12
    fractions = time_fractions([p.date for p in points])

    def x_of(index: int) -> float:
        return plot.left() + plot.width() * (0.06 + 0.88 * fractions[index])

    def y_of(mm: float) -> float:
        return plot.bottom() - plot.height() * mm / top_mm

    _axes(painter, plot, top_mm, y_of, unit, locale, lang)
    levels: list[tuple[float, str, Qt.PenStyle, str]] = []
    if baseline_mm is not None:
        levels.append(
            (
                baseline_mm,
                "#555555",
                Qt.PenStyle.SolidLine,
                f"{i18n.label('baseline', lang)} {_mm(baseline_mm, locale, lang)}",
            )
        )
        levels.append(
            (
                baseline_mm * PR_FACTOR,
                "#2a7f3f",
                Qt.PenStyle.DashLine,
                i18n.label("pr_threshold", lang),
            )
        )
    if nadir_mm is not None:
        levels.append(
            (
                nadir_mm,
                "#1f5fa8",
                Qt.PenStyle.DotLine,
                f"{i18n.label('nadir', lang)} {_mm(nadir_mm, locale, lang)}",
            )
        )
        levels.append(
            (
                pd_threshold_mm(nadir_mm),
                "#b3261e",
                Qt.PenStyle.DashLine,
                i18n.label("pd_threshold", lang),
            )
        )
    pens = []
    for value, colour, style, text in levels:
        pen = QPen(QColor(colour), max(1.0, unit * 0.3))
        pen.setStyle(style)
        painter.setPen(pen)
        y = y_of(value)
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        pens.append((pen, text))
    _series(painter, points, x_of, y_of, unit, locale, lang, plot, rect)
    _legend(painter, pens, rect, unit)
    painter.restore()


def render_timeline(
    points: Sequence[TimelinePoint],
    baseline_mm: float | None,
    nadir_mm: float | None,
    lang: str,
    locale: QLocale,
    width_px: int = 1200,
    height_px: int = 600,
) -> QImage:
    """The plot as an image (white background)."""
    ensure_gui_application()
    image = QImage(width_px, height_px, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw_timeline(
        painter,
        QRectF(0, 0, width_px, height_px),
        points,
        baseline_mm,
        nadir_mm,
        lang,
        locale,
    )
    painter.end()
    return image


def _mm(value: float, locale: QLocale, lang: str) -> str:
    return f"{locale.toString(value, 'f', 1)} {i18n.label('mm', lang)}"


def _axes(
    painter: QPainter,
    plot: QRectF,
    top_mm: float,
    y_of: Callable[[float], float],
    unit: float,
    locale: QLocale,
    lang: str,
) -> None:
    painter.setPen(QPen(QColor("#000000"), max(1.0, unit * 0.15)))
    painter.drawLine(plot.bottomLeft(), plot.bottomRight())
    painter.drawLine(plot.bottomLeft(), plot.topLeft())
    step = _nice_step(top_mm / 5)
    metrics = painter.fontMetrics()
    value = 0.0
    while value <= top_mm:
        y = y_of(value)
        painter.setPen(QPen(QColor("#dddddd"), max(1.0, unit * 0.1)))
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        painter.setPen(QColor("#000000"))
        text = f"{locale.toString(value, 'f', 0)} {i18n.label('mm', lang)}"
        x = plot.left() - metrics.horizontalAdvance(text) - unit * 0.8
        painter.drawText(QPointF(x, y + metrics.ascent() / 2.5), text)
        value += step


def _nice_step(raw: float) -> float:
    for step in (1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 500.0):
        if step >= raw:
            return step
    return 1000.0


def _inside(centre_x: float, width: float, rect: QRectF) -> float:
    """The left edge of a text centred on ``centre_x`` but kept inside ``rect``."""
    return min(max(centre_x - width / 2, rect.left()), rect.right() - width)


def _legend(
    painter: QPainter, entries: Sequence[tuple[QPen, str]], rect: QRectF, unit: float
) -> None:
    """Rows under the plot: a line sample and its meaning per level, wrapped."""
    metrics = painter.fontMetrics()
    sample = unit * 5
    items = [(pen, text[:1].upper() + text[1:]) for pen, text in entries]
    widths = [sample + unit + metrics.horizontalAdvance(t) + unit * 3 for _, t in items]
    rows: list[list[int]] = [[]]
    used = 0.0
    for n, width in enumerate(widths):
        if rows[-1] and used + width > rect.width():
            rows.append([])
            used = 0.0
        rows[-1].append(n)
        used += width
    y = (
        rect.bottom()
        - metrics.descent()
        - unit * 0.3
        - metrics.height() * (len(rows) - 1)
    )
    for row in rows:
        total = sum(widths[n] for n in row)
        x = rect.left() + max(0.0, (rect.width() - total) / 2)
        for n in row:
            pen, text = items[n]
            painter.setPen(pen)
            mid = y - metrics.ascent() / 3
            painter.drawLine(QPointF(x, mid), QPointF(x + sample, mid))
            painter.setPen(QColor("#000000"))
            painter.drawText(QPointF(x + sample + unit, y), text)
            x += widths[n]
        y += metrics.height()


def _series(
    painter: QPainter,
    points: Sequence[TimelinePoint],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
    unit: float,
    locale: QLocale,
    lang: str,
    plot: QRectF,
    rect: QRectF,
) -> None:
    metrics = painter.fontMetrics()
    line = QPen(QColor("#000000"), max(1.5, unit * 0.5))
    previous: QPointF | None = None
    last_right = -float("inf")
    for index, p in enumerate(points):
        x = x_of(index)
        painter.setPen(QColor("#000000"))
        # Timepoint over its date, centred on the point; the date is left out
        # where it would run into the previous one.
        date_text = format_date(p.date.isoformat(), lang)
        width = metrics.horizontalAdvance(date_text)
        left = _inside(x, width, rect)
        lines = [p.label, date_text] if left > last_right + unit else [p.label]
        if len(lines) == 2:
            last_right = left + width
        for number, text in enumerate(lines):
            text_left = _inside(x, metrics.horizontalAdvance(text), rect)
            baseline = plot.bottom() + metrics.height() * (1.2 + number)
            painter.drawText(QPointF(text_left, baseline), text)
        if p.sum_mm is None:
            previous = None
            continue
        here = QPointF(x, y_of(p.sum_mm))
        if previous is not None:
            painter.setPen(line)
            painter.drawLine(previous, here)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#000000"))
        painter.drawEllipse(here, unit * 1.0, unit * 1.0)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        previous = here
    for index, p in enumerate(points):
        if p.sum_mm is None:
            continue
        x, y = x_of(index), y_of(p.sum_mm)
        short = i18n.response_short(p.response, lang) if p.response else ""
        text = _mm(p.sum_mm, locale, lang) + (f"  {short}" if short else "")
        width = metrics.horizontalAdvance(text)
        box = QRectF(
            _inside(x, width + unit, rect),
            y - unit * 1.8 - metrics.ascent(),
            width + unit,
            metrics.height(),
        )
        painter.fillRect(box, QColor(255, 255, 255, 230))
        painter.setPen(QColor("#000000"))
        painter.drawText(QPointF(box.left() + unit * 0.5, y - unit * 1.8), text)
