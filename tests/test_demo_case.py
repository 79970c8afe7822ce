"""The demo case: its DICOM, read back with pydicom only, against its ground truth."""

import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest

from viewer.demo_case import (
    COMPLETE_MARKER,
    EXPECTED_CASE,
    GROUND_TRUTH,
    LESIONS,
    STUDIES,
    is_complete,
    write_demo_case,
)
from viewer.volume import Volume

SMALL = {"size": 128, "slices": 40}
# HU of the tissue around each lesion in the phantom.
SURROUNDING_HU = {"lung": -850.0, "liver": 60.0, "mediastinal node": -90.0}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "case"
    write_demo_case(folder, **SMALL)
    truth = json.loads((folder / GROUND_TRUTH).read_text())
    return (
        folder,
        truth,
        {s["label"]: load_series(folder / s["folder"]) for s in truth["studies"]},
    )


def load_series(folder):
    """A Volume in HU from the headers, and the datasets in Volume order."""
    datasets = [pydicom.dcmread(path) for path in sorted(folder.glob("*.dcm"))]
    iop = np.array([float(v) for v in datasets[0].ImageOrientationPatient])
    normal = np.cross(iop[:3], iop[3:])
    positions = np.array(
        [[float(v) for v in ds.ImagePositionPatient] for ds in datasets]
    )
    order = np.argsort(positions @ normal)
    datasets = [datasets[k] for k in order]
    hu = np.stack(
        [
            ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            for ds in datasets
        ]
    ).astype(np.float32)
    spacing = tuple(float(v) for v in datasets[0].PixelSpacing)
    volume = Volume(hu, positions[order], iop[:3], iop[3:], spacing)
    return volume, datasets


def hu_at(volume, points_lps_mm):
    """Bilinear HU within the nearest slice at patient points (..., 3)."""
    ijk = volume.from_patient(points_lps_mm)
    k = np.rint(ijk[..., 2]).astype(int)
    i, j = ijk[..., 0], ijk[..., 1]
    i0, j0 = np.floor(i).astype(int), np.floor(j).astype(int)
    fi, fj = i - i0, j - j0
    v = volume.voxels
    return (
        v[k, j0, i0] * (1 - fi) * (1 - fj)
        + v[k, j0, i0 + 1] * fi * (1 - fj)
        + v[k, j0 + 1, i0] * (1 - fi) * fj
        + v[k, j0 + 1, i0 + 1] * fi * fj
    )


def measured_diameter_mm(volume, centre, direction, true_mm, lesion_hu, around_hu):
    """Length of the run above the mid-threshold through the centre along a line."""
    t = np.arange(-(true_mm / 2 + 6.0), true_mm / 2 + 6.0, 0.05)
    profile = hu_at(volume, np.asarray(centre) + t[:, None] * np.asarray(direction))
    threshold = (lesion_hu + around_hu) / 2
    inside = (profile > threshold) if lesion_hu > around_hu else (profile < threshold)
    centre_index = len(t) // 2
    assert inside[centre_index]
    lo = centre_index
    while lo > 0 and inside[lo - 1]:
        lo -= 1
    hi = centre_index
    while hi < len(t) - 1 and inside[hi + 1]:
        hi += 1
    return t[hi] - t[lo]


def lesion_entries(truth):
    for lesion in truth["lesions"]:
        for label, entry in lesion["studies"].items():
            if entry["present"]:
                yield lesion, label, entry


def test_three_studies_one_patient_dates_ordered_own_frames(small_demo):
    folder, truth, series = small_demo
    labels = [s["label"] for s in truth["studies"]]
    assert labels == ["baseline", "nadir", "current"]
    assert [s["date"] for s in truth["studies"]] == [
        "2026-01-12",
        "2026-04-14",
        "2026-07-15",
    ]
    for study in truth["studies"]:
        _, datasets = series[study["label"]]
        assert len(datasets) == 40
        first = datasets[0]
        assert {ds.StudyInstanceUID for ds in datasets} == {study["study_uid"]}
        assert {ds.SeriesInstanceUID for ds in datasets} == {study["series_uid"]}
        assert {ds.FrameOfReferenceUID for ds in datasets} == {
            study["frame_of_reference_uid"]
        }
        assert len({ds.SOPInstanceUID for ds in datasets}) == 40
        assert first.StudyDate == study["date"].replace("-", "")
        assert (first.PatientID, first.Modality, float(first.KVP)) == (
            "NADIR-DEMO-001",
            "CT",
            120,
        )
        assert (first.Rows, first.Columns) == (128, 128)
        assert [float(v) for v in first.PixelSpacing] == [400 / 128, 400 / 128]
        assert float(first.SliceThickness) == pytest.approx(195 / 40)
        assert list(first.WindowCenterWidthExplanation)[:2] == ["SOFT TISSUE", "LUNG"]
    assert len({s["frame_of_reference_uid"] for s in truth["studies"]}) == 3
    assert len({s["study_uid"] for s in truth["studies"]}) == 3
    # the baseline stores unsigned values with intercept -1024, the others signed
    encodings = [
        (
            series[label][1][0].PixelRepresentation,
            float(series[label][1][0].RescaleIntercept),
        )
        for label in labels
    ]
    assert encodings == [(0, -1024.0), (1, 0.0), (1, -1024.0)]


