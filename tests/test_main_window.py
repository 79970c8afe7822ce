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
    # other frames of reference: registered at once (workers run inline in tests)
    assert window.link_label.text().startswith("Linked by rigid registration")
    window.linker.last_pick[id(window.viewports[0])] = np.array([0.0, 0.0, 10.0])
    window.linker.last_pick[id(window.viewports[1])] = np.array([5.0, 0.0, 40.0])
    window.link_here()
    assert window.link_label.text().startswith("Linked here by the reader")
    mapped = window.linker.map_point(
        window.viewports[0], window.viewports[1], [0, 0, 10]
    )
    np.testing.assert_allclose(mapped, [5, 0, 40], atol=1e-9)


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


def test_plane_choice_applies_to_the_viewport_last_clicked(window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    window.show_volumes(ball_volume(), ball_volume(study_date="20251001"))
    comparison = window.viewports[1]
    qtbot.mouseClick(comparison, Qt.MouseButton.MiddleButton, pos=QPoint(50, 50))
    window.plane_box.setCurrentText("coronal")
    assert comparison.source.orientation == "coronal"
    assert window.viewports[0].source.orientation == "native"
    # clicking the other viewport shows its own plane in the box
    qtbot.mouseClick(window.viewports[0], Qt.MouseButton.MiddleButton, pos=QPoint(5, 5))
    assert window.plane_box.currentText() == "native"


def test_2x2_shows_coronal_and_sagittal_tied_by_the_crosshair(window, qtbot):
    from PySide6.QtCore import QPoint, Qt

    window.show_volumes(ball_volume(), ball_volume(study_date="20251001"))
    window.set_layout("2x2")
    axial, _, coronal, sagittal = window.viewports
    assert coronal.source.orientation == "coronal"
    assert sagittal.source.orientation == "sagittal"
    # shift-click the ball's centre in the axial view
    axial.show_point([10.0, -20.0, 30.0])
    target = axial.pixel_to_widget(axial.plane.from_patient([10.0, -20.0, 30.0]))
    qtbot.mouseClick(
        axial,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        QPoint(round(target.x()), round(target.y())),
    )
    # the coronal plane now passes through y = -20 and the sagittal through x = 10
    assert abs(coronal.plane.origin_lps_mm[1] - -20.0) <= 1.0
    assert abs(sagittal.plane.origin_lps_mm[0] - 10.0) <= 1.0


def test_scrolling_a_reformat_leaves_the_axial_in_place(window):
    window.show_volumes(ball_volume(), ball_volume(study_date="20251001"))
    window.set_layout("2x2")
    axial, comparison, coronal, _ = window.viewports
    axial.set_slice(7)
    before = (axial.slice_index, comparison.slice_index)
    coronal.scroll(5)
    assert (axial.slice_index, comparison.slice_index) == before
    assert coronal.title == "Current coronal"


def test_mouse_conventions_come_from_settings(qtbot, private_data_dir):
    from PySide6.QtCore import Qt

    (private_data_dir / "settings.ini").write_text(
        "[input]\nwindow=right\nzoom=left\nwheel=next\n", encoding="utf-8"
    )
    main = MainWindow()
    qtbot.addWidget(main)
    bindings = main.viewports[1].bindings
    assert bindings.window_button == Qt.MouseButton.RightButton
    assert bindings.zoom_button == Qt.MouseButton.LeftButton
    assert bindings.pan_button == Qt.MouseButton.MiddleButton
    assert bindings.wheel_direction == 1


def test_a_folder_without_image_stacks_says_so(window, tmp_path):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ComprehensiveSRStorage, ExplicitVRLittleEndian, generate_uid

    sr_only = tmp_path / "sr-only"
    sr_only.mkdir()

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ComprehensiveSRStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ComprehensiveSRStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "SR"
    ds.PatientID = "P1"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyDate = "20260101"
    ds.save_as(sr_only / "report.dcm", enforce_file_format=True)
    window.open_paths([sr_only])
    assert window.viewports[0].volume is None
    assert (
        window.statusBar()
        .currentMessage()
        .startswith("No image stack to show: these files hold SR objects only")
    )


def test_progress_reported_after_the_result_is_dropped(qtbot):
    from app import workers

    seen = []
    job = workers.Job(seen.append, seen.append, lambda f, t: seen.append((f, t)))
    job._deliver_progress(0.5, "Loading 1/2")
    job._deliver_result("volume")
    job._deliver_progress(1.0, "Loading 2/2")
    assert seen == [(0.5, "Loading 1/2"), "volume"]
