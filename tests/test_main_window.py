"""The main window on in-memory volumes: layouts, links and persisted choices."""

import numpy as np
import pytest

from app.main_window import MainWindow
from tests.factories import ball_volume


@pytest.fixture
def window(qtbot):
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    return main


def test_two_studies_side_by_side_with_the_link_in_force(window):
    window.show_volumes(ball_volume(), ball_volume(study_date="20251001"))
    current, comparison = window.viewports[:2]
    assert current.volume.info.study_date == "20260101"
    assert comparison.volume.info.study_date == "20251001"
    assert current.isVisible() and comparison.isVisible()
    assert "same frame of reference" in window.link_label.text()
    current.set_slice(5)
    assert comparison.slice_index == 5


def test_link_here_pairs_the_picked_points(window):
    window.show_volumes(ball_volume(frame="1"), ball_volume(frame="2"))
    assert window.link_label.text() == "Not linked"
    window.linker.last_pick[id(window.viewports[0])] = np.array([0.0, 0.0, 10.0])
    window.linker.last_pick[id(window.viewports[1])] = np.array([5.0, 0.0, 40.0])
    window.link_here()
    assert window.link_label.text().startswith("Linked here by the reader")
    mapped = window.linker.map_point(
        window.viewports[0], window.viewports[1], [0, 0, 10]
    )
    np.testing.assert_allclose(mapped, [5, 0, 40])


def test_layout_and_link_switches_persist(qtbot):
    first = MainWindow()
    qtbot.addWidget(first)
    first.set_layout("2x2")
    first.window_link_action.setChecked(True)
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second._layout_name == "2x2"
    assert second.linker.window_linked is True
