"""Measurement geometry in patient space: calipers, bidirectional axes, ellipse ROIs.

Every tool keeps its points in patient coordinates (LPS, mm, DICOM PS3.3
C.7.6.2.1.1) so a measurement can be shown again in any plane and carried into a
report. Lengths are Euclidean distances between those points; an image whose pixel
spacing is not a true patient distance (PS3.3 C.7.6.2.1.1 Pixel Spacing versus
Imager Pixel Spacing, or no spacing at all) yields a :class:`Quantity` whose
calibration says so, and its label shows it; no spacing is ever guessed here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from viewer.plane import Plane
from viewer.volume import Calibration, Volume

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]

# Below this length (mm) a long axis has no direction to be perpendicular to.
MIN_AXIS_MM = 1e-6


@dataclass(frozen=True)
class Quantity:
    """A measured value with its unit and the calibration it rests on.

    ``unit`` is the bare unit (``"mm"``, ``"mm2"``, ``"px"``, ``"px2"`` or a
    modality unit such as ``"HU"``); whether it is a trusted patient distance is
    ``calibration``'s business, never folded into the unit string.
    """

    value: float
    unit: str
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def calibrated(self) -> bool:
        """True when the value is a trusted patient distance or area."""
        return self.calibration.unit != "px" and self.calibration.trusted

    def label(self, decimals: int = 1) -> str:
        """Text for the image and the table, e.g. ``"23.4 px (uncalibrated)"``."""
        shown = {"mm2": "mm²", "px2": "px²"}.get(self.unit, self.unit)
        text = f"{self.value:.{decimals}f} {shown}".rstrip()
        if self.unit in {"mm", "mm2", "px", "px2"} and not self.calibrated:
            text += f" ({self.calibration.note or 'uncalibrated'})"
        return text


def length_unit(calibration: Calibration) -> str:
    """``"px"`` when the image has no pixel spacing, else ``"mm"``."""
    return "px" if calibration.unit == "px" else "mm"


@dataclass(frozen=True)
class Caliper:
    """A straight line between two points: the longest diameter of RECIST 1.1 4.1."""

    points_lps_mm: tuple[Point, Point]
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def length(self) -> Quantity:
        """Distance between the end points."""
        a, b = (np.asarray(p, dtype=np.float64) for p in self.points_lps_mm)
        distance = float(np.linalg.norm(b - a))
        return Quantity(distance, length_unit(self.calibration), self.calibration)

    @property
    def centre_lps_mm(self) -> Point:
        """Midpoint of the two end points."""
        return _point(np.mean(np.asarray(self.points_lps_mm, dtype=np.float64), axis=0))


@dataclass(frozen=True)
class Bidirectional:
    """A long axis and a short axis perpendicular to it in the same plane.

    RECIST 1.1 section 3.1.1 (lymph nodes: short axis perpendicular to the long
    axis). Build one with :func:`bidirectional`, which enforces perpendicularity.
    """

    long_axis_lps_mm: tuple[Point, Point]
    short_axis_lps_mm: tuple[Point, Point]
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def long(self) -> Quantity:
        """Length of the long axis."""
        return Caliper(self.long_axis_lps_mm, self.calibration).length

    @property
    def short(self) -> Quantity:
        """Length of the short axis."""
        return Caliper(self.short_axis_lps_mm, self.calibration).length

    @property
    def points_lps_mm(self) -> tuple[Point, Point, Point, Point]:
        """Long axis end points, then short axis end points."""
        return (*self.long_axis_lps_mm, *self.short_axis_lps_mm)

    @property
    def centre_lps_mm(self) -> Point:
        """Midpoint of the long axis."""
        return Caliper(self.long_axis_lps_mm).centre_lps_mm


@dataclass(frozen=True)
class Ellipse:
    """An elliptic region in a plane: its centre and the ends of its two semi-axes.

    ``axis_ends_lps_mm`` are the points where the first and the second semi-axis
    meet the outline; the second is made perpendicular to the first by
    :func:`ellipse`.
    """

    centre_lps_mm: Point
    axis_ends_lps_mm: tuple[Point, Point]
    calibration: Calibration = field(default_factory=Calibration)

    @property
    def points_lps_mm(self) -> tuple[Point, Point, Point]:
        """Centre, end of the first semi-axis, end of the second."""
        return (self.centre_lps_mm, *self.axis_ends_lps_mm)

    @property
    def semi_axes_lps_mm(self) -> tuple[FloatArray, FloatArray]:
        """The two semi-axis vectors from the centre."""
        centre = np.asarray(self.centre_lps_mm, dtype=np.float64)
        a, b = (np.asarray(p, dtype=np.float64) - centre for p in self.axis_ends_lps_mm)
        return a, b


@dataclass(frozen=True)
class EllipseStatistics:
    """Values of the pixels whose centres lie inside an ellipse.

    ``sd`` is the population standard deviation; ``area`` is the pixel count times
    the pixel area, in mm² (px² on an uncalibrated image).
    """

    mean: float
    sd: float
    minimum: float
    maximum: float
    area: Quantity
    pixel_count: int

    def label(self, value_unit: str = "") -> str:
        """Multi-line text shown beside the ellipse."""
        unit = f" {value_unit}" if value_unit else ""
        return (
            f"mean {self.mean:.1f}{unit}, SD {self.sd:.1f}{unit}\n"
            f"min {self.minimum:.1f}, max {self.maximum:.1f}{unit}\n"
            f"area {self.area.label()}"
        )


@dataclass(frozen=True)
class Arrow:
    """An arrow pointing at ``tip_lps_mm`` from ``tail_lps_mm``, with optional text."""

    tip_lps_mm: Point
    tail_lps_mm: Point
    text: str = ""


@dataclass(frozen=True)
class TextNote:
    """Free text anchored at a point."""

    anchor_lps_mm: Point
    text: str


def caliper_on_volume(
    volume: Volume, a_ijk: npt.ArrayLike, b_ijk: npt.ArrayLike
) -> Caliper:
    """A caliper between two continuous voxel indices (i, j, k) of a volume."""
    a, b = volume.to_patient(a_ijk), volume.to_patient(b_ijk)
    return Caliper((_point(a), _point(b)), volume.calibration)


def bidirectional(
    points_lps_mm: npt.ArrayLike,
    normal: npt.ArrayLike | None = None,
    calibration: Calibration | None = None,
) -> Bidirectional:
    """Long axis from the first two points, short axis re-projected perpendicular.

    The short axis is moved into the plane through the long axis with the given
    ``normal`` (by default the plane of both axes), turned perpendicular to the long
    axis, and made to cross the long axis where its midpoint projects onto it
    (clamped to the long axis); its end points keep their distances from the long
    axis. RECIST 1.1 section 3.1.1 wants the short axis in the same plane as the
    long axis and perpendicular to it.
    """
    points = np.asarray(points_lps_mm, dtype=np.float64).reshape(4, 3)
    a, b, c, d = points
    long_vector = b - a
    long_length = float(np.linalg.norm(long_vector))
    if long_length < MIN_AXIS_MM:
        raise ValueError("the long axis has no length; drag its two ends apart")
    long_dir = long_vector / long_length
    plane_normal = _plane_normal(long_dir, d - c, normal)
    short_dir = np.cross(plane_normal, long_dir)
    short_dir /= np.linalg.norm(short_dir)

    midpoint = (c + d) / 2
    along = float(np.clip((midpoint - a) @ long_dir, 0.0, long_length))
    foot = a + along * long_dir
    c_new = foot + float((c - foot) @ short_dir) * short_dir
    d_new = foot + float((d - foot) @ short_dir) * short_dir
    return Bidirectional(
        (_point(a), _point(b)),
        (_point(c_new), _point(d_new)),
        calibration or Calibration(),
    )


def ellipse(
    centre_lps_mm: npt.ArrayLike,
    first_end_lps_mm: npt.ArrayLike,
    second_end_lps_mm: npt.ArrayLike,
    calibration: Calibration | None = None,
) -> Ellipse:
    """An ellipse whose second semi-axis is turned perpendicular to the first.

    The second semi-axis keeps its length and its side of the first axis.
    """
    centre = np.asarray(centre_lps_mm, dtype=np.float64)
    first = np.asarray(first_end_lps_mm, dtype=np.float64) - centre
    second = np.asarray(second_end_lps_mm, dtype=np.float64) - centre
    first_length = float(np.linalg.norm(first))
    if first_length < MIN_AXIS_MM:
        raise ValueError(
            "the ellipse has no extent; drag its outline away from its centre"
        )
    first_dir = first / first_length
    across = second - (second @ first_dir) * first_dir
    across_length = float(np.linalg.norm(across))
    if across_length < MIN_AXIS_MM:
        raise ValueError("the ellipse's second axis lies along its first; widen it")
    second_new = across / across_length * float(np.linalg.norm(second))
    return Ellipse(
        _point(centre),
        (_point(centre + first), _point(centre + second_new)),
        calibration or Calibration(),
    )


def ellipse_statistics(
    pixels: npt.ArrayLike, plane: Plane, region: Ellipse
) -> EllipseStatistics:
    """Mean, SD, minimum, maximum and area of the pixels inside an ellipse.

    ``pixels`` is the image shown on ``plane``, shaped ``(rows, columns)``, in
    modality units (rescaled, PS3.3 C.11.1.1.2). A pixel is inside when its centre,
    projected on the ellipse's plane, lies within the ellipse.
    """
    image = np.asarray(pixels)
    columns, rows = plane.size
    if image.shape != (rows, columns):
        raise ValueError(
            f"the image is shaped {image.shape} but its plane has {rows} rows "
            f"and {columns} columns"
        )
    sx, sy = plane.spacing_mm
    x_axis = np.asarray(plane.x_axis, dtype=np.float64)
    y_axis = np.asarray(plane.y_axis, dtype=np.float64)
    origin = np.asarray(plane.origin_lps_mm, dtype=np.float64)
    centre = np.asarray(region.centre_lps_mm, dtype=np.float64)
    semi_a, semi_b = region.semi_axes_lps_mm
    length_a, length_b = float(np.linalg.norm(semi_a)), float(np.linalg.norm(semi_b))
    dir_a, dir_b = semi_a / length_a, semi_b / length_b

    centre_x = float((centre - origin) @ x_axis) / sx
    centre_y = float((centre - origin) @ y_axis) / sy
    half_x = math.hypot(float(semi_a @ x_axis), float(semi_b @ x_axis)) / sx
    half_y = math.hypot(float(semi_a @ y_axis), float(semi_b @ y_axis)) / sy
    x0 = max(0, math.floor(centre_x - half_x))
    x1 = min(columns - 1, math.ceil(centre_x + half_x))
    y0 = max(0, math.floor(centre_y - half_y))
    y1 = min(rows - 1, math.ceil(centre_y + half_y))
    if x0 > x1 or y0 > y1:
        raise ValueError("the ellipse lies outside the image")

    ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1].astype(np.float64)
    offsets = (
        (origin - centre)[None, None, :]
        + xs[..., None] * sx * x_axis
        + ys[..., None] * sy * y_axis
    )
    u = offsets @ dir_a / length_a
    v = offsets @ dir_b / length_b
    inside = u * u + v * v <= 1.0
    values = image[y0 : y1 + 1, x0 : x1 + 1][inside].astype(np.float64)
    if values.size == 0:
        raise ValueError("no pixel centre lies inside the ellipse; draw it larger")

    calibration = plane.calibration
    area_unit = "px2" if calibration.unit == "px" else "mm2"
    area = Quantity(float(values.size) * sx * sy, area_unit, calibration)
    return EllipseStatistics(
        mean=float(values.mean()),
        sd=float(values.std()),
        minimum=float(values.min()),
        maximum=float(values.max()),
        area=area,
        pixel_count=int(values.size),
    )


def tool_lengths(
    tool: str, points_lps_mm: npt.ArrayLike, calibration: Calibration
) -> tuple[Quantity | None, Quantity | None]:
    """Long and short axis of a caliper (short is None) or a bidirectional tool."""
    points = np.asarray(points_lps_mm, dtype=np.float64).reshape(-1, 3)
    if tool == "caliper" and len(points) == 2:
        return Caliper((_point(points[0]), _point(points[1])), calibration).length, None
    if tool == "bidirectional" and len(points) == 4:
        measured = bidirectional(points, calibration=calibration)
        return measured.long, measured.short
    raise ValueError(
        f"a {tool!r} tool with {len(points)} points has no diameters; "
        "use a caliper (2 points) or a bidirectional tool (4 points)"
    )


def centre_of(points_lps_mm: npt.ArrayLike) -> Point:
    """Where a tool sits: the midpoint of its first two points (the long axis)."""
    points = np.asarray(points_lps_mm, dtype=np.float64).reshape(-1, 3)
    if len(points) == 0:
        raise ValueError("a measurement without points has no position")
    return _point(points[:2].mean(axis=0))


def _plane_normal(
    long_dir: FloatArray, short_vector: FloatArray, normal: npt.ArrayLike | None
) -> FloatArray:
    if normal is not None:
        given = np.asarray(normal, dtype=np.float64)
        in_plane = given - (given @ long_dir) * long_dir
        if float(np.linalg.norm(in_plane)) < MIN_AXIS_MM:
            raise ValueError("the long axis lies along the plane normal")
        return np.asarray(in_plane / np.linalg.norm(in_plane), dtype=np.float64)
    derived = np.cross(long_dir, short_vector)
    if float(np.linalg.norm(derived)) < MIN_AXIS_MM:
        raise ValueError(
            "the short axis lies along the long axis, so the plane is unknown; "
            "pass the plane normal or drag the short axis across"
        )
    return np.asarray(derived / np.linalg.norm(derived), dtype=np.float64)


def _point(vector: npt.ArrayLike) -> Point:
    x, y, z = (float(v) for v in np.asarray(vector, dtype=np.float64).reshape(3))
    return (x, y, z)
