"""The lesion table dock: lesions by timepoints, RECIST footers, warnings, timeline.

A thin Qt view of :class:`measurement.table.LesionTable`: rows are lesions, then
the footer rows (sum of diameters, change from baseline and nadir, target,
non-target, new-lesion and overall response, response margin); columns are the
timepoints, the baseline marked. It follows the reading live, previews included.
Cells take statuses from their context menu (RECIST.md: too small, absent, not
assessed; present, absent, progression; equivocal, unequivocal); lesion rows take
kind, node, organ and location from the row header's; a column header's menu
makes that timepoint the baseline. The engine's rule checks are listed under the
table as warnings; they never block an edit. Clicking a cell brings its image back;
selecting a lesion moves the viewports to it, ready to measure.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from measurement import edits
from measurement.edits import Command
from measurement.model import STATUSES, LesionKind
from measurement.reading import Change
from measurement.table import STATUS_TEXT, LesionTable
from reporting.timeline import TimelinePoint, draw_timeline

if TYPE_CHECKING:
    from app.measure_tools import MeasureTools
    from app.reading_session import ReadingSession

logger = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
FOOTER_BACKGROUND = QColor(236, 239, 244)
WARNING_BACKGROUND = QColor(255, 236, 200)


class LesionTableModel(QAbstractTableModel):
    """Qt's view of a :class:`LesionTable`, lesion rows then footer rows."""

    def __init__(self, table: LesionTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self._shape = (self.rowCount(), self.columnCount())

    def refresh(self) -> None:
        """Tell the views the reading changed (a reset only if the shape did)."""
        shape = (self.rowCount(), self.columnCount())
        if shape != self._shape:
            self.beginResetModel()
            self._shape = shape
            self.endResetModel()
            return
        if shape[0] and shape[1]:
            self.dataChanged.emit(
                self.index(0, 0), self.index(shape[0] - 1, shape[1] - 1)
            )
        self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, max(shape[0] - 1, 0))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(shape[1] - 1, 0))

    def rowCount(self, parent: Index | None = None) -> int:  # noqa: N802
        if parent is not None and parent.isValid():
            return 0
        return self.table.row_count + self.table.footer_count

    def columnCount(self, parent: Index | None = None) -> int:  # noqa: N802
        if parent is not None and parent.isValid():
            return 0
        return self.table.column_count

    def is_footer(self, row: int) -> bool:
        """True for the sum, change and response rows."""
        return row >= self.table.row_count

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        footer = self.is_footer(row)
        if role == Qt.ItemDataRole.DisplayRole:
            if footer:
                return self.table.footer(row - self.table.row_count, column)
            return self.table.cell(row, column).text
        if role == Qt.ItemDataRole.ToolTipRole:
            if footer:
                notes = self.table.notes(column)
                return "\n".join(notes) or None
            cell = self.table.cell(row, column)
            tips = [] if cell.calibrated else ["Not calibrated: lengths in pixels"]
            return "\n".join(tips + self.table.lesion_warnings(row)) or None
        if role == Qt.ItemDataRole.BackgroundRole:
            if footer:
                return QBrush(FOOTER_BACKGROUND)
            if self.table.lesion_warnings(row):
                return QBrush(WARNING_BACKGROUND)
            return None
        if role == Qt.ItemDataRole.FontRole and footer:
            font = QFont()
            font.setBold(
                self.table.footer_title(row - self.table.row_count).startswith(
                    "Overall"
                )
            )
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if section >= self.table.column_count:
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                timepoint = self.table.timepoint(section)
                mark = "\nbaseline" if timepoint.baseline else ""
                return f"{timepoint.id}\n{timepoint.date}{mark}"
            return None
        if section >= self.rowCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if self.is_footer(section):
                return self.table.footer_title(section - self.table.row_count)
            warn = " ⚠" if self.table.lesion_warnings(section) else ""
            lesion = self.table.lesion(section)
            place = " ".join(p for p in (lesion.organ, lesion.name) if p)
            node = "node, " if lesion.node else ""
            return f"{lesion.id} {place}{warn}\n{node}{lesion.kind.value}"
        if role == Qt.ItemDataRole.ToolTipRole and not self.is_footer(section):
            return "\n".join(self.table.lesion_warnings(section)) or None
        return None