def test_poses_differ_by_the_documented_shift_and_rotation(small_demo):
    _, truth, _ = small_demo
    poses = {s["label"]: np.array(s["pose_body_to_patient"]) for s in truth["studies"]}
    yaw = {
        label: math.degrees(math.atan2(m[1, 0], m[0, 0])) for label, m in poses.items()
    }
    assert yaw == pytest.approx(
        {"baseline": 0.0, "nadir": 4.0, "current": -3.0}, abs=1e-9
    )
    for matrix in poses.values():
        np.testing.assert_allclose(matrix[2, :3], [0, 0, 1], atol=1e-12)  # about z only
    relative = np.linalg.inv(poses["baseline"]) @ poses["nadir"]
    np.testing.assert_allclose(relative[:3, 3], [-26.0, -18.0, 34.5], atol=1e-9)
    relative = np.linalg.inv(poses["baseline"]) @ poses["current"]
    np.testing.assert_allclose(relative[:3, 3], [11.0, 13.0, -36.0], atol=1e-9)


def test_body_outline_in_the_images_follows_each_pose(small_demo):
    # The body outline is an ellipse centred on the body origin with its long axis
    # along body x: its centroid and principal axis on a slice give t and the yaw.
    _, truth, series = small_demo
    for study in truth["studies"]:
        volume, _ = series[study["label"]]
        k = volume.shape[0] // 2
        mask = volume.voxels[k] > -950
        j, i = np.nonzero(mask)
        points = volume.to_patient(np.stack([i, j, np.full(i.shape, k)], axis=-1))
        centroid = points.mean(axis=0)
        np.testing.assert_allclose(centroid[:2], study["translation_mm"][:2], atol=0.5)
        covariance = np.cov((points[:, :2] - centroid[:2]).T)
        values, vectors = np.linalg.eigh(covariance)
        major = vectors[:, np.argmax(values)]
        angle = math.degrees(math.atan2(major[1], major[0]))
        angle = (angle + 90) % 180 - 90
        assert angle == pytest.approx(study["yaw_deg"], abs=0.5)


def test_lesion_centres_lie_on_a_slice_and_stand_out(small_demo):
    _, truth, series = small_demo
    checked = 0
    for lesion, label, entry in lesion_entries(truth):
        volume, datasets = series[label]
        ijk = volume.from_patient(entry["centre_lps_mm"])
        assert volume.contains(ijk)
        assert ijk[2] == pytest.approx(round(ijk[2]), abs=1e-3)
        dataset = datasets[round(ijk[2])]
        assert dataset.SOPInstanceUID == entry["sop_instance_uid"]
        assert dataset.InstanceNumber == entry["instance_number"]
        centre = np.asarray(entry["centre_lps_mm"])
        inside = float(hu_at(volume, centre))
        beyond = centre + np.asarray(entry["short_axis_direction_lps"]) * (
            entry["short_mm"] / 2 + 5
        )
        outside = float(hu_at(volume, beyond))
        assert inside == pytest.approx(lesion["hu"], abs=30)
        assert outside == pytest.approx(SURROUNDING_HU[lesion["organ"]], abs=30)
        checked += 1
    assert checked == 6 * 3 + 1


def test_lesion_axes_measure_true_within_one_pixel(small_demo):
    _, truth, series = small_demo
    pixel_mm = 400 / 128
    for lesion, label, entry in lesion_entries(truth):
        volume, _ = series[label]
        around = SURROUNDING_HU[lesion["organ"]]
        for axis in ("long", "short"):
            measured = measured_diameter_mm(
                volume,
                entry["centre_lps_mm"],
                entry[f"{axis}_axis_direction_lps"],
                entry[f"{axis}_mm"],
                lesion["hu"],
                around,
            )
            assert measured == pytest.approx(entry[f"{axis}_mm"], abs=pixel_mm), (
                lesion["id"],
                label,
                axis,
            )


