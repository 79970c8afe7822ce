"""The synthetic CT writer and the analytic phantom: geometry, encoding, validity."""

import datetime as dt
import math
import shutil
import subprocess

import numpy as np
import pydicom
import pytest
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from viewer.phantom import Ellipsoid, Pose, cylinder, render_slice
from viewer.synthetic import (
    CTSeries,
    Patient,
    StackGeometry,
    Study,
    stored_value_range,
    write_ct_series,
)
from viewer.volume import Volume

TILTED_COLUMN = (0.0, math.cos(math.radians(15)), -math.sin(math.radians(15)))


def read_back(paths):
    datasets = [pydicom.dcmread(path) for path in paths]
    hu = np.stack(
        [
            ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
            for ds in datasets
        ]
    )
    return datasets, hu


def volume_from_headers(datasets, hu):
    row_col = np.array([float(v) for v in datasets[0].ImageOrientationPatient])
    row, col = row_col[:3], row_col[3:]
    normal = np.cross(row, col)
    positions = np.array(
        [[float(v) for v in ds.ImagePositionPatient] for ds in datasets]
    )
    order = np.argsort(positions @ normal)
    spacing = tuple(float(v) for v in datasets[0].PixelSpacing)
    return Volume(hu[order], positions[order], row, col, spacing)


def test_tilted_non_uniform_stack_keeps_its_geometry(tmp_path):
    positions = np.array(
        [[-10.0, -20.0, 5.0], [-10.0, -19.0, 7.5], [-10.0, -17.5, 11.25]]
    )
    geometry = StackGeometry(
        6, 5, positions, column_cosine=TILTED_COLUMN, pixel_spacing_mm=(0.7, 0.55)
    )
    voxels = np.arange(3 * 6 * 5, dtype=np.float64).reshape(3, 6, 5) * 7 - 300
    paths = write_ct_series(tmp_path, voxels, geometry)

    datasets, hu = read_back(paths)
    assert [p.name for p in paths] == ["IM00001.dcm", "IM00002.dcm", "IM00003.dcm"]
    np.testing.assert_array_equal(hu, voxels)
    for k, ds in enumerate(datasets):
        np.testing.assert_allclose(
            [float(v) for v in ds.ImagePositionPatient], positions[k]
        )
        assert ds.InstanceNumber == k + 1
        np.testing.assert_allclose(
            float(ds.SliceLocation), positions[k] @ geometry.normal, atol=1e-6
        )
    iop = [float(v) for v in datasets[0].ImageOrientationPatient]
    np.testing.assert_allclose(iop, [1, 0, 0, *TILTED_COLUMN], atol=1e-12)
    assert [float(v) for v in datasets[0].PixelSpacing] == [0.7, 0.55]

    volume = volume_from_headers(datasets, hu)
    assert not volume.is_uniform
    # pixel (i=4, j=5) of slice 2 lies at IPP + 4 * 0.55 * row + 5 * 0.7 * column
    expected = (
        positions[2]
        + 4 * 0.55 * np.array([1, 0, 0])
        + 5 * 0.7 * np.array(TILTED_COLUMN)
    )
    np.testing.assert_allclose(volume.to_patient([4, 5, 2]), expected, atol=1e-9)
    np.testing.assert_allclose(
        geometry.pixel_centres_lps_mm(2)[5, 4], expected, atol=1e-9
    )


