"""Key images rendered with their calipers and labels, as PNG and Secondary Capture.

Each key image is the stored slice in modality units (rescale applied), shown through
a linear window (PS3.3 C.11.2.1.2) into an 8-bit QImage, scaled up so that labels
stay legible, with every caliper measured on it drawn from its end points and
labelled with the lesion and its length. Calipers are placed with the SCOORD pixel
convention (the top left corner of the image is (0, 0), PS3.3 C.18.6.1.1). A
rendered image can also be written as a DICOM Secondary Capture in the study of its
source image (PS3.3 A.8.1).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from PySide6.QtCore import QLocale, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from reporting import i18n
from reporting.evidence import evidence_header
from reporting.imagegeom import GeometryError, ImagePlane, image_plane
from reporting.qtsupport import ensure_gui_application, report_font_family
from reporting.sources import read_dataset
from viewer.render import orientation_label, scale_bar_mm
from viewer.sources import Location

logger = logging.getLogger(__name__)

DEFAULT_SIZE_PX = 512
CALIPER_COLOUR = "#ffd400"
SC_SERIES_NUMBER = 9003


class KeyImageError(ValueError):
    """A key image cannot be rendered; says which file and why."""


@dataclass(frozen=True)
class Caliper:
    """A measured line on an image, in SCOORD pixel coordinates (column, row)."""

    start_px: tuple[float, float]
    end_px: tuple[float, float]
    label: str


@dataclass
class KeyImage:
    """One key image: which instance, its timepoint and the calipers on it."""

    sop_uid: str
    timepoint: str
    calipers: list[Caliper] = field(default_factory=list)
    # The organ of the first lesion measured here, which picks the window preset.
    organ: str = ""


def key_images(
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    lang: str,
    locale: QLocale,
    flagged: Sequence[str] = (),
) -> list[KeyImage]:
    """The key images of a case with their calipers, in timepoint then lesion order.

    Measured images come first; ``flagged`` images (SOP Instance UIDs) without a
    caliper follow. Measurements whose image is not among ``headers`` are skipped.
    """
    found: dict[str, KeyImage] = {}
    order = [str(t.get("id")) for t in case.get("timepoints", [])]
    for tp in order:
        for lesion in case.get("lesions", []):
            m = (lesion.get("measurements") or {}).get(tp) or {}
            image = m.get("image") or {}
            uid = str(image.get("sop_uid", ""))
            header = headers.get(uid)
            if header is None or len(image.get("points_mm") or []) < 2:
                continue
            try:
                plane = image_plane(header, f"key image {uid}")
            except GeometryError as error:
                logger.warning("%s; its caliper is not drawn", error)
                continue
            pixels = plane.to_pixel(np.asarray(image["points_mm"], dtype=np.float64))
            text = _caliper_label(lesion, m, lang, locale)
            entry = found.setdefault(
                uid, KeyImage(uid, tp, organ=str(lesion.get("organ", "")))
            )
            # two end points: the long axis; four: the long axis, then the short
            for first in range(0, len(pixels) - 1, 2):
                entry.calipers.append(
                    Caliper(
                        (float(pixels[first, 0]), float(pixels[first, 1])),
                        (float(pixels[first + 1, 0]), float(pixels[first + 1, 1])),
                        text if first == 0 else "",
                    )
                )
    studies = {
        str(t.get("study_uid")): str(t.get("id")) for t in case.get("timepoints", [])
    }
    for uid in flagged:
        header = headers.get(uid)
        if uid not in found and header is not None:
            tp = studies.get(str(header.get("StudyInstanceUID", "")), "")
            found[uid] = KeyImage(uid, tp)
    return list(found.values())


def _caliper_label(
    lesion: Mapping[str, Any], m: Mapping[str, Any], lang: str, locale: QLocale
) -> str:
    """ "L1 16.0 mm", or "L2 20.2 × 16.2 mm" where a short axis was measured."""
    values = [float(m[k]) for k in ("long_mm", "short_mm") if m.get(k) is not None]
    text = " × ".join(locale.toString(v, "f", 1) for v in values)
    unit = f" {i18n.label('mm', lang)}" if values else ""
    return f"{lesion.get('id', '')} {text}{unit}".strip()


def modality_pixels(ds: Dataset, where: str) -> npt.NDArray[np.float64]:
    """The first frame of an image in modality units (Rescale Slope/Intercept)."""
    try:
        array = np.asarray(ds.pixel_array, dtype=np.float64)
    except (AttributeError, ValueError, RuntimeError) as error:
        raise KeyImageError(
            f"{where}: pixel data cannot be decoded ({error})"
        ) from error
    if array.ndim == 3 and int(ds.get("SamplesPerPixel", 1)) == 1:
        array = array[0]
    if array.ndim != 2:
        raise KeyImageError(
            f"{where}: pixel data shaped {array.shape} is not a grey-scale image"
        )
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    return array * slope + intercept


def default_window(
    ds: Dataset, pixels: npt.NDArray[np.float64], organ: str = ""
) -> tuple[float, float]:
    """Window centre and width (PS3.3 C.11.2.1.2): the header's preset named after
    the organ (a lung lesion in the LUNG window), else its first, else the 1st to
    99th percentile of the pixels."""
    centers = _values(ds.get("WindowCenter"))
    widths = _values(ds.get("WindowWidth"))
    names = [str(n).upper() for n in _values(ds.get("WindowCenterWidthExplanation"))]
    presets = [(c, w) for c, w in zip(centers, widths, strict=False) if w > 0]
    wanted = _PRESET_FOR_ORGAN.get(organ.strip().lower())
    if wanted is not None and wanted in names[: len(presets)]:
        return presets[names.index(wanted)]
    if presets:
        return presets[0]
    low, high = np.percentile(pixels, [1, 99])
    return float((low + high) / 2), float(max(high - low, 1.0))


_PRESET_FOR_ORGAN = {"lung": "LUNG", "bone": "BONE", "liver": "LIVER"}


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    items = list(value) if isinstance(value, pydicom.multival.MultiValue) else [value]
    out: list[Any] = []
    for item in items:
        try:
            out.append(float(item))
        except (TypeError, ValueError):
            out.append(item)
    return out


def windowed(
    pixels: npt.NDArray[np.float64], center: float, width: float, invert: bool = False
) -> npt.NDArray[np.uint8]:
    """8-bit grey levels through a linear window (PS3.3 C.11.2.1.2.1)."""
    scaled = ((pixels - (center - 0.5)) / max(width - 1.0, 1.0) + 0.5) * 255.0
    grey = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return np.asarray(255 - grey if invert else grey, dtype=np.uint8)


def render_key_image(
    grey: npt.NDArray[np.uint8],
    calipers: Sequence[Caliper],
    size_px: int = DEFAULT_SIZE_PX,
    caption: str = "",
    plane: ImagePlane | None = None,
    window: tuple[float, float] | None = None,
) -> QImage:
    """The grey image scaled to ``size_px`` on its long side, calipers drawn on it.

    With ``plane`` the edges carry the patient orientation letters and a scale
    bar in mm; with ``window`` the corner names the window (centre, width).
    """
    ensure_gui_application()
    rows, cols = grey.shape
    scale = size_px / max(rows, cols)
    data = np.ascontiguousarray(grey)
    source = QImage(data.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()
    image = source.scaled(
        max(1, round(cols * scale)),
        max(1, round(rows * scale)),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    ).convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont(report_font_family())
    font.setPixelSize(max(10, size_px // 32))
    painter.setFont(font)
    for caliper in calipers:
        _draw_caliper(painter, caliper, scale, image.width(), image.height())
    if plane is not None:
        _draw_orientation(painter, plane, scale, image.width(), image.height())
    if window is not None:
        text = f"W {window[1]:.0f}  L {window[0]:.0f}"
        metrics = painter.fontMetrics()
        painter.setPen(QColor("white"))
        painter.drawText(QPointF(6, image.height() - metrics.descent() - 4), text)
    if caption:
        metrics = painter.fontMetrics()
        box = QRectF(
            0, 0, metrics.horizontalAdvance(caption) + 12, metrics.height() + 6
        )
        painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setPen(QColor("white"))
        painter.drawText(QPointF(6, 3 + metrics.ascent()), caption)
    painter.end()
    return image


def render_file(
    source: Path | str | Location,
    calipers: Sequence[Caliper],
    size_px: int = DEFAULT_SIZE_PX,
    caption: str = "",
    organ: str = "",
) -> tuple[QImage, Dataset]:
    """Read an image file (or zip member) and render it (see
    :func:`render_key_image`) in the window for ``organ``."""
    location = source if isinstance(source, Location) else Location(str(source))
    try:
        ds = read_dataset(location)
    except (pydicom.errors.InvalidDicomError, OSError) as error:
        raise KeyImageError(
            f"{location.display}: cannot be read as DICOM ({error})"
        ) from error
    pixels = modality_pixels(ds, location.display)
    center, width = default_window(ds, pixels, organ)
    invert = str(ds.get("PhotometricInterpretation", "")) == "MONOCHROME1"
    grey = windowed(pixels, center, width, invert)
    try:
        plane: ImagePlane | None = image_plane(ds, location.display)
    except GeometryError:
        plane = None  # no trustworthy geometry: no letters and no scale bar
    image = render_key_image(
        grey, calipers, size_px, caption, plane=plane, window=(center, width)
    )
    return image, ds


def _draw_orientation(
    painter: QPainter, plane: ImagePlane, scale: float, width: int, height: int
) -> None:
    """Orientation letters at the edges (PS3.3 C.7.6.1.1.1) and a 10 mm-step bar."""
    metrics = painter.fontMetrics()
    painter.setPen(QColor(235, 220, 120))
    half = metrics.height() / 2
    letters = (
        (QPointF(4, height / 2 + half / 2), -plane.row_cosine),
        (
            QPointF(width - 4 - metrics.horizontalAdvance("MM"), height / 2 + half / 2),
            plane.row_cosine,
        ),
        (
            QPointF(width / 2, 4 + metrics.ascent() + metrics.height()),
            -plane.column_cosine,
        ),
        (QPointF(width / 2, height - 6 - metrics.height()), plane.column_cosine),
    )
    for where, direction in letters:
        painter.drawText(where, orientation_label(direction))
    per_mm = scale / plane.spacing_mm[1]
    length = scale_bar_mm(per_mm, width * 0.25)
    if length <= 0:
        return
    x1 = width - 10.0
    x0 = x1 - length * per_mm
    y = height - 8.0 - metrics.height() * 1.6
    painter.drawLine(QPointF(x0, y), QPointF(x1, y))
    painter.drawLine(QPointF(x0, y - 4), QPointF(x0, y + 4))
    painter.drawLine(QPointF(x1, y - 4), QPointF(x1, y + 4))
    label = f"{length:g} mm"
    painter.drawText(
        QPointF(x1 - metrics.horizontalAdvance(label), y + metrics.height()), label
    )


def secondary_capture(
    image: QImage, source: Dataset, instance_number: int, series_instance_uid: str
) -> hd.sc.SCImage:
    """The rendered image as an RGB Secondary Capture in the source's study."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    height, width = rgb.height(), rgb.width()
    stride = rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height)
    array = buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3)
    sc = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=evidence_header(source),
        pixel_array=np.ascontiguousarray(array),
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        series_instance_uid=series_instance_uid,
        series_number=SC_SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=instance_number,
        manufacturer="Nadir",
        patient_orientation=("L", "P"),
        series_description="Key images with measurements",
    )
    # Type 2C in General Series; dciodvfy cannot evaluate its condition, so an empty
    # value (unknown) is written.
    sc.Laterality = ""
    return sc


