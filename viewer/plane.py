"""The geometry of one displayed 2D image: where its pixels lie in the patient.

A :class:`Plane` is shared by the viewport (screen pixel to LPS mm), the reslicer
(which samples a volume on it) and the measurement tools (which compute lengths in
patient millimetres from it). Pixel ``(x, y)`` is column x, row y; its centre lies
at ``origin + x * spacing_x * x_axis + y * spacing_y * y_axis``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from viewer.volume import Calibration, Volume

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Plane:
    """An image plane in patient space (LPS, mm).

    Parameters
    ----------
    origin_lps_mm
        Centre of pixel (0, 0).
    x_axis, y_axis
        Unit vectors of increasing column and increasing row.
    spacing_mm
        ``(x, y)``: distance between columns and between rows.
    size
        ``(columns, rows)``.
    """

    origin_lps_mm: FloatArray
    x_axis: FloatArray
    y_axis: FloatArray
    spacing_mm: tuple[float, float]
    size: tuple[int, int]
    calibration: Calibration = Calibration()
    # The source slice when the plane is exactly one slice of a stack.
    sop_instance_uid: str = ""
    frame_of_reference_uid: str = ""

    @property
    def normal(self) -> FloatArray:
        """Unit normal, x axis cross y axis."""
        normal = np.cross(self.x_axis, self.y_axis)
        return np.asarray(normal / np.linalg.norm(normal), dtype=np.float64)

    def to_patient(self, pixel_xy: npt.ArrayLike) -> FloatArray:
        """Map continuous pixel coordinates ``(..., 2)`` to LPS mm."""
        xy = np.asarray(pixel_xy, dtype=np.float64)
        return np.asarray(
            self.origin_lps_mm
            + xy[..., 0:1] * self.spacing_mm[0] * self.x_axis
            + xy[..., 1:2] * self.spacing_mm[1] * self.y_axis,
            dtype=np.float64,
        )

    def from_patient(self, points_lps_mm: npt.ArrayLike) -> FloatArray:
        """Project LPS mm points ``(..., 3)`` into pixel coordinates ``(..., 2)``."""
        offset = np.asarray(points_lps_mm, dtype=np.float64) - self.origin_lps_mm
        x = offset @ self.x_axis / self.spacing_mm[0]
        y = offset @ self.y_axis / self.spacing_mm[1]
        return np.stack([x, y], axis=-1)

    def distance_to(self, points_lps_mm: npt.ArrayLike) -> FloatArray:
        """Signed distance (mm) of points from the plane along its normal."""
        offset = np.asarray(points_lps_mm, dtype=np.float64) - self.origin_lps_mm
        return np.asarray(offset @ self.normal, dtype=np.float64)


def native_plane(volume: Volume, k: int) -> Plane:
    """The plane of slice ``k`` exactly as it was acquired."""
    di, dj, _ = volume.spacing_ijk_mm
    _, rows, columns = volume.shape
    uid = volume.sop_instance_uids[k] if volume.sop_instance_uids else ""
    return Plane(
        origin_lps_mm=volume.slice_positions_lps_mm[k].copy(),
        x_axis=volume.row_cosine.copy(),
        y_axis=volume.column_cosine.copy(),
        spacing_mm=(di, dj),
        size=(columns, rows),
        calibration=volume.calibration,
        sop_instance_uid=uid,
        frame_of_reference_uid=volume.frame_of_reference_uid,
    )
