"""Analytic phantoms: ellipsoids and elliptic cylinders placed in a body frame.

A phantom is a list of shapes, each with a value in HU, painted in order (a later
shape replaces an earlier one where it covers it). Shapes live in the body's own
frame (mm); a rigid :class:`Pose` places the body in the patient (LPS, mm), so one
phantom can be scanned in several positions. A slice is rasterised analytically:
each pixel centre is taken back into the body frame through the inverse pose and
tested against every shape, with the edge blended over one pixel by an estimate of
the signed distance to the surface (partial volume), so that sizes measured on the
image match the shapes' true sizes to a fraction of a pixel.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from viewer.synthetic import StackGeometry

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]

AIR_HU = -1000.0


@dataclass(frozen=True)
class Pose:
    """A rigid placement of the body frame in the patient: ``p = R b + t``."""

    rotation: FloatArray = field(default_factory=lambda: np.eye(3))
    translation_mm: FloatArray = field(default_factory=lambda: np.zeros(3))

    @classmethod
    def from_angles(
        cls, yaw_deg: float, pitch_deg: float, translation_mm: Sequence[float]
    ) -> Pose:
        """``R = Rz(yaw) Rx(pitch)``: pitch about the body's left-right axis first,
        then yaw about the patient's long (S) axis, turning +x (L) towards +y (P).
        """
        yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
        rz = np.array(
            [
                [math.cos(yaw), -math.sin(yaw), 0.0],
                [math.sin(yaw), math.cos(yaw), 0.0],
                [0.0, 0.0, 1.0],
            ]
        )
        rx = np.array(
            [
                [1.0, 0.0, 0.0],
                [0.0, math.cos(pitch), -math.sin(pitch)],
                [0.0, math.sin(pitch), math.cos(pitch)],
            ]
        )
        return cls(rz @ rx, np.asarray(translation_mm, dtype=np.float64))

    def matrix(self) -> FloatArray:
        """The 4x4 homogeneous matrix from body to patient (LPS, mm)."""
        matrix = np.eye(4)
        matrix[:3, :3] = self.rotation
        matrix[:3, 3] = self.translation_mm
        return matrix

    def to_patient(self, points_body_mm: npt.ArrayLike) -> FloatArray:
        """Map body-frame points ``(..., 3)`` to patient LPS mm."""
        points = np.asarray(points_body_mm, dtype=np.float64)
        return np.asarray(points @ self.rotation.T + self.translation_mm)

    def to_body(self, points_lps_mm: npt.ArrayLike) -> FloatArray:
        """Map patient LPS mm points ``(..., 3)`` to the body frame."""
        points = np.asarray(points_lps_mm, dtype=np.float64)
        return np.asarray((points - self.translation_mm) @ self.rotation)


@dataclass(frozen=True)
class Ellipsoid:
    """A solid ellipsoid in the body frame; an infinite semi-axis makes a cylinder.

    ``axes`` holds the ellipsoid's own axes as the columns of a rotation matrix in
    the body frame; ``semi_axes_mm`` are the half lengths along them.
    """

    centre_mm: tuple[float, float, float]
    semi_axes_mm: tuple[float, float, float]
    hu: float
    axes: FloatArray = field(default_factory=lambda: np.eye(3))


def cylinder(
    centre_xy_mm: tuple[float, float], semi_axes_xy_mm: tuple[float, float], hu: float
) -> Ellipsoid:
    """An elliptic cylinder along the body's z axis."""
    return Ellipsoid(
        (centre_xy_mm[0], centre_xy_mm[1], 0.0),
        (semi_axes_xy_mm[0], semi_axes_xy_mm[1], math.inf),
        hu,
    )


