"""The review dock: the other reading beside yours, score, comment and export.

A thin Qt view of :class:`app.review_mode.ReviewController`: per lesion and
timepoint of the other reading, its value ("hidden" while blind), yours, the
difference in mm and percent and the noise-band flag; once nothing is hidden, the
response categories per timepoint with their agreement and the summary figures;
the training score after a training reading is finished; and the peer-review
score, comment and reviewer, exported as the review PDF and the review case file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
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
    QVBoxLayout,
    QWidget,
)

from app.review_mode import ReviewController
from measurement.case_fields import CaseFormatError
from measurement.review_state import ReviewMode, ReviewRow
from measurement.serial import CaseError

logger = logging.getLogger(__name__)

HIDDEN_TEXT = "hidden"
DISAGREE_BACKGROUND = QColor(255, 214, 200)
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
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setRange(0.0, 50.0)
        self.tolerance.setSingleStep(0.5)
        self.tolerance.setDecimals(1)
        self.tolerance.setSuffix(" mm")
        self.tolerance.setValue(controller.training_tolerance_mm)
        self.tolerance.setToolTip(
            "A trainee diameter this close to the teacher's counts as right"
        )
        self.tolerance.valueChanged.connect(controller.set_training_tolerance)
        self.tolerance_label = QLabel("Tolerance")
        self.score_box = QComboBox()
        for key, text in SCORE_ITEMS:
            self.score_box.addItem(text, key)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText("Comment on the reading")
        self.comment.setMaximumHeight(70)
        self.reviewer = QLineEdit()
        self.reviewer.setPlaceholderText("Your name (reader of your reading)")
        self.export_button = QPushButton("Export review…")
        self.export_button.clicked.connect(self.choose_export)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(QLabel("Mode"))
        top.addWidget(self.mode_box, 1)
        top.addWidget(self.tolerance_label)
        top.addWidget(self.tolerance)
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
        training = state.mode is ReviewMode.TRAINING
        self.tolerance.setVisible(training)
        self.tolerance_label.setVisible(training)
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
        self.summary.setText(
            summary_text(result["summary"], result["targets"])
            + changes_text(result["changes"])
        )

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


def changes_text(changes: Mapping[str, Any]) -> str:
    """Each reading's changes between timepoints inside the noise band, if any."""
    parts = []
    for key, who in (("a", "other"), ("b", "yours")):
        inside = [
            f"{c['lesion']} {c['from']}→{c['to']} {c['change_pct']:+.1f}%"
            for c in changes[key]
            if c["in_noise_band"]
        ]
        if inside:
            parts.append(f"{who}: {', '.join(inside)}")
    if not parts:
        return ""
    return "\nChanges inside the noise band (maybe noise): " + "; ".join(parts) + "."


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


def _mm(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} mm"


def _signed(value: float | None, unit: str) -> str:
    return "" if value is None else f"{value:+.1f}{unit}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _agree(agree: bool | None) -> str:
    return "–" if agree is None else ("yes" if agree else "NO")
