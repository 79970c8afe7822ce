"""Review and training mode in the window: another reader's reading beside yours.

:class:`ReviewController` holds the other reading (a case file or a TID 1500
report of the open case) in a :class:`measurement.review_state.ReviewState` and
draws its calipers on the viewports in their own colour, as far as the state
reveals them: in blind and training mode a lesion's calipers and values appear at
a timepoint only once the reviewer has measured it there; side by side, all at
once. It also computes the comparison, the training score and the review object
that :mod:`app.review_dock` shows and exports (:mod:`reporting.review`). The
reviewer's own reading is the window's reading; nothing of the other reading
enters it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QToolBar,
)

from app.measure_tools import half_slice_mm
from app.reading_session import study_of
from measurement.case import parse_case
from measurement.compare import compare_readings, score_training
from measurement.model import Measurement, Tool
from measurement.noise import lesion_changes
from measurement.reading import Change
from measurement.review_state import ReviewMode, ReviewRow, ReviewState
from measurement.serial import CaseError
from viewer.viewport import Viewport

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.reading_session import ReadingSession
    from app.review_dock import ReviewDock

logger = logging.getLogger(__name__)

OTHER_COLOUR = QColor(255, 70, 220)
DEFAULT_TRAINING_TOLERANCE_MM = 2.0


class ReviewController(QObject):
    """The other reading of the open case, drawn and compared as it is revealed."""

    changed = Signal()

    def __init__(self, window: MainWindow, session: ReadingSession) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.state: ReviewState | None = None
        self.training_tolerance_mm = DEFAULT_TRAINING_TOLERANCE_MM
        # The other reader's lesion ids drawn on each viewport in its last frame.
        self.painted: dict[int, list[str]] = {}
        for viewport in window.viewports:
            viewport.add_overlay(self.paint)
        session.changed.connect(self._on_change)

    # ------------------------------------------------------------ workflow

    @property
    def own(self) -> Any:
        """The reviewer's committed reading state.

        A caliper still being dragged is a preview, not a measurement: it must not
        reveal the other reader's value while the reviewer is still placing it.
        """
        return self.session.reading.committed_state

    def open_reading(self, path: Path, mode: ReviewMode) -> None:
        """Review the reading in ``path`` (case file or SR) in ``mode``.

        Raises :class:`reporting.readings.ReadingFileError` naming the file.
        """
        from reporting.readings import read_reading

        self.start(read_reading(path), mode, path.name)

    def start(
        self, other_case: Mapping[str, Any], mode: ReviewMode, source: str = ""
    ) -> None:
        """Start reviewing ``other_case`` (a nadir-case/1 object)."""
        self.state = ReviewState(other_case, mode, source)
        logger.info("review started in %s mode", mode.value)
        self._refresh()

    def close_review(self) -> None:
        """Stop reviewing; the other reading disappears."""
        self.state = None
        self._refresh()

    def set_mode(self, mode: ReviewMode) -> None:
        """Switch between blind, side-by-side and training mode."""
        if self.state is not None and self.state.mode is not mode:
            self.state.mode = mode
            self._refresh()

    def set_training_tolerance(self, tolerance_mm: float) -> None:
        """The teacher's tolerance for a trainee's diameter, in mm."""
        self.training_tolerance_mm = tolerance_mm
        self._refresh()

    def finish(self) -> None:
        """End the blind reading: show everything of the other reading."""
        if self.state is not None:
            self.state.finish()
            self._refresh()

    # ------------------------------------------------------------ figures

    def rows(self) -> list[ReviewRow]:
        """The dock's rows: the other reading's lesions beside the reviewer's."""
        return [] if self.state is None else self.state.rows(self.own)

    def comparison(self) -> dict[str, Any] | None:
        """The full comparison, once nothing of the other reading is hidden.

        Besides :func:`~measurement.compare.compare_readings`' result, ``changes``
        holds each reading's lesion changes between timepoints against the noise
        band (``a`` the other reading, ``b`` yours).

        Raises :class:`~measurement.case_fields.CaseFormatError` naming the field
        while the reviewer's reading is not yet a complete case (a target not
        measured at the baseline, say).
        """
        state = self.state
        if state is None or not state.all_revealed(self.own):
            return None
        aligned = state.aligned_case(self.own)
        result = compare_readings(state.other_case, aligned)
        result["changes"] = {
            "a": lesion_changes(parse_case(state.other_case)),
            "b": lesion_changes(parse_case(aligned)),
        }
        return result

    def training_score(self) -> dict[str, Any] | None:
        """The trainee's score, once a training reading is finished."""
        state = self.state
        if state is None or state.mode is not ReviewMode.TRAINING or state.blind:
            return None
        return score_training(
            state.other_case,
            state.aligned_case(self.own),
            tolerance_mm=self.training_tolerance_mm,
        )

    def review(self, score: str | None, comment: str, reviewer: str) -> dict[str, Any]:
        """The review object of the other reading (A) against the reviewer's (B)."""
        from reporting.review import PeerReview, build_review

        state = self.state
        if state is None:
            raise RuntimeError("no reading is under review")
        own = state.aligned_case(self.own)
        if reviewer and not own.get("reader"):
            own["reader"] = reviewer
        return build_review(
            state.other_case,
            own,
            PeerReview(score, comment, reviewer),
            source_a=state.source,
            source_b="this reading",
        )

    def export(
        self,
        pdf_path: Path | None,
        json_path: Path | None,
        score: str | None,
        comment: str = "",
        reviewer: str = "",
    ) -> None:
        """Finish the review and write its PDF and/or review case file."""
        from reporting.review import write_review
        from reporting.review_pdf import write_review_pdf

        self.finish()
        review = self.review(score, comment, reviewer)
        if json_path is not None:
            write_review(json_path, review)
        if pdf_path is not None:
            write_review_pdf(pdf_path, review)

    # ------------------------------------------------------------ drawing

    def marks(self, viewport: Viewport) -> list[Measurement]:
        """The other reader's revealed measurements on the viewport's plane."""
        state = self.state
        plane = viewport.plane
        study = study_of(viewport)
        if state is None or plane is None or study is None:
            return []
        half = half_slice_mm(viewport) + 1e-6
        return [
            m
            for m in state.visible_marks(self.own, study)
            if float(np.abs(plane.distance_to(np.asarray(m.points_lps_mm))).max())
            <= half
        ]

    def paint(self, painter: QPainter, viewport: Viewport) -> None:
        """Draw the other reader's revealed calipers in :data:`OTHER_COLOUR`."""
        plane = viewport.plane
        marks = self.marks(viewport)
        self.painted[id(viewport)] = [m.lesion_id or "" for m in marks]
        if plane is None or not marks:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        font = QFont(viewport.font())
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.setPen(QPen(OTHER_COLOUR, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for mark in marks:
            widget = [
                viewport.pixel_to_widget(plane.from_patient(p))
                for p in mark.points_lps_mm
            ]
            for a, b in zip(widget[0::2], widget[1::2], strict=False):
                painter.drawLine(a, b)
            for point in widget:
                painter.drawEllipse(point, 3.0, 3.0)
            label = f"{mark.lesion_id} {_other_label(mark)}"
            anchor = max(widget, key=lambda p: p.x()) + QPointF(8, 4)
            painter.drawText(QRectF(anchor.x(), anchor.y(), 220, 18), label)

    def _on_change(self, change: Change) -> None:
        # Only the committed reading reveals anything; a preview changes nothing.
        if not change.transient:
            self._refresh()

    def _refresh(self) -> None:
        for viewport in self.window.viewports:
            viewport.update()
        self.changed.emit()


def install_review(window: MainWindow) -> ReviewController:
    """Add review mode (controller, dock, actions) to a window with a reading."""
    from app.review_dock import ReviewDock

    session = window.reading_session
    controller = ReviewController(window, session)
    dock = ReviewDock(controller, window)
    window.addDockWidget(dock.default_area, dock)
    lesion_dock = getattr(window, "lesion_dock", None)
    if lesion_dock is not None:
        # A tab beside the lesion table: the comparison needs the dock's height.
        window.tabifyDockWidget(lesion_dock, dock)
    dock.hide()
    bar = QToolBar("Review")
    bar.setObjectName("review-toolbar")
    window.addToolBar(bar)
    for name, text, mode in (
        ("review_action", "Review reading…", ReviewMode.BLIND),
        ("training_action", "Training reference…", ReviewMode.TRAINING),
    ):
        action = QAction(text, window)
        action.setToolTip(
            "Open another reader's reading of this case (case file or DICOM SR)"
        )
        action.triggered.connect(
            lambda _c=False, m=mode: _choose_reading(window, controller, dock, m)
        )
        bar.addAction(action)
        setattr(window, name, action)
    controller.changed.connect(lambda: _show_dock(dock, controller.state is not None))
    window.review_dock = dock  # type: ignore[attr-defined]
    return controller


def _show_dock(dock: ReviewDock, shown: bool) -> None:
    if shown and not dock.isVisible():
        dock.show()
        dock.raise_()
    elif not shown:
        dock.hide()


def _choose_reading(
    window: MainWindow, controller: ReviewController, dock: ReviewDock, mode: ReviewMode
) -> None:
    from reporting.readings import ReadingFileError

    name, _ = QFileDialog.getOpenFileName(
        window,
        "Open the other reader's reading",
        "",
        "Readings (*.json *.dcm)",
    )
    if not name:
        return
    try:
        controller.open_reading(Path(name), mode)
    except (ReadingFileError, CaseError) as error:
        QMessageBox.warning(window, "Nadir", str(error))
        return
    dock.show()


def _other_label(mark: Measurement) -> str:
    if mark.long_mm is None:
        return ""
    if mark.tool is Tool.BIDIRECTIONAL and mark.short_mm is not None:
        return f"{mark.long_mm:.1f} × {mark.short_mm:.1f} mm"
    return f"{mark.long_mm:.1f} mm"
