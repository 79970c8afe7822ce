"""The blind review's state: what of another reading is shown, and when.

The other reading is the demo's true table (15 target measurements with caliper
end points); the reviewer's measurements are placed at known distances from them.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from measurement.compare import compare_readings
from measurement.geometry import centre_of
from measurement.model import Lesion, LesionKind, Measurement, ReadingState, Tool
from measurement.review_state import ReviewMode, ReviewState
from measurement.serial import state_from_case
from viewer.demo_case import EXPECTED_CASE, write_demo_case


@pytest.fixture(scope="module")
def other_case(tmp_path_factory) -> dict:
    folder = write_demo_case(tmp_path_factory.mktemp("demo"), size=32, slices=8)
    return json.loads((folder / EXPECTED_CASE).read_text(encoding="utf-8"))


@pytest.fixture
def empty(other_case) -> ReadingState:
    """The reviewer's reading before any measurement: the same three studies."""
    return ReadingState(timepoints=state_from_case(other_case).timepoints)


def other_measurement(state: ReviewState, lesion_id: str, tp: str) -> Measurement:
    return state.other.cell_measurements(lesion_id, tp)[0]


def measured(
    own: ReadingState,
    template: Measurement,
    lesion_id: str,
    long_mm: float,
    shift_mm: float = 0.0,
    node: bool = False,
) -> ReadingState:
    """``own`` plus a caliper where ``template`` is, moved by ``shift_mm`` along x."""
    points = tuple((x + shift_mm, y, z) for x, y, z in template.points_lps_mm)
    number = len(own.measurements) + 1
    measurement = Measurement(
        f"M{number}",
        template.timepoint_id,
        Tool.CALIPER,
        points,
        lesion_id=lesion_id,
        long_mm=long_mm,
        short_mm=template.short_mm if node else None,
    )
    lesions = own.lesions
    if not any(x.id == lesion_id for x in lesions):
        lesions = (*lesions, Lesion(lesion_id, LesionKind.TARGET, node=node))
    return replace(own, lesions=lesions, measurements=(*own.measurements, measurement))


def test_blind_review_hides_everything_before_any_measurement(other_case, empty):
    state = ReviewState(other_case, ReviewMode.BLIND, "other.json")
    rows = state.rows(empty)
    # 15 target measurements plus N1's three and X1's one assessment
    assert len(rows) == 19
    assert not any(row.revealed for row in rows)
    assert all(row.other_mm is None and row.other_status is None for row in rows)
    assert state.hidden_count(empty) == 15
    assert not state.all_revealed(empty)
    for tp in state.other.timepoints:
        assert state.visible_marks(empty, tp.study_uid) == []


def test_measuring_a_lesion_reveals_that_lesion_at_that_timepoint(other_case, empty):
    state = ReviewState(other_case, ReviewMode.BLIND)
    l1_t2 = other_measurement(state, "L1", "T2")
    own = measured(empty, l1_t2, "L1", 22.0, shift_mm=3.0)
    rows = {(r.lesion_id, r.timepoint_id): r for r in state.rows(own)}
    row = rows[("L1", "T2")]
    assert row.revealed is True
    assert (row.other_mm, row.own_mm) == (20.0, 22.0)
    assert row.diff_mm == pytest.approx(2.0)
    assert row.diff_pct == pytest.approx(10.0)
    assert row.in_noise_band is True
    assert row.own_lesion_id == "L1"
    # the same lesion at the other timepoints, and other lesions, stay hidden
    assert rows[("L1", "T0")].revealed is False
    assert rows[("L1", "T0")].other_mm is None
    assert rows[("L2", "T2")].revealed is False
    t2 = state.other.timepoint("T2").study_uid
    assert state.visible_marks(own, t2) == [l1_t2]
    assert state.hidden_count(own) == 14


def test_a_measurement_beyond_the_tolerance_reveals_nothing(other_case, empty):
    state = ReviewState(other_case, ReviewMode.BLIND, match_tolerance_mm=15.0)
    l1_t2 = other_measurement(state, "L1", "T2")
    near = measured(empty, l1_t2, "L1", 20.0, shift_mm=14.9)
    far = measured(empty, l1_t2, "L1", 20.0, shift_mm=15.1)
    t2 = state.other.timepoint("T2").study_uid
    assert state.visible_marks(near, t2) == [l1_t2]
    assert state.visible_marks(far, t2) == []


def test_side_by_side_and_finished_show_everything(other_case, empty):
    side = ReviewState(other_case, ReviewMode.SIDE_BY_SIDE)
    assert all(row.revealed for row in side.rows(empty))
    assert side.rows(empty)[0].other_mm == 24.0  # L1 at baseline
    assert side.all_revealed(empty)
    training = ReviewState(other_case, ReviewMode.TRAINING)
    assert training.blind and training.hidden_count(empty) == 15
    training.finish()
    assert not training.blind and training.hidden_count(empty) == 0
    t0 = training.other.timepoint("T0").study_uid
    assert len(training.visible_marks(empty, t0)) == 5


def test_reviewer_lesions_pair_by_place_whatever_their_ids(other_case, empty):
    state = ReviewState(other_case, ReviewMode.BLIND)
    own = empty
    # the reviewer calls the other reader's L3 "L1" and its L1 "L2"
    for tp, mm in (("T0", 32.0), ("T1", 30.0), ("T2", 28.0)):
        own = measured(own, other_measurement(state, "L3", tp), "L1", mm)
    own = measured(own, other_measurement(state, "L1", "T0"), "L2", 24.0)
    assert state.lesion_pairs(own) == {"L1": "L3", "L2": "L1"}
    aligned = state.aligned_case(own)
    assert [x["id"] for x in aligned["lesions"]] == ["L3", "L1"]
    result = compare_readings(other_case, aligned)
    l3 = next(x for x in result["lesions"] if x["a"] == "L3")
    assert l3["b"] == "L3"
    assert [v["diff_mm"] for v in l3["values"]] == [0.0, 10.0, 0.0]


def test_unpaired_reviewer_lesion_does_not_take_another_lesions_id(other_case, empty):
    state = ReviewState(other_case, ReviewMode.BLIND)
    l2 = other_measurement(state, "L2", "T0")
    elsewhere = measured(empty, l2, "L4", 18.0, shift_mm=40.0)
    assert state.lesion_pairs(elsewhere) == {}
    assert [x["id"] for x in state.aligned_case(elsewhere)["lesions"]] == [
        "L4-reviewer"
    ]


def test_centre_used_for_matching_is_the_caliper_midpoint(other_case):
    state = ReviewState(other_case)
    m = other_measurement(state, "L1", "T0")
    a, b = m.points_lps_mm
    assert centre_of(m.points_lps_mm) == pytest.approx(
        tuple((p + q) / 2 for p, q in zip(a, b, strict=True))
    )
