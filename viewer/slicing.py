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
        self._stack: Any = None
        if orientation != "native":
            from viewer import reslice

            self._stack = reslice.PlaneStack(volume, _NORMALS[orientation])

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
        return int(self._stack.count)

    def plane(self, index: int) -> tuple[npt.NDArray[Any], Plane]:
        """The values and geometry of plane ``index``."""
        if self._stack is None:
            return self.volume.voxels[index], native_plane(self.volume, index)
        values, plane = self._stack.plane(index)
        return values, plane

    def index_of(self, point_lps_mm: npt.ArrayLike) -> int:
        """The plane nearest a patient point, clipped to the stack."""
        if self._stack is None:
            return self.volume.nearest_slice(point_lps_mm)
        return int(self._stack.index_of(point_lps_mm))
