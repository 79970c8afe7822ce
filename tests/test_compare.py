"""Comparing two readings: differences, noise band, agreement, kappa, training."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from case_builder import case, example_case, new_lesion, non_target, target
from reporting_testdata import case_for, headers_by_uid, write_studies

from measurement.case import parse_case
from measurement.compare import (
    aggregate_training,
    cohens_kappa,
    compare_readings,
    kappa_summary,
    measurement_summary,
    score_training,
    value_comparison,
)
from measurement.noise import in_noise_band, lesion_changes
from reporting.sr import write_sr

ROOT = Path(__file__).resolve().parents[1]


def with_points(lesion, timepoint_id, centre, half_mm=5.0):
    """Give a lesion's measurement end points around ``centre`` (LPS, mm)."""
    x, y, z = centre
    lesion["measurements"][timepoint_id]["image"] = {
        "points_mm": [[x - half_mm, y, z], [x + half_mm, y, z]]
    }
    return lesion


# Single differences and the noise band


def test_20_to_22_mm_is_plus_2_mm_plus_10_percent_inside_the_band():
    v = value_comparison(20.0, 22.0)
    assert v["diff_mm"] == pytest.approx(2.0)
    assert v["diff_pct"] == pytest.approx(10.0)
    assert v["in_noise_band"] is True


@pytest.mark.parametrize(
    ("a_mm", "b_mm", "inside"),
    [
        (20.0, 25.0, True),  # +25.0%, the upper limit
        (20.0, 25.2, False),  # +26.0%
        (20.0, 15.6, True),  # -22.0%, the lower limit
        (20.0, 15.0, False),  # -25.0%
        (20.0, 26.0, False),  # +30.0%
    ],
)
def test_noise_band_limits_minus_22_to_plus_25_percent(a_mm, b_mm, inside):
    assert in_noise_band(a_mm, b_mm) is inside


def test_zero_reference_has_no_relative_difference():
    v = value_comparison(0.0, 4.0)
    assert v["diff_mm"] == 4.0
    assert v["diff_pct"] is None
    assert v["in_noise_band"] is None


def test_one_side_missing_has_no_difference():
    v = value_comparison(20.0, None)
    assert v == {
        "a_mm": 20.0,
        "b_mm": None,
        "diff_mm": None,
        "diff_pct": None,
        "in_noise_band": None,
    }


def test_changes_between_timepoints_against_the_band():
    data = case([0, 56, 112], target("L1", 30.0, 25.0, 17.5))
    changes = lesion_changes(parse_case(data))
    assert [(c["from"], c["to"]) for c in changes] == [("T0", "T1"), ("T1", "T2")]
    assert changes[0]["change_mm"] == pytest.approx(-5.0)
    assert changes[0]["change_pct"] == pytest.approx(-16.6666667)
    assert changes[0]["in_noise_band"] is True
    assert changes[1]["change_pct"] == pytest.approx(-30.0)
    assert changes[1]["in_noise_band"] is False


# Summary statistics


def test_bland_altman_on_differences_1_2_3_mm():
    values = [value_comparison(20.0, 20.0 + d) for d in (1.0, 2.0, 3.0)]
    s = measurement_summary(values)
    assert s["n_pairs"] == 3
    assert s["bias_mm"] == pytest.approx(2.0)
    assert s["mean_abs_diff_mm"] == pytest.approx(2.0)
    assert s["sd_diff_mm"] == pytest.approx(1.0)
    assert s["loa_mm"] == pytest.approx([0.04, 3.96])
    assert s["bias_pct"] == pytest.approx(10.0)
    assert s["loa_pct"] == pytest.approx([0.2, 19.8])
    assert s["n_in_noise_band"] == 3


def test_mean_absolute_difference_differs_from_bias():
    values = [value_comparison(20.0, 22.0), value_comparison(20.0, 18.0)]
    s = measurement_summary(values)
    assert s["bias_mm"] == pytest.approx(0.0)
    assert s["mean_abs_diff_mm"] == pytest.approx(2.0)
    assert s["sd_diff_mm"] == pytest.approx(2.8284271)


