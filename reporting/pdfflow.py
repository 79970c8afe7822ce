"""Shared drawing for Nadir's PDF documents, painted with Qt's PDF writer.

:class:`Flow` lays text, headings, ruled tables and painted blocks down A4 pages
and numbers them in the footer ("page 2 of 3"); :func:`write_document` renders a
document twice, first into memory to count its pages, then into the file. The
tumour response report (:mod:`reporting.pdf`) and the review report
(:mod:`reporting.review_pdf`) are both drawn with it, so they look alike.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from reporting import i18n
from reporting.qtsupport import ensure_gui_application, report_font_family

logger = logging.getLogger(__name__)

RESOLUTION_DPI = 300
MARGIN_MM = 15.0
BODY_PT = 9.0
HEADER_FILL = QColor("#e8edf3")

# Paints a whole document into a flow and returns nothing; the flow counts pages.
Painter = Callable[["Flow"], None]


def write_document(path: Path, title: str, lang: str, paint: Painter) -> int:
    """Render ``paint`` into a PDF at ``path``; returns the number of pages.

    The document is painted twice: into memory to count the pages, then into the
    file with "page n of total" in every footer.
    """
    ensure_gui_application()
    family = report_font_family()
    probe = QBuffer()
    probe.open(QIODevice.OpenModeFlag.WriteOnly)
    pages = _paint_into(QPdfWriter(probe), "memory", title, lang, 0, family, paint)
    probe.close()
    written = _paint_into(
        QPdfWriter(str(path)), str(path), title, lang, pages, family, paint
    )
    logger.debug("wrote %d-page document %s", written, path)
    return written


def _paint_into(
    writer: QPdfWriter,
    target: str,
    title: str,
    lang: str,
    total: int,
    family: str,
    paint: Painter,
) -> int:
    flow = Flow(_prepared(writer, title), lang, total, family)
    if not flow.painter.isActive():
        raise OSError(errno.EACCES, "cannot be opened for writing", target)
    paint(flow)
    return flow.finish()


def _prepared(writer: QPdfWriter, title: str) -> QPdfWriter:
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(title)
    writer.setCreator("Nadir")
    return writer


class Flow:
    """A cursor that lays blocks down the page and starts new pages as needed."""

    def __init__(self, writer: QPdfWriter, lang: str, total: int, family: str):
        self.writer = writer
        self.lang = lang
        self.total = total
        self.family = family
        self.painter = QPainter(writer)
        self.painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.page = 1
        layout = writer.pageLayout()
        full = layout.paintRectPixels(RESOLUTION_DPI)
        self.area = QRectF(0, 0, full.width(), full.height())
        self.footer_h = self.line_height(BODY_PT) * 2
        self.y = 0.0
        self.mm = RESOLUTION_DPI / 25.4

    def font(self, points: float, bold: bool = False) -> QFont:
        font = QFont(self.family)
        font.setPointSizeF(points)
        font.setBold(bold)
        # Without ligatures "fi" stays two letters, so copied or extracted text
        # reads as written.
        font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)
        return font

    def line_height(self, points: float, bold: bool = False) -> float:
        return QFontMetricsF(self.font(points, bold), self.writer).height()

    @property
    def bottom(self) -> float:
        return self.area.bottom() - self.footer_h

    def ensure(self, height: float) -> None:
        if self.y + height > self.bottom and self.y > 0:
            self.new_page()

    def new_page(self) -> None:
        self._footer()
        self.writer.newPage()
        self.page += 1
        self.y = 0.0

    def finish(self) -> int:
        self._footer()
        self.painter.end()
        return self.page

    def _footer(self) -> None:
        self.painter.setFont(self.font(BODY_PT - 1))
        self.painter.setPen(QColor("#666666"))
        text = f"{i18n.label('page', self.lang)} {self.page}"
        if self.total:
            text += f" {i18n.label('of', self.lang)} {self.total}"
        rect = QRectF(
            0, self.bottom + self.footer_h / 2, self.area.width(), self.footer_h
        )
        self.painter.drawText(rect, Qt.AlignmentFlag.AlignRight, text)

    def text(
        self, text: str, points: float = BODY_PT, bold: bool = False, gap: float = 0.4
    ) -> None:
        font = self.font(points, bold)
        self.painter.setFont(font)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
        bound = self.painter.boundingRect(
            QRectF(0, 0, self.area.width(), 1e6), int(flags), text
        )
        self.ensure(bound.height())
        self.painter.setPen(QColor("#000000"))
        self.painter.drawText(
            QRectF(0, self.y, self.area.width(), bound.height()), int(flags), text
        )
        self.y += bound.height() + gap * self.line_height(points)

    def heading(self, text: str, keep_with: float = 0.0) -> None:
        """A section heading, kept on one page with the next ``keep_with`` units."""
        self.ensure(self.line_height(BODY_PT + 3, True) * 4 + keep_with)
        self.y += self.line_height(BODY_PT) * 0.5
        self.text(text, BODY_PT + 3, True, gap=0.2)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        bold_rows: Sequence[int] = (),
        spanned_rows: Sequence[int] = (),
        span: int = 1,
        tints: Mapping[int, QColor] | None = None,
    ) -> None:
        """A ruled table; ``widths`` are fractions of the text width.

        In ``spanned_rows`` the first cell spans the first ``span`` columns (the
        cells it covers are left out of the row). ``tints`` fill rows (by index
        in ``rows``) with a background colour, to flag them.
        """
        pad = 0.8 * self.mm
        columns = [w * self.area.width() for w in widths]
        spanned = [sum(columns[:span]), *columns[span:]]
        for n, row in enumerate([header, *rows]):
            bold = n == 0 or (n - 1) in bold_rows
            cells, widths_px = list(row), columns
            if n > 0 and (n - 1) in spanned_rows:
                cells, widths_px = [row[0], *row[span:]], spanned
            font = self.font(BODY_PT - 0.5, bold)
            self.painter.setFont(font)
            flags = int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap)
            heights = [
                self.painter.boundingRect(
                    QRectF(0, 0, width - 2 * pad, 1e6), flags, cell
                ).height()
                for cell, width in zip(cells, widths_px, strict=True)
            ]
            height = max(heights) + 2 * pad
            if self.y + height > self.bottom:
                self.new_page()
                self.painter.setFont(font)
            fill = HEADER_FILL if n == 0 else (tints or {}).get(n - 1)
            if fill is not None:
                self.painter.fillRect(QRectF(0, self.y, sum(columns), height), fill)
            x = 0.0
            self.painter.setPen(QColor("#000000"))
            for cell, width in zip(cells, widths_px, strict=True):
                self.painter.drawText(
                    QRectF(x + pad, self.y + pad, width - 2 * pad, height), flags, cell
                )
                x += width
            self.painter.setPen(QPen(QColor("#9aa5b1"), 0.15 * self.mm))
            self.painter.drawLine(
                QPointF(0, self.y + height), QPointF(sum(columns), self.y + height)
            )
            self.y += height
        self.y += self.line_height(BODY_PT) * 0.6

    def block(self, height: float, paint: Callable[[QPainter, QRectF], None]) -> None:
        self.ensure(height)
        paint(self.painter, QRectF(0, self.y, self.area.width(), height))
        self.y += height + self.line_height(BODY_PT) * 0.6
