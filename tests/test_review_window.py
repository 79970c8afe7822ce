"""Review mode in the window: blind until measured, side by side, training.

The demo case is opened in the window and its true lesion table (expected_case.json)
is the other reader's reading. The reviewer measures with real mouse events (the
caliper dragged across the lesion's true long axis, as in test_measure_demo). What
the review dock lists and what the viewport paints are asserted before and after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.review_dock import changes_text
from measurement.review_state import ReviewMode
from tests.test_measure_demo import (
    PIXEL_MM,
    TruthChooser,
    drag,
    look_at,
    open_window,
    widget_point,
)
from viewer.demo_case import EXPECTED_CASE, GROUND_TRUTH, write_demo_case

SIZE, SLICES = 128, 40


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_case(tmp_path_factory.mktemp("demo") / "case", SIZE, SLICES)


@pytest.fixture(scope="module")
def truth(demo: Path) -> dict:
    data = json.loads((demo / GROUND_TRUTH).read_text(encoding="utf-8"))
    return {lesion["id"]: lesion for lesion in data["lesions"]}


@pytest.fixture(scope="module")
def other_reading(demo: Path) -> dict:
    case = json.loads((demo / EXPECTED_CASE).read_text(encoding="utf-8"))
    case["reader"] = "Dr A. First"
    return case


def other_pixels(viewport, point_lps_mm, half: int = 4) -> int:
    """Pixels of the other reader's colour in a small square around a point."""
    image = viewport.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    centre = widget_point(viewport, point_lps_mm)
    ratio = image.devicePixelRatio()
    count = 0
    for dx in range(-half, half + 1):
        for dy in range(-half, half + 1):
            x, y = int((centre.x() + dx) * ratio), int((centre.y() + dy) * ratio)
            colour = image.pixelColor(x, y)
            if colour.red() > 200 and colour.green() < 140 and colour.blue() > 170:
                count += 1
    return count


def measure(qtbot, window, viewport, lesion: dict, label: str) -> None:
    place = lesion["studies"][label]
    look_at(viewport, place["centre_lps_mm"])
    window.measure_tools.chooser.current = lesion["id"]
    window.measure_tools.set_mode("caliper")
    start, end = place["long_axis_end_points_lps_mm"]
    drag(qtbot, viewport, start, end)
    window.measure_tools.set_mode("none")


def centre_of_axis(lesion: dict, label: str) -> list[float]:
    start, end = lesion["studies"][label]["long_axis_end_points_lps_mm"]
    return [(a + b) / 2 for a, b in zip(start, end, strict=True)]


