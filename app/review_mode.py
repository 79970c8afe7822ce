"""Review and training mode in the window: another reader's reading beside yours.

:class:`ReviewController` holds the other reading (a case file or a TID 1500
report of the open case) in a :class:`measurement.review_state.ReviewState` and
draws its calipers on the viewports in their own colour, as far as the state
reveals them: in blind and training mode a lesion's calipers and values appear at
a timepoint only once the reviewer has measured it there; side by side, all at
once. :class:`ReviewDock` lists per lesion and timepoint both values, the
difference and the noise-band flag, then the response categories and the summary
figures (once nothing is hidden any more), the training score, and the
peer-review score with a comment; it exports the review PDF and the review case
file (:mod:`reporting.review`). The reviewer's own reading is the window's
reading; nothing of the other reading enters it.
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
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.measure_tools import half_slice_mm
from app.reading_session import study_of
from measurement.case_fields import CaseFormatError
from measurement.compare import compare_readings, score_training
from measurement.model import Measurement, Tool
from measurement.review_state import ReviewMode, ReviewRow, ReviewState
from measurement.serial import CaseError
from viewer.viewport import Viewport

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.reading_session import ReadingSession

logger = logging.getLogger(__name__)

OTHER_COLOUR = QColor(255, 70, 220)
HIDDEN_TEXT = "hidden"
DISAGREE_BACKGROUND = QColor(255, 214, 200)
DEFAULT_TRAINING_TOLERANCE_MM = 2.0
SCORE_ITEMS = (
    ("", "— not scored —"),
    ("concur", "Concur"),
    ("minor", "Minor discrepancy"),
    ("significant-likely", "Significant, likely to matter clinically"),
    ("significant-unlikely", "Significant, unlikely to matter clinically"),
)
CATEGORY_NAMES = (
    ("target", "Target"),
    ("non_target", "Non-target"),
    ("new_lesions", "New lesions"),
    ("overall", "Overall"),
)


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
        session.changed.connect(lambda _change: self._refresh())

    # ------------------------------------------------------------ workflow

    @property
    def own(self) -> Any:
        """The reviewer's reading state (previews included)."""
        return self.session.reading.state

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

        Raises :class:`~measurement.case_fields.CaseFormatError` naming the field
        while the reviewer's reading is not yet a complete case (a target not
        measured at the baseline, say).
        """
        state = self.state
        if state is None or not state.all_revealed(self.own):
            return None
        return compare_readings(state.other_case, state.aligned_case(self.own))

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
        return build_review(
            state.other_case,
            state.aligned_case(self.own),
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

    def _refresh(self) -> None:
        for viewport in self.window.viewports:
            viewport.update()
        self.changed.emit()


class ReviewDock(QDockWidget):
    """Differences per lesion, categories, summary, score and comment, export."""

    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, controller: ReviewController, parent: QWidget) -> None:
        super().__init__("Review", parent)
        self.setObjectName("review-dock")
        self.controller = controller
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.mode_box = QComboBox()
        for mode in ReviewMode:
            self.mode_box.addItem(mode.value, mode)
        self.mode_box.activated.connect(
            lambda index: controller.set_mode(self.mode_box.itemData(index))
        )
        self.finish_button = QPushButton("Finish and reveal")
        self.finish_button.clicked.connect(controller.finish)
        self.table = _table(
            ["Lesion", "Time", "Other", "Yours", "Diff mm", "Diff %", "Band"]
        )
        self.categories = _table(["Time", "Category", "Other", "Yours", "Agree"])
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.training = QLabel()
        self.training.setWordWrap(True)
        self.score_box = QComboBox()
        for key, text in SCORE_ITEMS:
            self.score_box.addItem(text, key)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("Comment on the reading")
        self.comment.setMaximumHeight(70)
        self.reviewer = QLineEdit()
        self.reviewer.setPlaceholderText("Reviewer")
        self.export_button = QPushButton("Export review…")
        self.export_button.clicked.connect(self.choose_export)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Mode"))
        top.addWidget(self.mode_box, 1)
        top.addWidget(self.finish_button)
        layout.addWidget(self.heading)
        layout.addLayout(top)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.categories, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.training)
        verdict = QHBoxLayout()
        verdict.addWidget(QLabel("Score"))
        verdict.addWidget(self.score_box, 1)
        layout.addLayout(verdict)
        layout.addWidget(self.comment)
        bottom = QHBoxLayout()
        bottom.addWidget(self.reviewer, 1)
        bottom.addWidget(self.export_button)
        layout.addLayout(bottom)
        self.setWidget(body)
        self.setMinimumWidth(460)
        controller.changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------ contents

    def cell_text(self, row: int, column: int) -> str:
        """What the comparison table shows in a cell."""
        item = self.table.item(row, column)
        return "" if item is None else item.text()

    def row_of(self, lesion_id: str, timepoint_id: str) -> int:
        """The table row of the other reader's lesion at a timepoint, or -1."""
        for row in range(self.table.rowCount()):
            if (self.cell_text(row, 0), self.cell_text(row, 1)) == (
                lesion_id,
                timepoint_id,
            ):
                return row
        return -1

    def refresh(self) -> None:
        """Show the controller's state."""
        controller = self.controller
        state = controller.state
        self.setEnabled(state is not None)
        if state is None:
            self.heading.setText("No reading under review.")
            self.table.setRowCount(0)
            self.categories.setRowCount(0)
            self.summary.setText("")
            self.training.setText("")
            return
        self.mode_box.setCurrentIndex(self.mode_box.findData(state.mode))
        hidden = state.hidden_count(controller.own)
        who = state.other.reader or "another reader"
        text = f"Reviewing {state.source or 'a reading'} by {who}, {state.mode.value}."
        if state.blind:
            text += (
                f" {hidden} of its {len(state.other.measurements)} measurements "
                "hidden until you measure those lesions."
            )
        self.heading.setText(text)
        self.finish_button.setEnabled(state.blind)
        self._fill_rows(controller.rows())
        self._fill_comparison()
        self._fill_training()

    def _fill_rows(self, rows: list[ReviewRow]) -> None:
        self.table.setRowCount(len(rows))
        for n, row in enumerate(rows):
            if row.revealed:
                other = row.other_status or _mm(row.other_mm)
            else:
                other = HIDDEN_TEXT
            band = (
                ""
                if row.in_noise_band is None
                else ("inside" if row.in_noise_band else "OUTSIDE")
            )
            cells = [
                row.lesion_id,
                row.timepoint_id,
                other,
                _mm(row.own_mm),
                _signed(row.diff_mm, ""),
                _signed(row.diff_pct, "%"),
                band,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if row.in_noise_band is False:
                    item.setBackground(DISAGREE_BACKGROUND)
                self.table.setItem(n, column, item)

    def _fill_comparison(self) -> None:
        try:
            result = self.controller.comparison()
        except (CaseFormatError, CaseError) as error:
            self.categories.setRowCount(0)
            self.categories.hide()
            self.summary.setText(f"Not compared yet: {error}")
            return
        self.categories.setVisible(result is not None)
        if result is None:
            self.categories.setRowCount(0)
            self.summary.setText(
                "Response categories and summary figures are shown once every "
                "lesion is measured or the review is finished."
            )
            return
        entries = [
            (c["timepoint"], name, c["a"][key], c["b"][key], c["agree"][key])
            for c in result["categories"]
            for key, name in CATEGORY_NAMES
        ]
        self.categories.setRowCount(len(entries))
        for n, (tp, name, a, b, agree) in enumerate(entries):
            texts = [tp, name, a or "–", b or "–", _agree(agree)]
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if agree is False:
                    item.setBackground(DISAGREE_BACKGROUND)
                self.categories.setItem(n, column, item)
        self.summary.setText(summary_text(result["summary"], result["targets"]))

    def _fill_training(self) -> None:
        try:
            score = self.controller.training_score()
        except (CaseFormatError, CaseError) as error:
            self.training.setText(f"No training score yet: {error}")
            return
        if score is None:
            self.training.setText("")
            return
        share = _share(score["score"])
        self.training.setText(
            f"Training score {share}: selection {_share(score['selection'])}, "
            f"measurements within {self.controller.training_tolerance_mm:g} mm "
            f"{score['measurements_within']} of {score['measurements_scored']}, "
            f"responses {_share(score['categories'])}."
        )

    # ------------------------------------------------------------ export

    def verdict(self) -> tuple[str | None, str, str]:
        """The score key (None when not scored), the comment and the reviewer."""
        key = self.score_box.currentData()
        return (key or None), self.comment.toPlainText(), self.reviewer.text()

    def choose_export(self) -> None:
        """Ask where to write the review PDF (the review file goes beside it)."""
        name, _ = QFileDialog.getSaveFileName(
            self, "Export review", "review.pdf", "PDF (*.pdf)"
        )
        if not name:
            return
        pdf = Path(name)
        score, comment, reviewer = self.verdict()
        try:
            self.controller.export(
                pdf, pdf.with_suffix(".json"), score, comment, reviewer
            )
        except OSError as error:
            QMessageBox.warning(self, "Nadir", f"{name}: {error.strerror}")
            return
        except (CaseFormatError, CaseError) as error:
            QMessageBox.warning(self, "Nadir", f"Your reading is not complete: {error}")
            return
        self.window().statusBar().showMessage(f"Review exported: {name}")


def summary_text(summary: Mapping[str, Any], targets: Mapping[str, Any]) -> str:
    """The summary figures of a comparison in one paragraph."""
    parts = [f"{summary['n_pairs']} paired diameters"]
    if summary["bias_mm"] is not None:
        parts.append(f"bias {summary['bias_mm']:+.1f} mm")
        parts.append(f"mean absolute difference {summary['mean_abs_diff_mm']:.1f} mm")
    if summary["loa_mm"] is not None:
        low, high = summary["loa_mm"]
        parts.append(f"limits of agreement {low:+.1f} to {high:+.1f} mm")
    parts.append(
        f"{summary['n_in_noise_band']} of {summary['n_band_checked']} inside the "
        "noise band"
    )
    if summary["overall_compared"]:
        parts.append(
            f"overall response agrees {summary['overall_agreeing']} of "
            f"{summary['overall_compared']}"
        )
    kappa = summary["kappa"]
    parts.append(
        f"kappa {kappa:.2f}" if kappa is not None else "kappa: not enough lesions"
    )
    text = "; ".join(parts) + "."
    if targets["same"]:
        return text + " Same target lesions."
    only_other = ", ".join(targets["only_a"]) or "–"
    only_yours = ", ".join(targets["only_b"]) or "–"
    return text + f" Targets differ: only other {only_other}; only yours {only_yours}."


def install_review(window: MainWindow) -> ReviewController:
    """Add review mode (controller, dock, actions) to a window with a reading."""
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
    for text, mode in (
        ("Review reading…", ReviewMode.BLIND),
        ("Training reference…", ReviewMode.TRAINING),
    ):
        action = QAction(text, window)
        action.triggered.connect(
            lambda _c=False, m=mode: _choose_reading(window, controller, dock, m)
        )
        bar.addAction(action)
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


def _table(header: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(header))
    table.setHorizontalHeaderLabels(header)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    table.horizontalHeader().setSectionResizeMode(
        QHeaderView.ResizeMode.ResizeToContents
    )
    return table


def _other_label(mark: Measurement) -> str:
    if mark.long_mm is None:
        return ""
    if mark.tool is Tool.BIDIRECTIONAL and mark.short_mm is not None:
        return f"{mark.long_mm:.1f} × {mark.short_mm:.1f} mm"
    return f"{mark.long_mm:.1f} mm"


def _mm(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} mm"


def _signed(value: float | None, unit: str) -> str:
    return "" if value is None else f"{value:+.1f}{unit}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _agree(agree: bool | None) -> str:
    return "–" if agree is None else ("yes" if agree else "NO")
