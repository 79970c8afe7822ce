"""Image-plane geometry of single DICOM images, from their headers.

Converts between patient coordinates (LPS, mm) and the continuous pixel
coordinates that SR SCOORD content items use: column and row, with the top left
corner of the top left pixel at (0, 0), so the centre of that pixel is (0.5, 0.5)
(PS3.3 C.18.6.1.1). Image Position (Patient) is the centre of the first pixel and
Pixel Spacing is (row spacing, column spacing) (PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


class GeometryError(ValueError):
    """An image header lacks the attributes that place its pixels in the patient."""


@dataclass(frozen=True)
class ImagePlane:
    """Where one image's pixels lie in the patient (LPS, mm)."""

    origin_lps_mm: FloatArray
    row_cosine: FloatArray
    column_cosine: FloatArray
    spacing_mm: tuple[float, float]
    rows: int
    columns: int

    @property
    def normal(self) -> FloatArray:
        """Unit normal of the image plane."""
        n = np.cross(self.row_cosine, self.column_cosine)
        return np.asarray(n / np.linalg.norm(n), dtype=np.float64)

    def to_pixel(self, points_lps_mm: FloatArray) -> FloatArray:
        """Continuous (column, row) SCOORD coordinates of patient points."""
        d = np.asarray(points_lps_mm, dtype=np.float64).reshape(-1, 3)
        d = d - self.origin_lps_mm
        col = d @ self.row_cosine / self.spacing_mm[1] + 0.5
        row = d @ self.column_cosine / self.spacing_mm[0] + 0.5
        return np.stack([col, row], axis=1)

    def to_patient(self, pixels: FloatArray) -> FloatArray:
        """Patient points (LPS, mm) of continuous (column, row) coordinates."""
        p = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
        i = (p[:, 0] - 0.5) * self.spacing_mm[1]
        j = (p[:, 1] - 0.5) * self.spacing_mm[0]
        return np.asarray(
            self.origin_lps_mm
            + np.outer(i, self.row_cosine)
            + np.outer(j, self.column_cosine),
            dtype=np.float64,
        )

    def distance_from_plane_mm(self, points_lps_mm: FloatArray) -> float:
        """The largest distance of the points from the image plane."""
        d = np.asarray(points_lps_mm, dtype=np.float64).reshape(-1, 3)
        return float(np.max(np.abs((d - self.origin_lps_mm) @ self.normal)))


def image_plane(header: Dataset, where: str = "image") -> ImagePlane:
    """The plane of a single-frame image header.

    Raises
    ------
    GeometryError
        If Image Position (Patient), Image Orientation (Patient) or Pixel Spacing
        is missing or malformed; the message names the attribute and ``where``.
    """
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"):
        if keyword not in header or header.get(keyword) is None:
            raise GeometryError(
                f"{where}: {keyword} is missing, so measurement points cannot be "
                "placed on this image"
            )
    ipp = np.asarray([float(v) for v in header.ImagePositionPatient])
    iop = np.asarray([float(v) for v in header.ImageOrientationPatient])
    spacing = [float(v) for v in header.PixelSpacing]
    if ipp.shape != (3,) or iop.shape != (6,) or len(spacing) != 2:
        raise GeometryError(
            f"{where}: ImagePositionPatient {list(ipp)}, ImageOrientationPatient "
            f"{list(iop)} or PixelSpacing {spacing} has the wrong number of values"
        )
    if min(spacing) <= 0:
        raise GeometryError(f"{where}: PixelSpacing {spacing} is not positive")
    row_cos = iop[:3] / np.linalg.norm(iop[:3])
    col_cos = iop[3:] / np.linalg.norm(iop[3:])
    return ImagePlane(
        origin_lps_mm=ipp,
        row_cosine=row_cos,
        column_cosine=col_cos,
        spacing_mm=(spacing[0], spacing[1]),
        rows=int(header.get("Rows", 0)),
        columns=int(header.get("Columns", 0)),
    )
