"""The engine and the comparison on the built-in demo case and its ground truth."""

import copy
import json

import pytest

from measurement.compare import compare_readings, score_training
from measurement.recist import evaluate
from viewer.demo_case import EXPECTED_CASE, EXPECTED_EVALUATION, write_demo_case


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory):
    folder = write_demo_case(tmp_path_factory.mktemp("demo"), size=32, slices=8)
    return json.loads((folder / EXPECTED_CASE).read_text(encoding="utf-8"))


def test_engine_gives_the_hand_computed_demo_evaluation(demo_case):
    result = evaluate(demo_case)
    expected = EXPECTED_EVALUATION["timepoints"]
    for row in result["timepoints"]:
        want = expected[row["id"]]
        assert row["sum_mm"] == want["sum_mm"]
        assert row["baseline_sum_mm"] == want["baseline_sum_mm"]
        assert row["nadir_mm"] == want["nadir_mm"]
        for key in ("change_from_baseline_pct", "change_from_nadir_pct"):
            got = None if row[key] is None else round(row[key], 1)
            assert got == want[key]
        for key in ("target", "non_target", "overall"):
            assert row[key] == want[key]
        if not row["baseline"]:
            assert (row["new_lesions"] == "yes") is want["new_lesions"]
    assert result["best_overall_response"] == "SD"
    unconfirmed = evaluate(demo_case, require_confirmation=False)
    assert unconfirmed["best_overall_response"] == "PR"
    assert result["warnings"] == []


def second_reading(case):
    """Another reader: lung and first liver target +1 mm, node SA -1 mm, the second
    liver target under another id, and the new lesion missed."""
    other = copy.deepcopy(case)
    for lesion in other["lesions"]:
        for m in lesion.get("measurements", {}).values():
            if lesion["id"] in ("L1", "L2", "L3"):
                m["long_mm"] += 1.0
            elif lesion["id"] == "L5":
                m["short_mm"] -= 1.0
        if lesion["id"] == "L4":
            lesion["id"] = "R4"
    other["lesions"] = [le for le in other["lesions"] if le["kind"] != "new"]
    return other


def test_two_readings_of_the_demo_compare_with_the_right_numbers(demo_case):
    result = compare_readings(demo_case, second_reading(demo_case))
    pairs = [(p["a"], p["b"], p["matched_by"]) for p in result["lesions"]]
    assert pairs == [
        ("L1", "L1", "id"),
        ("L2", "L2", "id"),
        ("L3", "L3", "id"),
        ("L4", "R4", "location"),
        ("L5", "L5", "id"),
        ("N1", "N1", "id"),
    ]
    assert result["lesions"][3]["distance_mm"] == pytest.approx(0.0, abs=1e-9)
    assert result["unmatched_lesions"] == {"a": ["X1"], "b": []}
    assert result["targets"]["same"] is True
    node = result["lesions"][4]["values"][1]
    # the node at the nadir: 11 mm against 10 mm, -1.0 mm, -9.1 %, inside the band
    assert (node["a_mm"], node["b_mm"]) == (11.0, 10.0)
    assert node["diff_mm"] == pytest.approx(-1.0)
    assert node["diff_pct"] == pytest.approx(-9.0909091)
    assert node["in_noise_band"] is True

    s = result["summary"]
    # 15 pairs: nine at +1 mm (L1-L3), three at 0 (L4), three at -1 mm (L5)
    assert s["n_pairs"] == 15
    assert s["bias_mm"] == pytest.approx(6 / 15)
    assert s["mean_abs_diff_mm"] == pytest.approx(12 / 15)
    assert s["n_in_noise_band"] == 15

    cats = {c["timepoint"]: c for c in result["categories"]}
    # B: 116 -> 73 (PR) -> 102 (+29 mm, +39.7 % over the nadir: PD)
    assert (cats["T1"]["a"]["target"], cats["T1"]["b"]["target"]) == ("PR", "PR")
    assert (cats["T2"]["a"]["target"], cats["T2"]["b"]["target"]) == ("PD", "PD")
    assert (cats["T2"]["a"]["new_lesions"], cats["T2"]["b"]["new_lesions"]) == (
        "yes",
        "no",
    )
    assert cats["T2"]["agree"]["new_lesions"] is False
    assert cats["T2"]["agree"]["overall"] is True
    assert s["overall_agreement"] == 1.0
    assert s["new_lesions_agreement"] == pytest.approx(0.5)


def test_trainee_score_on_the_demo(demo_case):
    score = score_training(demo_case, second_reading(demo_case), tolerance_mm=0.5)
    assert score["selection"] == 1.0
    # only L4 (three timepoints of 15) is within 0.5 mm
    assert score["measurements_within"] == 3
    assert score["measurement"] == pytest.approx(0.2)
    assert score["categories"] == 1.0
    assert score["score"] == pytest.approx((1.0 + 0.2 + 1.0) / 3)