def _draw_caliper(
    painter: QPainter, caliper: Caliper, scale: float, width: int, height: int
) -> None:
    start = QPointF(caliper.start_px[0] * scale, caliper.start_px[1] * scale)
    end = QPointF(caliper.end_px[0] * scale, caliper.end_px[1] * scale)
    shadow = QPen(QColor(0, 0, 0, 200), 4)
    pen = QPen(QColor(CALIPER_COLOUR), 2)
    for p in (shadow, pen):
        painter.setPen(p)
        painter.drawLine(start, end)
        for point in (start, end):
            painter.drawLine(point + QPointF(-5, 0), point + QPointF(5, 0))
            painter.drawLine(point + QPointF(0, -5), point + QPointF(0, 5))
    if not caliper.label:
        return
    metrics = painter.fontMetrics()
    text_width = metrics.horizontalAdvance(caliper.label)
    x = min(max(end.x() + 8, 2.0), width - text_width - 4.0)
    y = min(max(end.y() - 8, metrics.height() * 1.0), height - 4.0)
    box = QRectF(x - 3, y - metrics.ascent() - 2, text_width + 6, metrics.height() + 4)
    painter.fillRect(box, QColor(0, 0, 0, 160))
    painter.setPen(QColor(CALIPER_COLOUR))
    painter.drawText(QPointF(x, y), caliper.label)
