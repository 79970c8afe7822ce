"""What a reader should know about a stack's geometry, said in words for the index.

A stack is shown with its true geometry (see :mod:`viewer.volume`), but some of
that geometry changes how a reader measures: a gantry tilt shears the slices
against their normal, a slice step that changes along the stack makes the
reformatted planes uneven, slices of different thickness change what RECIST 1.1
(3.1.1) counts as measurable, and a missing slice leaves a hole.
:func:`geometry_notes` turns Image Position and Orientation (Patient)
(PS3.3 C.7.6.2.1.1), Slice Thickness (0018,0050) and Gantry/Detector Tilt
(0018,1120) of a stack's frames into one short sentence per finding.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from viewer.headers import FileRef
from viewer.stacking import normal_of, slice_gaps

logger = logging.getLogger(__name__)

# A shear between the stacking direction and the slice normal below this (degrees)
# is rounding in Image Position (Patient), not a gantry tilt.
MIN_TILT_DEG = 0.5
# Slice steps (mm) closer than this are the same step; IPP is often rounded to
# a few hundredths of a millimetre by the scanner.
STEP_TOLERANCE_MM = 0.05
# Slice thicknesses (mm) closer than this are the same thickness.
THICKNESS_TOLERANCE_MM = 0.01


def geometry_notes(refs: Sequence[FileRef]) -> list[str]:
    """Gantry tilt, uneven slice steps, mixed thickness and missing slices.

    Frames without Image Position/Orientation (Patient) give only the notes
    that need no position (tilt from the header, mixed thickness).
    """
    located, distances = sorted_along_normal(refs)
    shear_deg: float | None = None
    if len(distances) > 1:
        shear_deg = _shear_deg(located, normal_of(located[0].orientation or ()))
    ordered = located if distances else list(refs)
    notes = []
    tilt = tilt_note(shear_deg, _header_tilt(refs))
    if tilt:
        notes.append(tilt)
    gaps = (
        slice_gaps(distances, [r.slice_thickness_mm for r in ordered])
        if len(distances) > 2
        else []
    )
    if distances and not gaps:
        spacing = step_note(np.diff(distances).tolist())
        if spacing:
            notes.append(spacing)
    thickness = thickness_note([r.slice_thickness_mm for r in ordered])
    if thickness:
        notes.append(thickness)
    notes.extend(gaps)
    return notes


def sorted_along_normal(
    refs: Sequence[FileRef],
) -> tuple[list[FileRef], list[float]]:
    """Frames in order along the slice normal and their distances along it (mm).

    Both lists are empty unless every frame has Image Position and Orientation
    (Patient); the normal is the first frame's (PS3.3 C.7.6.2.1.1).
    """
    located = [r for r in refs if r.position_lps_mm and r.orientation]
    if not located or len(located) < len(refs):
        return [], []
    normal = normal_of(located[0].orientation or ())
    pairs = sorted(
        ((float(normal @ np.asarray(r.position_lps_mm)), r) for r in located),
        key=lambda pair: pair[0],
    )
    return [r for _, r in pairs], [d for d, _ in pairs]


def tilt_note(shear_deg: float | None, header_tilt_deg: float | None) -> str:
    """The gantry tilt sentence, or '' when the slices are not tilted.

    ``shear_deg`` is the angle between the stacking direction and the slice
    normal (None for a single slice); the header's Gantry/Detector Tilt is
    quoted as written, its sign being the vendor's convention.
    """
    header = (
        f"Gantry/Detector Tilt (0018,1120) {header_tilt_deg:+.1f} deg"
        if header_tilt_deg
        else ""
    )
    if shear_deg is not None and shear_deg >= MIN_TILT_DEG:
        source = f"; {header}" if header else ""
        return (
            f"gantry tilt {shear_deg:.1f} deg: the slices are sheared against their "
            f"normal (from Image Position/Orientation (Patient){source}); shown as "
            "acquired, reformats and 3-D follow the true geometry"
        )
    if shear_deg is None and header and abs(header_tilt_deg or 0) >= MIN_TILT_DEG:
        return f"gantry tilt: {header}"
    return ""


def step_note(steps_mm: Sequence[float]) -> str:
    """The uneven slice spacing sentence listing the distinct steps, or ''."""
    groups: list[list[float]] = []
    for step in steps_mm:
        for group in groups:
            if abs(step - group[0]) <= STEP_TOLERANCE_MM:
                group.append(step)
                break
        else:
            groups.append([step])
    if len(groups) < 2:
        return ""
    described = ", ".join(f"{float(np.mean(g)):.2f} mm ({len(g)}x)" for g in groups)
    return (
        f"non-uniform slice spacing: steps along the normal are {described}; "
        "distances across slices are exact, reformatted planes are uneven"
    )


def thickness_note(thicknesses_mm: Sequence[float | None]) -> str:
    """The mixed Slice Thickness sentence listing the values, or ''."""
    counts: dict[float, int] = {}
    for value in thicknesses_mm:
        if value is None:
            continue
        match = next(
            (t for t in counts if abs(t - value) <= THICKNESS_TOLERANCE_MM), value
        )
        counts[match] = counts.get(match, 0) + 1
    if len(counts) < 2:
        return ""
    described = ", ".join(f"{t:g} mm ({n} slices)" for t, n in counts.items())
    return (
        f"mixed Slice Thickness (0018,0050): {described}; the series counts as "
        f"{max(counts):g} mm for RECIST measurability"
    )


def _shear_deg(ordered: Sequence[FileRef], normal: np.ndarray) -> float | None:
    first = np.asarray(ordered[0].position_lps_mm, dtype=np.float64)
    last = np.asarray(ordered[-1].position_lps_mm, dtype=np.float64)
    direction = last - first
    length = float(np.linalg.norm(direction))
    if length == 0.0:
        return None
    cosine = min(1.0, abs(float(direction @ normal)) / length)
    return math.degrees(math.acos(cosine))


def _header_tilt(refs: Sequence[FileRef]) -> float | None:
    values = {r.gantry_tilt_deg for r in refs if r.gantry_tilt_deg is not None}
    return max(values, key=abs) if values else None