def test_header_identifies_a_valid_ct_image(tmp_path):
    study = Study(study_datetime=dt.datetime(2026, 4, 14, 10, 2, 30))
    series = CTSeries(
        series_number=7,
        frame_of_reference_uid="1.2.3.4",
        acquisition_offset=dt.timedelta(minutes=1),
    )
    geometry = StackGeometry.regular(4, 4, 2, (0, 0, 0), (0, 0, 2.0), (1.0, 1.0))
    patient = Patient("TEST^ONE", "ID-7", dt.date(1960, 6, 1), "M")
    paths = write_ct_series(
        tmp_path, np.zeros((2, 4, 4)), geometry, patient, study, series
    )
    first, second = (pydicom.dcmread(p) for p in paths)

    assert first.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert first.file_meta.MediaStorageSOPClassUID == CTImageStorage
    assert first.file_meta.MediaStorageSOPInstanceUID == first.SOPInstanceUID
    assert first.SOPClassUID == CTImageStorage
    assert first.SOPInstanceUID != second.SOPInstanceUID
    assert (
        first.SeriesInstanceUID
        == second.SeriesInstanceUID
        == series.series_instance_uid
    )
    assert first.FrameOfReferenceUID == "1.2.3.4"
    assert (first.StudyDate, first.StudyTime) == ("20260414", "100230")
    assert (first.AcquisitionDate, first.AcquisitionTime) == ("20260414", "100330")
    assert first.PatientAge == "065Y"
    assert (first.Modality, first.PatientPosition, float(first.KVP)) == (
        "CT",
        "HFS",
        120,
    )
    assert first.SeriesNumber == 7
    assert list(first.WindowCenterWidthExplanation) == [
        "SOFT TISSUE",
        "LUNG",
        "BONE",
        "LIVER",
    ]
    assert [float(v) for v in first.WindowCenter] == [40, -600, 400, 60]
    assert [float(v) for v in first.WindowWidth] == [400, 1500, 1800, 160]


@pytest.mark.parametrize(
    ("signed", "bits", "intercept", "slope", "low_hu", "high_hu"),
    [
        (False, 12, -1024.0, 1.0, -1024.0, 3071.0),
        (True, 16, 0.0, 1.0, -32768.0, 32767.0),
        (True, 12, -1024.0, 0.5, -1024.0 - 1024.0, -1024.0 + 1023.5),
    ],
)
def test_pixel_encoding_round_trips_and_clips(
    tmp_path, signed, bits, intercept, slope, low_hu, high_hu
):
    series = CTSeries(
        signed=signed,
        bits_stored=bits,
        rescale_intercept=intercept,
        rescale_slope=slope,
    )
    voxels = np.array(
        [[[-1000.0, 40.0], [700.0, -40000.0]], [[40000.0, 0.0], [-850.0, 60.5]]]
    )
    geometry = StackGeometry.regular(2, 2, 2, (0, 0, 0), (0, 0, 1), (1.0, 1.0))
    datasets, hu = read_back(write_ct_series(tmp_path, voxels, geometry, series=series))

    assert datasets[0].PixelRepresentation == int(signed)
    assert (datasets[0].BitsStored, datasets[0].HighBit) == (bits, bits - 1)
    expected = np.clip(
        np.round((voxels - intercept) / slope) * slope + intercept, low_hu, high_hu
    )
    np.testing.assert_allclose(hu, expected)
    low, high = stored_value_range(series)
    assert (low * slope + intercept, high * slope + intercept) == (low_hu, high_hu)


def test_bad_input_is_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="must be orthogonal"):
        StackGeometry(2, 2, np.zeros((1, 3)), column_cosine=(0.6, 0.8, 0.0))
    with pytest.raises(ValueError, match="must have unit length"):
        StackGeometry(2, 2, np.zeros((1, 3)), row_cosine=(1.0, 0.1, 0.0))
    with pytest.raises(ValueError, match=r"shaped \(slices, 3\)"):
        StackGeometry(2, 2, np.zeros((3, 2)))
    geometry = StackGeometry.regular(2, 2, 2, (0, 0, 0), (0, 0, 1), (1.0, 1.0))
    with pytest.raises(ValueError, match=r"slice 0 is shaped \(3, 2\)"):
        write_ct_series(tmp_path / "a", np.zeros((2, 3, 2)), geometry)
    with pytest.raises(ValueError, match="1 slices of voxels given for 2"):
        write_ct_series(tmp_path / "b", np.zeros((1, 2, 2)), geometry)
    with pytest.raises(ValueError, match="Bits Stored 8"):
        write_ct_series(
            tmp_path / "c",
            np.zeros((2, 2, 2)),
            geometry,
            series=CTSeries(bits_stored=8),
        )
    assert not (tmp_path / "c").exists()