def render_slice(
    shapes: Sequence[Ellipsoid],
    geometry: StackGeometry,
    k: int,
    pose: Pose,
    background_hu: float = AIR_HU,
) -> Float32Array:
    """The HU image of slice k of ``geometry`` with the body placed by ``pose``."""
    image = np.full((geometry.rows, geometry.columns), background_hu, dtype=np.float32)
    row_spacing, column_spacing = geometry.pixel_spacing_mm
    pixel_mm = min(row_spacing, column_spacing)
    origin = geometry.slice_positions_lps_mm[k]
    row = np.asarray(geometry.row_cosine, dtype=np.float64)
    col = np.asarray(geometry.column_cosine, dtype=np.float64)
    # Body-frame position of pixel (0, 0) and the body-frame steps along i and j.
    base_body = pose.to_body(origin)
    step_i = pose.rotation.T @ (row * column_spacing)
    step_j = pose.rotation.T @ (col * row_spacing)

    for shape in shapes:
        window = _pixel_window(shape, geometry, k, pose)
        if window is None:
            continue
        (j0, j1), (i0, i1) = window
        i = np.arange(i0, i1, dtype=np.float32)[None, :]
        j = np.arange(j0, j1, dtype=np.float32)[:, None]
        offset = base_body - np.asarray(shape.centre_mm, dtype=np.float64)
        local = np.stack([offset, step_i, step_j]) @ shape.axes
        coverage = _coverage(local, i, j, shape.semi_axes_mm, pixel_mm)
        patch = image[j0:j1, i0:i1]
        patch += coverage * (np.float32(shape.hu) - patch)
    return image


def _coverage(
    local: FloatArray,
    i: Float32Array,
    j: Float32Array,
    semi_axes_mm: tuple[float, float, float],
    pixel_mm: float,
) -> Float32Array:
    """Fraction of each pixel inside the shape, from an estimated signed distance.

    With ``u`` the point scaled by the semi-axes and ``r = |u|`` (1 on the surface),
    the distance to the surface is about ``(r - 1) / |grad r|``; a pixel is covered
    in proportion to where the surface crosses a box one pixel wide.
    """
    radius_sq = np.zeros(np.broadcast_shapes(i.shape, j.shape), dtype=np.float32)
    gradient_sq = np.zeros_like(radius_sq)
    for axis, semi in enumerate(semi_axes_mm):
        if math.isinf(semi):
            continue
        start = float(local[0, axis]) / semi
        di, dj = float(local[1, axis]) / semi, float(local[2, axis]) / semi
        u = start + di * i + dj * j
        radius_sq += u * u
        gradient_sq += (u / np.float32(semi)) ** 2
    radius = np.sqrt(radius_sq)
    gradient = np.sqrt(gradient_sq) / np.maximum(radius, np.float32(1e-6))
    distance = (radius - 1.0) / np.maximum(gradient, np.float32(1e-9))
    return np.asarray(
        np.clip(0.5 - distance / np.float32(pixel_mm), 0.0, 1.0), dtype=np.float32
    )


def _pixel_window(
    shape: Ellipsoid, geometry: StackGeometry, k: int, pose: Pose
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Rows and columns of slice k that the shape may touch, or None if none."""
    origin = geometry.slice_positions_lps_mm[k]
    normal = geometry.normal
    row = np.asarray(geometry.row_cosine, dtype=np.float64)
    col = np.asarray(geometry.column_cosine, dtype=np.float64)
    axes_lps = pose.rotation @ shape.axes
    semi = np.asarray(shape.semi_axes_mm, dtype=np.float64)
    finite = np.isfinite(semi)
    centre = pose.to_patient(shape.centre_mm)

    if finite.all():
        scaled = axes_lps * semi
        reach = float(np.linalg.norm(scaled.T @ normal)) + max(
            geometry.pixel_spacing_mm
        )
        if abs(float((centre - origin) @ normal)) > reach:
            return None
    else:
        # Move the centre along the infinite axis into the slice plane; the section
        # is the cross-section stretched by the axis' slope through the plane.
        axis = axes_lps[:, ~finite][:, 0]
        slope = float(axis @ normal)
        if abs(slope) < 1e-6:
            return None
        centre = centre + axis * float((origin - centre) @ normal) / slope
        scaled = axes_lps[:, finite] * semi[finite] / abs(slope)
    margin = 2.0 * max(geometry.pixel_spacing_mm)
    half_i = float(np.linalg.norm(scaled.T @ row)) + margin
    half_j = float(np.linalg.norm(scaled.T @ col)) + margin
    row_spacing, column_spacing = geometry.pixel_spacing_mm
    centre_i = float((centre - origin) @ row) / column_spacing
    centre_j = float((centre - origin) @ col) / row_spacing
    i0 = max(int(math.floor(centre_i - half_i / column_spacing)), 0)
    i1 = min(int(math.ceil(centre_i + half_i / column_spacing)) + 1, geometry.columns)
    j0 = max(int(math.floor(centre_j - half_j / row_spacing)), 0)
    j1 = min(int(math.ceil(centre_j + half_j / row_spacing)) + 1, geometry.rows)
    if i0 >= i1 or j0 >= j1:
        return None
    return (j0, j1), (i0, i1)
