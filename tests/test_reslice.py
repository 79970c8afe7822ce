"""Reslicing: known values at known patient positions on every kind of stack."""

import numpy as np
import pytest

from viewer.plane import Plane, native_plane
from viewer.reslice import (
    _reslice_numpy,
    axial_plane,
    coronal_plane,
    resample_into,
    reslice,
    sagittal_plane,
)
from viewer.volume import Volume

# A linear function of the patient position: trilinear interpolation reproduces it
# exactly wherever the plane lies inside the stack, whatever the stack's geometry.
GRADIENT = np.array([0.7, -1.3, 2.1])


def field(points_lps_mm):
    return np.asarray(points_lps_mm) @ GRADIENT + 5.0


def field_volume(positions, row=(1, 0, 0), col=(0, 1, 0), spacing=(0.8, 0.6)):
    positions = np.asarray(positions, dtype=float)
    volume = Volume(
        np.zeros((len(positions), 20, 30), dtype=np.float32),
        positions,
        np.array(row, dtype=float),
        np.array(col, dtype=float),
        spacing,
    )
    nk, nj, ni = volume.shape
    kk, jj, ii = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    volume.voxels[:] = field(volume.to_patient(np.stack([ii, jj, kk], axis=-1)))
    return volume


STACKS = {
    "axial": lambda: field_volume([[10, 20, -5 + 2.5 * k] for k in range(8)]),
    # IOP 1,0,0,0,0.9483,-0.3173 with positions stepping along z: gantry tilt
    "tilted": lambda: field_volume(
        [[10, 20, -2.5 * k] for k in range(8)][::-1], col=(0, 0.9483, -0.3173)
    ),
    # steps of 4, 1.08, 7 and 3 mm, as in the GE head series
    "non-uniform": lambda: field_volume(
        [[0, 0, z] for z in (0, 4, 5.08, 12.08, 15.08)]
    ),
}
PLANES = {
    "axial": (axial_plane, 2),
    "coronal": (coronal_plane, 1),
    "sagittal": (sagittal_plane, 0),
}


def strictly_inside(volume, points):
    ijk = volume.from_patient(points)
    nk, nj, ni = volume.shape
    return np.all((ijk >= 1e-6) & (ijk <= np.array([ni, nj, nk]) - 1 - 1e-6), axis=-1)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("orientation", PLANES)
def test_standard_planes_sample_the_true_patient_position(stack, orientation):
    volume = STACKS[stack]()
    make_plane, axis = PLANES[orientation]
    centre = volume.to_patient([14.5, 9.5, (volume.shape[0] - 1) / 2])
    plane = make_plane(volume, centre[axis], 0.5)

    image = reslice(volume, plane, fill=-9999.0)

    xx, yy = np.meshgrid(np.arange(plane.size[0]), np.arange(plane.size[1]))
    points = plane.to_patient(np.stack([xx, yy], axis=-1))
    np.testing.assert_allclose(points[..., axis], centre[axis], atol=1e-9)
    inside = strictly_inside(volume, points)
    assert inside.sum() > 500
    np.testing.assert_allclose(image.pixels[inside], field(points[inside]), atol=1e-3)


def test_plane_axes_follow_the_radiological_convention():
    volume = STACKS["axial"]()
    axial, coronal, sagittal = (
        axial_plane(volume, 0.0),
        coronal_plane(volume, 25.0),
        sagittal_plane(volume, 20.0),
    )
    np.testing.assert_allclose(axial.x_axis, [1, 0, 0])  # to the patient's left
    np.testing.assert_allclose(axial.y_axis, [0, 1, 0])  # to posterior
    np.testing.assert_allclose(coronal.y_axis, [0, 0, -1])  # head up
    np.testing.assert_allclose(sagittal.x_axis, [0, 1, 0])
    assert coronal.origin_lps_mm[1] == pytest.approx(25.0)
    assert sagittal.origin_lps_mm[0] == pytest.approx(20.0)
    # square pixels at the finest in-plane spacing by default
    assert axial.spacing_mm == (0.6, 0.6)


def test_known_values_at_known_millimetre_positions():
    volume = STACKS["tilted"]()
    point = volume.to_patient([12.25, 7.5, 3.4])
    plane = Plane(
        origin_lps_mm=point,
        x_axis=np.array([0.0, 1.0, 0.0]),
        y_axis=np.array([0.0, 0.0, -1.0]),
        spacing_mm=(0.5, 0.25),
        size=(8, 6),
    )
    image = reslice(volume, plane)
    assert image.pixels.shape == (6, 8)
    assert image.pixels[0, 0] == pytest.approx(field(point), abs=1e-3)
    # column 4, row 2: 2 mm posterior and 0.5 mm towards the feet
    shifted = point + np.array([0.0, 2.0, -0.5])
    assert image.pixels[2, 4] == pytest.approx(field(shifted), abs=1e-3)
    np.testing.assert_allclose(image.to_patient([4, 2]), shifted, atol=1e-9)
    np.testing.assert_allclose(image.from_patient(shifted), [4, 2], atol=1e-9)


@pytest.mark.parametrize("stack", STACKS)
def test_outside_the_stack_the_fill_value_shows(stack):
    volume = STACKS[stack]()
    below = volume.to_patient([0, 0, 0])[2] - 20.0
    plane = axial_plane(volume, below)
    assert np.all(reslice(volume, plane, fill=-5000.0).pixels == -5000.0)
    # by default the fill is the volume's minimum
    assert np.all(reslice(volume, plane).pixels == volume.voxels.min())


@pytest.mark.parametrize("stack", STACKS)
def test_native_plane_returns_the_acquired_slice(stack):
    volume = STACKS[stack]()
    image = reslice(volume, native_plane(volume, 3))
    np.testing.assert_allclose(image.pixels, volume.voxels[3], atol=1e-4)


def test_vtk_and_numpy_paths_agree_on_a_uniform_tilted_stack():
    volume = STACKS["tilted"]()
    plane = Plane(
        origin_lps_mm=np.array([5.0, 18.0, -12.0]),
        x_axis=np.array([0.8, 0.6, 0.0]),
        y_axis=np.array([0.0, 0.0, -1.0]),
        spacing_mm=(0.4, 0.3),
        size=(70, 60),
    )
    vtk_pixels = reslice(volume, plane, fill=-1.0).pixels
    numpy_pixels = _reslice_numpy(volume, plane, -1.0)
    assert (vtk_pixels != -1.0).sum() > 1000
    np.testing.assert_allclose(vtk_pixels, numpy_pixels, atol=1e-3)


@pytest.mark.parametrize(
    ("moving_stack", "shift_mm"),
    [("axial", (0.5, -1.0, -5.0)), ("non-uniform", (10.0, 20.0, -15.0))],
)
def test_resample_into_puts_the_moving_series_on_the_fixed_grid(moving_stack, shift_mm):
    moving = STACKS[moving_stack]()
    fixed = STACKS["tilted"]()
    # the fixed patient space is the moving one shifted by shift_mm
    moving_to_fixed = np.eye(4)
    moving_to_fixed[:3, 3] = shift_mm

    resampled = resample_into(moving, fixed, moving_to_fixed, fill=-9999.0)

    assert resampled.shape == fixed.voxels.shape
    nk, nj, ni = fixed.shape
    kk, jj, ii = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    fixed_points = fixed.to_patient(np.stack([ii, jj, kk], axis=-1))
    moving_points = fixed_points - moving_to_fixed[:3, 3]
    inside = strictly_inside(moving, moving_points)
    assert inside.sum() > 200
    np.testing.assert_allclose(
        resampled[inside], field(moving_points[inside]), atol=1e-3
    )