def test_blind_mode_hides_the_other_reading_until_the_reviewer_measures(
    qtbot, demo, truth, other_reading, tmp_path, monkeypatch
):
    window = open_window(qtbot, demo)
    window.measure_tools.chooser = TruthChooser(truth)
    controller, dock = window.review, window.review_dock
    assert not dock.isVisible()
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "nadir-case/1"', encoding="utf-8")
    warnings = []
    monkeypatch.setattr(
        "app.review_mode.QMessageBox.warning",
        lambda _parent, _title, text: warnings.append(text),
    )
    monkeypatch.setattr(
        "app.review_mode.QFileDialog.getOpenFileName",
        lambda *args, **kwargs: (str(broken), ""),
    )
    window.review_action.trigger()
    assert warnings == [
        f"{broken}: not valid JSON at line 1 column 26: " + ("Expecting ',' delimiter")
    ]
    assert controller.state is None and not dock.isVisible()
    first = tmp_path / "first.json"
    first.write_text(json.dumps(other_reading), encoding="utf-8")
    monkeypatch.setattr(
        "app.review_mode.QFileDialog.getOpenFileName",
        lambda *args, **kwargs: (str(first), ""),
    )
    window.review_action.trigger()
    assert dock.isVisible()
    assert controller.state.mode is ReviewMode.BLIND
    assert controller.state.source == "first.json"
    current = window.viewports[0]
    assert window.reading_session.timepoint_of(current).id == "T2"
    l1, l2 = truth["L1"], truth["L2"]
    look_at(current, l1["studies"]["current"]["centre_lps_mm"])
    middle = centre_of_axis(l1, "current")

    # Before: the dock hides L1's value, the viewport draws none of its calipers.
    row = dock.row_of("L1", "T2")
    assert row >= 0
    assert [dock.cell_text(row, c) for c in range(7)] == [
        "L1",
        "T2",
        "hidden",
        "",
        "",
        "",
        "",
    ]
    assert "15 of its 15 measurements hidden" in dock.heading.text()
    assert other_pixels(current, middle) == 0
    assert controller.painted[id(current)] == []
    assert dock.categories.rowCount() == 0
    assert "shown once every lesion is measured" in dock.summary.text()

    # The reviewer drags a caliper across L1 at the current study with the mouse;
    # while the button is down nothing is revealed, on release it is.
    place = l1["studies"]["current"]
    look_at(current, place["centre_lps_mm"])
    window.measure_tools.chooser.current = "L1"
    window.measure_tools.set_mode("caliper")
    start, end = (
        widget_point(current, p) for p in place["long_axis_end_points_lps_mm"]
    )
    qtbot.mousePress(current, Qt.MouseButton.LeftButton, pos=start)
    for t in (0.3, 0.6, 1.0):
        qtbot.mouseMove(current, start + (end - start) * t)
    assert window.reading_session.reading.state.measurements  # the preview
    assert dock.cell_text(dock.row_of("L1", "T2"), 2) == "hidden"
    assert other_pixels(current, middle) == 0
    qtbot.mouseRelease(current, Qt.MouseButton.LeftButton, pos=end)
    window.measure_tools.set_mode("none")
    own = window.reading_session.reading.state.cell_measurements("L1", "T2")
    assert len(own) == 1

    # After: L1 at T2 is revealed in the dock and drawn in the other colour.
    row = dock.row_of("L1", "T2")
    assert dock.cell_text(row, 2) == "20.0 mm"
    yours = float(dock.cell_text(row, 3).removesuffix(" mm"))
    assert yours == pytest.approx(20.0, abs=PIXEL_MM)
    assert float(dock.cell_text(row, 4)) == pytest.approx(yours - 20.0, abs=0.05)
    assert dock.cell_text(row, 6) == "inside"
    assert "14 of its 15 measurements hidden" in dock.heading.text()
    assert other_pixels(current, middle) > 0
    assert controller.painted[id(current)] == ["L1"]
    # ... while L1 elsewhere and every other lesion stay hidden.
    assert dock.cell_text(dock.row_of("L1", "T0"), 2) == "hidden"
    assert dock.cell_text(dock.row_of("L2", "T2"), 2) == "hidden"
    look_at(current, l2["studies"]["current"]["centre_lps_mm"])
    assert other_pixels(current, centre_of_axis(l2, "current")) == 0
    assert controller.painted[id(current)] == []

    # Side by side shows the other reading whole: L2 drawn and listed; the
    # categories wait for a reading that has its target at the baseline.
    controller.set_mode(ReviewMode.SIDE_BY_SIDE)
    assert dock.cell_text(dock.row_of("L2", "T2"), 2) == "17.0 mm"
    assert other_pixels(current, centre_of_axis(l2, "current")) > 0
    assert controller.painted[id(current)] == ["L2"]
    assert dock.categories.rowCount() == 0
    assert dock.summary.text() == (
        "Not compared yet: lesions[0].measurements.T0: a target lesion must be "
        "measured at the baseline, got nothing"
    )


