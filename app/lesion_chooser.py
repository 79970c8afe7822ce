"""The question after a finished caliper: which lesion does it measure?

The dialog offers the reading's lesions with the suggested one (the lesion found at
the same anatomical place at another timepoint) chosen, or a new lesion with its
kind (target, non-target or new, RECIST 1.1 section 3), organ, location and
whether it is a lymph node. Leaving it unassigned keeps the measurement on its
image only; cancelling discards it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.measure_overlay import measurement_label
from measurement.model import STATUSES, Lesion, LesionKind

if TYPE_CHECKING:
    from app.measure_tools import AssignRequest, LesionChoice

logger = logging.getLogger(__name__)

NEW_LESION = "__new__"
UNASSIGNED = "__none__"


class LesionChooser(QDialog):
    """Pick the lesion a measurement belongs to, or describe a new one."""

    def __init__(self, request: AssignRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Which lesion is this?")
        self.request = request
        state = request.state
        measurement = request.measurement
        layout = QVBoxLayout(self)
        length = (
            measurement_label(measurement)
            if measurement.long_mm is not None
            else "unknown length"
        )
        layout.addWidget(
            QLabel(
                f"{measurement.tool.value.capitalize()} of {length} at "
                f"{request.timepoint.id} {request.timepoint.date}"
            )
        )
        self.lesion_box = QComboBox()
        for lesion in state.lesions:
            place = " ".join(p for p in (lesion.organ, lesion.name) if p)
            taken = state.cell_measurements(lesion.id, request.timepoint.id)
            note = " (already measured here)" if taken else ""
            self.lesion_box.addItem(
                f"{lesion.id} {place} – {lesion.kind.value}{note}", lesion.id
            )
        self.lesion_box.addItem("New lesion…", NEW_LESION)
        self.lesion_box.addItem("Leave unassigned", UNASSIGNED)
        proposed = request.proposed
        index = self.lesion_box.findData(proposed if proposed else NEW_LESION)
        self.lesion_box.setCurrentIndex(max(index, 0))
        form = QFormLayout()
        form.addRow("Lesion", self.lesion_box)
        suggestion = request.suggestion
        if suggestion.lesion_id is not None and suggestion.distance_mm is not None:
            form.addRow(
                "",
                QLabel(
                    f"Suggested: {suggestion.lesion_id}, "
                    f"{suggestion.distance_mm:.1f} mm from its place at "
                    f"{suggestion.timepoint_id}"
                ),
            )
        self.kind_box = QComboBox()
        for kind in LesionKind:
            self.kind_box.addItem(kind.value, kind.value)
        self.organ_edit = QLineEdit()
        self.name_edit = QLineEdit()
        self.node_box = QCheckBox("lymph node (short axis counts)")
        self.status_box = QComboBox()
        form.addRow("Kind", self.kind_box)
        form.addRow("Organ", self.organ_edit)
        form.addRow("Location", self.name_edit)
        form.addRow("", self.node_box)
        form.addRow("Status", self.status_box)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.lesion_box.currentIndexChanged.connect(self._update)
        self.kind_box.currentIndexChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        new = self.lesion_box.currentData() == NEW_LESION
        for widget in (self.kind_box, self.organ_edit, self.name_edit, self.node_box):
            widget.setEnabled(new)
        kind = self._kind()
        self.status_box.clear()
        if kind is None or kind is LesionKind.TARGET:
            self.status_box.setEnabled(False)
            return
        self.status_box.setEnabled(True)
        for status in STATUSES[kind]:
            self.status_box.addItem(status, status)

    def _kind(self) -> LesionKind | None:
        data = self.lesion_box.currentData()
        if data == NEW_LESION:
            return LesionKind(self.kind_box.currentData())
        if data == UNASSIGNED:
            return None
        return self.request.state.lesion(str(data)).kind

    def choice(self) -> LesionChoice:
        """The answer the dialog holds now."""
        from app.measure_tools import LesionChoice

        data = self.lesion_box.currentData()
        status = self.status_box.currentData() if self.status_box.isEnabled() else None
        if data == UNASSIGNED:
            return LesionChoice()
        if data == NEW_LESION:
            lesion = Lesion(
                "",
                LesionKind(self.kind_box.currentData()),
                self.name_edit.text().strip(),
                self.organ_edit.text().strip(),
                self.node_box.isChecked(),
            )
            return LesionChoice(new_lesion=lesion, status=status)
        return LesionChoice(lesion_id=str(data), status=status)

    @classmethod
    def ask(
        cls, request: AssignRequest, parent: QWidget | None = None
    ) -> LesionChoice | None:
        """Show the dialog; the choice, or None when cancelled."""
        dialog = cls(request, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.choice()