def test_extra_attributes_reach_every_slice(tmp_path):
    geometry = StackGeometry.regular(2, 2, 2, (0, 0, 0), (0, 0.5, 2), (1.0, 1.0))
    series = CTSeries(extra_attributes={"GantryDetectorTilt": "14.5"})
    datasets, _ = read_back(
        write_ct_series(tmp_path, np.zeros((2, 2, 2)), geometry, series=series)
    )
    assert [float(ds.GantryDetectorTilt) for ds in datasets] == [14.5, 14.5]


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy not installed")
def test_written_slice_passes_dciodvfy(tmp_path):
    geometry = StackGeometry.regular(
        8, 8, 2, (-4, -4, 0), (0, 0, 2.5), (1.0, 1.0), column_cosine=TILTED_COLUMN
    )
    for signed in (False, True):
        series = CTSeries(
            signed=signed,
            bits_stored=12 if not signed else 16,
            rescale_intercept=-1024.0 if not signed else 0.0,
            contrast_bolus_agent="IOHEXOL 350",
        )
        paths = write_ct_series(
            tmp_path / str(signed), np.full((2, 8, 8), 40.0), geometry, series=series
        )
        result = subprocess.run(
            ["dciodvfy", str(paths[1])], capture_output=True, text=True, check=False
        )
        output = result.stdout + result.stderr
        assert "CTImage" in output
        assert [line for line in output.splitlines() if "Error" in line] == []


def test_pose_round_trip_and_angles():
    pose = Pose.from_angles(30.0, 0.0, (10.0, -5.0, 100.0))
    np.testing.assert_allclose(
        pose.to_patient([1.0, 0.0, 0.0]),
        [10 + math.cos(math.radians(30)), -5 + 0.5, 100],
    )
    points = np.array([[3.0, -7.0, 12.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        pose.to_body(pose.to_patient(points)), points, atol=1e-12
    )
    np.testing.assert_allclose(pose.matrix()[:3, 3], [10, -5, 100])
    # pitch turns the body's long axis (z) towards anterior (-y) before the yaw
    tilted = Pose.from_angles(0.0, 5.0, (0.0, 0.0, 0.0))
    np.testing.assert_allclose(
        tilted.to_patient([0.0, 0.0, 1.0]),
        [0.0, -math.sin(math.radians(5)), math.cos(math.radians(5))],
    )


def test_rendered_ellipsoid_has_its_true_diameters():
    # A 30 x 12 mm ellipse turned by 25 degrees in the body, the body turned by 10:
    # on the image its long axis lies at 35 degrees from the row direction.
    angle = math.radians(25)
    axes = np.array(
        [
            [math.cos(angle), -math.sin(angle), 0],
            [math.sin(angle), math.cos(angle), 0],
            [0, 0, 1],
        ]
    )
    shapes = [
        cylinder((0, 0), (60, 40), 40.0),
        Ellipsoid((5.0, 3.0, 0.0), (15.0, 6.0, 6.0), 300.0, axes),
    ]
    pose = Pose.from_angles(10.0, 0.0, (2.0, -1.0, 50.0))
    geometry = StackGeometry.regular(
        160, 160, 1, (-79.75, -79.75, 50.0), (0, 0, 1), (1.0, 1.0)
    )
    image = render_slice(shapes, geometry, 0, pose)

    centre = pose.to_patient([5.0, 3.0, 0.0])
    assert image[0, 0] == -1000.0
    for direction_deg, half in ((35.0, 15.0), (125.0, 6.0)):
        d = np.array(
            [
                math.cos(math.radians(direction_deg)),
                math.sin(math.radians(direction_deg)),
            ]
        )
        t = np.arange(-25.0, 25.0, 0.05)
        points = centre[:2] + t[:, None] * d
        profile = bilinear(image, points[:, 0] + 79.75, points[:, 1] + 79.75)
        inside = t[profile > (300 + 40) / 2]
        assert inside.max() - inside.min() == pytest.approx(2 * half, abs=0.2)


def bilinear(image, i, j):
    i0, j0 = np.floor(i).astype(int), np.floor(j).astype(int)
    fi, fj = i - i0, j - j0
    return (
        image[j0, i0] * (1 - fi) * (1 - fj)
        + image[j0, i0 + 1] * fi * (1 - fj)
        + image[j0 + 1, i0] * (1 - fi) * fj
        + image[j0 + 1, i0 + 1] * fi * fj
    )
