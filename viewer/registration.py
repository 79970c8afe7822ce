"""Rigid registration of two series, to link a prior to the current study.

Studies that do not share a Frame of Reference (PS3.3 C.7.4.1) have no common
patient coordinates, so the viewer links them through a rigid transform found by
SimpleITK: Mattes mutual information sampled at random inside the fixed body (an
Otsu mask with what each slice encloses, lungs included), an Euler (rotation plus
translation) transform started from the centres of mass of the two bodies, and
regular-step gradient descent on two block-averaged copies of each image (about 3
mm, then 1.5 mm voxels). The result maps MOVING patient coordinates (LPS, mm) to
FIXED ones.

The work is plain functions that run on any thread: ``progress`` receives a
fraction 0..1 and setting ``cancel`` (a :class:`threading.Event`) stops the
optimiser at its next iteration. Results are cached per pair of series in a folder
the caller chooses (:class:`RegistrationCache`), keyed by the SOP Instance UIDs of
both series.

SimpleITK images are built with the volume's true origin, spacing and direction.
A tilted stack (slices sheared along the normal) or one with non-uniform slice
spacing is first resampled, in the same patient space, onto a uniform grid along
its row, column and normal directions: the tilted one by SimpleITK from its exact
sheared grid, the non-uniform one trilinearly through :meth:`Volume.from_patient`
(no single matrix describes it). The transform is unaffected because both grids
share patient coordinates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from viewer.sampling import sample_patient
from viewer.volume import Volume

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
ProgressCallback = Callable[[float], None]
# SimpleITK ships no type information; its objects are typed as Any here.
SitkImage = Any
SitkTransform = Any

# Bumped whenever the method changes, so cached results of an older method are
# recomputed rather than trusted.
METHOD = "rigid-mattes-v2"

# Voxel size (mm) aimed for at each level; the shrink factor per axis is this over
# the voxel size, rounded, at least 1 (for 0.7 x 0.7 x 2.5 mm: 4x4x1, then 2x2x1).
LEVEL_TARGET_SPACING_MM = (3.0, 1.5)
LEVEL_ITERATIONS = (120, 80)
# Starting and smallest optimiser steps per level, in mm of largest point shift.
LEVEL_STEPS_MM = ((4.0, 0.05), (1.0, 0.01))
HISTOGRAM_BINS = 32
RELAXATION = 0.8
# Metric samples per level, drawn at random inside the fixed body.
SAMPLES_PER_LEVEL = 30_000
RANDOM_SEED = 20261204

# Tilted stacks whose slice vector leans this far (mm per slice) from the normal are
# resampled before registration.
_SHEAR_TOLERANCE_MM = 1e-3
# Fewer voxels than this along an axis leave nothing to register in that direction.
_MIN_VOXELS_PER_AXIS = 4


class RegistrationCancelled(Exception):
    """The caller set the cancel event before the registration finished."""


@dataclass(frozen=True)
class RigidResult:
    """A rigid transform between two series and how it was found.

    Parameters
    ----------
    matrix_moving_to_fixed
        4x4 homogeneous matrix from MOVING patient LPS mm to FIXED patient LPS mm.
    metric_value
        Final Mattes mutual information (negative; lower is better).
    iterations
        Optimiser iterations over all levels.
    elapsed_s
        Wall time of the registration.
    """

    matrix_moving_to_fixed: FloatArray
    metric_value: float
    iterations: int
    elapsed_s: float
    method: str = METHOD

    def map_to_fixed(self, points_moving_lps_mm: npt.ArrayLike) -> FloatArray:
        """Map MOVING LPS mm points ``(..., 3)`` into the FIXED series."""
        return _apply(self.matrix_moving_to_fixed, points_moving_lps_mm)

    def map_to_moving(self, points_fixed_lps_mm: npt.ArrayLike) -> FloatArray:
        """Map FIXED LPS mm points ``(..., 3)`` into the MOVING series."""
        return _apply(self.matrix_fixed_to_moving, points_fixed_lps_mm)

    @property
    def matrix_fixed_to_moving(self) -> FloatArray:
        """The inverse transform, FIXED LPS mm to MOVING LPS mm."""
        return np.asarray(np.linalg.inv(self.matrix_moving_to_fixed), dtype=np.float64)

    def inverse(self) -> RigidResult:
        """The same result seen with FIXED and MOVING swapped."""
        return RigidResult(
            self.matrix_fixed_to_moving,
            self.metric_value,
            self.iterations,
            self.elapsed_s,
            self.method,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dictionary (see :meth:`from_json`)."""
        return {
            "method": self.method,
            "matrix_moving_to_fixed": self.matrix_moving_to_fixed.tolist(),
            "metric_value": self.metric_value,
            "iterations": self.iterations,
            "elapsed_s": self.elapsed_s,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RigidResult:
        """Rebuild a result written by :meth:`to_json`."""
        matrix = np.asarray(data["matrix_moving_to_fixed"], dtype=np.float64)
        if matrix.shape != (4, 4):
            raise ValueError(
                f"matrix_moving_to_fixed must be 4x4, got shape {matrix.shape}"
            )
        return cls(
            matrix,
            float(data["metric_value"]),
            int(data["iterations"]),
            float(data["elapsed_s"]),
            str(data["method"]),
        )


def register_rigid(
    fixed: Volume,
    moving: Volume,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> RigidResult:
    """Find the rigid transform that maps ``moving`` onto ``fixed``.

    Parameters
    ----------
    fixed, moving
        The two series; they need not share a Frame of Reference.
    progress
        Called with a fraction 0..1 as the work advances.
    cancel
        When set, the registration stops and :class:`RegistrationCancelled` is
        raised.

    Raises
    ------
    RegistrationCancelled
        When ``cancel`` was set.
    ValueError
        When a series is too thin to register (fewer than 4 voxels on an axis).
    """
    sitk = simpleitk()

    for role, volume in (("fixed", fixed), ("moving", moving)):
        if min(volume.shape) < _MIN_VOXELS_PER_AXIS:
            raise ValueError(
                f"the {role} series is {volume.shape[2]} x {volume.shape[1]} x "
                f"{volume.shape[0]} voxels; a rigid registration needs at least "
                f"{_MIN_VOXELS_PER_AXIS} along each axis (a volume, not single "
                "slices); link the studies with 'link here' instead"
            )
    started = time.perf_counter()
    report = progress or (lambda fraction: None)
    stop = cancel or threading.Event()
    report(0.0)

    # A stack that must be resampled is resampled no finer than the finest level.
    finest_mm = LEVEL_TARGET_SPACING_MM[-1]
    fixed_levels = _pyramid(volume_to_image(fixed, finest_mm))
    _check(stop)
    moving_levels = _pyramid(volume_to_image(moving, finest_mm))
    _check(stop)

    levels = len(LEVEL_TARGET_SPACING_MM)
    transform: SitkTransform = None
    iterations = 0
    metric_value = 0.0
    for level in range(levels):
        fixed_level, moving_level = fixed_levels[level], moving_levels[level]
        fixed_body = _body_mask(fixed_level)
        if transform is None:
            transform = _initial_transform(fixed_body, _body_mask(moving_level))
        _check(stop)
        method = _method(level, fixed_level, _sampling_mask(fixed_body), transform)

        def on_iteration(method: Any = method, level: int = level) -> None:
            fraction = method.GetOptimizerIteration() / LEVEL_ITERATIONS[level]
            report(min(0.99, (level + min(fraction, 1.0)) / levels))
            if stop.is_set():
                method.StopRegistration()

        method.AddCommand(sitk.sitkIterationEvent, on_iteration)
        level_iterations, metric_value = _execute(method, fixed_level, moving_level)
        _check(stop)
        iterations += level_iterations

    matrix_fixed_to_moving = euler_to_matrix(transform)
    elapsed = time.perf_counter() - started
    report(1.0)
    logger.info(
        "rigid registration: %d iterations, metric %.4f, %.2f s",
        iterations,
        metric_value,
        elapsed,
    )
    return RigidResult(
        np.asarray(np.linalg.inv(matrix_fixed_to_moving), dtype=np.float64),
        metric_value,
        iterations,
        elapsed,
    )


def volume_to_image(volume: Volume, min_spacing_mm: float = 0.0) -> SitkImage:
    """A SimpleITK image of ``volume`` in its patient space (LPS, mm).

    Uniform, untilted stacks keep their own grid; others are resampled onto a
    uniform grid along the row, column and normal directions (see module notes),
    with voxels no smaller than ``min_spacing_mm`` along any axis: a tilted stack
    by SimpleITK from its exact sheared grid, a non-uniform one with numpy through
    :meth:`Volume.from_patient`. The voxels are copied, so the image does not
    depend on ``volume`` staying alive.
    """
    sitk = simpleitk()

    step_vector = volume.slice_vector_lps_mm
    step = float(np.linalg.norm(step_vector))
    sheared = (
        np.linalg.norm(step_vector - (step_vector @ volume.normal) * volume.normal)
        > _SHEAR_TOLERANCE_MM
    )
    if volume.is_uniform:
        di, dj, _ = volume.spacing_ijk_mm
        stack = _image(
            volume.voxels,
            volume.slice_positions_lps_mm[0],
            (di, dj, step),
            (volume.row_cosine, volume.column_cosine, step_vector / step),
        )
        if not sheared:
            return stack

    origin, spacing, counts = _orthogonal_grid(volume, min_spacing_mm)
    axes = (volume.row_cosine, volume.column_cosine, volume.normal)
    fill = float(np.min(volume.voxels))
    logger.debug(
        "resampling a %s stack onto a uniform %s grid",
        "tilted" if volume.is_uniform else "non-uniform",
        tuple(int(c) for c in counts[::-1]),
    )
    if volume.is_uniform:
        resampler = sitk.ResampleImageFilter()
        resampler.SetOutputOrigin(tuple(float(v) for v in origin))
        resampler.SetOutputSpacing(spacing)
        resampler.SetOutputDirection(
            tuple(float(v) for v in np.column_stack(axes).ravel())
        )
        resampler.SetSize(counts)
        resampler.SetInterpolator(sitk.sitkLinear)
        resampler.SetDefaultPixelValue(fill)
        resampler.SetOutputPixelType(sitk.sitkFloat32)
        return resampler.Execute(stack)

    grid = np.empty((counts[2], counts[1], counts[0]), dtype=np.float32)
    ii, jj = np.meshgrid(np.arange(counts[0]), np.arange(counts[1]), indexing="xy")
    in_plane = (
        origin
        + (ii[..., None] * spacing[0]) * axes[0]
        + (jj[..., None] * spacing[1]) * axes[1]
    )
    for k in range(counts[2]):
        points = in_plane + (k * spacing[2]) * axes[2]
        grid[k] = sample_patient(volume, points, fill)
    return _image(grid, origin, spacing, axes)


def euler_to_matrix(transform: SitkTransform) -> FloatArray:
    """The 4x4 matrix of a SimpleITK matrix-offset transform (its own direction).

    SimpleITK transforms map points of the fixed image's space to the moving
    image's space: ``y = A (x - c) + c + t``.
    """
    matrix = np.eye(4)
    rotation = np.asarray(transform.GetMatrix(), dtype=np.float64).reshape(3, 3)
    center = np.asarray(transform.GetCenter(), dtype=np.float64)
    translation = np.asarray(transform.GetTranslation(), dtype=np.float64)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = center + translation - rotation @ center
    return matrix


def series_key(volume: Volume) -> str:
    """A hash of the volume's SOP Instance UIDs, naming the series in the cache."""
    if not volume.sop_instance_uids:
        raise ValueError(
            "the series has no SOP Instance UIDs (0008,0018), so its registration "
            "cannot be cached; register it without the cache"
        )
    digest = hashlib.sha256("\\".join(volume.sop_instance_uids).encode("ascii"))
    return digest.hexdigest()[:32]


class RegistrationCache:
    """Registration results per pair of series, one JSON file per pair.

    The folder belongs to the caller (the application keeps it with its own data,
    never beside the images). A pair found in the other order is returned inverted.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def get(self, fixed: Volume, moving: Volume) -> RigidResult | None:
        """The cached result for this pair, or None."""
        fixed_key, moving_key = series_key(fixed), series_key(moving)
        result = self._read(fixed_key, moving_key)
        if result is not None:
            return result
        reverse = self._read(moving_key, fixed_key)
        return reverse.inverse() if reverse is not None else None

    def put(self, fixed: Volume, moving: Volume, result: RigidResult) -> Path:
        """Store ``result`` for this pair; returns the file written."""
        fixed_key, moving_key = series_key(fixed), series_key(moving)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(fixed_key, moving_key)
        data = {"fixed_series": fixed_key, "moving_series": moving_key}
        data.update(result.to_json())
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temporary.replace(path)
        return path

    def _path(self, fixed_key: str, moving_key: str) -> Path:
        return self.folder / f"{fixed_key}-{moving_key}.json"

    def _read(self, fixed_key: str, moving_key: str) -> RigidResult | None:
        path = self._path(fixed_key, moving_key)
        if not path.is_file():
            return None
        try:
            result = RigidResult.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("ignoring unreadable registration cache %s: %s", path, error)
            return None
        if result.method != METHOD:
            logger.debug("cached registration %s is of method %s", path, result.method)
            return None
        return result


def simpleitk() -> Any:
    """The SimpleITK module, imported on first use (it is slow to load)."""
    import SimpleITK

    return SimpleITK


# ----------------------------------------------------------------- helpers


def _check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise RegistrationCancelled("registration cancelled")


def _apply(matrix: FloatArray, points_lps_mm: npt.ArrayLike) -> FloatArray:
    points = np.asarray(points_lps_mm, dtype=np.float64)
    return np.asarray(points @ matrix[:3, :3].T + matrix[:3, 3], dtype=np.float64)


def _image(
    voxels: npt.NDArray[Any],
    origin: FloatArray,
    spacing: tuple[float, float, float],
    axes: tuple[FloatArray, FloatArray, FloatArray],
) -> SitkImage:
    """A SimpleITK image of a (k, j, i) array; ``axes`` are the i, j, k directions."""
    sitk = simpleitk()

    image = sitk.GetImageFromArray(np.ascontiguousarray(voxels))
    image.SetOrigin(tuple(float(v) for v in origin))
    image.SetSpacing(tuple(float(v) for v in spacing))
    image.SetDirection(tuple(float(v) for v in np.column_stack(axes).ravel()))
    return image


def _orthogonal_grid(
    volume: Volume, min_spacing_mm: float
) -> tuple[FloatArray, tuple[float, float, float], tuple[int, int, int]]:
    """Origin, spacing and size (i, j, k) of a grid along row, column and normal.

    It covers every voxel centre of ``volume``; its slice step is the finest step
    of the stack, so the thinnest part keeps its detail.
    """
    nk, nj, ni = volume.shape
    di, dj, _ = volume.spacing_ijk_mm
    corners = np.array(
        [[i, j, k] for i in (0, ni - 1) for j in (0, nj - 1) for k in (0, nk - 1)],
        dtype=np.float64,
    )
    axes = np.stack([volume.row_cosine, volume.column_cosine, volume.normal])
    extent = volume.to_patient(corners) @ axes.T
    low, high = extent.min(axis=0), extent.max(axis=0)
    finest = float(np.min(volume.slice_steps_mm)) if nk > 1 else volume.slice_step_mm
    spacing = np.maximum([di, dj, finest], min_spacing_mm)
    counts = np.floor((high - low) / spacing + 1e-6).astype(int) + 1
    return (
        np.asarray(low @ axes, dtype=np.float64),
        (float(spacing[0]), float(spacing[1]), float(spacing[2])),
        (int(counts[0]), int(counts[1]), int(counts[2])),
    )


def _pyramid(image: SitkImage) -> list[SitkImage]:
    """Shrunken copies of ``image``, coarsest first, each made from the next finer."""
    shrunk = [image]
    for target in reversed(LEVEL_TARGET_SPACING_MM):
        shrunk.append(_shrink(shrunk[-1], target))
    return shrunk[:0:-1]


def _shrink(image: SitkImage, target_spacing_mm: float) -> SitkImage:
    """A block-averaged copy of ``image`` with voxels near ``target_spacing_mm``."""
    sitk = simpleitk()

    spacings, sizes = image.GetSpacing(), image.GetSize()
    factors = [
        max(1, min(int(round(target_spacing_mm / s)), n // 2))
        for s, n in zip(spacings, sizes, strict=True)
    ]
    shrunk = sitk.Cast(sitk.BinShrink(image, factors), sitk.sitkFloat32)
    return shrunk


def _sampling_mask(body: SitkImage) -> SitkImage:
    """The body with what it encloses in each slice (lungs, bowel gas), as uint8.

    Within every slice, voxels lying between body voxels both along their row and
    along their column are kept, so the metric samples the patient rather than the
    air around it.
    """
    sitk = simpleitk()

    inside = sitk.GetArrayFromImage(body).astype(bool)
    filled = np.ones_like(inside)
    for axis in (1, 2):
        ahead = np.logical_or.accumulate(inside, axis=axis)
        behind = np.flip(np.logical_or.accumulate(np.flip(inside, axis), axis), axis)
        filled &= ahead & behind
    mask = sitk.GetImageFromArray(filled.astype(np.uint8))
    mask.CopyInformation(body)
    return mask


def _body_mask(image: SitkImage) -> SitkImage:
    """Voxels brighter than the Otsu threshold: the body, against air."""
    sitk = simpleitk()

    return sitk.OtsuThreshold(image, 0, 1)


def _initial_transform(fixed_mask: SitkImage, moving_mask: SitkImage) -> Any:
    """An Euler transform centred on the fixed body, matching the centres of mass."""
    sitk = simpleitk()

    initial = sitk.CenteredTransformInitializer(
        sitk.Cast(fixed_mask, sitk.sitkFloat32),
        sitk.Cast(moving_mask, sitk.sitkFloat32),
        sitk.Euler3DTransform(),
        sitk.CenteredTransformInitializerFilter.MOMENTS,
    )
    return sitk.Euler3DTransform(initial)


def _execute(method: Any, fixed: SitkImage, moving: SitkImage) -> tuple[int, float]:
    """Run one level; returns its iterations and final metric value."""
    started = time.perf_counter()
    method.Execute(fixed, moving)
    iterations = int(method.GetOptimizerIteration())
    metric_value = float(method.GetMetricValue())
    logger.debug(
        "registration level: %d iterations in %.2f s, metric %.5f, %s",
        iterations,
        time.perf_counter() - started,
        metric_value,
        method.GetOptimizerStopConditionDescription(),
    )
    return iterations, metric_value


def _method(level: int, fixed: SitkImage, mask: SitkImage, transform: Any) -> Any:
    """The registration method of one level, optimising ``transform`` in place."""
    sitk = simpleitk()

    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=HISTOGRAM_BINS)
    # Samples are drawn over the whole image and those outside the mask dropped, so
    # the fraction is counted against the mask to keep about SAMPLES_PER_LEVEL.
    inside = int(np.count_nonzero(sitk.GetArrayViewFromImage(mask)))
    fraction = min(1.0, SAMPLES_PER_LEVEL / max(inside, 1))
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(fraction, RANDOM_SEED)
    method.SetMetricFixedMask(mask)
    method.SetMetricUseFixedImageGradientFilter(False)
    method.SetMetricUseMovingImageGradientFilter(False)
    method.SetInterpolator(sitk.sitkLinear)
    learning_rate, minimum_step = LEVEL_STEPS_MM[level]
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=learning_rate,
        minStep=minimum_step,
        numberOfIterations=LEVEL_ITERATIONS[level],
        relaxationFactor=RELAXATION,
        gradientMagnitudeTolerance=1e-8,
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(transform, inPlace=True)
    return method
