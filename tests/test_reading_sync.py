"""Reading the demo side by side: the sync lands on the same lesion in both studies."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.main_window import MainWindow
from viewer.demo_case import write_demo_case


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo_case(folder, size=192, slices=64)
    return folder


def test_registration_link_lands_on_the_same_lesion(qtbot, demo_folder):
    truth = json.loads((demo_folder / "ground_truth.json").read_text())
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.open_paths([demo_folder])
    current, comparison = window.viewports[:2]
    assert current.volume.info.study_date == "20260715"
    assert comparison.volume.info.study_date == "20260414"
    assert window.link_label.text().startswith("Linked by rigid registration")

    errors = []
    for lesion in truth["lesions"]:
        at = lesion["studies"]
        if not (at["current"]["present"] and at["nadir"]["present"]):
            continue
        centre_current = np.array(at["current"]["centre_lps_mm"])
        centre_prior = np.array(at["nadir"]["centre_lps_mm"])
        # the reader points at the lesion in the current study ...
        window.linker._on_pick(current, centre_current)
        # ... and the comparison shows the plane through the same lesion
        assert abs(comparison.plane.distance_to(centre_prior)) <= 0.75 * 3.05 + 1.0
        mapped = window.linker.map_point(current, comparison, centre_current)
        errors.append(float(np.linalg.norm(mapped - centre_prior)))
    assert len(errors) >= 5
    # pixels are 2.1 mm and slices 3.05 mm in this small demo
    print("registration error at lesion centres (mm):", np.round(errors, 2))
    assert max(errors) < 2.0, errors


def test_baseline_can_be_chosen_as_the_comparison(qtbot, demo_folder):
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_paths([demo_folder])
    assert window.comparison_box.count() == 2
    assert window.comparison_box.itemText(0).endswith("(baseline)")
    window._on_comparison_chosen(0)
    assert window.viewports[1].volume.info.study_date == "20260112"
    assert window.viewports[0].volume.info.study_date == "20260715"
