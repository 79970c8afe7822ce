"""A derived prior: valid DICOM, a new study, and anatomy moved by the stated truth."""

import datetime
import json
import shutil
import subprocess

import numpy as np
import pydicom
import pytest

from app.cli import main
from tests.body_phantom import apply, phantom_volume, write_ct_series
from viewer import load_series
from viewer.derive import _months_before, derive_prior
from viewer.loader import LoadError
from viewer.sampling import sample_patient


@pytest.fixture
def source(tmp_path):
    """The folder of a phantom CT series dated 2026-03-15."""
    volume = phantom_volume((24, 64, 64), (5.0, 5.0, 6.0), noise_hu=5, seed=3)
    write_ct_series(volume, tmp_path / "current", study_date="20260315")
    return tmp_path / "current"


def test_the_phantom_series_loads_with_its_geometry(source):
    volume = load_series(source)
    assert volume.shape == (24, 64, 64)
    assert volume.spacing_ijk_mm == (5.0, 5.0, 6.0)
    assert np.all(np.diff(volume.slice_positions_lps_mm[:, 2]) == pytest.approx(6.0))
    assert volume.voxels.dtype == np.int16
    # air, back in HU through the rescale (noise of 5 HU)
    assert volume.voxels[:, :4, :4].mean() == pytest.approx(-1000, abs=2)
    assert len(set(volume.sop_instance_uids)) == 24


def test_derived_prior_is_a_new_earlier_study_of_the_same_patient(source, tmp_path):
    derived = derive_prior(source, tmp_path / "prior", (2.0, -1.0, 4.0), (25, -15, 30))

    assert len(derived.files) == 24
    original = pydicom.dcmread(sorted(source.iterdir())[0])
    written = [pydicom.dcmread(path) for path in derived.files]
    for ds in written:
        assert ds.StudyInstanceUID == derived.study_instance_uid
        assert ds.SeriesInstanceUID == derived.series_instance_uid
        assert ds.FrameOfReferenceUID == derived.frame_of_reference_uid
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.PatientID == original.PatientID
        assert ds.StudyDate == "20250915"
        assert list(ds.ImageType[:2]) == ["DERIVED", "SECONDARY"]
    new_uids = {ds.SOPInstanceUID for ds in written}
    assert len(new_uids) == 24
    assert not new_uids & set(derived.source_volume.sop_instance_uids)
    assert derived.study_instance_uid != original.StudyInstanceUID
    assert derived.series_instance_uid != original.SeriesInstanceUID
    assert derived.frame_of_reference_uid != original.FrameOfReferenceUID


def test_derived_voxels_show_the_source_anatomy_through_the_truth(source, tmp_path):
    derived = derive_prior(source, tmp_path / "prior", (0.0, 0.0, 4.0), (25, -15, 30))
    reread = load_series(tmp_path / "prior")
    current = derived.source_volume
    np.testing.assert_array_equal(reread.voxels, derived.volume.voxels)
    np.testing.assert_allclose(
        reread.slice_positions_lps_mm, current.slice_positions_lps_mm
    )

    # derived voxel centres, mapped by the truth, land on the same values in the source
    rng = np.random.default_rng(0)
    ijk = rng.uniform([10, 10, 4], [54, 54, 20], size=(400, 3)).round()
    derived_points = reread.to_patient(ijk)
    source_points = apply(derived.truth_derived_to_source, derived_points)
    expected = sample_patient(current, source_points, fill=np.nan)
    actual = reread.voxels[
        ijk[:, 2].astype(int), ijk[:, 1].astype(int), ijk[:, 0].astype(int)
    ]
    seen = ~np.isnan(expected)
    assert seen.sum() > 300
    np.testing.assert_allclose(actual[seen], expected[seen], atol=0.51)
    assert np.all(actual[~seen] == current.voxels.min())
    assert np.ptp(actual) > 500  # the samples span air, lung and soft tissue


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy not installed")
def test_derived_slices_pass_the_dicom_validator(source, tmp_path):
    derived = derive_prior(source, tmp_path / "prior")
    report = subprocess.run(
        ["dciodvfy", str(derived.files[5])], capture_output=True, text=True, check=False
    )
    output = report.stdout + report.stderr
    assert "CTImage" in output
    assert [line for line in output.splitlines() if line.startswith("Error")] == []


def test_never_writes_into_the_source_folder(source, tmp_path):
    with pytest.raises(ValueError, match="inside the source folder"):
        derive_prior(source, tmp_path / "current" / "prior")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "note.txt").write_text("x")
    with pytest.raises(ValueError, match="is not empty"):
        derive_prior(source, tmp_path / "used")


def test_a_folder_of_two_series_is_refused(tmp_path, source):
    derived = derive_prior(source, tmp_path / "mixed" / "prior")
    write_ct_series(derived.source_volume, tmp_path / "mixed" / "current")
    message = "2 image stacks found: .*Pass the folder of one series"
    with pytest.raises(LoadError, match=message):
        derive_prior(tmp_path / "mixed", tmp_path / "again")


@pytest.mark.parametrize(
    ("date", "months", "expected"),
    [
        (datetime.date(2026, 8, 31), 6, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 3, 15), 6, datetime.date(2025, 9, 15)),
        (datetime.date(2026, 1, 10), 13, datetime.date(2024, 12, 10)),
    ],
)
def test_months_before_keeps_a_valid_day(date, months, expected):
    assert _months_before(date, months) == expected


def test_register_command_prints_the_known_transform(source, tmp_path, capsys):
    truth_angles, truth_shift = (0.0, 0.0, 3.0), (12.0, -8.0, 10.0)
    derived = derive_prior(source, tmp_path / "prior", truth_angles, truth_shift)

    code = main(["register", str(source), str(tmp_path / "prior"), "--json"])

    assert code == 0
    data = json.loads(capsys.readouterr().out)
    matrix = np.asarray(data["matrix_moving_to_fixed"])
    # body points of the prior land where the truth puts them, within 1 mm
    points = np.array([[0.0, 0.0, 0.0], [-70.0, 10.0, 30.0], [60.0, -10.0, -70.0]])
    expected = apply(derived.truth_derived_to_source, points)
    np.testing.assert_allclose(apply(matrix, points), expected, atol=1.0)
    assert data["metric_value"] < -0.3


def test_register_command_text_output_and_bad_path(source, tmp_path, capsys):
    derive_prior(source, tmp_path / "prior")
    assert main(["register", str(source), str(tmp_path / "prior")]) == 0
    out = capsys.readouterr().out
    assert "moving -> fixed (patient LPS, mm):" in out
    assert "metric (Mattes mutual information): -" in out

    assert main(["register", str(tmp_path / "nowhere"), str(tmp_path / "prior")]) == 2
    assert "FIXED_SERIES" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["register", str(source), str(tmp_path / "empty")]) == 2
    assert "MOVING_SERIES" in (err := capsys.readouterr().err)
    assert "no loadable image stack found" in err