def test_lesions_shrink_at_nadir_regrow_and_one_is_new(small_demo):
    _, truth, _ = small_demo
    by_id = {lesion["id"]: lesion for lesion in truth["lesions"]}
    for lesion_id in ("L1", "L2", "L3", "L4", "L5", "N1"):
        studies = by_id[lesion_id]["studies"]
        base, nadir, current = (
            studies[s]["long_mm"] for s in ("baseline", "nadir", "current")
        )
        assert nadir < base and nadir < current
    new = by_id["X1"]
    assert new["kind"] == "new"
    assert [new["studies"][s]["present"] for s in ("baseline", "nadir", "current")] == [
        False,
        False,
        True,
    ]
    organs = [
        lesion["organ"] for lesion in truth["lesions"] if lesion["kind"] == "target"
    ]
    assert sorted(organs) == ["liver", "liver", "lung", "lung", "mediastinal node"]
    node = by_id["L5"]
    assert node["node"] and node["studies"]["baseline"]["short_mm"] >= 15
    # long axis end points lie on the long axis, in the axial plane
    for _, _, entry in lesion_entries(truth):
        a, b = np.asarray(entry["long_axis_end_points_lps_mm"])
        assert np.linalg.norm(b - a) == pytest.approx(entry["long_mm"], abs=1e-3)
        assert a[2] == pytest.approx(b[2], abs=1e-9)


def test_expected_case_holds_the_true_table_and_hand_computed_responses(small_demo):
    folder, truth, _ = small_demo
    case = json.loads((folder / EXPECTED_CASE).read_text())
    assert case["format"] == "nadir-case/1"
    assert case["patient"] == {"id": "NADIR-DEMO-001"}
    assert [(t["id"], t["study_uid"]) for t in case["timepoints"]] == [
        (s["timepoint_id"], s["study_uid"]) for s in truth["studies"]
    ]
    assert case["timepoints"][0]["baseline"] is True
    targets = [lesion for lesion in case["lesions"] if lesion["kind"] == "target"]
    assert len(targets) == 5
    sums = {}
    for tp in ("T0", "T1", "T2"):
        sums[tp] = sum(
            t["measurements"][tp]["short_mm" if t["node"] else "long_mm"]
            for t in targets
        )
    expected = truth["expected"]["timepoints"]
    assert sums == {"T0": 114.0, "T1": 71.0, "T2": 100.0}
    assert {tp: expected[tp]["sum_mm"] for tp in sums} == sums
    # RECIST.md: PR when sum <= 0.70 x baseline; PD when >= 1.20 x nadir and +5 mm
    assert sums["T1"] <= 0.70 * sums["T0"] and expected["T1"]["target"] == "PR"
    assert sums["T2"] >= 1.2 * sums["T1"] and sums["T2"] - sums["T1"] >= 5
    assert (expected["T2"]["target"], expected["T2"]["overall"]) == ("PD", "PD")
    assert expected["T1"]["change_from_baseline_pct"] == round(
        (71 - 114) / 114 * 100, 1
    )
    assert expected["T2"]["change_from_nadir_pct"] == round((100 - 71) / 71 * 100, 1)
    new = next(lesion for lesion in case["lesions"] if lesion["kind"] == "new")
    assert (new["first_seen"], new["assessments"]) == ("T2", {"T2": "unequivocal"})
    l1 = next(lesion for lesion in case["lesions"] if lesion["id"] == "L1")
    image = l1["measurements"]["T1"]["image"]
    nadir_truth = next(le for le in truth["lesions"] if le["id"] == "L1")["studies"][
        "nadir"
    ]
    assert image["sop_uid"] == nadir_truth["sop_instance_uid"]
    assert image["points_mm"] == nadir_truth["long_axis_end_points_lps_mm"]


def test_marker_is_written_last_and_matches_the_size(small_demo):
    folder, _, _ = small_demo
    assert is_complete(folder, **SMALL)
    assert not is_complete(folder, size=512, slices=130)
    marker_time = (folder / COMPLETE_MARKER).stat().st_mtime_ns
    newest = max(
        p.stat().st_mtime_ns for p in folder.rglob("*") if p.name != COMPLETE_MARKER
    )
    assert marker_time >= newest


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy not installed")
def test_demo_slice_passes_dciodvfy(small_demo):
    folder, truth, _ = small_demo
    for study in truth["studies"]:
        path = folder / study["folder"] / "IM00020.dcm"
        result = subprocess.run(
            ["dciodvfy", str(path)], capture_output=True, text=True, check=False
        )
        output = result.stdout + result.stderr
        assert "CTImage" in output
        assert [line for line in output.splitlines() if "Error" in line] == []


