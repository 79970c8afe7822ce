"""The viewport and the linker driven by real key and mouse events."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.factories import ball_volume
from viewer.linker import Linker
from viewer.sync import registration_link
from viewer.viewport import Viewport


@pytest.fixture
def viewport(qtbot):
    widget = Viewport("Current")
    widget.resize(400, 400)
    qtbot.addWidget(widget)
    widget.show()
    widget.set_volume(ball_volume())
    return widget


def test_keys_scroll_and_presets(viewport, qtbot):
    start = viewport.slice_index
    qtbot.keyClick(viewport, Qt.Key.Key_Up)
    qtbot.keyClick(viewport, Qt.Key.Key_Up)
    assert viewport.slice_index == start + 2
    qtbot.keyClick(viewport, Qt.Key.Key_PageDown)
    assert viewport.slice_index == start - 8
    qtbot.keyClick(viewport, Qt.Key.Key_End)
    assert viewport.slice_index == 39
    # the file's own preset is 1, the standard lung preset follows it as 2
    qtbot.keyClick(viewport, Qt.Key.Key_2)
    assert (viewport.window.center, viewport.window.width) == (-600, 1500)


def test_wheel_scrolls_one_slice_per_notch(viewport, qtbot):
    from PySide6.QtGui import QWheelEvent

    start = viewport.slice_index
    event = QWheelEvent(
        QPointF(200, 200),
        QPointF(200, 200),
        QPoint(0, 0),
        QPoint(0, -240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    viewport.wheelEvent(event)
    assert viewport.slice_index == start + 2


def test_left_drag_changes_window(viewport, qtbot):
    before = viewport.window
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(viewport, QPoint(250, 180))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(250, 180))
    assert viewport.window.width == pytest.approx(before.width + 100)
    assert viewport.window.center == pytest.approx(before.center + 40)


def test_screen_point_maps_to_patient_mm_with_non_square_pixels(viewport):
    # ball centre (10, -20, 30) lies on slice k=20; show it and click it
    viewport.show_point([10.0, -20.0, 30.0])
    assert viewport.slice_index == 20
    widget_point = viewport.pixel_to_widget(viewport.plane.from_patient([10, -20, 30]))
    np.testing.assert_allclose(
        viewport.widget_to_patient(widget_point), [10, -20, 30], atol=1e-6
    )
    # 1.5 mm rows and 1.0 mm columns: 10 mm spans the same screen distance both ways
    a = viewport.pixel_to_widget(viewport.plane.from_patient([0, 0, 30]))
    b = viewport.pixel_to_widget(viewport.plane.from_patient([10, 0, 30]))
    c = viewport.pixel_to_widget(viewport.plane.from_patient([0, 10, 30]))
    assert abs(b.x() - a.x()) == pytest.approx(abs(c.y() - a.y()))


def test_scrolling_follows_same_frame_of_reference_by_patient_position(qtbot):
    current = Viewport("Current")
    prior = Viewport("Prior")
    for widget in (current, prior):
        widget.resize(300, 300)
        qtbot.addWidget(widget)
    linker = Linker()
    linker.add(current)
    linker.add(prior)
    current.set_volume(ball_volume(step=2.5))
    # same frame, other slice spacing and start: slice positions must match in mm
    prior.set_volume(ball_volume(step=5.0, origin=(-40.0, -80.0, -30.0)))
    linker.reset_links()
    current.set_slice(20)  # z = -20 + 50 = 30 mm
    assert prior.slice_index == 12  # z = -30 + 60 = 30 mm
    assert current.link_text == "Link: same frame"


def test_registration_link_moves_the_other_study_to_the_same_anatomy(qtbot):
    current = Viewport("Current")
    prior = Viewport("Prior")
    for widget in (current, prior):
        widget.resize(300, 300)
        qtbot.addWidget(widget)
    linker = Linker()
    linker.add(current)
    linker.add(prior)
    current.set_volume(ball_volume(frame="1.1"))
    # in the prior the patient lay 25 mm further toward the head
    prior.set_volume(ball_volume(centre_lps_mm=(10, -20, 55), frame="2.2"))
    assert not linker.link(current, prior).is_linked
    shift = np.eye(4)
    shift[2, 3] = 25.0
    linker.set_link(current, prior, registration_link(shift))
    current.show_point([10, -20, 30])
    linker.follow_point(current, [10, -20, 30])
    assert prior.slice_index == 30  # z = -20 + 2.5 * 30 = 55
    # ball centre: i = (10 + 40) / 1.0 = 50, j = (-20 + 80) / 1.5 = 40
    assert prior.volume.voxels[prior.slice_index, 40, 50] == 60


def test_coronal_and_sagittal_planes_pass_through_the_ball(viewport):
    # ball of radius 12 mm at (10, -20, 30); the viewport follows it into each plane
    for orientation, letters in (
        ("coronal", ("R", "L", "H", "F")),
        ("sagittal", ("A", "P", "H", "F")),
    ):
        viewport.show_point([10.0, -20.0, 30.0])
        viewport.set_orientation(orientation)
        viewport.show_point([10.0, -20.0, 30.0])
        plane = viewport.plane
        assert abs(plane.distance_to([10.0, -20.0, 30.0])) <= 0.5
        values, _ = viewport.source.plane(viewport.slice_index)
        centre = np.round(plane.from_patient([10.0, -20.0, 30.0])).astype(int)
        assert values[centre[1], centre[0]] == pytest.approx(60, abs=1)
        edge = np.round(plane.from_patient([10.0, -20.0, 30.0 + 15.0])).astype(int)
        assert values[edge[1], edge[0]] == pytest.approx(-1000, abs=1)
        from viewer.render import orientation_label

        assert orientation_label(-plane.x_axis) == letters[0]
        assert orientation_label(-plane.y_axis) == letters[2]