class TimelineWidget(QWidget):
    """The sum of diameters over the timepoints, with the RECIST thresholds."""

    def __init__(self, table: LesionTable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.setMinimumHeight(170)

    def points(self) -> tuple[list[TimelinePoint], float | None, float | None]:
        """Plot points, baseline sum and nadir, from the engine's evaluation."""
        points: list[TimelinePoint] = []
        baseline: float | None = None
        nadir: float | None = None
        for column in range(self.table.column_count):
            timepoint = self.table.timepoint(column)
            values = self.table.timepoint_evaluation(timepoint.id)
            try:
                date = datetime.date.fromisoformat(timepoint.date)
            except ValueError:
                continue
            total = values.get("sum_mm")
            total = float(total) if isinstance(total, int | float) else None
            overall = values.get("overall")
            points.append(
                TimelinePoint(date, total, timepoint.id, str(overall or "") or None)
            )
            if timepoint.baseline:
                baseline = total
            if isinstance(values.get("nadir_mm"), int | float):
                nadir = float(values["nadir_mm"])
        return points, baseline, nadir

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        points, baseline, nadir = self.points()
        if any(p.sum_mm is not None for p in points):
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            draw_timeline(
                painter,
                QRectF(self.rect()),
                points,
                baseline,
                nadir,
                "en",
                QLocale(QLocale.Language.English),
                self.font().family(),
            )
        else:
            painter.setPen(QColor(110, 110, 110))
            painter.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "The sum of diameters appears here once targets are measured",
            )
        painter.end()


