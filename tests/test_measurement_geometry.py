"""Measurement geometry on volumes and planes of known spacing, tilt and rotation."""

from __future__ import annotations

import numpy as np
import pytest

from measurement.geometry import (
    Caliper,
    Quantity,
    bidirectional,
    caliper_on_volume,
    ellipse,
    ellipse_statistics,
    tool_lengths,
)
from viewer.plane import Plane, native_plane
from viewer.volume import Calibration, Volume


def volume(spacing=(0.7, 0.7), step=2.5, col=(0, 1, 0), calibration=None, slices=5):
    positions = [[0.0, 0.0, step * k] for k in range(slices)]
    return Volume(
        np.zeros((slices, 8, 8), dtype=np.int16),
        np.array(positions),
        np.array([1.0, 0, 0]),
        np.array(col, dtype=float),
        spacing,
        calibration=calibration or Calibration(),
    )


def test_caliper_across_40_pixels_at_0_7_mm_is_28_mm():
    caliper = caliper_on_volume(volume(), [10, 20, 2], [50, 20, 2])
    assert caliper.length.value == pytest.approx(28.0)
    assert caliper.length.unit == "mm"
    assert caliper.length.label() == "28.0 mm"


def test_caliper_uses_anisotropic_spacing_in_dicom_order():
    # row spacing 0.5 (along j), column spacing 0.8 (along i)
    vol = volume(spacing=(0.5, 0.8))
    assert caliper_on_volume(vol, [0, 0, 0], [10, 0, 0]).length.value == pytest.approx(
        8.0
    )
    assert caliper_on_volume(vol, [0, 0, 0], [0, 10, 0]).length.value == pytest.approx(
        5.0
    )


def test_caliper_across_slices_adds_the_slice_step():
    # 40 px at 0.7 mm along i and 4 slices of 2.5 mm: sqrt(28^2 + 10^2)
    caliper = caliper_on_volume(volume(), [0, 0, 0], [40, 0, 4])
    assert caliper.length.value == pytest.approx(np.hypot(28.0, 10.0))


def test_caliper_on_a_tilted_stack_is_true_patient_distance():
    # gantry tilt 18.5 degrees: IPP steps along z only, the column cosine is tilted
    tilt = np.radians(18.5)
    col = (0.0, np.cos(tilt), -np.sin(tilt))
    vol = volume(col=col, spacing=(0.7, 0.7))
    caliper = caliper_on_volume(vol, [0, 0, 0], [0, 40, 0])
    assert caliper.length.value == pytest.approx(28.0)
    # one slice up along k is 2.5 mm along z, not along the normal
    caliper = caliper_on_volume(vol, [0, 0, 0], [0, 0, 1])
    assert caliper.length.value == pytest.approx(2.5)
    end = np.array(caliper.points_lps_mm[1])
    np.testing.assert_allclose(end, [0.0, 0.0, 2.5], atol=1e-9)


def test_uncalibrated_caliper_is_in_px_and_says_so():
    calibration = Calibration(unit="px", trusted=False)
    vol = volume(spacing=(1.0, 1.0), calibration=calibration)
    length = caliper_on_volume(vol, [0, 0, 0], [3, 4, 0]).length
    assert length.value == pytest.approx(5.0)
    assert length.unit == "px"
    assert not length.calibrated
    assert length.label() == "5.0 px (uncalibrated)"


def test_detector_spacing_is_mm_but_labelled_with_its_note():
    calibration = Calibration(unit="mm", trusted=False, note="at detector")
    length = Caliper(((0, 0, 0), (0, 23.44, 0)), calibration).length
    assert length.unit == "mm"
    assert length.label() == "23.4 mm (at detector)"
    assert Quantity(12.0, "HU").label() == "12.0 HU"


def test_bidirectional_short_axis_is_made_perpendicular_in_the_plane():
    # long axis along x from 0 to 30; short axis drawn askew and off the plane
    measured = bidirectional(
        [[0, 0, 0], [30, 0, 0], [12, -8, 0.5], [16, 6, -0.5]], normal=[0, 0, 1]
    )
    long_vec = np.subtract(*measured.long_axis_lps_mm[::-1])
    short_vec = np.subtract(*measured.short_axis_lps_mm[::-1])
    assert float(long_vec @ short_vec) == pytest.approx(0.0, abs=1e-9)
    assert measured.long.value == pytest.approx(30.0)
    assert measured.short.value == pytest.approx(14.0)
    # crosses the long axis where the short axis midpoint projects: x = 14
    np.testing.assert_allclose(measured.short_axis_lps_mm, [[14, -8, 0], [14, 6, 0]])


def test_bidirectional_on_an_oblique_plane_without_a_normal():
    rotation = _rotation([1, 2, 3], 0.7)
    points = np.array([[0, 0, 0], [20, 0, 0], [5, -4, 0], [7, 5, 0]]) @ rotation.T
    measured = bidirectional(points)
    assert measured.long.value == pytest.approx(20.0)
    assert measured.short.value == pytest.approx(9.0)
    short_vec = np.subtract(*measured.short_axis_lps_mm[::-1])
    assert float(short_vec @ (points[1] - points[0])) == pytest.approx(0, abs=1e-9)
    long_mm, short_mm = tool_lengths("bidirectional", points, Calibration())
    assert (long_mm.value, short_mm.value) == pytest.approx((20.0, 9.0))


def test_bidirectional_refuses_degenerate_axes():
    with pytest.raises(ValueError, match="long axis has no length"):
        bidirectional([[1, 1, 1]] * 4)
    with pytest.raises(ValueError, match="short axis lies along the long axis"):
        bidirectional([[0, 0, 0], [10, 0, 0], [2, 0, 0], [4, 0, 0]])


