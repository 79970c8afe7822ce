"""The RECIST 1.1 engine: each rule and worked example of RECIST.md, in numbers."""

import pytest
from case_builder import case, example_case, new_lesion, non_target, target

from measurement.recist import (
    CR,
    NE,
    NON_CR_NON_PD,
    PD,
    PR,
    SD,
    evaluate,
    overall_response,
    response_margin,
    target_response,
)

WEEKS_8 = [0, 56, 112, 168]


def row(result, timepoint_id):
    return next(r for r in result["timepoints"] if r["id"] == timepoint_id)


# Worked examples of RECIST.md


def test_example_1_sixty_to_forty_two_is_minus_30_percent_and_pr():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 30.0, 20.0),
            target("L2", 20.0, 15.0, organ="lung"),
            target("L3", 10.0, 7.0, organ="kidney"),
        )
    )
    t1 = row(result, "T1")
    assert row(result, "T0")["sum_mm"] == 60.0
    assert t1["sum_mm"] == 42.0
    assert t1["baseline_sum_mm"] == 60.0
    assert t1["change_from_baseline_pct"] == pytest.approx(-30.0)
    assert f"{t1['change_from_baseline_pct']:.1f}" == "-30.0"
    assert t1["target"] == PR
    assert t1["overall"] == PR


def test_example_2_nadir_40_to_48_is_plus_20_percent_and_8_mm_pd():
    result = evaluate(case([0, 56, 112], target("L1", 50.0, 40.0, 48.0)))
    t2 = row(result, "T2")
    assert t2["nadir_mm"] == 40.0
    assert t2["sum_mm"] - t2["nadir_mm"] == 8.0
    assert t2["change_from_nadir_pct"] == pytest.approx(20.0)
    assert t2["target"] == PD


def test_example_2_nadir_20_to_24_is_plus_20_percent_but_4_mm_not_pd():
    result = evaluate(case([0, 56, 112], target("L1", 25.0, 20.0, 24.0)))
    t2 = row(result, "T2")
    assert t2["nadir_mm"] == 20.0
    assert t2["change_from_nadir_pct"] == pytest.approx(20.0)
    assert t2["sum_mm"] - t2["nadir_mm"] == 4.0
    assert t2["target"] == SD


def test_example_3_node_18_to_8_is_target_cr_with_sum_8():
    result = evaluate(case([0, 56], target("N", 18.0, 8.0, node=True)))
    t1 = row(result, "T1")
    assert row(result, "T0")["sum_mm"] == 18.0
    assert t1["sum_mm"] == 8.0
    assert t1["target"] == CR
    assert t1["overall"] == CR


def test_example_4_one_target_not_assessed_is_ne():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 20.0, 25.0),
            target("L2", 20.0, 20.0, organ="lung"),
            target("L3", 10.0, "not-assessed", organ="kidney"),
        )
    )
    t1 = row(result, "T1")
    assert row(result, "T0")["sum_mm"] == 50.0
    assert t1["sum_mm"] == 45.0
    assert t1["sum_complete"] is False
    assert t1["change_from_baseline_pct"] is None
    assert t1["target"] == NE
    assert t1["overall"] == NE
    assert "not assessed: L3" in t1["notes"]


def test_example_4_measured_targets_already_prove_pd_despite_one_not_assessed():
    result = evaluate(
        case(
            [0, 56, 112],
            target("L1", 20.0, 15.0, 20.0),
            target("L2", 20.0, 10.0, 20.0, organ="lung"),
            target("L3", 10.0, 5.0, None, organ="kidney"),
        )
    )
    t2 = row(result, "T2")
    assert t2["nadir_mm"] == 30.0
    assert t2["sum_mm"] == 40.0
    assert t2["sum_complete"] is False
    assert t2["target"] == PD
    assert t2["overall"] == PD


# The sum of diameters and the nadir


def test_nodes_contribute_short_axis_and_others_long_diameter():
    result = evaluate(
        case([0], target("L1", 30.0), target("N1", 16.0, node=True, organ="node"))
    )
    # the node's LD is 21 mm in the builder; only its SA of 16 mm counts
    assert row(result, "T0")["sum_mm"] == 46.0


def test_too_small_counts_5_mm_and_absent_0_mm():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 30.0, "too-small"),
            target("L2", 20.0, "absent", organ="lung"),
        )
    )
    assert row(result, "T1")["sum_mm"] == 5.0