def test_training_shows_the_score_and_both_readings_after_finishing(
    qtbot, demo, truth, other_reading, tmp_path, monkeypatch
):
    window = open_window(qtbot, demo)
    window.measure_tools.chooser = TruthChooser(truth)
    controller, dock = window.review, window.review_dock
    controller.start(other_reading, ReviewMode.TRAINING, "teacher.json")
    # The trainee follows L1 only: baseline and nadir beside the current study.
    for number, label in enumerate(("baseline", "nadir")):
        window.hang_patient(number)
        measure(qtbot, window, window.viewports[1], truth["L1"], label)
    current = window.viewports[0]
    measure(qtbot, window, current, truth["L1"], "current")
    assert [dock.cell_text(dock.row_of("L1", t), 2) for t in ("T0", "T1", "T2")] == [
        "24.0 mm",
        "14.0 mm",
        "20.0 mm",
    ]
    assert dock.training.text() == ""
    assert dock.cell_text(dock.row_of("L3", "T2"), 2) == "hidden"
    assert dock.categories.rowCount() == 0

    dock.finish_button.click()
    assert not controller.state.blind
    assert dock.cell_text(dock.row_of("L3", "T2"), 2) == "28.0 mm"
    # Trainee L1: 24 -> 14 (-41.7%: PR) -> 20 (+6 mm, +42.9% over the nadir: PD);
    # the teacher's overall responses are PR and PD too. Selection: 1 of 5
    # targets; all three diameters within 2 mm.
    score = controller.training_score()
    assert score["selection"] == pytest.approx(1 / 5)
    assert (score["measurements_within"], score["measurements_scored"]) == (3, 3)
    assert score["categories"] == 1.0
    assert score["score"] == pytest.approx((0.2 + 1.0 + 1.0) / 3)
    assert dock.training.text() == (
        "Training score 73.3%: selection 20.0%, measurements within 2 mm 3 of 3, "
        "responses 100.0%."
    )
    # The teacher tightens the tolerance: a diameter off by more than 0.01 mm
    # no longer counts.
    dock.tolerance.setValue(0.0)
    tight = controller.training_score()
    assert controller.training_tolerance_mm == 0.0
    off = [
        v
        for lesion in tight["comparison"]["lesions"]
        for v in lesion["values"]
        if lesion["a"] == "L1" and abs(v["diff_mm"]) > 1e-9
    ]
    assert tight["measurements_within"] == 3 - len(off)
    dock.tolerance.setValue(2.0)
    overall = [
        [dock.categories.item(r, c).text() for c in range(5)]
        for r in range(dock.categories.rowCount())
        if dock.categories.item(r, 1).text() == "Overall"
    ]
    assert overall == [
        ["T1", "Overall", "PR", "PR", "yes"],
        ["T2", "Overall", "PD", "PD", "yes"],
    ]
    new = [
        [dock.categories.item(r, c).text() for c in range(5)]
        for r in range(dock.categories.rowCount())
        if dock.categories.item(r, 1).text() == "New lesions"
    ]
    assert new[1] == ["T2", "New lesions", "yes", "no", "NO"]
    # Every change of the demo's targets is larger than the noise band (the
    # smallest is L4's +35.7%), and so are the trainee's L1 changes.
    assert "Changes inside the noise band" not in dock.summary.text()
    look_at(current, truth["L1"]["studies"]["current"]["centre_lps_mm"])
    assert other_pixels(current, centre_of_axis(truth["L1"], "current")) > 0
    assert controller.painted[id(current)] == ["L1"]

    # Export: the review file and PDF hold the pair and the verdict.
    dock.score_box.setCurrentIndex(dock.score_box.findData("minor"))
    dock.comment.setPlainText("Only one target measured.")
    dock.reviewer.setText("Dr T. Trainee")
    pdf, review_json = tmp_path / "review.pdf", tmp_path / "review.json"
    monkeypatch.setattr(
        "app.review_dock.QFileDialog.getSaveFileName",
        lambda *args, **kwargs: (str(pdf), ""),
    )
    dock.export_button.click()
    assert window.statusBar().currentMessage() == f"Review exported: {pdf}"
    review = json.loads(review_json.read_text(encoding="utf-8"))
    assert review["peer_review"] == {
        "score": "minor",
        "score_text": "Minor discrepancy",
        "comment": "Only one target measured.",
        "reviewer": "Dr T. Trainee",
    }
    assert review["reading_a"]["source"] == "teacher.json"
    assert review["reading_b"]["reader"] == "Dr T. Trainee"
    assert review["targets"]["only_a"] == ["L2", "L3", "L4", "L5"]
    l1 = next(x for x in review["lesions"] if x["a"] == "L1")
    assert [v["a_mm"] for v in l1["timepoints"]] == [24.0, 14.0, 20.0]
    assert [v["b_mm"] for v in l1["timepoints"]] == pytest.approx(
        [24.0, 14.0, 20.0], abs=PIXEL_MM
    )
    if shutil.which("pdftotext") is not None:
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Minor discrepancy" in text
        assert "Comment: Only one target measured." in text


def test_changes_inside_the_noise_band_are_named_per_reading():
    changes = {
        "a": [
            {
                "lesion": "L3",
                "from": "T0",
                "to": "T1",
                "change_pct": -6.25,
                "in_noise_band": True,
            },
            {
                "lesion": "L3",
                "from": "T1",
                "to": "T2",
                "change_pct": -40.0,
                "in_noise_band": False,
            },
        ],
        "b": [
            {
                "lesion": "L1",
                "from": "T1",
                "to": "T2",
                "change_pct": 24.9,
                "in_noise_band": True,
            },
        ],
    }
    assert changes_text(changes) == (
        "\nChanges inside the noise band (maybe noise): other: L3 T0→T1 -6.2%; "
        "yours: L1 T1→T2 +24.9%."
    )
    assert changes_text({"a": [], "b": []}) == ""
