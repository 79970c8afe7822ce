"""The planes a viewport can page through for one volume.

``native`` pages through the slices as acquired (no resampling, exact geometry);
``axial``, ``coronal`` and ``sagittal`` are patient-aligned planes resampled from
the volume by :mod:`viewer.reslice`. Qt-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from viewer.plane import Plane, native_plane
from viewer.volume import Volume

ORIENTATIONS = ("native", "axial", "coronal", "sagittal")

# Normals of the patient-aligned planes in LPS.
_NORMALS = {
    "axial": np.array([0.0, 0.0, 1.0]),
    "coronal": np.array([0.0, 1.0, 0.0]),
    "sagittal": np.array([1.0, 0.0, 0.0]),
}


def orientation_of(normal: npt.ArrayLike, tolerance: float = 0.8) -> str:
    """Name the patient plane a normal is closest to, or ``"Oblique"``."""
    vector = np.abs(np.asarray(normal, dtype=np.float64))
    axis = int(np.argmax(vector))
    if vector[axis] < tolerance:
        return "Oblique"
    return ("Sagittal", "Coronal", "Axial")[axis]


class SliceSource:
    """Index-based access to the planes of one orientation of a volume."""

    def __init__(self, volume: Volume, orientation: str = "native") -> None:
        if orientation not in ORIENTATIONS:
            raise ValueError(
                f"orientation must be one of {', '.join(ORIENTATIONS)}, "
                f"got {orientation!r}"
            )
        native_name = orientation_of(volume.normal)
        if orientation != "native" and native_name.lower() == orientation:
            orientation = "native"
        self.volume = volume
        self.orientation = orientation
        self._stack: _PlaneStack | None = None
        if orientation != "native":
            self._stack = _PlaneStack(volume, orientation)

    @property
    def orientation_name(self) -> str:
        """What the overlay calls the planes shown."""
        if self.orientation == "native":
            return orientation_of(self.volume.normal)
        return self.orientation.capitalize()

    @property
    def count(self) -> int:
        """Number of planes."""
        if self._stack is None:
            return self.volume.shape[0]
        return self._stack.count

    def plane(self, index: int) -> tuple[npt.NDArray[Any], Plane]:
        """The values and geometry of plane ``index``."""
        if self._stack is None:
            return self.volume.voxels[index], native_plane(self.volume, index)
        return self._stack.plane(index)

    def index_of(self, point_lps_mm: npt.ArrayLike) -> int:
        """The plane nearest a patient point, clipped to the stack."""
        if self._stack is None:
            return self.volume.nearest_slice(point_lps_mm)
        return self._stack.index_of(point_lps_mm)


class _PlaneStack:
    """Patient-aligned planes through a volume, one finest pixel spacing apart."""

    def __init__(self, volume: Volume, orientation: str) -> None:
        self.volume = volume
        self.orientation = orientation
        self.normal = _NORMALS[orientation]
        self.step_mm = float(min(volume.pixel_spacing_mm))
        nk, nj, ni = volume.shape
        corners = volume.to_patient(
            [[i, j, k] for i in (0, ni - 1) for j in (0, nj - 1) for k in (0, nk - 1)]
        )
        along = corners @ self.normal
        self.start_mm = float(along.min())
        self.count = int(np.floor((along.max() - along.min()) / self.step_mm)) + 1

    def position_mm(self, index: int) -> float:
        return self.start_mm + index * self.step_mm

    def plane(self, index: int) -> tuple[npt.NDArray[Any], Plane]:
        from viewer import reslice

        make = {
            "axial": reslice.axial_plane,
            "coronal": reslice.coronal_plane,
            "sagittal": reslice.sagittal_plane,
        }[self.orientation]
        image = reslice.reslice(self.volume, make(self.volume, self.position_mm(index)))
        return image.pixels, image.plane

    def index_of(self, point_lps_mm: npt.ArrayLike) -> int:
        along = float(np.asarray(point_lps_mm, dtype=np.float64) @ self.normal)
        index = round((along - self.start_mm) / self.step_mm)
        return int(np.clip(index, 0, self.count - 1))