def test_too_small_value_is_a_parameter():
    result = evaluate(case([0, 56], target("L1", 30.0, "too-small")), too_small_mm=4.0)
    assert row(result, "T1")["sum_mm"] == 4.0


def test_split_lesion_is_the_sum_of_its_fragments():
    result = evaluate(case([0, 56], target("L1", 30.0, [12.0, 8.5])))
    assert row(result, "T1")["sum_mm"] == 20.5


def test_merged_lesions_whole_carries_ld_others_count_0():
    data = case([0, 56], target("L1", 20.0, 40.0), target("L2", 15.0, None))
    data["lesions"][1]["measurements"]["T1"] = {
        "status": "merged",
        "merged_into": "L1",
    }
    t1 = row(evaluate(data), "T1")
    assert t1["sum_mm"] == 40.0
    assert t1["sum_complete"] is True


def test_nadir_is_the_baseline_when_nothing_smaller_was_seen():
    result = evaluate(case([0, 56, 112], target("L1", 40.0, 45.0, 48.0)))
    assert row(result, "T1")["nadir_mm"] == 40.0
    assert row(result, "T2")["nadir_mm"] == 40.0
    assert row(result, "T2")["target"] == PD


def test_nadir_is_taken_up_to_the_previous_timepoint_only():
    result = evaluate(case([0, 56, 112], target("L1", 50.0, 30.0, 31.0)))
    assert row(result, "T1")["nadir_mm"] == 50.0
    assert row(result, "T1")["change_from_nadir_pct"] == pytest.approx(-40.0)
    assert row(result, "T2")["nadir_mm"] == 30.0
    assert row(result, "T2")["change_from_nadir_pct"] == pytest.approx(3.3333333)


def test_incomplete_timepoint_is_no_nadir():
    result = evaluate(
        case(
            [0, 56, 112],
            target("L1", 30.0, 10.0, 28.0),
            target("L2", 20.0, "not-assessed", 17.0, organ="lung"),
        )
    )
    t2 = row(result, "T2")
    assert t2["nadir_mm"] == 50.0
    assert t2["sum_mm"] == 45.0
    assert t2["change_from_nadir_pct"] == pytest.approx(-10.0)


def test_percentages_are_computed_from_unrounded_values():
    # 21.03 / 30.04 is -29.993%: it shows as -30.0% but is not 30% smaller
    result = evaluate(
        case(
            [0, 56],
            target("L1", 10.04, 7.03),
            target("L2", 10.0, 7.0, organ="lung"),
            target("L3", 10.0, 7.0, organ="kidney"),
        )
    )
    t1 = row(result, "T1")
    assert t1["change_from_baseline_pct"] == pytest.approx(-29.99334, abs=1e-5)
    assert f"{t1['change_from_baseline_pct']:.1f}" == "-30.0"
    assert t1["target"] == SD


# Target response order: PD, CR, PR, NE, SD


def test_pd_needs_5_mm_as_well_as_20_percent():
    result = evaluate(case([0, 56, 112], target("L1", 50.0, 40.0, 47.0)))
    t2 = row(result, "T2")
    assert t2["change_from_nadir_pct"] == pytest.approx(17.5)
    assert t2["target"] == SD


def test_pd_is_checked_before_cr():
    # both nodes stay under 10 mm (CR criteria) yet the sum grows from 8 to 18 mm
    result = evaluate(
        case(
            [0, 56, 112],
            target("N1", 16.0, 4.0, 9.0, node=True, organ="node"),
            target("N2", 16.0, 4.0, 9.0, node=True, organ="node"),
        )
    )
    assert row(result, "T1")["target"] == CR
    assert row(result, "T2")["nadir_mm"] == 8.0
    assert row(result, "T2")["target"] == PD


def test_cr_needs_every_non_nodal_target_at_0_mm():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 30.0, "absent"),
            target("L2", 20.0, "too-small", organ="lung"),
        )
    )
    assert row(result, "T1")["target"] == PR


def test_cr_with_a_node_under_10_mm_and_other_targets_gone():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 20.0, "absent"),
            target("N1", 18.0, 9.0, node=True, organ="node"),
        )
    )
    assert row(result, "T1")["sum_mm"] == 9.0
    assert row(result, "T1")["target"] == CR


def test_node_at_10_mm_is_not_cr():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 20.0, "absent"),
            target("N1", 18.0, 10.0, node=True, organ="node"),
        )
    )
    assert row(result, "T1")["target"] == PR