def test_statuses_are_left_out_of_the_measurement_statistics():
    values = [
        value_comparison(20.0, 22.0),
        value_comparison(5.0, 0.0) | {"a_status": "too-small", "b_status": "absent"},
    ]
    s = measurement_summary(values)
    assert s["n_pairs"] == 1
    assert s["bias_mm"] == pytest.approx(2.0)


def test_limits_of_agreement_need_two_pairs():
    s = measurement_summary([value_comparison(20.0, 22.0)])
    assert s["bias_mm"] == pytest.approx(2.0)
    assert s["loa_mm"] is None


def test_kappa_on_a_hand_computed_symmetric_2x2_table():
    # 4 PR/PR, 1 PR/SD, 1 SD/PR, 4 SD/SD: p_o 0.8, p_e 0.5, kappa 0.6
    pairs = [("PR", "PR")] * 4 + [("PR", "SD"), ("SD", "PR")] + [("SD", "SD")] * 4
    assert cohens_kappa(pairs) == pytest.approx(0.6)


def test_kappa_on_a_hand_computed_asymmetric_2x2_table():
    # 20 PR/PR, 5 PR/SD, 10 SD/PR, 15 SD/SD: p_o 0.7, p_e 0.5*0.6 + 0.5*0.4 = 0.5
    pairs = (
        [("PR", "PR")] * 20
        + [("PR", "SD")] * 5
        + [("SD", "PR")] * 10
        + [("SD", "SD")] * 15
    )
    assert cohens_kappa(pairs) == pytest.approx(0.4)


def test_kappa_with_one_category_only_is_not_defined():
    summary = kappa_summary([("SD", "SD")] * 6)
    assert summary["kappa"] is None
    assert "single and the same category" in summary["kappa_note"]


def test_kappa_says_when_there_are_not_enough_pairs():
    summary = kappa_summary([("SD", "SD"), ("PR", "SD")], min_pairs=5)
    assert summary["kappa"] is None
    assert (
        summary["kappa_note"] == "not computed: 2 paired categories, at least 5 needed"
    )


# Two readings of one case


def reading_a():
    return case(
        [0, 56, 112],
        with_points(target("L1", 30.0, 20.0, 20.0), "T0", (10.0, 20.0, 30.0)),
        with_points(target("L2", 20.0, 15.0, 14.0, organ="lung"), "T0", (50, 0, 0)),
        with_points(
            target("L3", 18.0, 12.0, 12.0, node=True, organ="node"), "T0", (0, 80, 0)
        ),
        non_target("N1", "present", "present", "present"),
    )


def reading_b():
    return case(
        [0, 56, 112],
        with_points(target("L1", 32.0, 22.0, 21.0), "T0", (10.0, 20.0, 30.0)),
        # the same lung lesion under another id, centre 3 mm away
        with_points(target("B7", 22.0, 12.0, 13.0, organ="lung"), "T0", (53, 0, 0)),
        # another reader's node 25 mm away from L3: not the same lesion
        with_points(
            target("B9", 19.0, 13.0, 13.0, node=True, organ="node"), "T0", (0, 105, 0)
        ),
        non_target("N1", "present", "present", "absent"),
    )


def test_lesions_pair_by_id_then_by_location():
    result = compare_readings(reading_a(), reading_b())
    pairs = [(p["a"], p["b"], p["matched_by"]) for p in result["lesions"]]
    assert pairs == [("L1", "L1", "id"), ("L2", "B7", "location"), ("N1", "N1", "id")]
    assert result["lesions"][1]["distance_mm"] == pytest.approx(3.0)
    assert result["unmatched_lesions"] == {"a": ["L3"], "b": ["B9"]}


def test_location_tolerance_is_a_parameter():
    result = compare_readings(reading_a(), reading_b(), match_tolerance_mm=30.0)
    pairs = [(p["a"], p["b"]) for p in result["lesions"]]
    assert ("L3", "B9") in pairs
    assert compare_readings(reading_a(), reading_b(), match_tolerance_mm=2.0)[
        "unmatched_lesions"
    ] == {"a": ["L2", "L3"], "b": ["B7", "B9"]}