def nadir(*args):
    """Run the real command line in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_demo_command_writes_once(tmp_path):
    folder = tmp_path / "demo"
    args = [
        "demo",
        "--no-window",
        "--dir",
        str(folder),
        "--size",
        "48",
        "--slices",
        "12",
    ]
    first = nadir(*args)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines() == [
        f"Writing the demo case into {folder} ...",
        f"Demo case: {folder}",
    ]
    assert is_complete(folder, size=48, slices=12)
    files = [folder / "20260112-baseline" / "IM00001.dcm", folder / GROUND_TRUTH]
    stamps = [p.stat().st_mtime_ns for p in files]

    second = nadir(*args)
    assert (second.returncode, second.stdout) == (0, f"Demo case: {folder}\n")
    assert [p.stat().st_mtime_ns for p in files] == stamps


def test_rewriting_at_another_size_leaves_no_stale_slices(tmp_path):
    folder = write_demo_case(tmp_path / "demo", size=32, slices=12)
    write_demo_case(folder, size=32, slices=8)
    assert is_complete(folder, size=32, slices=8)
    assert not is_complete(folder, size=32, slices=12)
    for study in json.loads((folder / GROUND_TRUTH).read_text())["studies"]:
        assert len(list((folder / study["folder"]).glob("*.dcm"))) == 8


def test_too_small_a_demo_is_refused(tmp_path):
    with pytest.raises(ValueError, match="got size 16 and slices 40"):
        write_demo_case(tmp_path / "demo", size=16, slices=40)
    assert not (tmp_path / "demo").exists()


def test_demo_command_defaults_to_the_data_folder(private_data_dir):
    result = nadir("demo", "--no-window", "--size", "32", "--slices", "8")
    assert result.returncode == 0
    assert is_complete(private_data_dir / "demo", size=32, slices=8)


def test_demo_command_refuses_a_file_as_folder(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    result = nadir("demo", "--no-window", "--dir", str(target))
    assert result.returncode == 2
    assert result.stderr == (
        f"nadir: error: --dir {target} is a file; give a folder for the demo case\n"
    )
    assert target.read_text() == "x"


@pytest.fixture
def full_demo(tmp_path):
    """The demo at its real size, removed afterwards (200 MB pytest would keep)."""
    started = time.perf_counter()
    folder = write_demo_case(tmp_path / "full")
    seconds = time.perf_counter() - started
    print(f"full demo (3 x 130 x 512 x 512) written in {seconds:.1f} s")
    yield folder
    shutil.rmtree(folder)


@pytest.mark.slow
def test_full_size_demo(full_demo):
    truth = json.loads((full_demo / GROUND_TRUTH).read_text())
    pixel_mm = 400 / 512
    for study in truth["studies"]:
        volume, datasets = load_series(full_demo / study["folder"])
        assert volume.shape == (130, 512, 512)
        assert volume.slice_step_mm == pytest.approx(1.5)
        assert datasets[0].Rows == datasets[0].Columns == 512
        for lesion in truth["lesions"]:
            entry = lesion["studies"][study["label"]]
            if not entry["present"]:
                continue
            for axis in ("long", "short"):
                measured = measured_diameter_mm(
                    volume,
                    entry["centre_lps_mm"],
                    entry[f"{axis}_axis_direction_lps"],
                    entry[f"{axis}_mm"],
                    lesion["hu"],
                    SURROUNDING_HU[lesion["organ"]],
                )
                assert measured == pytest.approx(entry[f"{axis}_mm"], abs=pixel_mm)


def test_plans_follow_recist_target_rules():
    targets = [lesion for lesion in LESIONS if lesion.kind == "target"]
    assert len(targets) <= 5
    for organ in {lesion.organ for lesion in targets}:
        assert sum(lesion.organ == organ for lesion in targets) <= 2
    for lesion in targets:
        long_mm, short_mm = lesion.diameters_mm[0]
        assert short_mm >= 15 if lesion.node else long_mm >= 10
    assert [
        plan.acquired.date() < later.acquired.date()
        for plan, later in zip(STUDIES, STUDIES[1:], strict=False)
    ] == [True, True]


def test_demo_refuses_a_folder_holding_other_files(tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "letter.txt").write_text("keep")
    result = nadir("demo", "--no-window", "--dir", str(folder), "--size", "48")
    assert result.returncode == 2
    assert f"--dir {folder} holds other files" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["letter.txt"]