def test_all_absent_is_cr_with_minus_100_percent():
    result = evaluate(case([0, 56], target("L1", 20.0, "absent")))
    assert row(result, "T1")["change_from_baseline_pct"] == pytest.approx(-100.0)
    assert row(result, "T1")["target"] == CR


def test_all_measured_gone_but_one_not_assessed_is_ne_not_cr():
    result = evaluate(
        case(
            [0, 56],
            target("L1", 20.0, "absent"),
            target("L2", 20.0, "not-assessed", organ="lung"),
        )
    )
    assert row(result, "T1")["target"] == NE


def test_missing_measurement_counts_as_not_assessed():
    result = evaluate(
        case([0, 56], target("L1", 20.0, 18.0), target("L2", 20.0, None, organ="lung"))
    )
    assert row(result, "T1")["target"] == NE


def test_too_small_after_cr_is_pd_from_a_zero_nadir():
    result = evaluate(case([0, 56, 112], target("L1", 20.0, "absent", "too-small")))
    assert row(result, "T2")["sum_mm"] == 5.0
    assert row(result, "T2")["target"] == PD


def test_reappearance_after_cr_is_pd_from_a_zero_nadir():
    result = evaluate(case([0, 56, 112], target("L1", 20.0, "absent", 6.0)))
    assert row(result, "T2")["nadir_mm"] == 0.0
    assert row(result, "T2")["change_from_nadir_pct"] is None
    assert row(result, "T2")["target"] == PD


# Non-target response


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["absent", "absent"], CR),
        (["absent", "present"], NON_CR_NON_PD),
        (["present", "progression"], PD),
        (["present", "not-assessed"], NE),
        (["present", None], NE),
        (["progression", "not-assessed"], PD),
    ],
)
def test_non_target_response(states, expected):
    data = case(
        [0, 56],
        target("L1", 30.0, 25.0),
        non_target("N1", "present", states[0]),
        non_target("N2", "present", states[1], organ="pleura"),
    )
    assert row(evaluate(data), "T1")["non_target"] == expected


def test_non_target_node_under_10_mm_short_axis_counts_as_gone():
    node = non_target("N1", "present", "present", organ="node")
    node["node"] = True
    node["measurements"] = {"T1": {"long_mm": 12.0, "short_mm": 8.0}}
    data = case([0, 56], target("L1", 30.0, 25.0), node)
    assert row(evaluate(data), "T1")["non_target"] == CR
    node["measurements"]["T1"] = {"long_mm": 14.0, "short_mm": 12.0}
    assert row(evaluate(data), "T1")["non_target"] == NON_CR_NON_PD


def test_unequivocal_non_target_progression_is_overall_pd():
    data = case(
        [0, 56], target("L1", 30.0, 15.0), non_target("N1", "present", "progression")
    )
    assert row(evaluate(data), "T1")["target"] == PR
    assert row(evaluate(data), "T1")["overall"] == PD


# New lesions


def test_unequivocal_new_lesion_is_pd():
    data = case(
        [0, 56], target("L1", 30.0, 15.0), new_lesion("X1", None, "unequivocal")
    )
    t1 = row(evaluate(data), "T1")
    assert t1["new_lesions"] == "yes"
    assert t1["overall"] == PD


def test_equivocal_new_lesion_is_not_pd():
    data = case([0, 56], target("L1", 30.0, 15.0), new_lesion("X1", None, "equivocal"))
    t1 = row(evaluate(data), "T1")
    assert t1["new_lesions"] == "equivocal"
    assert t1["overall"] == PR


def test_equivocal_then_confirmed_dates_pd_back_to_first_appearance():
    data = case(
        [0, 56, 112],
        target("L1", 30.0, 15.0, 14.0),
        new_lesion("X1", None, "equivocal", "unequivocal"),
    )
    result = evaluate(data)
    t1 = row(result, "T1")
    assert t1["new_lesions"] == "yes"
    assert t1["overall"] == PD
    assert any("PD dated back to T1" in note for note in t1["notes"])
    assert row(result, "T2")["overall"] == PD
    assert result["best_overall_response"] == PD