def test_per_lesion_values_and_differences():
    result = compare_readings(reading_a(), reading_b())
    l1 = result["lesions"][0]
    assert [(v["timepoint"], v["a_mm"], v["b_mm"]) for v in l1["values"]] == [
        ("T0", 30.0, 32.0),
        ("T1", 20.0, 22.0),
        ("T2", 20.0, 21.0),
    ]
    assert l1["values"][1]["diff_mm"] == pytest.approx(2.0)
    assert l1["values"][1]["diff_pct"] == pytest.approx(10.0)
    assert l1["values"][1]["in_noise_band"] is True
    l2 = result["lesions"][1]
    # 15 -> 12 mm is -20.0%, inside; 20 -> 22 at baseline is +10.0%
    assert l2["values"][1]["diff_pct"] == pytest.approx(-20.0)
    assert l2["values"][1]["in_noise_band"] is True
    n1 = result["lesions"][2]
    assert n1["values"] == []
    assert [
        (s["timepoint"], s["a"], s["b"], s["agree"]) for s in n1["assessments"]
    ] == [
        ("T0", "present", "present", True),
        ("T1", "present", "present", True),
        ("T2", "present", "absent", False),
    ]


def test_target_choice_is_compared():
    targets = compare_readings(reading_a(), reading_b())["targets"]
    assert targets["same"] is False
    assert targets["both"] == [{"a": "L1", "b": "L1"}, {"a": "L2", "b": "B7"}]
    assert targets["only_a"] == ["L3"]
    assert targets["only_b"] == ["B9"]


def test_categories_agree_per_timepoint():
    result = compare_readings(reading_a(), reading_b())
    cats = {c["timepoint"]: c for c in result["categories"]}
    # A: 68 -> 47 (-30.9%, PR) -> 46; B: 73 -> 47 (-35.6%, PR) -> 47
    assert cats["T1"]["a"]["target"] == "PR"
    assert cats["T1"]["b"]["target"] == "PR"
    assert cats["T1"]["agree"]["overall"] is True
    assert cats["T2"]["a"]["non_target"] == "Non-CR/Non-PD"
    assert cats["T2"]["b"]["non_target"] == "CR"
    assert cats["T2"]["agree"]["non_target"] is False
    # target PR with non-target CR or Non-CR/Non-PD is PR either way
    assert cats["T2"]["agree"]["overall"] is True
    assert result["summary"]["non_target_agreement"] == pytest.approx(0.5)
    summary = result["summary"]
    assert summary["overall_agreement"] == 1.0
    assert summary["overall_compared"] == 2
    assert summary["kappa"] is None
    assert (
        summary["kappa_note"] == "not computed: 2 paired categories, at least 5 needed"
    )


def test_summary_over_paired_lesions():
    summary = compare_readings(reading_a(), reading_b())["summary"]
    # pairs (A, B): L1 30/32, 20/22, 20/21; L2=B7 20/22, 15/12, 14/13
    diffs = [2.0, 2.0, 1.0, 2.0, -3.0, -1.0]
    assert summary["n_pairs"] == 6
    assert summary["bias_mm"] == pytest.approx(sum(diffs) / 6)
    assert summary["mean_abs_diff_mm"] == pytest.approx(11.0 / 6)
    assert summary["n_in_noise_band"] == 6


def test_timepoints_pair_by_study_uid_before_id():
    a = example_case()
    b = example_case()
    b["timepoints"][1]["id"] = "FU1"
    for lesion in b["lesions"]:
        for key in ("measurements", "assessments"):
            if key in lesion and "T1" in lesion[key]:
                lesion[key]["FU1"] = lesion[key].pop("T1")
        if lesion.get("first_seen") == "T1":
            lesion["first_seen"] = "FU1"
    b["timepoints"].append({"id": "FU2", "date": "2026-05-20"})
    result = compare_readings(a, b)
    assert result["timepoints"] == [{"a": "T0", "b": "T0"}, {"a": "T1", "b": "FU1"}]
    assert result["unmatched_timepoints"] == {"a": [], "b": ["FU2"]}
    # L1 at T0 and T1, L2 at T0; L2's "too-small" at T1 is a status, not measured
    assert result["summary"]["n_pairs"] == 3
    assert result["summary"]["bias_mm"] == pytest.approx(0.0)
    assert result["targets"]["same"] is True


