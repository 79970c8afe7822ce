"""Registration and reslicing on the real public scans of ../shared/data."""

import numpy as np
import pytest

from tests.body_phantom import apply
from viewer import load_series
from viewer.derive import derive_prior
from viewer.registration import register_rigid
from viewer.reslice import axial_plane, coronal_plane, reslice

pytestmark = pytest.mark.realdata

LIDC = "lidc0001_ct_chest_nodule"
PHILIPS = "philips_ct_phantom_2studies_cd/DICOM"


@pytest.mark.slow
def test_registration_recovers_a_derived_prior_of_the_lidc_chest(shared_data, tmp_path):
    derived = derive_prior(
        shared_data / LIDC, tmp_path / "prior", (1.5, -2.0, 4.0), (25, -15, 30)
    )
    current = derived.source_volume
    prior = load_series(tmp_path / "prior")
    assert prior.frame_of_reference_uid != current.frame_of_reference_uid

    result = register_rigid(current, prior)

    def error_mm(points_current):
        points_prior = apply(
            np.linalg.inv(derived.truth_derived_to_source), points_current
        )
        return np.linalg.norm(
            result.map_to_fixed(points_prior) - points_current, axis=-1
        )

    # the nodule: column ~315, row ~366 on the slice at z = -117.5 mm
    nodule = current.to_patient([315, 366, current.from_patient([0, 0, -117.5])[2]])
    assert error_mm(nodule) < 1.0
    grid = np.array(
        [
            [i, j, k]
            for i in (130, 256, 380)
            for j in (150, 256, 360)
            for k in (10, 66, 122)
        ],
        dtype=float,
    )
    assert np.max(error_mm(current.to_patient(grid))) < 2.0
    assert result.metric_value < -0.5


def test_philips_studies_sharing_a_frame_of_reference_reslice_alike(shared_data):
    prior = load_series(shared_data / PHILIPS / "S21570" / "S2010")
    tilted = load_series(shared_data / PHILIPS / "S21610" / "S2010")
    assert prior.frame_of_reference_uid == tilted.frame_of_reference_uid
    assert abs(tilted.column_cosine[2]) > 0.3  # gantry tilt of 18.5 degrees

    def compare(plane, shift_mm=(0.0, 0.0, 0.0)):
        """Phantom centroids (LPS mm) and the correlation on one plane."""
        a = reslice(prior, plane, fill=np.nan).pixels
        moved = type(plane)(
            plane.origin_lps_mm + shift_mm,
            plane.x_axis,
            plane.y_axis,
            plane.spacing_mm,
            plane.size,
        )
        b = reslice(tilted, moved, fill=np.nan).pixels
        both = ~np.isnan(a) & ~np.isnan(b)
        centroids = []
        for pixels in (a, b):
            rows, columns = np.nonzero((pixels > -300) & both)
            centroids.append(plane.to_patient([columns.mean(), rows.mean()]))
        correlation = np.corrcoef(a[both], b[both])[0, 1]
        return centroids, correlation

    for z in (750.0, 768.0, 786.0):
        (centroid_a, centroid_b), correlation = compare(axial_plane(prior, z, 1.0))
        assert np.linalg.norm(centroid_a - centroid_b) < 1.5
        assert correlation > 0.94
    plane = coronal_plane(prior, 110.0, 1.0)
    _, correlation = compare(plane)
    _, correlation_off = compare(plane, (0.0, 3.0, 0.0))
    assert correlation > 0.95
    assert correlation_off < correlation - 0.05


@pytest.mark.slow
def test_registration_of_a_tilted_non_uniform_head_ct(shared_data):
    """The GE head (18.5 degree tilt; steps 4, 1.08 and 7 mm) against a moved copy."""
    from viewer.derive import rigid_matrix
    from viewer.registration import simpleitk, volume_to_image
    from viewer.volume import Volume

    sitk = simpleitk()
    head = load_series(shared_data / "ge_ct_head_tilt_varspacing")
    assert not head.is_uniform
    regular = volume_to_image(head, 1.5)
    truth = rigid_matrix((2.0, 0.0, -3.0), (10.0, 8.0, -6.0), regular.GetOrigin())
    transform = sitk.AffineTransform(3)
    transform.SetMatrix(tuple(truth[:3, :3].ravel()))
    transform.SetTranslation(tuple(truth[:3, 3]))
    moved = sitk.Resample(regular, regular, transform, sitk.sitkLinear, -1024.0)
    direction = np.asarray(regular.GetDirection()).reshape(3, 3)
    spacing = regular.GetSpacing()
    slices = moved.GetSize()[2]
    moving = Volume(
        sitk.GetArrayFromImage(moved),
        np.asarray(regular.GetOrigin())
        + np.outer(np.arange(slices) * spacing[2], direction[:, 2]),
        direction[:, 0],
        direction[:, 1],
        (spacing[1], spacing[0]),
    )

    result = register_rigid(head, moving)

    grid = np.array(
        [
            [i, j, k]
            for i in (150, 256, 360)
            for j in (150, 256, 360)
            for k in (3, 14, 24)
        ],
        dtype=float,
    )
    points = head.to_patient(grid)
    mapped = result.map_to_fixed(apply(np.linalg.inv(truth), points))
    assert np.max(np.linalg.norm(mapped - points, axis=-1)) < 1.0