def test_first_seen_dates_pd_back_before_the_first_assessment():
    data = case(
        [0, 56, 112, 168],
        target("L1", 30.0, 15.0, 14.0, 14.0),
        new_lesion("X1", None, None, None, "unequivocal", first_seen="T2"),
    )
    result = evaluate(data)
    assert row(result, "T1")["new_lesions"] == "no"
    assert row(result, "T2")["new_lesions"] == "yes"
    assert row(result, "T2")["overall"] == PD


def test_equivocal_lesion_that_resolves_never_counts():
    data = case(
        [0, 56, 112],
        target("L1", 30.0, 15.0, 14.0),
        new_lesion("X1", None, "equivocal", "absent"),
    )
    result = evaluate(data)
    assert row(result, "T1")["new_lesions"] == "equivocal"
    assert row(result, "T2")["new_lesions"] == "no"
    assert row(result, "T2")["overall"] == PR


# Overall response: every row of the table


@pytest.mark.parametrize(
    ("target_r", "non_target_r", "new", "expected"),
    [
        (CR, CR, "no", CR),
        (CR, None, "no", CR),
        (CR, NON_CR_NON_PD, "no", PR),
        (CR, NE, "no", PR),
        (PR, NON_CR_NON_PD, "no", PR),
        (PR, CR, "no", PR),
        (PR, NE, "no", PR),
        (PR, None, "no", PR),
        (SD, NON_CR_NON_PD, "no", SD),
        (SD, CR, "no", SD),
        (SD, NE, "no", SD),
        (NE, NON_CR_NON_PD, "no", NE),
        (NE, CR, "no", NE),
        (NE, NE, "no", NE),
        (PD, CR, "no", PD),
        (PD, NE, "equivocal", PD),
        (CR, PD, "no", PD),
        (NE, PD, "no", PD),
        (CR, CR, "yes", PD),
        (SD, NE, "yes", PD),
        (PR, NON_CR_NON_PD, "equivocal", PR),
    ],
)
def test_overall_response_table(target_r, non_target_r, new, expected):
    assert overall_response(target_r, non_target_r, new) == expected


@pytest.mark.parametrize(
    ("non_target_r", "new", "expected"),
    [
        (CR, "no", CR),
        (NON_CR_NON_PD, "no", NON_CR_NON_PD),
        (NE, "no", NE),
        (PD, "no", PD),
        (CR, "yes", PD),
        (CR, "equivocal", CR),
    ],
)
def test_overall_response_non_target_only(non_target_r, new, expected):
    assert overall_response(None, non_target_r, new) == expected


def test_non_target_only_patient_end_to_end():
    data = case([0, 56, 112], non_target("N1", "present", "present", "absent"))
    result = evaluate(data)
    t1, t2 = row(result, "T1"), row(result, "T2")
    assert t1["sum_mm"] is None
    assert t1["target"] is None
    assert t1["margin"] is None
    assert t1["overall"] == NON_CR_NON_PD
    assert t2["overall"] == CR
    # CR at day 112 has no confirmation, so the best is Non-CR/Non-PD at day 56
    assert result["best_overall_response"] == NON_CR_NON_PD


def test_no_disease_at_baseline_and_a_new_lesion_is_pd():
    data = case([0, 56], new_lesion("X1", None, "unequivocal"))
    assert row(evaluate(data), "T1")["overall"] == PD


# Best overall response


def responses(result):
    return [r["overall"] for r in result["timepoints"][1:]]


def test_pr_confirmed_four_weeks_later():
    data = case(WEEKS_8[:3], target("L1", 50.0, 30.0, 31.0))
    result = evaluate(data)
    assert responses(result) == [PR, PR]
    assert result["best_overall_response"] == PR
    assert result["best_overall_response_detail"]["timepoint"] == "T1"
    assert result["best_overall_response_detail"]["confirmed_by"] == "T2"


def test_unconfirmed_pr_then_pd_is_sd_with_confirmation():
    data = case(WEEKS_8[:3], target("L1", 50.0, 30.0, 40.0))
    result = evaluate(data)
    assert responses(result) == [PR, PD]
    assert result["best_overall_response"] == SD


def test_unconfirmed_pr_counts_without_confirmation():
    data = case(WEEKS_8[:3], target("L1", 50.0, 30.0, 40.0))
    result = evaluate(data, require_confirmation=False)
    assert result["best_overall_response"] == PR
    assert result["best_overall_response_detail"]["confirmed_by"] is None


def test_cr_confirmed():
    data = case(WEEKS_8[:3], target("L1", 50.0, "absent", "absent"))
    assert evaluate(data)["best_overall_response"] == CR


