"""The whole reading on real scans, in a real X server, with real mouse events.

The LIDC chest CT is the current study; a prior is made from it by a known rigid
transform (4 degrees about the patient's long axis and (25, -15, 30) mm, written
as a new study with its own frame of reference, six months earlier). The window
opens both, registers them in the background and must land the nodule of the
current on the nodule of the prior. Three target lesions are measured with the
caliper at both timepoints, the reading is exported, the window is closed and
opened again, and everything must be back. The Philips phantom's two real studies
(one tilted, one frame of reference) are read side by side too.

The tests run only under Xvfb (``QT_QPA_PLATFORM=xcb``); ``test_under_xvfb`` starts
them there from the normal run. Both skip where ../shared/data is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
LIDC = SHARED_DATA / "lidc0001_ct_chest_nodule"
PHILIPS = SHARED_DATA / "philips_ct_phantom_2studies_cd" / "DICOM"
UNDER_XVFB = os.environ.get("QT_QPA_PLATFORM") == "xcb"

# Three structures of the LIDC CT as (slice z in mm, column, row) end points: the
# nodule's horizontal diameter near z = -117.5 mm, and two other lung structures.
CALIPERS = {
    "L1": (-117.5, (300.0, 366.0), (333.0, 366.0)),
    "L2": (-80.0, (150.0, 250.0), (170.0, 262.0)),
    "L3": (-150.0, (360.0, 300.0), (360.0, 326.0)),
}


def test_under_xvfb(tmp_path, shared_data):
    """Run this module's reading in a real X server and report its outcome."""
    if UNDER_XVFB:
        pytest.skip("already under Xvfb")
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (make test installs it as root)")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", NADIR_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1680x1050x24",
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(Path(__file__)),
            "-k",
            "not test_under_xvfb",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "2 passed" in summary, summary


needs_xvfb = pytest.mark.skipif(
    not UNDER_XVFB, reason="runs in a real X server, started by test_under_xvfb"
)


@pytest.fixture
def window_factory(qtbot):
    from app.main_window import MainWindow

    def make(paths):
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        qtbot.waitExposed(window)
        window.open_paths([str(p) for p in paths])
        return window

    return make


def _widget_point(viewport, point_lps_mm) -> QPoint:
    position = viewport.pixel_to_widget(viewport.plane.from_patient(point_lps_mm))
    return QPoint(round(position.x()), round(position.y()))


def _centre_on(viewport, point_lps_mm, zoom=2.5) -> None:
    viewport.show_point(point_lps_mm)
    viewport.set_view(zoom, QPointF(0.0, 0.0))
    where = viewport.pixel_to_widget(viewport.plane.from_patient(point_lps_mm))
    middle = QPointF(viewport.width() / 2, viewport.height() / 2)
    viewport.set_view(zoom, middle - where)


def _drag(qtbot, viewport, start_lps_mm, end_lps_mm) -> None:
    a, b = _widget_point(viewport, start_lps_mm), _widget_point(viewport, end_lps_mm)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    for step in (0.25, 0.5, 0.75, 1.0):
        qtbot.mouseMove(viewport, a + (b - a) * step)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


class _Chooser:
    """Answers the lesion question as a reader would: new at the prior, then the
    suggestion (the lesion at the same anatomy) at the current study."""

    def __init__(self) -> None:
        self.lesion = ""
        self.suggested: list[str | None] = []

    def __call__(self, request):
        from app.measure_tools import LesionChoice
        from measurement.model import Lesion, LesionKind

        self.suggested.append(request.suggestion.lesion_id)
        if request.suggestion.lesion_id:
            return LesionChoice(lesion_id=request.suggestion.lesion_id)
        return LesionChoice(
            new_lesion=Lesion(self.lesion, LesionKind.TARGET, "", "lung", False)
        )


