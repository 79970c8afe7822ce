"""The Measure toolbar: tools with their keys, undo, redo, delete, case files.

Keys: W window/level (no tool), C caliper, B bidirectional, E ellipse, A arrow,
T text; Del deletes the selected mark; Ctrl+Z and Ctrl+Shift+Z undo and redo every
edit of the reading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget

from app.measure_tools import TOOLS, MeasureTools

if TYPE_CHECKING:
    from app.lesion_dock import LesionDock
    from app.main_window import MainWindow
    from app.reading_session import ReadingSession

logger = logging.getLogger(__name__)


def add_actions(
    window: MainWindow,
    session: ReadingSession,
    tools: MeasureTools,
    dock: LesionDock,
) -> QToolBar:
    """A "Measure" toolbar: tools with their keys, undo, redo, delete, case files."""
    bar = QToolBar("Measure")
    bar.setObjectName("measure-toolbar")
    window.addToolBarBreak()
    window.addToolBar(bar)
    group = QActionGroup(window)
    actions: dict[str, QAction] = {}
    for name, text, key in TOOLS:
        action = QAction(text, window, checkable=True)
        action.setShortcut(QKeySequence(key))
        action.setToolTip(f"{text} ({key})")
        action.triggered.connect(lambda _c=False, n=name: tools.set_mode(n))
        group.addAction(action)
        bar.addAction(action)
        actions[name] = action
    actions["none"].setChecked(True)
    tools.mode_changed.connect(lambda mode: actions[mode].setChecked(True))
    bar.addSeparator()

    undo = _action(window, bar, "Undo", QKeySequence.StandardKey.Undo, session.undo)
    redo = _action(window, bar, "Redo", QKeySequence("Ctrl+Shift+Z"), session.redo)
    delete = _action(
        window, bar, "Delete", QKeySequence.StandardKey.Delete, tools.delete_selected
    )
    cancel = QAction("Cancel the measurement being drawn", window)
    cancel.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    cancel.triggered.connect(tools.cancel_drag)
    window.addAction(cancel)
    bar.addSeparator()
    save = _action(window, bar, "Save case file…", None, session.choose_save_case)
    load = _action(window, bar, "Open case file…", None, session.choose_open_case)
    bar.addAction(dock.toggleViewAction())

    def refresh(_change: object = None) -> None:
        reading = session.reading
        undo.setEnabled(reading.can_undo)
        redo.setEnabled(reading.can_redo)
        undo.setToolTip(f"Undo {reading.undo_label}".strip())
        redo.setToolTip(f"Redo {reading.redo_label}".strip())

    session.changed.connect(refresh)
    refresh()
    for name, action in (
        ("undo", undo),
        ("redo", redo),
        ("delete", delete),
        ("save_case", save),
        ("open_case", load),
    ):
        setattr(window, f"{name}_action", action)
    window.tool_actions = actions  # type: ignore[attr-defined]
    return bar


def _action(
    window: QWidget,
    bar: QToolBar,
    text: str,
    shortcut: QKeySequence | QKeySequence.StandardKey | None,
    slot: Callable[[], object],
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(lambda _c=False: slot())
    bar.addAction(action)
    return action
