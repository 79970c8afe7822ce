"""Measuring tools, the lesion dock and the workspace on two in-memory studies.

Both studies hold a 60 HU ball of radius 12 mm centred at (10, -20, 30) LPS mm in
the same frame of reference, on 1.5 x 1.0 mm pixels (not square) and 2.5 mm slices,
so every length, area and mean below is known beforehand.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.main_window import MainWindow
from app.measure_overlay import measurement_label
from app.measure_tools import LesionChoice
from measurement.model import Lesion, LesionKind, Tool
from tests.factories import ball_volume
from viewer.volume import Calibration

CENTRE = np.array([10.0, -20.0, 30.0])
ZOOM = 3.0


def study(volume, uid: str):
    volume.info = replace(volume.info, study_instance_uid=uid)
    return volume


@pytest.fixture
def window(qtbot):
    main = MainWindow()
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show()
    qtbot.waitExposed(main)
    return main


def show_two(window, calibration: Calibration | None = None) -> None:
    current = study(ball_volume(), "1.2.9.2")
    prior = study(ball_volume(study_date="20251001"), "1.2.9.1")
    if calibration is not None:
        current.calibration = calibration
        prior.calibration = calibration
    window.show_volumes(current, prior)
    for viewport in window.viewports[:2]:
        look_at(viewport, CENTRE)


def look_at(viewport, point) -> None:
    viewport.show_point(point)
    viewport.set_view(ZOOM, QPointF(0.0, 0.0))
    where = viewport.pixel_to_widget(viewport.plane.from_patient(point))
    middle = QPointF(viewport.width() / 2, viewport.height() / 2)
    viewport.set_view(ZOOM, middle - where)


def widget_point(viewport, point) -> QPoint:
    position = viewport.pixel_to_widget(viewport.plane.from_patient(point))
    return QPoint(round(position.x()), round(position.y()))


def press_move(qtbot, viewport, start, end) -> None:
    a, b = widget_point(viewport, start), widget_point(viewport, end)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(viewport, (a + b) / 2)
    qtbot.mouseMove(viewport, b)


def release(qtbot, viewport, end) -> None:
    qtbot.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, pos=widget_point(viewport, end)
    )


def drag(qtbot, viewport, start, end) -> None:
    press_move(qtbot, viewport, start, end)
    release(qtbot, viewport, end)


def new_target(request) -> LesionChoice:
    return LesionChoice(new_lesion=Lesion("", LesionKind.TARGET, "", "liver"))


def accept_suggestion(request) -> LesionChoice:
    return LesionChoice(lesion_id=request.suggestion.lesion_id)


def test_timepoints_from_the_studies_oldest_is_baseline(window):
    show_two(window)
    state = window.reading_session.reading.state
    assert [(t.id, t.study_uid, t.baseline) for t in state.timepoints] == [
        ("T0", "1.2.9.1", True),
        ("T1", "1.2.9.2", False),
    ]
    assert window.reading_session.workspace is not None
    window.close()
    assert window.reading_session.workspace is None


def test_caliper_in_mm_and_the_table_follows_the_drag_live(qtbot, window):
    show_two(window)
    tools, session = window.measure_tools, window.reading_session
    table = session.table
    current, prior = window.viewports[0], window.viewports[1]
    tools.set_mode("caliper")
    tools.chooser = new_target
    a, b = CENTRE - [12.0, 0, 0], CENTRE + [12.0, 0, 0]
    drag(qtbot, prior, a, b)
    (first,) = session.reading.state.measurements
    assert first.tool is Tool.CALIPER and first.lesion_id == "L1"
    assert first.long_mm == pytest.approx(24.0, abs=0.3)
    assert table.cell(0, 0).text == f"{first.long_mm:.1f} mm"

    # Half way through the drag on the other study the table already shows it.
    tools.chooser = accept_suggestion
    short_end = CENTRE + [0, 8.0, 0]
    press_move(qtbot, current, CENTRE - [0, 8.0, 0], short_end)
    live = table.cell(0, 1).text
    assert live.endswith(" mm") and float(live.split()[0]) == pytest.approx(16, abs=0.3)
    assert not session.reading.can_redo and session.reading.undo_label.startswith(
        "Measure L1 at T0"
    )
    release(qtbot, current, short_end)
    assert session.reading.undo_label == "Measure L1 at T1"
    assert table.timepoint_evaluation("T1")["sum_mm"] == pytest.approx(16.0, abs=0.3)
    assert (
        window.lesion_dock.model.data(
            window.lesion_dock.model.index(table.row_count + 3, 1)
        )
        == "PR"
    )


def test_uncalibrated_image_says_so_on_the_measurement(qtbot, window):
    show_two(window, Calibration("px", False, "no pixel spacing"))
    tools = window.measure_tools
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, window.viewports[0], CENTRE - [6.0, 0, 0], CENTRE + [6.0, 0, 0])
    (measurement,) = window.reading_session.reading.state.measurements
    label = measurement_label(measurement)
    assert label.startswith("L1 ") and "px (no pixel spacing)" in label
    cell = window.reading_session.table.cell(0, 1)
    assert not cell.calibrated and "no pixel spacing" in cell.text


def test_handles_adjust_delete_removes_and_undo_restores(qtbot, window):
    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    viewport = window.viewports[0]
    tools.set_mode("caliper")
    tools.chooser = lambda request: LesionChoice()
    a, b = CENTRE - [10.0, 0, 0], CENTRE + [10.0, 0, 0]
    drag(qtbot, viewport, a, b)
    (measured,) = reading.state.measurements
    assert measured.lesion_id is None and measured.long_mm == pytest.approx(20, abs=0.3)

    # Window/level mode still grabs handles.
    tools.set_mode("none")
    drag(qtbot, viewport, b, CENTRE + [4.0, 0, 0])
    (moved,) = reading.state.measurements
    assert moved.long_mm == pytest.approx(14.0, abs=0.3)
    assert reading.undo_label == f"Move {measured.id}"

    assert tools.selected == measured.id
    window.delete_action.trigger()
    assert reading.state.measurements == ()
    window.undo_action.trigger()
    assert reading.state.measurements == (moved,)
    window.undo_action.trigger()
    assert reading.state.measurements == (measured,)
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert reading.state.measurements == ()


def test_bidirectional_keeps_its_short_axis_perpendicular(qtbot, window):
    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    viewport = window.viewports[0]
    tools.set_mode("bidirectional")
    tools.chooser = lambda request: LesionChoice(
        new_lesion=Lesion("", LesionKind.TARGET, "", "mediastinum", node=True)
    )
    drag(qtbot, viewport, CENTRE - [10.0, 0, 0], CENTRE + [10.0, 0, 0])
    (measured,) = reading.state.measurements
    assert measured.long_mm == pytest.approx(20.0, abs=0.3)
    assert measured.short_mm == pytest.approx(10.0, abs=0.3)
    c, d = measured.points_lps_mm[2:]
    # Drag one short end off the perpendicular: it is projected back onto it.
    target = np.asarray(c) + [3.0, 0, 0] + (np.asarray(c) - CENTRE) * 0.6
    drag(qtbot, viewport, c, target)
    (moved,) = reading.state.measurements
    a, b, c2, d2 = (np.asarray(p) for p in moved.points_lps_mm)
    assert float(np.dot(b - a, d2 - c2)) == pytest.approx(0.0, abs=1e-6)
    assert moved.short_mm == pytest.approx(13.0, abs=0.4)
    assert "L1" in measurement_label(moved) and " × " in measurement_label(moved)


def test_ellipse_gives_mean_sd_and_area_in_mm2(qtbot, window):
    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    viewport = window.viewports[0]
    tools.set_mode("ellipse")
    drag(qtbot, viewport, CENTRE - [6.0, 6.0, 0], CENTRE + [6.0, 6.0, 0])
    (measured,) = reading.state.measurements
    assert measured.tool is Tool.ELLIPSE and measured.lesion_id is None
    label = tools.overlay.ellipse_label(viewport, measured)
    assert label.startswith("mean 60.0 HU, SD 0.0 HU")
    area = float(label.rsplit("area ", 1)[1].split(" ")[0])
    assert area == pytest.approx(math.pi * 36, rel=0.12)
    assert "mm²" in label


def test_arrow_and_text_annotations(qtbot, window):
    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    viewport = window.viewports[0]
    tools.text_prompt = lambda prompt: "enhancing rim"
    tools.set_mode("arrow")
    drag(qtbot, viewport, CENTRE, CENTRE + [15.0, 10.0, 0])
    tools.set_mode("text")
    where = widget_point(viewport, CENTRE + [0, 15.0, 0])
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=where)
    arrow, text = reading.state.annotations
    assert arrow.kind.value == "arrow" and arrow.text == "enhancing rim"
    np.testing.assert_allclose(arrow.points_lps_mm[0], CENTRE, atol=0.3)
    assert text.kind.value == "text" and len(text.points_lps_mm) == 1
    assert len(tools.visible(viewport)) == 2


def test_measurements_show_only_within_half_a_slice_and_in_every_plane(qtbot, window):
    show_two(window)
    tools = window.measure_tools
    viewport = window.viewports[0]
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, viewport, CENTRE - [8.0, 0, 0], CENTRE + [8.0, 0, 0])
    assert len(tools.visible(viewport)) == 1
    viewport.scroll(1)
    assert tools.visible(viewport) == []
    viewport.scroll(-1)
    viewport.set_orientation("coronal")
    viewport.show_point(CENTRE)
    assert len(tools.visible(viewport)) == 1
    assert len(tools.visible(window.viewports[1])) == 0


def test_cells_statuses_warnings_and_navigation(qtbot, window):
    show_two(window)
    tools, session = window.measure_tools, window.reading_session
    dock, table = window.lesion_dock, session.table
    current, prior = window.viewports[0], window.viewports[1]
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, prior, CENTRE - [4.0, 0, 0], CENTRE + [4.0, 0, 0])
    assert any("L1" in w and "10" in w for w in table.warnings())
    assert dock.warning_label.text().startswith("⚠")

    dock.set_status(0, 1, "too-small")
    assert table.cell(0, 1).text == "too small (5 mm)"
    assert table.timepoint_evaluation("T1")["sum_mm"] == pytest.approx(5.0)

    # Clicking the baseline cell brings its image back into the prior's viewport.
    prior.scroll(6)
    dock.click_cell(0, 0)
    assert prior.slice_index == prior.source.index_of(CENTRE)
    assert tools.selected == session.reading.state.measurements[0].id

    # Selecting the lesion moves the other study to the matching place.
    tools.set_mode("none")
    current.set_slice(0)
    dock.select_lesion(0)
    assert current.slice_index == current.source.index_of(CENTRE)
    assert tools.mode == "caliper" and tools.preferred_lesion == "L1"


def test_case_file_round_trip_is_undoable(qtbot, window, tmp_path):
    show_two(window)
    tools, session = window.measure_tools, window.reading_session
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, window.viewports[1], CENTRE - [9.0, 0, 0], CENTRE + [9.0, 0, 0])
    path = tmp_path / "case.json"
    session.save_case_file(path)
    case = json.loads(path.read_text())
    assert case["format"] == "nadir-case/1"
    (lesion,) = case["lesions"]
    assert lesion["measurements"]["T0"]["long_mm"] == pytest.approx(18.0, abs=0.3)

    saved = session.reading.committed_state
    window.delete_action.trigger()
    session.open_case_file(path)
    assert (
        session.table.cell(0, 0).text
        == f"{lesion['measurements']['T0']['long_mm']:.1f} mm"
    )
    assert session.reading.undo_label == "Open case file case.json"
    window.undo_action.trigger()
    assert session.reading.state.measurements == ()
    assert saved.lesions == session.reading.state.lesions


def test_tool_keys_pick_the_tool(qtbot, window):
    show_two(window)
    window.activateWindow()
    viewport = window.viewports[0]
    viewport.setFocus()
    qtbot.keyClick(viewport, Qt.Key.Key_C)
    assert window.measure_tools.mode == "caliper"
    qtbot.keyClick(viewport, Qt.Key.Key_W)
    assert window.measure_tools.mode == "none"


def test_delete_and_undo_keys(qtbot, window):
    show_two(window)
    window.activateWindow()
    tools, reading = window.measure_tools, window.reading_session.reading
    viewport = window.viewports[0]
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, viewport, CENTRE - [8.0, 0, 0], CENTRE + [8.0, 0, 0])
    measured = reading.state.measurements
    qtbot.keyClick(viewport, Qt.Key.Key_Delete)
    assert reading.state.measurements == ()
    qtbot.keyClick(viewport, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert reading.state.measurements == measured
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(viewport, Qt.Key.Key_Z, shift_ctrl)
    assert reading.state.measurements == ()


def test_the_lesion_question_offers_the_suggestion_first(qtbot, window):
    from app.lesion_chooser import NEW_LESION, LesionChooser

    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, window.viewports[1], CENTRE - [8.0, 0, 0], CENTRE + [8.0, 0, 0])
    requests = []
    tools.chooser = lambda request: requests.append(request)
    drag(qtbot, window.viewports[0], CENTRE - [7.0, 0, 0], CENTRE + [7.0, 0, 0])
    assert len(reading.state.measurements) == 1  # cancelling discards it
    (request,) = requests
    assert request.suggestion.lesion_id == "L1"
    assert request.suggestion.distance_mm == pytest.approx(0.0, abs=0.5)

    assert request.measurement.long_mm == pytest.approx(14.0, abs=1.0)

    dialog = LesionChooser(request, window)
    qtbot.addWidget(dialog)
    from PySide6.QtWidgets import QLabel

    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any(t.startswith("Caliper of 1") and " mm at T" in t for t in texts), texts
    assert dialog.choice() == LesionChoice(lesion_id="L1", status=None)
    dialog.lesion_box.setCurrentIndex(dialog.lesion_box.findData(NEW_LESION))
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("new"))
    dialog.organ_edit.setText("lung")
    choice = dialog.choice()
    assert choice.new_lesion == Lesion("", LesionKind.NEW, "", "lung", False)
    assert choice.status == "equivocal"


def test_the_real_dialog_asks_after_a_caliper(qtbot, window):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.lesion_chooser import LesionChooser

    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    tools.set_mode("caliper")
    seen = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        seen.append(type(dialog))
        dialog.organ_edit.setText("liver")
        dialog.name_edit.setText("segment VII")
        dialog.accept()

    QTimer.singleShot(50, answer)
    drag(qtbot, window.viewports[0], CENTRE - [9.0, 0, 0], CENTRE + [9.0, 0, 0])
    assert seen == [LesionChooser]
    (lesion,) = reading.state.lesions
    assert (lesion.id, lesion.kind, lesion.organ, lesion.name) == (
        "L1",
        LesionKind.TARGET,
        "liver",
        "segment VII",
    )
    assert reading.state.measurements[0].lesion_id == "L1"


def test_ellipse_handles_move_and_resize_it(qtbot, window):
    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    viewport = window.viewports[0]
    tools.set_mode("ellipse")
    drag(qtbot, viewport, CENTRE - [6.0, 4.0, 0], CENTRE + [6.0, 4.0, 0])
    (first,) = reading.state.measurements
    centre, along, across = (np.asarray(p) for p in first.points_lps_mm)
    np.testing.assert_allclose(centre, CENTRE, atol=0.3)
    drag(qtbot, viewport, centre, centre + [2.0, 3.0, 0])
    (moved,) = reading.state.measurements
    np.testing.assert_allclose(
        np.asarray(moved.points_lps_mm) - np.asarray(first.points_lps_mm),
        [[2.0, 3.0, 0]] * 3,
        atol=0.3,
    )
    end = np.asarray(moved.points_lps_mm[1])
    drag(qtbot, viewport, end, end + [3.0, 0, 0])
    (wider,) = reading.state.measurements
    semi = np.asarray(wider.points_lps_mm[1]) - np.asarray(wider.points_lps_mm[0])
    assert float(np.linalg.norm(semi)) == pytest.approx(9.0, abs=0.3)


def test_a_failed_save_is_told_and_the_edit_kept(qtbot, window):
    show_two(window)
    tools, session = window.measure_tools, window.reading_session
    session.workspace._db.close()
    tools.set_mode("caliper")
    tools.chooser = new_target
    drag(qtbot, window.viewports[0], CENTRE - [8.0, 0, 0], CENTRE + [8.0, 0, 0])
    assert len(session.reading.state.measurements) == 1
    assert window.statusBar().currentMessage().startswith("Not saved: ")


def test_the_baseline_can_be_changed_from_the_table(qtbot, window):
    show_two(window)
    dock, session = window.lesion_dock, window.reading_session
    model = dock.model
    assert model.headerData(0, Qt.Orientation.Horizontal).endswith("baseline")
    dock.make_baseline(1)
    assert session.reading.state.baseline.id == "T1"
    assert model.headerData(1, Qt.Orientation.Horizontal) == "T1\n2026-01-01\nbaseline"
    window.undo_action.trigger()
    assert session.reading.state.baseline.id == "T0"


def test_a_label_at_the_right_edge_turns_inward(qapp):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QImage, QPainter

    from app.measure_overlay import _draw_label

    image = QImage(300, 120, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    _draw_label(
        painter, QPointF(290, 60), "mean 60.0 HU\nSD 150.2 HU", QColor("yellow")
    )
    painter.end()
    veiled = [x for x in range(300) if QColor(image.pixel(x, 60)).red() < 200]
    # the label lies left of its anchor, whole, instead of running off the edge
    assert veiled and max(veiled) < 290 and min(veiled) > 100


def test_escape_drops_the_caliper_being_drawn(qtbot, window):
    show_two(window)
    tools, reading = window.measure_tools, window.reading_session.reading
    tools.set_mode("caliper")
    tools.chooser = new_target
    viewport = window.viewports[0]
    start = widget_point(viewport, CENTRE - [6.0, 0, 0])
    end = widget_point(viewport, CENTRE + [6.0, 0, 0])
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, end)
    assert reading.state.measurements  # the live preview is there
    window.activateWindow()
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert reading.state.measurements == ()
    assert not reading.can_undo