def test_ellipse_statistics_on_a_ramp_with_anisotropic_pixels():
    # values equal the column index; pixels 0.5 mm wide, 1.0 mm high
    rows, columns = 60, 100
    image = np.tile(np.arange(columns, dtype=np.int16), (rows, 1))
    plane = Plane(
        np.array([0.0, 0.0, 0.0]),
        np.array([1.0, 0, 0]),
        np.array([0, 1.0, 0]),
        (0.5, 1.0),
        (columns, rows),
    )
    # centre at pixel (50, 30) = (25 mm, 30 mm); semi-axes 10 mm along x, 6 mm along y
    region = ellipse([25, 30, 0], [35, 30, 0], [25, 36, 0])
    stats = ellipse_statistics(image, plane, region)
    # pixel-count area of the 10 x 6 mm ellipse, boundary pixels decided by centre
    assert stats.area.value == pytest.approx(np.pi * 10 * 6, rel=0.03)
    assert stats.area.unit == "mm2"
    assert stats.mean == pytest.approx(50.0, abs=1e-9)  # symmetric about column 50
    assert (stats.minimum, stats.maximum) == (30.0, 70.0)
    # a uniform ramp over an ellipse of semi-axis 20 px along it: SD = 20 / 2
    assert stats.sd == pytest.approx(10.0, rel=0.02)
    assert stats.area.label().endswith("mm²")


def test_ellipse_statistics_on_a_rotated_plane_match_the_flat_ones():
    rotation = _rotation([0.3, -1, 0.5], 1.1)
    rows, columns = 40, 40
    image = np.arange(rows * columns, dtype=np.float64).reshape(rows, columns) % 7
    flat = Plane(np.zeros(3), np.eye(3)[0], np.eye(3)[1], (0.8, 0.8), (40, 40))
    turned = Plane(
        rotation @ np.array([5.0, -3, 2]),
        rotation @ np.eye(3)[0],
        rotation @ np.eye(3)[1],
        (0.8, 0.8),
        (40, 40),
    )
    # no pixel centre lies on the outline, so rounding cannot flip one
    points = np.array([[16.3, 16.2, 0], [24.0, 16.2, 0], [16.3, 21.1, 0]])
    flat_stats = ellipse_statistics(image, flat, ellipse(*points))
    moved = (rotation @ points.T).T + rotation @ np.array([5.0, -3, 2])
    turned_stats = ellipse_statistics(image, turned, ellipse(*moved))
    assert turned_stats.pixel_count == flat_stats.pixel_count
    assert turned_stats.mean == pytest.approx(flat_stats.mean)
    assert turned_stats.sd == pytest.approx(flat_stats.sd)


def test_ellipse_area_on_an_uncalibrated_image_is_in_px2():
    calibration = Calibration(unit="px", trusted=False)
    plane = Plane(
        np.zeros(3), np.eye(3)[0], np.eye(3)[1], (1.0, 1.0), (20, 20), calibration
    )
    stats = ellipse_statistics(
        np.ones((20, 20)),
        plane,
        ellipse([10, 10, 0], [15, 10, 0], [10, 15, 0], calibration),
    )
    assert stats.area.unit == "px2"
    assert stats.area.label() == f"{stats.pixel_count:.1f} px² (uncalibrated)"
    assert stats.mean == 1.0 and stats.sd == 0.0


def test_ellipse_with_a_wrong_image_shape_is_refused():
    plane = Plane(np.zeros(3), np.eye(3)[0], np.eye(3)[1], (1.0, 1.0), (20, 10))
    with pytest.raises(ValueError, match="10 rows and 20 columns"):
        ellipse_statistics(
            np.ones((20, 20)), plane, ellipse([5, 5, 0], [7, 5, 0], [5, 7, 0])
        )


def _rotation(axis, angle):
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    k = np.array(
        [[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]]
    )
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def test_ellipse_on_a_slice_of_a_tilted_volume_with_anisotropic_pixels():
    # a disc of 100 +/- 10 (checkerboard) of radius 12 mm on slice 2 of a stack
    # tilted 15 degrees, pixels 0.6 mm (rows) x 0.9 mm (columns)
    tilt = np.radians(15.0)
    rows, columns = 64, 48
    jj, ii = np.mgrid[0:rows, 0:columns]
    centre_i, centre_j = 24.0, 32.0
    radius = np.hypot((ii - centre_i) * 0.9, (jj - centre_j) * 0.6)
    checker = np.where((ii + jj) % 2 == 0, 10, -10)
    image = np.where(radius <= 12.0, 100 + checker, 0).astype(np.int16)
    voxels = np.stack([np.zeros_like(image), np.zeros_like(image), image])
    vol = Volume(
        voxels,
        np.array([[0.0, 0.0, 3.0 * k] for k in range(3)]),
        np.array([1.0, 0, 0]),
        np.array([0.0, np.cos(tilt), -np.sin(tilt)]),
        (0.6, 0.9),
    )
    plane = native_plane(vol, 2)
    centre = vol.to_patient([centre_i, centre_j, 2])
    along_i = vol.to_patient([centre_i + 8 / 0.9, centre_j, 2])
    along_j = vol.to_patient([centre_i, centre_j + 8 / 0.6, 2])
    stats = ellipse_statistics(vol.voxels[2], plane, ellipse(centre, along_i, along_j))
    assert stats.area.value == pytest.approx(np.pi * 8 * 8, rel=0.03)
    assert stats.mean == pytest.approx(100.0, abs=1.0)
    assert stats.sd == pytest.approx(10.0, abs=0.1)
    assert (stats.minimum, stats.maximum) == (90.0, 110.0)
