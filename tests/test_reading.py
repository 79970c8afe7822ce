"""The reading: commands with exact undo/redo, listeners, suggestions, case files."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from case_builder import EXAMPLE_CASE

from measurement.edits import (
    AddAnnotation,
    AddMeasurement,
    AddTimepoint,
    AssignMeasurement,
    Batch,
    CreateLesion,
    DeleteAnnotation,
    DeleteLesion,
    DeleteMeasurement,
    EditAnnotation,
    EditError,
    FlagKeyImage,
    MoveMeasurement,
    RenameLesion,
    RetypeLesion,
    SetBaseline,
    SetStatus,
)
from measurement.model import (
    Annotation,
    AnnotationKind,
    ImageRef,
    Lesion,
    LesionKind,
    Measurement,
    ReadingState,
    Timepoint,
    Tool,
)
from measurement.reading import Change, Reading, lesion_centre, suggest_lesion
from measurement.serial import (
    CaseError,
    state_from_case,
    state_from_json,
    state_to_json,
)
from tests.reading_fixtures import caliper, sample_reading
from viewer.volume import Calibration

EVERY_COMMAND = [
    AddTimepoint(Timepoint("T2", "1.2.5", "2026-05-02")),
    SetBaseline("T1"),
    AddMeasurement(caliper("M4", "T1", (0, 50, 100), 9.0)),
    MoveMeasurement("M2", ((10, -4.5, 120), (10, 20.5, 120))),
    DeleteMeasurement("M1"),
    AssignMeasurement("M2", None),
    AssignMeasurement("M3", "L1"),
    CreateLesion(Lesion("L3", LesionKind.TARGET, "upper lobe", "lung")),
    RenameLesion("L1", "segment VIII", "liver"),
    RetypeLesion("L1", LesionKind.NON_TARGET, False),
    RetypeLesion("N1", LesionKind.TARGET, False),
    DeleteLesion("L2"),
    SetStatus("L1", "T1", "absent"),
    SetStatus("N1", "T1", "progression"),
    SetStatus("X1", "T1", None),
    FlagKeyImage(ImageRef("1.2.9.2", "1.2.8"), "T1"),
    AddAnnotation(
        Annotation("A1", "T1", AnnotationKind.ARROW, ((1, 2, 3), (4, 5, 6)), "here")
    ),
    Batch(
        "New lesion L3 from M4",
        (
            CreateLesion(Lesion("L3", LesionKind.TARGET, organ="lung")),
            AddMeasurement(caliper("M4", "T1", (30, 30, 30), 12.0, "L3")),
        ),
    ),
]


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: type(c).__name__)
def test_every_command_undoes_and_redoes_exactly(command):
    reading = sample_reading()
    before = reading.state
    before_json = state_to_json(before)
    after = reading.execute(command)
    assert after != before
    reading.undo()
    assert reading.state == before
    assert state_to_json(reading.state) == before_json
    reading.redo()
    assert reading.state == after
    assert state_from_json(state_to_json(after)) == after


def test_annotations_and_key_images_undo_exactly():
    reading = sample_reading()
    note = Annotation("A1", "T0", AnnotationKind.TEXT, ((1.0, 2.0, 3.0),), "necrotic")
    reading.execute(AddAnnotation(note))
    before = reading.state
    for command in (
        EditAnnotation("A1", ((2.0, 2.0, 3.0),), "necrotic centre"),
        DeleteAnnotation("A1"),
        FlagKeyImage(ImageRef("1.2.9.1"), "T0"),
    ):
        reading.execute(command)
        reading.undo()
        assert reading.state == before
    reading.execute(FlagKeyImage(ImageRef("1.2.9.1"), "T0"))
    assert reading.state.is_key_image("1.2.9.1")
    reading.execute(FlagKeyImage(ImageRef("1.2.9.1"), "T0", flagged=False))
    assert not reading.state.is_key_image("1.2.9.1")


def test_a_long_edit_session_unwinds_to_the_start():
    reading = sample_reading()
    states = [reading.state]
    for command in EVERY_COMMAND[:12]:
        try:
            reading.execute(command)
        except EditError:
            continue
        states.append(reading.state)
    for expected in reversed(states[:-1]):
        reading.undo()
        assert reading.state == expected
    for expected in states[1:]:
        reading.redo()
        assert reading.state == expected
    assert reading.redo_label == ""


def test_caliper_lengths_follow_their_points():
    reading = sample_reading()
    assert reading.state.measurement("M1").long_mm == pytest.approx(32.0)
    node = reading.state.measurement("M3")
    assert (node.long_mm, node.short_mm) == pytest.approx((24.0, 17.0))
    reading.execute(MoveMeasurement("M1", ((0, 0, 0), (3, 4, 12))))
    assert reading.state.measurement("M1").long_mm == pytest.approx(13.0)


def test_a_target_cell_holds_one_measurement_or_one_status():
    reading = sample_reading()
    reading.execute(AddMeasurement(caliper("M4", "T1", (10, -4.5, 120), 26.0, "L1")))
    assert [m.id for m in reading.state.cell_measurements("L1", "T1")] == ["M4"]
    assert reading.state.measurement("M2").lesion_id is None
    reading.execute(SetStatus("L1", "T1", "absent"))
    assert reading.state.cell_measurements("L1", "T1") == ()
    assert reading.state.status("L1", "T1") == "absent"
    reading.execute(AssignMeasurement("M2", "L1"))
    assert reading.state.status("L1", "T1") is None


def test_bad_edits_say_why_and_change_nothing():
    reading = sample_reading()
    before = reading.state
    with pytest.raises(EditError, match="'present' is not a status of a target"):
        reading.execute(SetStatus("L1", "T1", "present"))
    with pytest.raises(EditError, match="no lesion 'L9'"):
        reading.execute(AssignMeasurement("M1", "L9"))
    with pytest.raises(EditError, match="study 1.2.4 already has a timepoint"):
        reading.execute(AddTimepoint(Timepoint("T5", "1.2.4")))
    ellipse = Measurement("M9", "T1", Tool.ELLIPSE, ((0, 0, 0), (5, 0, 0), (0, 3, 0)))
    reading.execute(AddMeasurement(ellipse))
    with pytest.raises(EditError, match="M9 is an ellipse and has no diameter"):
        reading.execute(AssignMeasurement("M9", "L1"))
    reading.undo()
    assert reading.state == before


def test_listeners_hear_every_change_and_previews_are_transient():
    reading = sample_reading()
    heard: list[Change] = []
    reading.add_listener(heard.append)
    committed = reading.state
    reading.preview(MoveMeasurement("M2", ((10, -4.5, 120), (40, -4.5, 120))))
    assert reading.state.measurement("M2").long_mm == pytest.approx(30.0)
    assert reading.committed_state == committed
    assert reading.to_case()["lesions"][0]["measurements"]["T1"]["long_mm"] == 30.0
    reading.execute(MoveMeasurement("M2", ((10, -4.5, 120), (41, -4.5, 120))))
    reading.undo()
    reading.redo()
    assert [(c.kind, c.transient) for c in heard] == [
        ("preview", True),
        ("do", False),
        ("undo", False),
        ("redo", False),
    ]
    reading.undo()
    assert reading.state == committed
    reading.remove_listener(heard.append)
    reading.redo()
    assert len(heard) == 5


def test_ids_count_up_per_kind():
    reading = sample_reading()
    assert reading.next_measurement_id() == "M4"
    assert reading.next_lesion_id(LesionKind.TARGET) == "L3"
    assert reading.next_lesion_id(LesionKind.NON_TARGET) == "N2"
    assert reading.next_lesion_id(LesionKind.NEW) == "X2"
    assert reading.next_annotation_id() == "A1"


# ---------------------------------------------------------------- suggestions


def _rigid(angle_deg, shift):
    angle = np.radians(angle_deg)
    rotation = np.array(
        [
            [np.cos(angle), -np.sin(angle), 0],
            [np.sin(angle), np.cos(angle), 0],
            [0, 0, 1],
        ]
    )
    return rotation, np.asarray(shift, dtype=float)


def test_suggestion_finds_the_lesion_through_a_known_transform():
    # the prior (T0) lies rotated 20 degrees and shifted in the current's frame
    rotation, shift = _rigid(20, [40, -25, 60])

    def current_to_prior(point, from_uid, to_uid):
        assert (from_uid, to_uid) == ("1.2.4", "1.2.3")
        return rotation.T @ (point - shift)

    reading = Reading()
    reading.execute(AddTimepoint(Timepoint("T0", "1.2.3", "2026-01-12", True)))
    reading.execute(AddTimepoint(Timepoint("T1", "1.2.4", "2026-03-20")))
    prior_centres = {"L1": (100, 50, 0), "L2": (130, 50, 0), "L3": (100, 90, 40)}
    for number, (lid, centre) in enumerate(prior_centres.items(), start=1):
        reading.execute(CreateLesion(Lesion(lid, LesionKind.TARGET)))
        start = (centre[0] - 10, centre[1], centre[2])
        reading.execute(AddMeasurement(caliper(f"M{number}", "T0", start, 20.0, lid)))

    for lid, centre in prior_centres.items():
        in_current = rotation @ np.asarray(centre, dtype=float) + shift
        nearby = in_current + np.array([3.0, -2.0, 4.0])
        suggestion = suggest_lesion(reading.state, nearby, "T1", current_to_prior)
        assert suggestion.lesion_id == lid
        assert suggestion.distance_mm == pytest.approx(np.sqrt(29))
        assert suggestion.timepoint_id == "T0"

    # the untransformed prior position is far from every lesion in the current
    far = reading.suggest_lesion((100, 50, 0), "T1", current_to_prior)
    assert far.is_new_lesion
    # no mapping known: no suggestion
    assert reading.suggest_lesion((100, 50, 0), "T1", lambda *a: None).is_new_lesion


def test_suggestion_prefers_a_lesion_not_yet_measured_here():
    reading = sample_reading()
    reading.execute(CreateLesion(Lesion("L3", LesionKind.TARGET, organ="liver")))
    reading.execute(AddMeasurement(caliper("M4", "T0", (20, -4.5, 120), 12.0, "L3")))
    # L1 (centre x=26) is nearer to x=24 than L3 (centre x=26 too) but L1 is taken
    same_frame = lambda point, a, b: point  # noqa: E731
    suggestion = reading.suggest_lesion((24.0, -4.5, 120.0), "T1", same_frame)
    assert suggestion.lesion_id == "L3"


# ---------------------------------------------------------------- case file

# The example case of RECIST.md, shared with the engine's tests.
CASE = EXAMPLE_CASE


def test_the_recist_md_case_round_trips_exactly():
    reading = Reading.from_case(CASE)
    assert reading.to_case() == CASE
    state = reading.state
    assert state.measurement("M2").tool is Tool.CALIPER
    assert state.measurement("M2").image == ImageRef("1.2.4.9")
    assert state.status("L2", "T1") == "too-small"
    assert state.baseline == Timepoint("T0", "1.2.3", "2026-01-12", True)


def test_a_measured_reading_round_trips_through_the_case_file():
    reading = sample_reading()
    case = reading.to_case()
    assert case["lesions"][0] == {
        "id": "L1",
        "kind": "target",
        "organ": "liver",
        "node": False,
        "location": "segment VII",
        "measurements": {
            "T0": {
                "long_mm": 32.0,
                "image": {
                    "sop_uid": "1.2.9.1",
                    "series_uid": "1.2.8",
                    "points_mm": [[10.0, -4.5, 120.0], [42.0, -4.5, 120.0]],
                },
            },
            "T1": {
                "long_mm": 25.0,
                "image": {
                    "sop_uid": "1.2.9.2",
                    "series_uid": "1.2.8",
                    "points_mm": [[10.0, -4.5, 120.0], [35.0, -4.5, 120.0]],
                },
            },
        },
    }
    again = Reading.from_case(case)
    assert again.to_case() == case
    assert again.state == reading.state


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(format="nadir-case/0"), "format: expected 'nadir-case/1'"),
        (
            lambda c: c["lesions"][0]["measurements"]["T0"].update(long_mm="32"),
            r"lesions\[0\]\.measurements\.T0\.long_mm: expected a length in mm",
        ),
        (
            lambda c: c["lesions"][2]["assessments"].update(T1="gone"),
            r"lesions\[2\]\.assessments\.T1: 'gone' is not a status of a non-target",
        ),
        (
            lambda c: c["lesions"][1].update(kind="target lesion"),
            r"lesions\[1\]\.kind: expected one of target, non-target, new",
        ),
        (
            lambda c: c["lesions"][0]["measurements"].update(T7={"long_mm": 3}),
            r"lesions\[0\]: timepoint 'T7' is not in timepoints",
        ),
    ],
)
def test_a_broken_case_names_the_field(mutate, message):
    import copy

    case = copy.deepcopy(CASE)
    mutate(case)
    with pytest.raises(CaseError, match=message):
        state_from_case(case)


def test_uncalibrated_measurements_keep_their_calibration_in_the_full_state():
    reading = sample_reading()
    px = Calibration(unit="px", trusted=False)
    m = replace(caliper("M4", "T1", (0, 0, 0), 40.0), calibration=px)
    reading.execute(AddMeasurement(m))
    restored = state_from_json(state_to_json(reading.state))
    assert restored.measurement("M4").calibration == px
    assert restored == reading.state
    assert isinstance(restored, ReadingState)


def test_case_dates_are_iso_and_optional_fields_round_trip():
    state = ReadingState(
        patient_id="ANON-002",
        reader="second reader",
        timepoints=(
            Timepoint("T0", "1.2.3", "20260112", True, slice_thickness_mm=2.5),
            Timepoint("T1", "1.2.4", "2026-03-20"),
        ),
        lesions=(Lesion("N1", LesionKind.NON_TARGET, "left iliac", "bone", True),),
    )
    case = Reading(state).to_case()
    assert case["reader"] == "second reader"
    assert case["timepoints"][0] == {
        "id": "T0",
        "date": "2026-01-12",
        "baseline": True,
        "study_uid": "1.2.3",
        "slice_thickness_mm": 2.5,
    }
    assert case["lesions"][0] == {
        "id": "N1",
        "kind": "non-target",
        "organ": "bone",
        "node": True,
        "location": "left iliac",
        "assessments": {},
    }
    again = Reading.from_case(case)
    assert again.to_case() == case
    assert again.state.timepoint("T0").slice_thickness_mm == 2.5


def test_split_lesions_in_a_case_are_refused_with_a_reason():
    import copy

    case = copy.deepcopy(CASE)
    case["lesions"][0]["measurements"]["T1"] = {"fragments_mm": [12.0, 9.5]}
    with pytest.raises(
        CaseError, match=r"T1\.fragments_mm: split and merged lesions are not yet"
    ):
        state_from_case(case)


def test_lesion_centre_is_the_middle_of_its_long_axis():
    state = sample_reading().state
    assert lesion_centre(state, "L1", "T1") == (22.5, -4.5, 120.0)
    assert lesion_centre(state, "L2", "T0") == (12.0, 50.0, 100.0)
    assert lesion_centre(state, "L2", "T1") is None


def test_a_bidirectional_measurement_is_stored_perpendicular():
    reading = sample_reading()
    askew = ((0, 0, 0), (30, 0, 0), (12, -8, 0), (16, 6, 0))
    reading.execute(
        AddMeasurement(
            Measurement("M4", "T1", Tool.BIDIRECTIONAL, askew, lesion_id="L2")
        )
    )
    stored = reading.state.measurement("M4")
    assert stored.points_lps_mm[2:] == ((14.0, -8.0, 0.0), (14.0, 6.0, 0.0))
    assert (stored.long_mm, stored.short_mm) == pytest.approx((30.0, 14.0))
    reading.execute(
        MoveMeasurement("M4", ((0, 0, 0), (0, 30, 0), (-8, 12, 0), (6, 16, 0)))
    )
    moved = reading.state.measurement("M4")
    assert moved.points_lps_mm[2:] == ((-8.0, 14.0, 0.0), (6.0, 14.0, 0.0))


def test_the_engine_parser_accepts_the_case_exactly():
    from measurement.case import parse_case

    for reading in (sample_reading(), Reading.from_case(CASE)):
        case = reading.to_case()
        assert parse_case(case).to_dict() == case


def test_a_finished_caliper_goes_into_a_new_lesion_in_one_step():
    reading = sample_reading()
    before = reading.state
    lesion = Lesion(reading.next_lesion_id(LesionKind.TARGET), organ="lung")
    stored = reading.add_measurement(
        caliper(reading.next_measurement_id(), "T1", (0, 0, 0), 11.5), lesion
    )
    assert (stored.id, stored.lesion_id, stored.long_mm) == ("M4", "L3", 11.5)
    assert reading.undo_label == "Measure new lesion L3"
    reading.undo()
    assert reading.state == before
    again = reading.add_measurement(caliper("M4", "T1", (0, 0, 0), 26.0, "L1"))
    assert reading.state.cell_measurements("L1", "T1") == (again,)
