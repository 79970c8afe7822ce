"""Benchmark: rigid registration of two 512x512x300 CT studies.

Not collected by the normal run; run it with
``python -m pytest tests/perf/perf_registration.py -s`` (or as a script). Prints the
registration time, its ratio to a reference measured in the same run (SimpleITK
resampling the moving study once, linear interpolation, full size), and the error
at the lesion centres. The target is 3 s on 2 cores; time is printed, not asserted.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

# Runnable as a script from anywhere: the project root goes on the path first.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.body_phantom import LESIONS_LPS_MM, apply, phantom_volume, rigid_matrix
from viewer.registration import register_rigid, simpleitk, volume_to_image
from viewer.volume import Volume

SHAPE = (300, 512, 512)
SPACING_MM = (0.75, 0.75, 1.0)


def make_pair() -> tuple[Volume, Volume, np.ndarray, float]:
    """Fixed phantom, moving copy by a known transform, the truth, resample time."""
    sitk = simpleitk()
    fixed = _full_size_phantom()
    truth = rigid_matrix((2.0, -3.0, 5.0), (20.0, -12.0, 25.0), (0.0, 0.0, 0.0))

    image = volume_to_image(fixed)
    transform = sitk.AffineTransform(3)
    transform.SetMatrix(tuple(float(v) for v in truth[:3, :3].ravel()))
    transform.SetTranslation(tuple(float(v) for v in truth[:3, 3]))
    started = time.perf_counter()
    moved = sitk.Resample(image, image, transform, sitk.sitkLinear, -1000.0)
    resample_s = time.perf_counter() - started

    rng = np.random.default_rng(7)
    voxels = sitk.GetArrayFromImage(moved)
    voxels += rng.normal(0.0, 10.0, voxels.shape).astype(np.int16)
    fixed.voxels += rng.normal(0.0, 10.0, fixed.voxels.shape).astype(np.int16)
    moving = Volume(
        voxels,
        fixed.slice_positions_lps_mm,
        fixed.row_cosine,
        fixed.column_cosine,
        fixed.pixel_spacing_mm,
    )
    return fixed, moving, truth, resample_s


def _full_size_phantom() -> Volume:
    """The phantom on the full grid: computed at half size, then interpolated."""
    sitk = simpleitk()
    nk, nj, ni = SHAPE
    di, dj, dk = SPACING_MM
    half = phantom_volume((nk // 2, nj // 2, ni // 2), (2 * di, 2 * dj, 2 * dk))
    full = Volume(
        np.zeros(SHAPE, dtype=np.int16),
        half.slice_positions_lps_mm[0]
        - np.array([di, dj, dk]) / 2
        + np.outer(np.arange(nk) * dk, [0.0, 0.0, 1.0]),
        half.row_cosine,
        half.column_cosine,
        (dj, di),
    )
    reference = volume_to_image(full)
    image = sitk.Resample(
        volume_to_image(half), reference, sitk.Transform(), sitk.sitkLinear, -1000.0
    )
    full.voxels[:] = sitk.GetArrayFromImage(image)
    return full


def test_registration_of_two_512x512x300_studies() -> None:
    started = time.perf_counter()
    fixed, moving, truth, resample_s = make_pair()
    print(f"\nbuilding the two studies: {time.perf_counter() - started:.1f} s")

    cpu_started = time.process_time()
    result = register_rigid(fixed, moving)
    cpu_s = time.process_time() - cpu_started

    lesions_moving = apply(np.linalg.inv(truth), LESIONS_LPS_MM)
    errors = np.linalg.norm(
        result.map_to_fixed(lesions_moving) - LESIONS_LPS_MM, axis=1
    )
    print(
        f"registration {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]}: {result.elapsed_s:.2f} s "
        f"({result.iterations} iterations, metric {result.metric_value:.3f}, "
        f"{cpu_s:.2f} s of CPU over all threads); target 3 s on 2 cores"
    )
    print(
        f"reference: SimpleITK linear resample of the moving study {resample_s:.2f} s; "
        f"ratio {result.elapsed_s / resample_s:.1f}x"
    )
    print("error at the lesion centres (mm): " + ", ".join(f"{e:.2f}" for e in errors))
    assert np.all(errors < 1.0)


if __name__ == "__main__":
    test_registration_of_two_512x512x300_studies()