def test_identical_readings_agree_fully():
    result = compare_readings(example_case(), example_case())
    s = result["summary"]
    assert s["bias_mm"] == 0.0
    assert s["loa_mm"] == [0.0, 0.0]
    assert s["overall_agreement"] == 1.0
    assert result["targets"]["same"] is True


# Training scores


def test_training_score_against_a_teacher():
    teacher = reading_a()
    trainee = reading_b()
    score = score_training(teacher, trainee, tolerance_mm=2.0)
    # targets: both L1 and L2=B7, only teacher L3, only trainee B9: 2 / 4
    assert score["selection"] == pytest.approx(0.5)
    assert score["missed_targets"] == ["L3"]
    assert score["extra_targets"] == ["B9"]
    # diffs 2, 2, 1, 2, -3, -1 mm: five within 2 mm
    assert score["measurements_within"] == 5
    assert score["measurements_scored"] == 6
    assert score["measurement"] == pytest.approx(5 / 6)
    assert score["categories"] == 1.0
    assert score["score"] == pytest.approx((0.5 + 5 / 6 + 1.0) / 3)


def test_training_tolerance_in_percent():
    score = score_training(reading_a(), reading_b(), tolerance_pct=10.0)
    # percent of teacher: +6.7, +10.0, +5.0, +10.0, -20.0, -7.1
    assert score["measurements_within"] == 5


def test_training_needs_exactly_one_tolerance():
    with pytest.raises(
        ValueError, match="exactly one of tolerance_mm and tolerance_pct"
    ):
        score_training(reading_a(), reading_b())
    with pytest.raises(ValueError, match="exactly one"):
        score_training(reading_a(), reading_b(), tolerance_mm=1.0, tolerance_pct=5.0)


def test_training_categories_disagree_on_a_missed_new_lesion():
    teacher = reading_a()
    teacher["lesions"].append(new_lesion("X1", None, None, "unequivocal"))
    score = score_training(teacher, reading_b(), tolerance_mm=2.0)
    assert score["category_pairs"] == [["PR", "PR"], ["PD", "PR"]]
    assert score["categories"] == pytest.approx(0.5)


def test_aggregate_over_cases():
    first = score_training(reading_a(), reading_b(), tolerance_mm=2.0)
    second = score_training(example_case(), example_case(), tolerance_mm=2.0)
    summary = aggregate_training([first, second])
    assert summary["n_cases"] == 2
    # 6 pairs from the first case, 3 identical measured pairs from the second
    assert summary["n_pairs"] == 9
    assert summary["bias_mm"] == pytest.approx(3.0 / 9)
    assert summary["mean_abs_diff_mm"] == pytest.approx(11.0 / 9)
    assert summary["categories_compared"] == 3
    assert summary["category_agreement"] == 1.0
    assert summary["kappa"] is None
    assert summary["mean_selection"] == pytest.approx(0.75)
    assert summary["mean_score"] == pytest.approx(((0.5 + 5 / 6 + 1.0) / 3 + 1.0) / 2)


# The command line


def nadir(*args):
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def reading_files(tmp_path):
    a = tmp_path / "reader-a.json"
    b = tmp_path / "reader-b.json"
    a.write_text(json.dumps(reading_a()), encoding="utf-8")
    b.write_text(json.dumps(reading_b()), encoding="utf-8")
    return a, b


