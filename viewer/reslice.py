"""Sample a volume on any plane, and a prior in the current study's geometry.

A plane (:class:`viewer.plane.Plane`) is an origin in LPS mm, two in-plane unit
axes, a pixel spacing and a size; :func:`reslice` returns its pixels as a
:class:`SliceImage`, which keeps the plane so a viewport can map screen pixels to
patient millimetres. :func:`axial_plane`, :func:`coronal_plane` and
:func:`sagittal_plane` give the standard patient planes through a volume.

How the voxels are reached: a volume with uniform slice steps, tilted or not, has an
exact affine index <-> LPS mapping (a tilted stack is a sheared one), so VTK's
``vtkImageReslice`` samples its index grid through the matrix
``inverse(volume.affine()) @ plane matrix``: fast and multi-threaded. With
non-uniform slice steps no single matrix is exact (the slice position is piecewise
linear in k), so such stacks are sampled with numpy, trilinearly, through
:meth:`Volume.from_patient` (:mod:`viewer.sampling`). Both interpolate linearly
between voxel centres and give the same values; points more than half a voxel
outside the stack get ``fill``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from viewer.plane import Plane
from viewer.sampling import sample_index, sample_patient
from viewer.volume import Volume

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

_X = np.array([1.0, 0.0, 0.0])
_Y = np.array([0.0, 1.0, 0.0])
_Z = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True, eq=False)
class SliceImage:
    """A 2D image sampled from a volume, with the plane that places it.

    ``pixels`` is shaped ``(rows, columns)`` = ``(plane.size[1], plane.size[0])``,
    in the volume's modality units.
    """

    pixels: Float32Array
    plane: Plane

    def to_patient(self, pixel_xy: npt.ArrayLike) -> FloatArray:
        """LPS mm of continuous pixel coordinates ``(..., 2)`` (column, row)."""
        return self.plane.to_patient(pixel_xy)

    def from_patient(self, points_lps_mm: npt.ArrayLike) -> FloatArray:
        """Pixel coordinates ``(..., 2)`` of LPS mm points projected on the plane."""
        return self.plane.from_patient(points_lps_mm)


def reslice(volume: Volume, plane: Plane, fill: float | None = None) -> SliceImage:
    """Sample ``volume`` on ``plane`` with trilinear interpolation.

    Parameters
    ----------
    fill
        Value outside the volume; the volume's minimum when not given.
    """
    background = float(np.min(volume.voxels)) if fill is None else float(fill)
    if volume.is_uniform:
        pixels = _reslice_vtk(volume, plane, background)
    else:
        pixels = _reslice_numpy(volume, plane, background)
    return SliceImage(pixels, plane)


def axial_plane(
    volume: Volume, position_mm: float, spacing_mm: float | None = None
) -> Plane:
    """The transverse plane at patient z = ``position_mm``, seen from the feet.

    Columns run to the patient's left, rows to posterior (the radiological
    convention); the plane covers the whole volume with square pixels of
    ``spacing_mm`` (the volume's finest in-plane spacing when not given).
    """
    return _standard_plane(volume, _X, _Y, _Z, position_mm, spacing_mm)


def coronal_plane(
    volume: Volume, position_mm: float, spacing_mm: float | None = None
) -> Plane:
    """The coronal plane at patient y = ``position_mm``: left across, head up."""
    return _standard_plane(volume, _X, -_Z, _Y, position_mm, spacing_mm)


def sagittal_plane(
    volume: Volume, position_mm: float, spacing_mm: float | None = None
) -> Plane:
    """The sagittal plane at patient x = ``position_mm``: posterior across, head up."""
    return _standard_plane(volume, _Y, -_Z, _X, position_mm, spacing_mm)


def resample_into(
    moving: Volume,
    fixed: Volume,
    matrix_moving_to_fixed: npt.ArrayLike,
    fill: float | None = None,
) -> Float32Array:
    """``moving`` sampled on every voxel of ``fixed``, shaped like ``fixed.voxels``.

    Parameters
    ----------
    matrix_moving_to_fixed
        4x4 from MOVING LPS mm to FIXED LPS mm (a registration result, or the
        identity for series sharing a Frame of Reference).
    fill
        Value where ``fixed`` sees beyond ``moving``; ``moving``'s minimum if None.
    """
    matrix = np.asarray(matrix_moving_to_fixed, dtype=np.float64)
    fixed_to_moving = np.linalg.inv(matrix)
    background = float(np.min(moving.voxels)) if fill is None else float(fill)
    if fixed.is_uniform and moving.is_uniform:
        index_map = np.linalg.inv(moving.affine()) @ fixed_to_moving @ fixed.affine()
        nk, nj, ni = fixed.shape
        return _vtk_resample(moving, index_map, (ni, nj, nk), background)

    nk, nj, ni = fixed.shape
    out = np.empty(fixed.shape, dtype=np.float32)
    ii, jj = np.meshgrid(np.arange(ni), np.arange(nj), indexing="xy")
    for k in range(nk):
        index = np.stack([ii, jj, np.full(ii.shape, k)], axis=-1)
        points = fixed.to_patient(index) @ fixed_to_moving[:3, :3].T
        out[k] = sample_patient(moving, points + fixed_to_moving[:3, 3], background)
    return out


# ----------------------------------------------------------------- helpers


def _standard_plane(
    volume: Volume,
    x_axis: FloatArray,
    y_axis: FloatArray,
    across: FloatArray,
    position_mm: float,
    spacing_mm: float | None,
) -> Plane:
    """A plane spanned by ``x_axis``, ``y_axis`` at ``across . p == position_mm``."""
    spacing = float(min(volume.pixel_spacing_mm)) if spacing_mm is None else spacing_mm
    if spacing <= 0:
        raise ValueError(f"a plane's pixel spacing must be positive, got {spacing}")
    nk, nj, ni = volume.shape
    corners = volume.to_patient(
        [
            [i, j, k]
            for i in (-0.5, ni - 0.5)
            for j in (-0.5, nj - 0.5)
            for k in (0, nk - 1)
        ]
    )
    along_x, along_y = corners @ x_axis, corners @ y_axis
    columns = int(np.floor((along_x.max() - along_x.min()) / spacing)) + 1
    rows = int(np.floor((along_y.max() - along_y.min()) / spacing)) + 1
    origin = along_x.min() * x_axis + along_y.min() * y_axis + position_mm * across
    return Plane(
        origin_lps_mm=np.asarray(origin, dtype=np.float64),
        x_axis=x_axis.copy(),
        y_axis=y_axis.copy(),
        spacing_mm=(spacing, spacing),
        size=(columns, rows),
        calibration=volume.calibration,
        frame_of_reference_uid=volume.frame_of_reference_uid,
    )


def _plane_matrix(plane: Plane) -> FloatArray:
    """4x4 from plane pixel coordinates (x, y, 0, 1) to LPS mm."""
    matrix = np.eye(4)
    matrix[:3, 0] = plane.x_axis * plane.spacing_mm[0]
    matrix[:3, 1] = plane.y_axis * plane.spacing_mm[1]
    matrix[:3, 2] = plane.normal
    matrix[:3, 3] = plane.origin_lps_mm
    return matrix


def _reslice_vtk(volume: Volume, plane: Plane, fill: float) -> Float32Array:
    index_map = np.linalg.inv(volume.affine()) @ _plane_matrix(plane)
    columns, rows = plane.size
    pixels: Float32Array = _vtk_resample(volume, index_map, (columns, rows, 1), fill)[0]
    return pixels


def _reslice_numpy(volume: Volume, plane: Plane, fill: float) -> Float32Array:
    columns, rows = plane.size
    xx, yy = np.meshgrid(np.arange(columns), np.arange(rows), indexing="xy")
    points = plane.to_patient(np.stack([xx, yy], axis=-1))
    return sample_index(volume.voxels, volume.from_patient(points), fill)


def _vtk_resample(
    volume: Volume,
    index_map: FloatArray,
    size_xyz: tuple[int, int, int],
    fill: float,
) -> Float32Array:
    """Sample ``volume``'s index grid at ``index_map @ (x, y, z, 1)`` for a grid."""
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonCore import VTK_FLOAT
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkCommonMath import vtkMatrix4x4
    from vtkmodules.vtkImagingCore import vtkImageReslice

    # The VTK array shares memory with `voxels`, which must outlive the filter run.
    voxels = np.ascontiguousarray(volume.voxels)
    nk, nj, ni = voxels.shape
    image = vtkImageData()
    image.SetDimensions(ni, nj, nk)
    support: Any = numpy_support
    image.GetPointData().SetScalars(
        support.numpy_to_vtk(voxels.reshape(-1), deep=False)
    )

    axes = vtkMatrix4x4()
    for row in range(4):
        for column in range(4):
            axes.SetElement(row, column, float(index_map[row, column]))
    reslicer: Any = vtkImageReslice()
    reslicer.SetInputData(image)
    reslicer.SetResliceAxes(axes)
    reslicer.SetOutputSpacing(1.0, 1.0, 1.0)
    reslicer.SetOutputOrigin(0.0, 0.0, 0.0)
    sx, sy, sz = size_xyz
    reslicer.SetOutputExtent(0, sx - 1, 0, sy - 1, 0, sz - 1)
    reslicer.SetInterpolationModeToLinear()
    reslicer.SetOutputScalarType(VTK_FLOAT)
    reslicer.SetBackgroundLevel(fill)
    reslicer.Update()
    scalars = reslicer.GetOutput().GetPointData().GetScalars()
    result = np.array(support.vtk_to_numpy(scalars), dtype=np.float32)
    return result.reshape(sz, sy, sx)
