"""Measuring the demo case in the window with real mouse events, as a reader would.

Every lesion is measured at baseline, nadir and current with the caliper (the node
with the bidirectional tool) by dragging across its true axis end points from
ground_truth.json; follow-ups take the lesion the window suggests. The table must
then hold the true sums within one image pixel and the responses the ground truth
implies; undo and redo, and reopening the case from the workspace, restore it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app import workers
from app.main_window import MainWindow
from app.measure_tools import LesionChoice
from measurement.model import Lesion, LesionKind
from viewer.demo_case import GROUND_TRUTH, write_demo_case

SIZE, SLICES = 128, 40
PIXEL_MM = 400.0 / SIZE
ZOOM = 3.0
ORDER = ("baseline", "nadir", "current")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_case(tmp_path_factory.mktemp("demo") / "case", SIZE, SLICES)


@pytest.fixture
def synchronous(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.Workers, "synchronous", True)


def open_window(qtbot, demo: Path) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1500, 900)
    window.show()
    qtbot.waitExposed(window)
    window.open_paths([demo])
    return window


def widget_point(viewport, point_lps_mm) -> QPoint:
    position = viewport.pixel_to_widget(viewport.plane.from_patient(point_lps_mm))
    return QPoint(round(position.x()), round(position.y()))


def look_at(viewport, centre_lps_mm) -> None:
    """Scroll to the lesion and zoom in with it in the middle, as a reader does."""
    viewport.show_point(centre_lps_mm)
    viewport.set_view(ZOOM, QPointF(0.0, 0.0))
    where = viewport.pixel_to_widget(viewport.plane.from_patient(centre_lps_mm))
    middle = QPointF(viewport.width() / 2, viewport.height() / 2)
    viewport.set_view(ZOOM, middle - where)


def drag(qtbot, viewport, start_lps_mm, end_lps_mm) -> None:
    """Press, move in steps and release the left button on the viewport."""
    a, b = widget_point(viewport, start_lps_mm), widget_point(viewport, end_lps_mm)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    for t in (0.3, 0.6, 1.0):
        qtbot.mouseMove(viewport, a + (b - a) * t)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


class TruthChooser:
    """Answers the lesion question: the suggestion on follow-ups, else a new row."""

    def __init__(self, lesions: dict[str, dict]) -> None:
        self.lesions = lesions
        self.current = ""
        self.asked: list[tuple[str, str, str | None]] = []
        self.created: set[str] = set()

    def __call__(self, request) -> LesionChoice:
        truth = self.lesions[self.current]
        suggested = request.suggestion.lesion_id
        self.asked.append((request.timepoint.id, self.current, suggested))
        if self.current in self.created:
            return LesionChoice(lesion_id=suggested)
        self.created.add(self.current)
        kind = LesionKind(truth["kind"])
        lesion = Lesion(self.current, kind, "", truth["organ"], truth["node"])
        status = "unequivocal" if kind is LesionKind.NEW else None
        return LesionChoice(new_lesion=lesion, status=status)


def measure_demo(qtbot, window: MainWindow, demo: Path) -> TruthChooser:
    truth = json.loads((demo / GROUND_TRUTH).read_text())
    lesions = {lesion["id"]: lesion for lesion in truth["lesions"]}
    chooser = TruthChooser(lesions)
    tools = window.measure_tools
    tools.chooser = chooser
    for number, label in enumerate(ORDER):
        if label == "current":
            viewport = window.viewports[0]
        else:
            window.hang_patient(number)
            viewport = window.viewports[1]
        for lesion_id, lesion in lesions.items():
            place = lesion["studies"][label]
            if not place["present"]:
                continue
            chooser.current = lesion_id
            look_at(viewport, place["centre_lps_mm"])
            start, end = place["long_axis_end_points_lps_mm"]
            tools.set_mode("bidirectional" if lesion["node"] else "caliper")
            drag(qtbot, viewport, start, end)
            if lesion["node"]:
                adjust_short_axis(qtbot, window, viewport, place)
    tools.set_mode("none")
    return chooser


def adjust_short_axis(qtbot, window, viewport, place) -> None:
    """Drag the short axis handles of the new bidirectional onto the true ends."""
    measurement = window.reading_session.reading.state.measurement(
        window.measure_tools.selected
    )
    centre = np.asarray(place["centre_lps_mm"])
    direction = np.asarray(place["short_axis_direction_lps"])
    half = place["short_mm"] / 2
    targets = (centre - direction * half, centre + direction * half)
    ends = measurement.points_lps_mm[2:]
    # Match each default end with the true end on its side.
    if np.dot(np.asarray(ends[0]) - centre, direction) > 0:
        targets = targets[::-1]
    for end, target in zip(ends, targets, strict=True):
        drag(qtbot, viewport, end, target)


def test_measuring_the_demo_gives_the_true_table_and_responses(
    qtbot, demo, synchronous, tmp_path
):
    window = open_window(qtbot, demo)
    chooser = measure_demo(qtbot, window, demo)
    session = window.reading_session
    table = session.table
    state = session.reading.state

    # Follow-ups were offered the lesion measured at the same place before.
    for timepoint, lesion, suggested in chooser.asked:
        if timepoint == "T0" or lesion == "X1":
            assert suggested is None, (timepoint, lesion)
        else:
            assert suggested == lesion, (timepoint, lesion)

    assert [x.id for x in state.lesions] == ["L1", "L2", "L3", "L4", "L5", "N1", "X1"]
    assert len(state.measurements) == 3 * 6 + 1
    node = state.cell_measurements("L5", "T1")[0]
    assert node.short_mm == pytest.approx(11.0, abs=PIXEL_MM)

    expected = json.loads((demo / GROUND_TRUTH).read_text())["expected"]["timepoints"]
    for timepoint in ("T0", "T1", "T2"):
        values = table.timepoint_evaluation(timepoint)
        assert values["sum_mm"] == pytest.approx(
            expected[timepoint]["sum_mm"], abs=PIXEL_MM
        )
    assert table.timepoint_evaluation("T1")["target"] == "PR"
    assert table.timepoint_evaluation("T1")["overall"] == "PR"
    assert table.timepoint_evaluation("T2")["target"] == "PD"
    assert table.timepoint_evaluation("T2")["new_lesions"] == "yes"
    assert table.timepoint_evaluation("T2")["overall"] == "PD"

    footers = window.lesion_dock.model
    sum_row = table.row_count
    overall_row = table.row_count + 6
    assert footers.data(footers.index(overall_row, 1)) == "PR"
    assert footers.data(footers.index(overall_row, 2)) == "PD"
    assert footers.data(footers.index(sum_row, 0)).endswith(" mm")
    change = footers.data(footers.index(table.row_count + 1, 1))
    assert change.startswith("-3") and change.endswith("%")

    # Clicking a baseline cell loads the baseline beside the current and shows it.
    truth = json.loads((demo / GROUND_TRUTH).read_text())
    baseline = truth["lesions"][2]["studies"]["baseline"]
    window.lesion_dock.click_cell(2, 0)
    comparison = window.viewports[1]
    assert comparison.volume.info.study_instance_uid == truth["studies"][0]["study_uid"]
    qtbot.waitUntil(
        lambda: comparison.plane.sop_instance_uid == baseline["sop_instance_uid"]
    )

    window.resize(1700, 1000)
    for viewport in window.viewports[:2]:
        viewport.set_view(1.6, QPointF(0, 0))
    window.lesion_dock.select_lesion(2)
    window.measure_tools.set_mode("none")
    qtbot.wait(50)
    picture = window.grab()
    assert picture.save(str(tmp_path / "measured-demo.png"))
    if os.environ.get("NADIR_SCREENSHOT_DIR"):
        picture.save(
            str(Path(os.environ["NADIR_SCREENSHOT_DIR"]) / "measured-demo.png")
        )

    # Undo the new lesion's batch and redo it: the state comes back exactly.
    measured = session.reading.committed_state
    window.undo_action.trigger()
    assert "X1" not in [x.id for x in session.reading.state.lesions]
    assert table.timepoint_evaluation("T2")["new_lesions"] == "no"
    window.redo_action.trigger()
    assert session.reading.committed_state == measured

    # Reopening the case restores every measurement from the workspace.
    window.close()
    again = open_window(qtbot, demo)
    restored = again.reading_session.reading.committed_state
    assert restored == measured
    assert again.reading_session.reading.can_undo
    assert again.reading_session.table.timepoint_evaluation("T2")["overall"] == "PD"
    again.lesion_dock.select_lesion(0)
    drawn = again.measure_tools.visible(again.viewports[0])
    assert [(m.lesion_id, m.timepoint_id) for m in drawn] == [("L1", "T2")]
    drawn = again.measure_tools.visible(again.viewports[1])
    assert [(m.lesion_id, m.timepoint_id) for m in drawn] == [("L1", "T1")]