def test_cr_followed_by_pr_is_a_confirmed_pr():
    # node SA 18 -> 8 (CR) -> 11: +3 mm over the nadir is no PD, 11 <= 12.6 is PR
    data = case(WEEKS_8[:3], target("N1", 18.0, 8.0, 11.0, node=True, organ="node"))
    result = evaluate(data)
    assert responses(result) == [CR, PR]
    assert result["best_overall_response"] == PR


def test_confirmation_needs_28_days():
    early = case([0, 56, 83], target("L1", 50.0, 30.0, 30.0))
    assert evaluate(early)["best_overall_response"] == SD
    on_time = case([0, 56, 84], target("L1", 50.0, 30.0, 30.0))
    assert evaluate(on_time)["best_overall_response"] == PR
    assert evaluate(early, confirmation_days=27)["best_overall_response"] == PR


def test_confirmation_is_not_taken_after_progression():
    data = case(WEEKS_8, target("L1", 50.0, 30.0, 40.0, 30.0))
    result = evaluate(data)
    assert responses(result) == [PR, PD, PR]
    assert result["best_overall_response"] == SD


def test_sd_counts_only_after_the_minimum_interval():
    data = case([0, 35], target("L1", 50.0, 45.0))
    assert evaluate(data)["best_overall_response"] == NE
    assert evaluate(data, sd_min_interval_days=35)["best_overall_response"] == SD
    assert evaluate(data, sd_min_interval_days=28)["best_overall_response"] == SD


def test_default_sd_interval_is_6_weeks():
    assert (
        evaluate(case([0, 41], target("L1", 50.0, 45.0)))["best_overall_response"] == NE
    )
    assert (
        evaluate(case([0, 42], target("L1", 50.0, 45.0)))["best_overall_response"] == SD
    )


def test_early_sd_then_progression_is_pd():
    data = case([0, 35, 70], target("L1", 50.0, 45.0, 60.0))
    assert evaluate(data)["best_overall_response"] == PD


def test_best_response_without_follow_up_is_none():
    result = evaluate(case([0], target("L1", 50.0)))
    assert result["best_overall_response"] is None


# Rule-check warnings: warnings, never refusals


def rules(result):
    return [(w["lesion"], w["rule"]) for w in result["warnings"]]


def test_sixth_target_is_warned_and_still_counted():
    organs = ["liver", "lung", "kidney", "spleen", "adrenal", "brain"]
    data = case(
        [0, 56],
        *(target(f"L{i + 1}", 20.0, 20.0, organ=o) for i, o in enumerate(organs)),
    )
    result = evaluate(data)
    assert rules(result) == [("L6", "max-targets")]
    assert "at most 5" in result["warnings"][0]["message"]
    assert row(result, "T0")["sum_mm"] == 120.0


def test_third_target_in_one_organ_is_warned():
    data = case(
        [0],
        target("L1", 20.0, organ="liver"),
        target("L2", 20.0, organ="Liver "),
        target("L3", 20.0, organ="liver"),
    )
    result = evaluate(data)
    assert rules(result) == [("L3", "max-per-organ")]
    assert "at most 2 per organ" in result["warnings"][0]["message"]


def test_all_lymph_nodes_count_as_one_organ():
    data = case(
        [0],
        target("N1", 20.0, node=True, organ="mediastinal node"),
        target("N2", 20.0, node=True, organ="axillary node"),
        target("N3", 20.0, node=True, organ="inguinal node"),
    )
    assert rules(evaluate(data)) == [("N3", "max-per-organ")]


def test_non_nodal_target_under_10_mm_is_warned():
    assert rules(evaluate(case([0], target("L1", 9.5)))) == [("L1", "too-small-target")]
    assert rules(evaluate(case([0], target("L1", 10.0)))) == []


def test_non_nodal_target_under_twice_a_thick_slice_is_warned():
    data = case([0], target("L1", 14.0))
    data["timepoints"][0]["slice_thickness_mm"] = 8.0
    result = evaluate(data)
    assert rules(result) == [("L1", "too-small-target")]
    assert result["warnings"][0]["message"] == (
        "L1: non-nodal target with longest diameter 14.0 mm, under the measurable "
        "limit of 16.0 mm (twice the slice thickness of 8 mm). Make it a non-target "
        "lesion."
    )
    data["lesions"][0]["measurements"]["T0"]["long_mm"] = 16.0
    assert rules(evaluate(data)) == []


