"""Review outputs: the review case file, the review PDF and the commands around them.

Both readings are of the demo case: reading A its true table, reading B with the
known differences of tests/review_readings.py (+2.0 mm on L1 at T2, +10 mm on L3
at T1 turning PR into SD, N1 chosen as a target instead of L4).
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from app.cli import main
from reporting.review import (
    REVIEW_FORMAT,
    PeerReview,
    ReviewError,
    build_review,
    reading_identity,
    write_review,
)
from reporting.review_pdf import write_review_pdf
from reporting.sr import write_sr
from reporting.training import TrainingFolderError, find_training_cases
from tests.review_readings import EXPECTED_LOA_MM, EXPECTED_SD_MM, perturbed_reading
from viewer.demo_case import EXPECTED_CASE, write_demo_case

ROOT = Path(__file__).resolve().parents[1]
WHEN = datetime.datetime(2026, 12, 4, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    return write_demo_case(tmp_path_factory.mktemp("demo"), size=32, slices=8)


@pytest.fixture(scope="module")
def reading_a(demo_folder) -> dict:
    case = json.loads((demo_folder / EXPECTED_CASE).read_text(encoding="utf-8"))
    case["reader"] = "Dr A. First"
    return case


@pytest.fixture(scope="module")
def reading_b(reading_a) -> dict:
    return perturbed_reading(reading_a)


@pytest.fixture
def review(reading_a, reading_b) -> dict:
    verdict = PeerReview(
        "significant-likely",
        "L3 at the nadir measured across two lesions; T1 becomes SD.",
        "Dr R. Viewer",
    )
    return build_review(
        reading_a,
        reading_b,
        verdict,
        source_a="first.json",
        source_b="second.json",
        created=WHEN,
    )


def values_of(review: dict, lesion_id: str) -> dict[str, dict]:
    lesion = next(x for x in review["lesions"] if x["a"] == lesion_id)
    return {v["timepoint"]: v for v in lesion["timepoints"]}


def test_review_file_holds_the_known_differences(review):
    l1 = values_of(review, "L1")["T2"]
    assert (l1["a_mm"], l1["b_mm"]) == (20.0, 22.0)
    assert l1["diff_mm"] == pytest.approx(2.0)
    assert l1["diff_pct"] == pytest.approx(10.0)
    assert l1["in_noise_band"] is True
    l3 = values_of(review, "L3")["T1"]
    assert (l3["a_mm"], l3["b_mm"], l3["diff_mm"]) == (20.0, 30.0, 10.0)
    assert l3["diff_pct"] == pytest.approx(50.0)
    assert l3["in_noise_band"] is False
    # the node contributes its short axis, equal in both readings
    assert values_of(review, "L5")["T1"]["a_mm"] == 11.0
    assert values_of(review, "L5")["T1"]["diff_mm"] == 0.0

    assert review["targets"]["same"] is False
    assert review["targets"]["only_a"] == ["L4"]
    assert review["targets"]["only_b"] == ["N1"]
    targets = {x["a"]: x["target_in_both"] for x in review["lesions"]}
    assert targets == {
        "L1": True,
        "L2": True,
        "L3": True,
        "L4": False,
        "L5": True,
        "N1": False,
        "X1": False,
    }

    cats = {c["timepoint"]: c for c in review["categories"]}
    assert (cats["T1"]["a"]["target"], cats["T1"]["b"]["target"]) == ("PR", "SD")
    assert (cats["T1"]["a"]["overall"], cats["T1"]["b"]["overall"]) == ("PR", "SD")
    assert cats["T1"]["agree"]["overall"] is False
    assert cats["T2"]["agree"] == {
        "target": True,
        "non_target": True,
        "new_lesions": True,
        "overall": True,
    }

    s = review["summary"]
    assert s["n_pairs"] == 12
    assert s["bias_mm"] == pytest.approx(1.0)
    assert s["mean_abs_diff_mm"] == pytest.approx(1.0)
    assert s["sd_diff_mm"] == pytest.approx(EXPECTED_SD_MM)
    assert s["loa_mm"] == pytest.approx(list(EXPECTED_LOA_MM))
    assert s["loa_mm"] == pytest.approx([-4.6683, 6.6683], abs=1e-4)
    assert s["bias_pct"] == pytest.approx(5.0)
    assert (s["n_in_noise_band"], s["n_band_checked"]) == (11, 12)
    assert (s["overall_agreeing"], s["overall_compared"]) == (1, 2)
    assert s["kappa"] is None
    assert s["kappa_note"] == "not computed: 2 paired categories, at least 5 needed"


def test_review_file_names_the_readings_and_the_verdict(review, reading_a, tmp_path):
    assert review["format"] == REVIEW_FORMAT
    assert review["created"] == "2026-12-04T09:30:00+00:00"
    assert review["reading_a"]["reader"] == "Dr A. First"
    assert review["reading_b"]["reader"] == "Dr B. Second"
    assert review["reading_a"]["source"] == "first.json"
    assert review["reading_a"]["role"] == "reference"
    assert review["reading_a"]["id"] == reading_identity(reading_a)["id"]
    assert review["reading_a"]["id"] != review["reading_b"]["id"]
    assert review["peer_review"] == {
        "score": "significant-likely",
        "score_text": "Significant discrepancy, likely to matter clinically",
        "comment": "L3 at the nadir measured across two lesions; T1 becomes SD.",
        "reviewer": "Dr R. Viewer",
    }
    # B's L3 changes 32 -> 30 -> 28 mm: -6.2% and -6.7%, inside the band
    changes_b = [c for c in review["changes"]["b"] if c["lesion"] == "L3"]
    assert [round(c["change_pct"], 1) for c in changes_b] == [-6.2, -6.7]
    assert all(c["in_noise_band"] for c in changes_b)

    path = tmp_path / "review.json"
    write_review(path, review)
    assert json.loads(path.read_text(encoding="utf-8")) == review


def test_reading_id_ignores_key_order(reading_a):
    shuffled = dict(reversed(list(reading_a.items())))
    assert reading_identity(shuffled)["id"] == reading_identity(reading_a)["id"]


def test_unknown_score_is_refused():
    with pytest.raises(ReviewError, match="score 'major' is not known; use one of"):
        PeerReview("major")


def test_unscored_review_says_so(reading_a):
    review = build_review(reading_a, reading_a)
    assert review["peer_review"]["score"] is None
    assert review["peer_review"]["score_text"] == "not scored"
    assert review["targets"]["same"] is True
    assert review["summary"]["n_in_noise_band"] == 15


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    run = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(run.stdout.split())


def test_review_pdf_shows_the_numbers(review, tmp_path):
    path = tmp_path / "review.pdf"
    pages = write_review_pdf(path, review)
    text = pdf_text(path)
    assert pages == 2
    assert "Page 1 of 2" in text and "Page 2 of 2" in text
    assert "Peer review of a RECIST 1.1 reading" in text
    assert "Reading A (reference): Dr A. First, first.json" in text
    assert "Reading B (reviewed): Dr B. Second, second.json" in text
    assert "Significant discrepancy, likely to matter clinically" in text
    assert (
        "Comment: L3 at the nadir measured across two lesions; T1 becomes SD." in text
    )
    assert "Target lesions: different. Only in A: L4; only in B: N1." in text
    # per lesion: L1 at T2 and L3 at T1
    assert "L1 target T2 20.0 mm 22.0 mm +2.0 mm +10.0% inside" in text
    assert "L3 target T1 20.0 mm 30.0 mm +10.0 mm +50.0% OUTSIDE" in text
    assert "L4 target / non-target T0 22.0 mm – – – –" in text
    assert "T1 Target PR SD DISAGREE" in text
    assert "T1 Overall PR SD DISAGREE" in text
    assert "T2 Overall PD PD agree" in text
    # summary figures
    assert "Mean difference (bias) +1.0 mm" in text
    assert "Mean absolute difference 1.0 mm" in text
    assert "95% limits of agreement −4.7 mm to +6.7 mm" in text
    assert "Differences inside the noise band 11 of 12" in text
    assert "Overall response agreement 1 of 2 (50.0%)" in text
    assert "not enough lesions: 2 paired categories, at least 5 needed" in text
    assert "B L3 T0 → T1 −2.0 mm −6.2%" in text


def test_compare_writes_the_review_pdf_and_file(reading_a, reading_b, tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(reading_a), encoding="utf-8")
    b.write_text(json.dumps(reading_b), encoding="utf-8")
    out_pdf, out_json = tmp_path / "out" / "review.pdf", tmp_path / "out" / "r.json"
    out_pdf.parent.mkdir()
    code = main(
        [
            "compare",
            str(a),
            str(b),
            "--review-pdf",
            str(out_pdf),
            "--review-json",
            str(out_json),
            "--score",
            "minor",
            "--comment",
            "L1 slightly long",
            "--reviewer",
            "Dr R. Viewer",
        ]
    )
    assert code == 0
    assert "L3      T1         20.0    30.0    +10.0     +50.0%   OUTSIDE" in (
        capsys.readouterr().out
    )
    written = json.loads(out_json.read_text(encoding="utf-8"))
    assert written["peer_review"]["score"] == "minor"
    assert written["peer_review"]["comment"] == "L1 slightly long"
    assert written["reading_b"]["source"] == "b.json"
    assert written["summary"]["bias_mm"] == pytest.approx(1.0)
    text = pdf_text(out_pdf)
    assert "Minor discrepancy" in text and "Comment: L1 slightly long" in text


def test_review_of_a_measurement_report_against_a_case_file(
    demo_folder, reading_a, reading_b, tmp_path, capsys
):
    headers = {
        str(ds.SOPInstanceUID): ds
        for ds in (
            pydicom.dcmread(path, stop_before_pixels=True)
            for path in sorted(demo_folder.rglob("*.dcm"))
        )
    }
    report = tmp_path / "first.dcm"
    write_sr(report, reading_a, headers)
    b = tmp_path / "second.json"
    b.write_text(json.dumps(reading_b), encoding="utf-8")
    out = tmp_path / "review.json"
    assert main(["compare", str(report), str(b), "--review-json", str(out)]) == 0
    review = json.loads(out.read_text(encoding="utf-8"))
    assert review["reading_a"]["source"] == "first.dcm"
    assert review["reading_a"]["reader"] == "Dr A. First"
    l3 = values_of(review, "L3")["T1"]
    assert (l3["a_mm"], l3["b_mm"], l3["in_noise_band"]) == (20.0, 30.0, False)
    assert review["targets"]["only_a"] == ["L4"]
    assert review["summary"]["n_pairs"] == 12
    assert review["summary"]["bias_mm"] == pytest.approx(1.0)


def test_compare_refuses_a_score_without_an_output(reading_a, tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(reading_a), encoding="utf-8")
    assert main(["compare", str(a), str(a), "--score", "concur"]) == 2
    assert "add --review-pdf OUT.pdf and/or --review-json OUT.json" in (
        capsys.readouterr().err
    )


def test_compare_never_writes_over_a_reading(reading_a, tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(reading_a), encoding="utf-8")
    before = a.read_bytes()
    assert main(["compare", str(a), str(a), "--review-json", str(a)]) == 2
    assert f"{a}: is one of the readings; choose another file" in (
        capsys.readouterr().err
    )
    assert a.read_bytes() == before


def test_compare_names_a_missing_output_folder(reading_a, tmp_path, capsys):
    a = tmp_path / "a.json"
    a.write_text(json.dumps(reading_a), encoding="utf-8")
    out = tmp_path / "none" / "r.pdf"
    assert main(["compare", str(a), str(a), "--review-pdf", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: the folder {out.parent} does not exist" in err


def test_train_score_counts_the_known_differences(
    reading_a, reading_b, tmp_path, capsys
):
    a, b = tmp_path / "teacher.json", tmp_path / "trainee.json"
    a.write_text(json.dumps(reading_a), encoding="utf-8")
    b.write_text(json.dumps(reading_b), encoding="utf-8")
    assert main(["train-score", str(a), str(b), "--tolerance-mm", "1.5"]) == 0
    out = capsys.readouterr().out
    assert "lesion selection: 66.7%" in out
    assert "targets missed: L4" in out
    assert "targets not in the reference: N1" in out
    assert "measurements within 1.5 mm: 10 of 12 (83.3%)" in out
    assert "L1 T2: reference 20.0 mm, trainee 22.0 mm, +2.0 mm  OUTSIDE" in out
    assert "overall responses agreeing: 1 of 2 (50.0%)" in out
    assert "score: 66.7%" in out

    # 2.0 mm is within 10% of 20 mm; 10 mm of 20 mm is not
    assert main(["train-score", str(a), str(b), "--tolerance-pct", "10", "--json"]) == 0
    score = json.loads(capsys.readouterr().out)
    assert (score["measurements_within"], score["measurements_scored"]) == (11, 12)
    assert score["tolerance"] == {"mm": None, "pct": 10.0}


def test_train_score_refuses_two_tolerances(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train-score", "a", "b", "--tolerance-mm", "1", "--tolerance-pct", "5"])
    assert "not allowed with argument" in capsys.readouterr().err


def write_course(folder: Path, reading_a: dict, reading_b: dict) -> Path:
    for name, trainee in (("case-1", reading_b), ("case-2", reading_a)):
        case = folder / name
        case.mkdir(parents=True)
        (case / "reference.json").write_text(json.dumps(reading_a), encoding="utf-8")
        (case / "trainee.json").write_text(json.dumps(trainee), encoding="utf-8")
    return folder


def test_train_summary_over_a_course_folder(reading_a, reading_b, tmp_path, capsys):
    course = write_course(tmp_path / "course", reading_a, reading_b)
    assert main(["train-summary", str(course), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    s = result["summary"]
    assert [c["case"] for c in result["cases"]] == ["case-1", "case-2"]
    # case 1: 12 pairs (+2, +10, ten zeros); case 2 (identical): 15 zero pairs
    assert s["n_cases"] == 2
    assert s["n_pairs"] == 27
    assert s["bias_mm"] == pytest.approx(12 / 27)
    assert s["mean_abs_diff_mm"] == pytest.approx(12 / 27)
    assert (s["categories_agreeing"], s["categories_compared"]) == (3, 4)
    assert s["category_agreement"] == pytest.approx(0.75)
    # case 1 at the default 2 mm: selection 4/6, 11 of 12 within, 1 of 2 responses
    case_1 = (4 / 6 + 11 / 12 + 1 / 2) / 3
    assert result["cases"][0]["score"] == pytest.approx(case_1)
    assert s["mean_score"] == pytest.approx((case_1 + 1.0) / 2)

    assert main(["train-summary", str(course / "case-1"), str(course / "case-2")]) == 0
    out = capsys.readouterr().out
    assert "summary over 2 case(s):" in out
    assert "mean absolute difference: 0.4 mm" in out
    assert "bias (trainee - reference): +0.4 mm" in out
    assert "overall response agreement: 3 of 4 (75.0%)" in out


def test_training_folder_problems_are_named(tmp_path, reading_a):
    with pytest.raises(TrainingFolderError, match="no-such: no such folder"):
        find_training_cases([tmp_path / "no-such"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TrainingFolderError, match="holds no training case"):
        find_training_cases([empty])
    twice = tmp_path / "twice"
    twice.mkdir()
    for name in ("reference.json", "reference.dcm", "trainee.json"):
        (twice / name).write_text("{}", encoding="utf-8")
    with pytest.raises(
        TrainingFolderError, match="reference.json and reference.dcm; keep one"
    ):
        find_training_cases([twice])


def test_cli_errors_are_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "app", "train-summary", str(tmp_path / "none")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NADIR_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == f"nadir: error: {tmp_path / 'none'}: no such folder\n"
