"""Volume geometry: index <-> patient mapping on stacks of known geometry."""

import numpy as np
import pytest

from viewer.volume import Volume


def make_volume(positions, row=(1, 0, 0), col=(0, 1, 0), spacing=(0.5, 0.75)):
    positions = np.asarray(positions, dtype=float)
    voxels = np.zeros((len(positions), 4, 6), dtype=np.int16)
    return Volume(voxels, positions, np.array(row), np.array(col), spacing)


def test_axial_mapping_uses_row_and_column_spacing_in_dicom_order():
    volume = make_volume([[10, 20, -5], [10, 20, -2.5], [10, 20, 0]])
    # i runs along the row (column spacing 0.75), j down the rows (row spacing 0.5)
    point = volume.to_patient([2, 3, 1])
    np.testing.assert_allclose(point, [10 + 2 * 0.75, 20 + 3 * 0.5, -2.5])
    np.testing.assert_allclose(volume.from_patient(point), [2, 3, 1])
    assert volume.spacing_ijk_mm == (0.75, 0.5, 2.5)
    assert volume.is_uniform


def test_non_uniform_spacing_keeps_each_slice_position():
    volume = make_volume([[0, 0, 0], [0, 0, 4], [0, 0, 5.08], [0, 0, 12.08]])
    assert not volume.is_uniform
    np.testing.assert_allclose(volume.slice_steps_mm, [4, 1.08, 7])
    np.testing.assert_allclose(volume.to_patient([0, 0, 2.5])[2], 5.08 + 3.5)
    np.testing.assert_allclose(volume.from_patient([0, 0, 12.08])[2], 3.0)
    np.testing.assert_allclose(volume.from_patient([0, 0, -2])[2], -0.5)


def test_gantry_tilt_is_a_sheared_stack():
    # IOP 1,0,0,0,0.9483,-0.3173 with IPP stepping along z only, as tilted CT does
    col = np.array([0, 0.9483, -0.3173])
    positions = [[0, 0, -2.5 * k] for k in range(5)]
    volume = make_volume(positions[::-1], col=col)
    step_along_normal = 2.5 * np.linalg.norm(
        np.cross([1, 0, 0], col / np.linalg.norm(col))[2]
    )
    np.testing.assert_allclose(volume.slice_steps_mm, step_along_normal, rtol=1e-6)
    point = np.array([3.0, 7.0, -6.0])
    np.testing.assert_allclose(volume.to_patient(volume.from_patient(point)), point)


def test_length_is_in_patient_mm():
    volume = make_volume([[0, 0, 0], [0, 0, 3]])
    assert volume.length_mm([0, 0, 0], [4, 3, 1]) == pytest.approx(
        np.sqrt((4 * 0.75) ** 2 + (3 * 0.5) ** 2 + 3**2)
    )


def test_unsorted_slices_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="increasing position along the normal"):
        make_volume([[0, 0, 3], [0, 0, 0]])