def test_slice_thickness_up_to_5_mm_keeps_the_10_mm_limit():
    data = case([0], target("L1", 10.0))
    data["timepoints"][0]["slice_thickness_mm"] = 5.0
    assert rules(evaluate(data)) == []


def test_image_slice_thickness_overrides_the_timepoint():
    data = case([0], target("L1", 12.0))
    data["lesions"][0]["measurements"]["T0"]["image"] = {"slice_thickness_mm": 7.0}
    assert rules(evaluate(data)) == [("L1", "too-small-target")]


@pytest.mark.parametrize(
    ("short_axis", "expected"),
    [
        (8.0, [("N1", "normal-node")]),
        (12.0, [("N1", "node-not-measurable")]),
        (15.0, []),
    ],
)
def test_node_target_short_axis_rules(short_axis, expected):
    data = case([0], target("N1", short_axis, node=True, organ="node"))
    assert rules(evaluate(data)) == expected


def test_non_target_node_under_10_mm_is_no_lesion():
    node = non_target("N1", "present", organ="node")
    node["node"] = True
    node["measurements"] = {"T0": {"long_mm": 11.0, "short_mm": 8.0}}
    result = evaluate(case([0], target("L1", 20.0), node))
    assert rules(result) == [("N1", "normal-node")]
    assert "not a lesion" in result["warnings"][0]["message"]


def test_target_without_organ_is_warned():
    lesion = target("L1", 20.0)
    del lesion["organ"]
    assert rules(evaluate(case([0], lesion))) == [("L1", "organ-missing")]


# The response margin


def test_margin_sd_to_pd_and_to_pr():
    # baseline 50, nadir 40, sum 46.6: PD at 48.0, PR at 35.0
    data = case([0, 56, 112], target("L1", 50.0, 40.0, 46.6))
    t2 = row(evaluate(data), "T2")
    assert t2["target"] == SD
    margin = t2["margin"]
    assert margin["grow_mm"] == pytest.approx(1.4)
    assert margin["grow_to"] == PD
    assert margin["shrink_mm"] == pytest.approx(-11.6)
    assert margin["shrink_to"] == PR
    assert margin["to_pd_mm"] == pytest.approx(1.4)
    assert margin["to_pr_mm"] == pytest.approx(-11.6)
    assert (
        margin["text"]
        == "PD if the sum grows 1.4 mm more; PR if it shrinks 11.6 mm more"
    )


def test_margin_of_a_pd_is_how_far_it_must_shrink():
    data = case([0, 56, 112], target("L1", 50.0, 40.0, 50.0))
    margin = row(evaluate(data), "T2")["margin"]
    assert margin["grow_mm"] is None
    assert margin["shrink_mm"] == pytest.approx(-2.0)
    assert margin["shrink_to"] == SD
    assert margin["text"] == "SD if it shrinks by more than 2.0 mm"


def test_margin_of_a_pd_below_the_pr_threshold_flips_to_pr():
    # baseline 100, nadir 20: PD from 25 mm, PR up to 70 mm
    margin = response_margin(30.0, PD, 100.0, 20.0)
    assert margin["shrink_mm"] == pytest.approx(-5.0)
    assert margin["shrink_to"] == PR


def test_margin_of_a_pr():
    margin = response_margin(42.0, PR, 60.0, 60.0)
    assert margin["grow_mm"] == pytest.approx(0.0)
    assert margin["grow_to"] == SD
    assert margin["shrink_mm"] is None
    assert margin["to_pd_mm"] == pytest.approx(30.0)
    assert margin["text"] == "SD if the sum grows by more than 0.0 mm"


def test_margin_of_a_pr_with_a_low_nadir_flips_to_pd():
    margin = response_margin(21.0, PR, 100.0, 20.0)
    assert margin["grow_mm"] == pytest.approx(4.0)
    assert margin["grow_to"] == PD


def test_margin_of_an_ne_is_only_towards_pd():
    margin = response_margin(45.0, NE, 50.0, 50.0)
    assert margin["grow_mm"] == pytest.approx(15.0)
    assert margin["grow_to"] == PD
    assert margin["shrink_mm"] is None


def test_margin_of_a_cr_with_nodes():
    margin = response_margin(8.0, CR, 18.0, 18.0)
    assert margin["grow_mm"] == pytest.approx(15.0)
    assert margin["text"] == "PD if the sum grows 15.0 mm more"


