"""Rigid registration on a body phantom moved by a known rotation and translation."""

import json
import logging
import threading

import numpy as np
import pytest

from tests.body_phantom import LESIONS_LPS_MM, apply, phantom_volume, rigid_matrix
from viewer.registration import (
    METHOD,
    RegistrationCache,
    RegistrationCancelled,
    RigidResult,
    register_rigid,
)
from viewer.volume import Volume

SHAPE = (48, 96, 96)  # slices, rows, columns
SPACING = (3.5, 3.5, 5.0)  # i, j, k (mm)
# Points spread through the body, in the fixed (= phantom) space.
CHECK_POINTS_MM = np.vstack(
    [
        LESIONS_LPS_MM,
        [[0, 0, 0], [90, 40, 80], [-90, -40, -80], [0, 70, -120], [-100, 50, 60]],
    ]
)


@pytest.fixture(scope="module")
def pair():
    """Fixed phantom, and a prior whose LPS maps to the phantom by ``truth``."""
    fixed = phantom_volume(SHAPE, SPACING, noise_hu=10, seed=1, sop_prefix="1.2.3.")
    truth = rigid_matrix((3.0, -2.0, 5.0), (12.0, -8.0, 15.0), (10.0, 0.0, 5.0))
    moving = phantom_volume(
        SHAPE,
        SPACING,
        truth,
        centre_mm=(5.0, -5.0, 10.0),
        noise_hu=10,
        seed=2,
        sop_prefix="1.2.4.",
    )
    return fixed, moving, truth


def errors_mm(result, truth):
    moving_points = apply(np.linalg.inv(truth), CHECK_POINTS_MM)
    return np.linalg.norm(result.map_to_fixed(moving_points) - CHECK_POINTS_MM, axis=1)


def test_recovers_a_known_rigid_transform_within_1_mm(pair):
    fixed, moving, truth = pair
    fractions = []

    result = register_rigid(fixed, moving, progress=fractions.append)

    assert np.all(errors_mm(result, truth) < 1.0), errors_mm(result, truth)
    np.testing.assert_allclose(result.matrix_moving_to_fixed[3], [0, 0, 0, 1])
    rotation = result.matrix_moving_to_fixed[:3, :3]
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-9)
    assert result.metric_value < -0.5  # Mattes MI is negative, lower is better
    assert result.iterations > 5
    assert result.elapsed_s > 0
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(b >= a for a, b in zip(fractions, fractions[1:], strict=False))
    assert len(fractions) > 5


def test_non_uniform_moving_stack_is_registered_in_its_true_geometry(pair):
    fixed, moving, truth = pair
    keep = [k for k in range(moving.shape[0]) if k % 3 != 1]  # steps of 5 and 10 mm
    gappy = Volume(
        moving.voxels[keep],
        moving.slice_positions_lps_mm[keep],
        moving.row_cosine,
        moving.column_cosine,
        moving.pixel_spacing_mm,
    )
    assert not gappy.is_uniform

    result = register_rigid(fixed, gappy)

    assert np.all(errors_mm(result, truth) < 1.0), errors_mm(result, truth)


def test_cancel_stops_the_registration(pair):
    fixed, moving, _ = pair
    cancel = threading.Event()

    def progress(fraction):
        if fraction > 0.0:
            cancel.set()

    with pytest.raises(RegistrationCancelled, match="cancelled"):
        register_rigid(fixed, moving, progress=progress, cancel=cancel)


def test_result_maps_both_ways_and_survives_json():
    truth = rigid_matrix((1.0, 2.0, -3.0), (4.0, 5.0, 6.0))
    result = RigidResult(truth, -0.8, 42, 1.5)
    point = np.array([[10.0, -20.0, 30.0]])
    np.testing.assert_allclose(result.map_to_moving(result.map_to_fixed(point)), point)
    again = RigidResult.from_json(json.loads(json.dumps(result.to_json())))
    np.testing.assert_allclose(again.matrix_moving_to_fixed, truth)
    assert (again.metric_value, again.iterations, again.method) == (-0.8, 42, METHOD)
    with pytest.raises(ValueError, match="must be 4x4"):
        RigidResult.from_json({**result.to_json(), "matrix_moving_to_fixed": [[1]]})


def small_volume(uids):
    count = max(len(uids), 1)
    return Volume(
        np.zeros((count, 2, 2), dtype=np.int16),
        [[0, 0, k] for k in range(count)],
        np.array([1.0, 0, 0]),
        np.array([0, 1.0, 0]),
        (1.0, 1.0),
        sop_instance_uids=uids,
    )


def test_cache_returns_a_pair_in_either_order(tmp_path):
    current = small_volume(("1.1", "1.2"))
    prior = small_volume(("2.1", "2.2", "2.3"))
    other = small_volume(("3.1", "3.2"))
    cache = RegistrationCache(tmp_path / "registrations")
    truth = rigid_matrix((0.0, 0.0, 4.0), (25.0, -15.0, 30.0))
    assert cache.get(current, prior) is None

    path = cache.put(current, prior, RigidResult(truth, -0.7, 30, 2.0))

    assert path.parent == tmp_path / "registrations"
    np.testing.assert_allclose(cache.get(current, prior).matrix_moving_to_fixed, truth)
    np.testing.assert_allclose(
        cache.get(prior, current).matrix_moving_to_fixed, np.linalg.inv(truth)
    )
    assert cache.get(current, other) is None


def test_cache_ignores_other_methods_and_broken_files(tmp_path, caplog):
    current, prior = small_volume(("1.1",)), small_volume(("2.1",))
    cache = RegistrationCache(tmp_path)
    path = cache.put(current, prior, RigidResult(np.eye(4), -0.7, 30, 2.0))
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "method": "older"}))
    assert cache.get(current, prior) is None
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert cache.get(current, prior) is None
    assert "unreadable registration cache" in caplog.text


def test_cache_needs_sop_instance_uids(tmp_path):
    anonymous = small_volume(())
    with pytest.raises(ValueError, match=r"no SOP Instance UIDs \(0008,0018\)"):
        RegistrationCache(tmp_path).get(anonymous, small_volume(("1",)))


@pytest.mark.parametrize("stack", ["axial", "tilted", "non-uniform"])
def test_images_for_registration_keep_the_true_patient_geometry(stack):
    from tests.test_reslice import STACKS, field, strictly_inside
    from viewer.registration import simpleitk, volume_to_image

    volume = STACKS[stack]()
    image = volume_to_image(volume)
    values = simpleitk().GetArrayFromImage(image)

    direction = np.asarray(image.GetDirection()).reshape(3, 3)
    np.testing.assert_allclose(direction.T @ direction, np.eye(3), atol=1e-9)
    kk, jj, ii = np.meshgrid(*(np.arange(n) for n in values.shape), indexing="ij")
    index = np.stack([ii, jj, kk], axis=-1) * np.asarray(image.GetSpacing())
    points = np.asarray(image.GetOrigin()) + index @ direction.T
    inside = strictly_inside(volume, points)
    assert inside.sum() > 1000
    np.testing.assert_allclose(values[inside], field(points[inside]), atol=1e-3)


def test_single_slices_are_refused_with_a_reason():
    slab = small_volume(("1.1", "1.2"))
    with pytest.raises(
        ValueError, match=r"the moving series is 2 x 2 x 2 voxels.*link"
    ):
        register_rigid(phantom_volume((8, 16, 16), (8.0, 8.0, 8.0)), slab)