def test_compare_command_prints_lesions_categories_and_summary(reading_files):
    result = nadir("compare", *reading_files)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "A: reader-a.json (reference)"
    assert lines[3].split() == ["lesion", "timepoint", "A", "(mm)", "B", "(mm)"] + [
        "B-A",
        "(mm)",
        "B-A",
        "(%)",
        "band",
    ]
    assert lines[5].split() == ["L1", "T1", "20.0", "22.0", "+2.0", "+10.0%", "inside"]
    assert lines[8].split() == [
        "L2=B7",
        "T1",
        "15.0",
        "12.0",
        "-3.0",
        "-20.0%",
        "inside",
    ]
    assert "unpaired lesions: A L3; B B9" in result.stdout
    assert "assessments that differ:\n  N1 at T2: A present, B absent" in result.stdout
    assert "unpaired timepoints" not in result.stdout
    assert "targets: different; only in A L3, only in B B9" in result.stdout
    assert "  mean difference (bias): +0.5 mm" in result.stdout
    assert "  mean absolute difference: 1.8 mm" in result.stdout
    assert "  overall response agreement: 2 of 2 (100.0%)" in result.stdout
    assert (
        "  kappa: not computed: 2 paired categories, at least 5 needed" in result.stdout
    )


def test_compare_command_json(reading_files):
    result = nadir("compare", *reading_files, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["summary"]["n_pairs"] == 6
    assert out["targets"]["only_a"] == ["L3"]


def test_compare_command_broken_reading_exits_2(reading_files, tmp_path):
    a, _ = reading_files
    broken = tmp_path / "broken.json"
    data = reading_b()
    data["timepoints"][1]["date"] = "next week"
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = nadir("compare", a, broken)
    assert result.returncode == 2
    assert result.stderr == (
        f"nadir: error: {broken}: timepoints[1].date: expected an ISO date "
        'YYYY-MM-DD, got "next week"\n'
    )


def test_compare_command_unknown_suffix_exits_2(reading_files, tmp_path):
    a, _ = reading_files
    other = tmp_path / "reading.txt"
    other.write_text("{}", encoding="utf-8")
    result = nadir("compare", a, other)
    assert result.returncode == 2
    assert result.stderr == (
        f"nadir: error: {other}: unknown kind of reading '.txt'; "
        "expected one of .dcm, .json\n"
    )


def test_compare_command_reads_a_measurement_report_by_its_suffix(tmp_path):
    studies = write_studies(tmp_path / "src")
    reading = case_for(studies)
    own = tmp_path / "own.json"
    own.write_text(json.dumps(reading), encoding="utf-8")
    for lesion in reading["lesions"]:
        for m in lesion.get("measurements", {}).values():
            if "long_mm" in m:
                m["long_mm"] += 1.0
            if "short_mm" in m:
                m["short_mm"] += 1.0
    report = tmp_path / "colleague.dcm"
    write_sr(report, reading, headers_by_uid(studies))
    result = nadir("compare", own, report, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["targets"]["same"] is True
    assert out["summary"]["n_pairs"] == 6
    assert out["summary"]["bias_mm"] == pytest.approx(1.0, abs=0.01)
    assert out["summary"]["overall_agreement"] == 1.0


def test_compare_command_unreadable_report_exits_2(reading_files, tmp_path):
    a, _ = reading_files
    report = tmp_path / "report.dcm"
    report.write_text("not DICOM", encoding="utf-8")
    result = nadir("compare", a, report)
    assert result.returncode == 2
    assert result.stderr.startswith(f"nadir: error: {report}: cannot be read as DICOM")
    assert len(result.stderr.splitlines()) == 1


def test_readings_of_different_patients_are_flagged():
    from measurement.compare import compare_readings

    def case(patient, study):
        return {
            "format": "nadir-case/1",
            "patient": {"id": patient},
            "timepoints": [
                {"id": "T0", "date": "2026-01-01", "baseline": True, "study_uid": study}
            ],
            "lesions": [
                {
                    "id": "L1",
                    "kind": "target",
                    "organ": "liver",
                    "node": False,
                    "measurements": {"T0": {"long_mm": 20.0}},
                }
            ],
        }

    same = compare_readings(case("P1", "1.2.3"), case("P1", "1.2.3"))
    assert same["warnings"] == []
    other = compare_readings(case("P1", "1.2.3"), case("P2", "1.2.9"))
    assert other["warnings"] == [
        "the readings name different patients (P1 and P2); compare two readings "
        "of one case",
        "the readings share no study (no Study Instance UID in common); timepoints "
        "were paired by id or date",
    ]