def test_baseline_has_no_margin_or_responses():
    t0 = row(evaluate(case([0, 56], target("L1", 20.0, 20.0))), "T0")
    assert t0["margin"] is None
    assert t0["target"] is None
    assert t0["overall"] is None
    assert t0["nadir_mm"] is None


def test_example_case_file_of_recist_md():
    result = evaluate(example_case())
    t1 = row(result, "T1")
    assert row(result, "T0")["sum_mm"] == 49.0
    assert t1["sum_mm"] == pytest.approx(30.1)
    assert t1["change_from_baseline_pct"] == pytest.approx(-38.5714286)
    assert t1["target"] == PR
    assert t1["non_target"] == NON_CR_NON_PD
    assert t1["new_lesions"] == "equivocal"
    assert t1["overall"] == PR
    assert result["best_overall_response"] == SD
    assert result["warnings"] == []


def test_margin_of_example_3_node_cr_is_the_node_gap_to_10_mm():
    margin = row(evaluate(case([0, 56], target("N", 18.0, 8.0, node=True))), "T1")[
        "margin"
    ]
    assert margin["grow_mm"] == pytest.approx(2.0)
    assert margin["grow_to"] == PR
    assert margin["to_pd_mm"] == pytest.approx(15.0)
    assert margin["text"] == (
        "PR if a node grows 2.0 mm more (to 10 mm short axis); "
        "PD if the sum grows 15.0 mm more"
    )


def test_margin_of_a_non_nodal_cr_ends_when_a_target_reappears():
    margin = row(evaluate(case([0, 56], target("L1", 20.0, "absent"))), "T1")["margin"]
    assert margin["grow_mm"] == 0.0
    assert margin["grow_to"] == PR
    assert margin["text"] == (
        "PR as soon as a non-nodal target reappears; PD if the sum grows 25.0 mm more"
    )


def test_margin_of_a_pd_proven_by_a_partial_sum_shrinks_to_ne():
    # example 4: nadir 30, the two measured targets sum to 40, PD from 36 mm
    result = evaluate(
        case(
            [0, 56, 112],
            target("L1", 20.0, 15.0, 20.0),
            target("L2", 20.0, 10.0, 20.0, organ="lung"),
            target("L3", 10.0, 5.0, None, organ="kidney"),
        )
    )
    margin = row(result, "T2")["margin"]
    assert margin["shrink_mm"] == pytest.approx(-4.0)
    assert margin["shrink_to"] == NE
    assert margin["text"] == "NE if it shrinks by more than 4.0 mm"


@pytest.mark.parametrize("baseline", [30.0, 60.0, 100.0])
@pytest.mark.parametrize("nadir_fraction", [1.0, 0.6, 0.2])
@pytest.mark.parametrize("sum_fraction", [0.15, 0.5, 0.69, 0.71, 0.9, 1.1, 1.4])
def test_margin_is_the_smallest_sum_change_that_flips_the_response(
    baseline, nadir_fraction, sum_fraction
):
    # one non-nodal target: its LD is the sum, so target_response checks the margin
    nadir = baseline * nadir_fraction
    total = baseline * sum_fraction
    current = target_response([total], [False], baseline, nadir)
    margin = response_margin(total, current, baseline, nadir)
    step = 0.01
    for key, sign in (("grow", 1.0), ("shrink", -1.0)):
        change = margin[f"{key}_mm"]
        if change is None:
            assert current == PR if key == "shrink" else current == PD
            continue
        leaving = (current, key) in ((PR, "grow"), (PD, "shrink"))
        # just short of the margin nothing changes; at (or just past) it, it flips
        before = total + change - sign * step
        after = total + change + (sign * step if leaving else 0.0)
        assert target_response([before], [False], baseline, nadir) == current
        assert target_response([after], [False], baseline, nadir) == margin[f"{key}_to"]


def test_an_impossible_length_is_flagged_not_refused():
    from case_builder import case, target

    from measurement.recist import evaluate

    result = evaluate(case([0, 60], target("L1", 30.0, 5000.0)))
    flagged = [w for w in result["warnings"] if w["rule"] == "implausible-length"]
    assert [w["message"] for w in flagged] == [
        "L1: long axis at T1 is 5000 mm, more than 400 mm; check the value and "
        "its unit."
    ]
    assert result["timepoints"][1]["target"] == "PD"