@needs_xvfb
def test_lidc_with_a_derived_prior_measured_exported_and_reopened(
    qtbot, shared_data, tmp_path, window_factory
):
    from viewer import load_series
    from viewer.derive import derive_prior

    derived = derive_prior(LIDC, tmp_path / "prior", (0.0, 0.0, 4.0), (25, -15, 30))
    truth = np.asarray(derived.truth_derived_to_source)  # prior LPS -> current LPS
    window = window_factory([LIDC, tmp_path / "prior"])
    current, prior = window.viewports[:2]
    assert current.volume.shape == (133, 512, 512)
    assert prior.volume.info.study_date < current.volume.info.study_date
    qtbot.waitUntil(lambda: window.link_label.text().startswith("Linked by rigid"))

    source = load_series(LIDC)
    points = {}
    for lesion, (z, a, b) in CALIPERS.items():
        k = int(np.argmin(np.abs(source.slice_positions_lps_mm[:, 2] - z)))
        points[lesion] = source.to_patient([[*a, k], [*b, k]])

    # The sync lands: the nodule of the current maps onto the prior's nodule.
    nodule = points["L1"].mean(axis=0)
    expected_in_prior = (np.linalg.inv(truth) @ [*nodule, 1.0])[:3]
    mapped = window.linker.map_point(current, prior, nodule)
    assert np.linalg.norm(mapped - expected_in_prior) < 1.0

    chooser = _Chooser()
    window.measure_tools.chooser = chooser
    window.measure_tools.set_mode("caliper")
    for lesion, ends in points.items():
        chooser.lesion = lesion
        ends_prior = (np.linalg.inv(truth) @ np.c_[ends, np.ones(2)].T).T[:, :3]
        _centre_on(prior, ends_prior.mean(axis=0))
        _drag(qtbot, prior, *ends_prior)
        _centre_on(current, ends.mean(axis=0))
        _drag(qtbot, current, *ends)
    window.measure_tools.set_mode("none")
    assert chooser.suggested == [None, "L1", None, "L2", None, "L3"]

    table = window.reading_session.table
    state = window.reading_session.reading.state
    assert [lesion.id for lesion in state.lesions] == ["L1", "L2", "L3"]
    true_sum = sum(float(np.linalg.norm(e[1] - e[0])) for e in points.values())
    prior_tp, current_tp = (tp.id for tp in state.timepoints)
    for timepoint in (prior_tp, current_tp):
        # a rigid move keeps lengths; one pixel (0.70 mm) of pointing per end
        assert table.timepoint_evaluation(timepoint)["sum_mm"] == pytest.approx(
            true_sum, abs=2 * 0.703125
        )
    assert table.timepoint_evaluation(current_tp)["target"] == "SD"
    window.grab().save(str(tmp_path / "lidc-measured.png"))

    # Export from the window: SR and key objects that validate, and the PDF.
    from app.export_action import ExportChoices, export

    case = window.reading_session.reading.to_case()
    out = tmp_path / "export"
    export(window, ExportChoices(out, lang="en", impression="Stable disease."))
    result = window.last_export
    written = sorted(p.name for p in out.rglob("*") if p.is_file())
    assert any(name.endswith(".pdf") for name in written), written
    dicom = sorted((out / "dicom").glob("*.dcm"))
    assert [p.name for p in dicom if p.name.startswith("measurement-report")]
    assert [p.name for p in dicom if p.name.startswith("key-objects")]
    if shutil.which("dciodvfy"):
        for path in dicom:
            check = subprocess.run(
                ["dciodvfy", str(path)], capture_output=True, text=True
            )
            errors = [
                line
                for line in (check.stdout + check.stderr).splitlines()
                if line.startswith("Error")
            ]
            assert errors == [], (path.name, errors)
    assert result is not None

    # Close and open again: the reading comes back from the workspace.
    measured = window.reading_session.reading.committed_state
    window.close()
    again = window_factory([LIDC, tmp_path / "prior"])
    assert again.reading_session.reading.committed_state == measured
    for lesion in ("L1", "L2", "L3"):
        cells = again.reading_session.reading.state.cell_measurements(
            lesion, current_tp
        )
        assert cells and cells[0].long_mm == pytest.approx(
            float(np.linalg.norm(points[lesion][1] - points[lesion][0])), abs=1.5
        )
    again.grab().save(str(tmp_path / "lidc-reopened.png"))
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case))


@needs_xvfb
def test_philips_phantom_studies_scroll_together_by_frame_of_reference(
    qtbot, shared_data, window_factory
):
    window = window_factory([PHILIPS])
    current, prior = window.viewports[:2]
    # newest is the tilted 2.5 mm study, the comparison the 5 mm study before it
    assert current.volume.shape[0] == 54 and prior.volume.shape[0] == 28
    assert window.link_label.text().startswith("Linked by patient coordinates")
    for k in (10, 27, 40):
        current.set_slice(k)
        centre = current.centre_lps_mm()
        # the comparison shows the slice through the same point, within half a step
        assert abs(prior.plane.distance_to(centre)) <= 2.5 + 0.01
