"""The nadir-case/1 format: exact round trip and errors that name the broken field."""

import datetime
import json
import re

import pytest
from case_builder import example_case

from measurement.case import CaseFormatError, case_from_json_text, parse_case


def test_example_case_of_recist_md_round_trips_exactly():
    data = example_case()
    parsed = parse_case(data)
    assert parsed.to_dict() == data
    assert json.dumps(parsed.to_dict(), sort_keys=True) == json.dumps(
        data, sort_keys=True
    )


def test_example_case_parses_into_typed_objects():
    parsed = parse_case(example_case())
    assert parsed.baseline.id == "T0"
    assert parsed.baseline.date == datetime.date(2026, 1, 12)
    assert [tp.id for tp in parsed.timepoints] == ["T0", "T1"]
    l1 = parsed.lesion("L1")
    assert l1.measurements is not None
    assert l1.measurements["T1"].long_mm == 25.1
    assert l1.measurements["T1"].image is not None
    assert l1.measurements["T1"].image.centre_mm() == pytest.approx(
        (22.55, -4.5, 120.0)
    )
    l2 = parsed.lesion("L2")
    assert l2.is_node
    assert l2.measurements is not None
    assert l2.measurements["T1"].status == "too-small"
    assert parsed.lesion("X1").first_seen == "T1"


def test_optional_extensions_round_trip():
    data = example_case()
    data["reader"] = "reader A"
    data["timepoints"][0]["slice_thickness_mm"] = 2.5
    data["lesions"][0]["location"] = "segment 7"
    data["lesions"][0]["measurements"]["T1"] = {"fragments_mm": [12.0, 8.5]}
    data["lesions"][1]["measurements"]["T1"] = {"status": "merged", "merged_into": "L1"}
    data["lesions"][3]["assessments"] = {"T1": "absent"}
    data["lesions"][3]["organ"] = ""
    data["lesions"][2]["tracking_uid"] = "1.2.826.0.1.3680043.8.498.1"
    data["lesions"][1]["measurements"]["T0"]["image"] = {
        "sop_uid": "1.2.3.6",
        "points_px": [[10.5, 20.0], [30.0, 20.0]],
    }
    data["lesions"][0]["measurements"]["T0"]["image"] = {
        "sop_uid": "1.2.3.4",
        "series_uid": "1.2.3.5",
        "slice_thickness_mm": 1.0,
        "points_mm": [[0.0, 0.0, 0.0], [32.0, 0.0, 0.0], [16, -5, 0], [16, 5, 0]],
    }
    assert parse_case(data).to_dict() == data


def test_a_node_may_be_measured_by_its_short_axis_alone():
    data = example_case()
    data["lesions"][1]["measurements"]["T1"] = {"short_mm": 9.0}
    assert parse_case(data).to_dict() == data


def test_a_non_nodal_lesion_needs_its_long_axis():
    data = example_case()
    data["lesions"][0]["measurements"]["T1"] = {"short_mm": 9.0}
    with pytest.raises(
        CaseFormatError,
        match=re.escape(
            "lesions[0].measurements.T1.long_mm: expected a number >= 0, got nothing"
        ),
    ):
        parse_case(data)


def test_bad_json_text_names_line_and_column():
    with pytest.raises(CaseFormatError, match="not valid JSON at line 2 column 1"):
        case_from_json_text('{"format":\n}')


def test_the_message_of_the_brief_reads_exactly():
    data = example_case()
    data["lesions"][1]["measurements"]["T1"] = {"long_mm": "abc", "short_mm": 3.0}
    with pytest.raises(CaseFormatError) as caught:
        parse_case(data)
    assert str(caught.value) == (
        'lesions[1].measurements.T1.long_mm: expected a number >= 0, got "abc"'
    )
    assert caught.value.path == "lesions[1].measurements.T1.long_mm"


def _set(path, value):
    """A mutation setting ``value`` at ``path`` (a list of keys) of the example."""

    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()