class LesionDock(QDockWidget):
    """The lesion table, its warnings and the timeline, docked beside the images."""

    default_area = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(
        self, session: ReadingSession, tools: MeasureTools, parent: QWidget
    ) -> None:
        super().__init__("Lesion table", parent)
        self.setObjectName("lesion-dock")
        self.session = session
        self.tools = tools
        self.table = session.table
        self.model = LesionTableModel(self.table, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(True)
        font = QFont(self.view.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() - 1))
        self.view.setFont(font)
        self.view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch
        )
        self.view.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._cell_menu)
        vertical = self.view.verticalHeader()
        vertical.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vertical.customContextMenuRequested.connect(self._lesion_menu)
        vertical.sectionClicked.connect(self.select_lesion)
        horizontal = self.view.horizontalHeader()
        horizontal.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        horizontal.customContextMenuRequested.connect(self._timepoint_menu)
        self.view.clicked.connect(
            lambda index: self.click_cell(index.row(), index.column())
        )

        self.best_label = QLabel()
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #8a4b00;")
        self.timeline = TimelineWidget(self.table)
        top = QWidget()
        layout = QVBoxLayout(top)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.best_label)
        layout.addWidget(self.warning_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.setWidget(splitter)
        self.setMinimumWidth(320)
        session.changed.connect(self._on_change)
        self._on_change(Change("reset"))

    # ------------------------------------------------------------ updates

    def _on_change(self, _change: Change) -> None:
        self.model.refresh()
        best = self.table.best_overall_response
        error = self.table.evaluation_error
        self.best_label.setText(
            f"Best overall response: {best}" if best else (error or "")
        )
        warnings = self.table.warnings()
        self.warning_label.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warning_label.setVisible(bool(warnings))
        self.timeline.update()

    # ------------------------------------------------------------ actions

    def click_cell(self, row: int, column: int) -> None:
        """Bring back the cell's measurement, or go to the lesion at that timepoint."""
        if self.model.is_footer(row) or column >= self.table.column_count:
            return
        cell = self.table.cell(row, column)
        lesion = self.table.lesion(row)
        self.tools.preferred_lesion = lesion.id
        if cell.measurement_id is not None:
            state = self.session.reading.state
            self.session.show_measurement(state.measurement(cell.measurement_id))
            self.tools.select(cell.measurement_id)
            return
        self.session.go_to_lesion(lesion.id, self.table.timepoint(column).id)

    def select_lesion(self, row: int) -> None:
        """Move the viewports to a lesion and get ready to measure it."""
        if self.model.is_footer(row):
            return
        lesion = self.table.lesion(row)
        self.tools.preferred_lesion = lesion.id
        self.session.go_to_lesion(lesion.id)
        if self.tools.mode == "none" and lesion.kind is not LesionKind.NON_TARGET:
            self.tools.set_mode("bidirectional" if lesion.node else "caliper")

    def set_status(self, row: int, column: int, value: str | None) -> None:
        """Set (or clear) a lesion's status at a timepoint."""
        lesion = self.table.lesion(row)
        timepoint = self.table.timepoint(column)
        self._execute(edits.SetStatus(lesion.id, timepoint.id, value))

    def make_baseline(self, column: int) -> None:
        """Make a timepoint the baseline (RECIST 1.1 section 4.3.1)."""
        self._execute(edits.SetBaseline(self.table.timepoint(column).id))

    def _execute(self, command: Command) -> None:
        self.session.execute(command)

    # ------------------------------------------------------------ menus

    def _cell_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if not index.isValid() or self.model.is_footer(index.row()):
            return
        row, column = index.row(), index.column()
        lesion = self.table.lesion(row)
        menu = QMenu(self)
        for status in STATUSES[lesion.kind]:
            action = menu.addAction(STATUS_TEXT.get(status, status))
            action.triggered.connect(
                lambda _c=False, s=status: self.set_status(row, column, s)
            )
        menu.addAction("Clear status").triggered.connect(
            lambda: self.set_status(row, column, None)
        )
        cell = self.table.cell(row, column)
        if cell.measurement_id is not None:
            menu.addSeparator()
            mid = cell.measurement_id
            menu.addAction("Unassign measurement").triggered.connect(
                lambda: self._execute(edits.AssignMeasurement(mid, None))
            )
            menu.addAction("Delete measurement").triggered.connect(
                lambda: self._execute(edits.DeleteMeasurement(mid))
            )
        menu.exec(self.view.viewport().mapToGlobal(position))

    def _lesion_menu(self, position: QPoint) -> None:
        row = self.view.verticalHeader().logicalIndexAt(position)
        if row < 0 or self.model.is_footer(row):
            return
        lesion = self.table.lesion(row)
        menu = QMenu(self)
        for kind in LesionKind:
            action = menu.addAction(f"Make {kind.value}")
            action.setEnabled(kind is not lesion.kind)
            action.triggered.connect(
                lambda _c=False, k=kind: self._execute(
                    edits.RetypeLesion(lesion.id, k, lesion.node)
                )
            )
        node = menu.addAction("Lymph node")
        node.setCheckable(True)
        node.setChecked(lesion.node)
        node.triggered.connect(
            lambda checked: self._execute(
                edits.RetypeLesion(lesion.id, lesion.kind, bool(checked))
            )
        )
        menu.addAction("Organ and location…").triggered.connect(
            lambda: self._rename(row)
        )
        menu.addSeparator()
        menu.addAction("Delete lesion").triggered.connect(
            lambda: self._execute(edits.DeleteLesion(lesion.id))
        )
        menu.exec(self.view.verticalHeader().mapToGlobal(position))

    def _timepoint_menu(self, position: QPoint) -> None:
        column = self.view.horizontalHeader().logicalIndexAt(position)
        if column < 0:
            return
        timepoint = self.table.timepoint(column)
        menu = QMenu(self)
        action = menu.addAction(f"Make {timepoint.id} the baseline")
        action.setEnabled(not timepoint.baseline)
        action.triggered.connect(lambda: self._execute(edits.SetBaseline(timepoint.id)))
        menu.exec(self.view.horizontalHeader().mapToGlobal(position))

    def _rename(self, row: int) -> None:
        lesion = self.table.lesion(row)
        organ, ok = QInputDialog.getText(self, "Nadir", "Organ", text=lesion.organ)
        if not ok:
            return
        name, ok = QInputDialog.getText(self, "Nadir", "Location", text=lesion.name)
        if ok:
            self._execute(edits.RenameLesion(lesion.id, name.strip(), organ.strip()))