BROKEN = [
    (
        "wrong format",
        _set(["format"], "nadir-case/2"),
        'format: expected "nadir-case/1"',
    ),
    (
        "no format",
        _set(["format"], _DELETE),
        'format: expected "nadir-case/1", got null',
    ),
    ("unknown top field", _set(["extra"], 1), "extra: unknown field"),
    ("no timepoints", _set(["timepoints"], _DELETE), "timepoints: missing"),
    ("timepoints not list", _set(["timepoints"], {}), "timepoints: expected a list"),
    ("empty timepoints", _set(["timepoints"], []), "timepoints: expected at least one"),
    (
        "duplicate timepoint",
        _set(["timepoints", 1, "id"], "T0"),
        'timepoints[1].id: duplicate timepoint id "T0"',
    ),
    (
        "two baselines",
        _set(["timepoints", 1, "baseline"], True),
        'timepoints: expected exactly one timepoint with "baseline": true, got T0, T1',
    ),
    (
        "no baseline",
        _set(["timepoints", 0, "baseline"], False),
        'timepoints: expected exactly one timepoint with "baseline": true, got none',
    ),
    (
        "baseline not bool",
        _set(["timepoints", 0, "baseline"], "yes"),
        'timepoints[0].baseline: expected true or false, got "yes"',
    ),
    (
        "bad date",
        _set(["timepoints", 1, "date"], "2026-13-01"),
        'timepoints[1].date: expected an ISO date YYYY-MM-DD, got "2026-13-01"',
    ),
    (
        "compact date",
        _set(["timepoints", 1, "date"], "20260320"),
        "timepoints[1].date: expected an ISO date",
    ),
    (
        "dates out of order",
        _set(["timepoints", 1, "date"], "2025-12-01"),
        "timepoints[1].date: 2025-12-01 is before the previous",
    ),
    (
        "timepoint without id",
        _set(["timepoints", 1, "id"], _DELETE),
        "timepoints[1].id: missing",
    ),
    ("no lesions", _set(["lesions"], _DELETE), "lesions: missing"),
    (
        "duplicate lesion",
        _set(["lesions", 1, "id"], "L1"),
        'lesions[1].id: duplicate lesion id "L1"',
    ),
    (
        "empty lesion id",
        _set(["lesions", 0, "id"], " "),
        "lesions[0].id: expected a non-empty string",
    ),
    (
        "bad kind",
        _set(["lesions", 0, "kind"], "targt"),
        'lesions[0].kind: expected one of target, non-target, new, got "targt"',
    ),
    (
        "node not bool",
        _set(["lesions", 1, "node"], 1),
        "lesions[1].node: expected true or false, got 1",
    ),
    (
        "negative diameter",
        _set(["lesions", 0, "measurements", "T1", "long_mm"], -1.0),
        "lesions[0].measurements.T1.long_mm: expected a number >= 0, got -1.0",
    ),
    (
        "boolean diameter",
        _set(["lesions", 0, "measurements", "T1", "long_mm"], True),
        "lesions[0].measurements.T1.long_mm: expected a number >= 0, got true",
    ),
    (
        "unknown measurement field",
        _set(["lesions", 0, "measurements", "T1", "longest"], 3.0),
        "lesions[0].measurements.T1.longest: unknown field",
    ),
    (
        "bad status",
        _set(["lesions", 1, "measurements", "T1", "status"], "gone"),
        "lesions[1].measurements.T1.status: expected one of too-small, absent, "
        'not-assessed, merged, got "gone"',
    ),
    (
        "status and numbers",
        _set(["lesions", 0, "measurements", "T0", "status"], "absent"),
        "lesions[0].measurements.T0.status: a measurement is either numbers or a "
        "status",
    ),
    (
        "empty measurement",
        _set(["lesions", 0, "measurements", "T1"], {}),
        "lesions[0].measurements.T1: expected long_mm (short_mm for a node), "
        "fragments_mm or a status",
    ),
    (
        "unknown timepoint in measurements",
        _set(["lesions", 0, "measurements", "T9"], {"long_mm": 3.0}),
        'lesions[0].measurements.T9: unknown timepoint "T9"; known: T0, T1',
    ),
    (
        "node without short axis",
        _set(["lesions", 1, "measurements", "T0", "short_mm"], _DELETE),
        "lesions[1].measurements.T0.short_mm: a lymph node is measured by its short "
        "axis",
    ),
    (
        "short axis longer than long",
        _set(["lesions", 1, "measurements", "T0", "short_mm"], 30.0),
        "lesions[1].measurements.T0.short_mm: the short axis (30 mm) is longer",
    ),
    (
        "target not measured at baseline",
        _set(["lesions", 0, "measurements", "T0"], {"status": "too-small"}),
        "lesions[0].measurements.T0: a target lesion must be measured at the "
        'baseline, got status "too-small"',
    ),
    (
        "target without baseline",
        _set(["lesions", 0, "measurements", "T0"], _DELETE),
        "lesions[0].measurements.T0: a target lesion must be measured at the "
        "baseline, got nothing",
    ),
    (
        "target with assessments",
        _set(["lesions", 0, "assessments"], {"T1": "present"}),
        "lesions[0].assessments: a target lesion is measured",
    ),
    (
        "bad non-target assessment",
        _set(["lesions", 2, "assessments", "T1"], "bigger"),
        "lesions[2].assessments.T1: expected one of present, absent, progression, "
        'not-assessed, got "bigger"',
    ),
    (
        "non-target absent at baseline",
        _set(["lesions", 2, "assessments", "T0"], "absent"),
        "lesions[2].assessments.T0: a non-target lesion is present at the baseline",
    ),
    (
        "unknown timepoint in assessments",
        _set(["lesions", 2, "assessments", "T7"], "present"),
        'lesions[2].assessments.T7: unknown timepoint "T7"',
    ),
    (
        "bad new-lesion assessment",
        _set(["lesions", 3, "assessments", "T1"], "present"),
        "lesions[3].assessments.T1: expected one of equivocal, unequivocal",
    ),
    (
        "new lesion at baseline",
        _set(["lesions", 3, "assessments", "T0"], "equivocal"),
        "lesions[3].assessments.T0: a new lesion cannot be recorded at the baseline",
    ),
    (
        "new lesion measured without assessment",
        _set(
            ["lesions", 3],
            {"id": "X1", "kind": "new", "measurements": {"T1": {"long_mm": 6.0}}},
        ),
        "lesions[3].assessments.T1: a new lesion measured here needs an assessment",
    ),
    (
        "new lesion first seen at baseline",
        _set(["lesions", 3, "first_seen"], "T0"),
        "lesions[3].first_seen: a new lesion cannot be first seen at the baseline",
    ),
    (
        "first seen unknown",
        _set(["lesions", 3, "first_seen"], "T5"),
        'lesions[3].first_seen: unknown timepoint "T5"',
    ),
    (
        "merged without target",
        _set(["lesions", 1, "measurements", "T1"], {"status": "merged"}),
        'lesions[1].measurements.T1.status: status "merged" and merged_into go '
        "together",
    ),
    (
        "merged into unknown",
        _set(
            ["lesions", 1, "measurements", "T1"],
            {"status": "merged", "merged_into": "L9"},
        ),
        'lesions[1].measurements.T1.merged_into: unknown lesion id "L9"',
    ),
    (
        "fragments with long axis",
        _set(["lesions", 0, "measurements", "T1", "fragments_mm"], [3.0]),
        "lesions[0].measurements.T1.fragments_mm: a split lesion is measured by its "
        "fragments only",
    ),
    (
        "bad fragment",
        _set(["lesions", 0, "measurements", "T1"], {"fragments_mm": [3.0, "x"]}),
        'lesions[0].measurements.T1.fragments_mm[1]: expected a number >= 0, got "x"',
    ),
    (
        "no end points",
        _set(["lesions", 0, "measurements", "T1", "image", "points_mm"], []),
        "lesions[0].measurements.T1.image.points_mm: expected at least one point",
    ),
    (
        "pixel point with three values",
        _set(
            ["lesions", 0, "measurements", "T1", "image", "points_px"],
            [[3.0, 4.0, 5.0]],
        ),
        "lesions[0].measurements.T1.image.points_px[0]: expected [column, row], "
        "got [3.0, 4.0, 5.0]",
    ),
    (
        "organ not a string",
        _set(["lesions", 0, "organ"], 7),
        "lesions[0].organ: expected a string, got 7",
    ),
    (
        "empty tracking uid",
        _set(["lesions", 0, "tracking_uid"], ""),
        'lesions[0].tracking_uid: expected a non-empty string, got ""',
    ),
    (
        "two coordinates",
        _set(
            ["lesions", 0, "measurements", "T1", "image", "points_mm"],
            [[0, 0], [1, 1, 1]],
        ),
        "lesions[0].measurements.T1.image.points_mm[0]: expected [x, y, z], got [0, 0]",
    ),
    (
        "patient not object",
        _set(["patient"], "ANON"),
        'patient: expected an object, got "ANON"',
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_case_names_the_field(mutate, message):
    data = example_case()
    mutate(data)
    with pytest.raises(CaseFormatError, match=re.escape(message)):
        parse_case(data)


def test_not_an_object_at_all():
    with pytest.raises(CaseFormatError, match=r"^expected an object, got \[1, 2\]$"):
        parse_case([1, 2])


def test_two_studies_of_one_day_are_two_timepoints_of_that_date():
    from case_builder import case, target

    from measurement.recist import evaluate

    # a repeat scan on the baseline's day: two timepoints, 0 days apart
    result = evaluate(case([0, 0], target("L1", 20.0, 20.4)))
    follow_up = result["timepoints"][1]
    assert follow_up["target"] == "SD"
    assert follow_up["sum_mm"] == 20.4
