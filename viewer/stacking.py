"""Splitting one series' frames into consistent stacks and checking their spacing.

A Series Instance UID often holds more than one stack a viewer can show as a
volume: a localizer beside the axial slices, several orientations, echoes, phases
or frame types of an enhanced object, images of different sizes. :func:`split`
separates them so that each stack has one orientation, one image size and one
frame per position along the slice normal, and says what told them apart.
:func:`sort_along_normal` orders a stack by position along the slice normal,
:func:`classify_orientation` names a plane from Image Orientation (Patient)
(PS3.3 C.7.6.2.1.1) and :func:`slice_gaps` finds missing slices.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from viewer.headers import FileRef, FrameKeys

logger = logging.getLogger(__name__)

# Orientations within this (max abs difference of cosines) count as the same.
ORIENTATION_TOLERANCE = 1e-3
# Frames closer than this along the normal (mm) are at the same position.
POSITION_TOLERANCE_MM = 0.01
# A plane is named after the axis its normal is closest to when the cosine of
# the angle between them is at least this (about 37 degrees): a tilted head CT is
# still read as axial.
NAMED_PLANE_MIN_COSINE = 0.8


class StackError(ValueError):
    """Frames that cannot form one stack; the message names a file and why."""


@dataclass
class Stack:
    """Frames of one consistent stack and the label that tells it apart."""

    frames: list[tuple[FileRef, FrameKeys]]
    label: str = ""
    reason: str = ""


def classify_orientation(
    orientation: Sequence[float] | None,
) -> str:
    """``AXIAL``, ``CORONAL``, ``SAGITTAL``, ``OBLIQUE`` or '' when unknown."""
    if orientation is None:
        return ""
    row = np.asarray(orientation[:3], dtype=np.float64)
    column = np.asarray(orientation[3:], dtype=np.float64)
    normal = np.cross(row, column)
    norm = float(np.linalg.norm(normal))
    if norm == 0.0:
        return ""
    normal = np.abs(normal / norm)
    axis = int(np.argmax(normal))
    if normal[axis] < NAMED_PLANE_MIN_COSINE:
        return "OBLIQUE"
    return ("SAGITTAL", "CORONAL", "AXIAL")[axis]


def normal_of(orientation: Sequence[float]) -> np.ndarray:
    """Unit normal, row cosine x column cosine."""
    return np.asarray(_normal(tuple(orientation)), dtype=np.float64)


@functools.lru_cache(maxsize=64)
def _normal(orientation: tuple[float, ...]) -> tuple[float, float, float]:
    # Every frame of a stack shares one orientation: compute its normal once.
    row, column = orientation[:3], orientation[3:]
    normal = (
        row[1] * column[2] - row[2] * column[1],
        row[2] * column[0] - row[0] * column[2],
        row[0] * column[1] - row[1] * column[0],
    )
    length = math.sqrt(sum(v * v for v in normal))
    if length == 0.0:
        raise StackError(f"Image Orientation (Patient) {orientation} has no normal")
    return normal[0] / length, normal[1] / length, normal[2] / length


def split(frames: list[tuple[FileRef, FrameKeys]]) -> list[Stack]:
    """Split one Series Instance UID's image frames into stacks.

    Each stack has one localizer flag, orientation, image size, frame type and
    echo, and one frame per position along the normal.
    """
    groups: dict[tuple[object, ...], list[tuple[FileRef, FrameKeys]]] = {}
    orientations: list[tuple[float, ...]] = []
    reasons: set[str] = set()
    for ref, keys in frames:
        localizer = "LOCALIZER" in keys.image_type
        plane = _orientation_index(ref.orientation, orientations)
        key = (localizer, plane, keys.frame_type, keys.echo, keys.size)
        groups.setdefault(key, []).append((ref, keys))
    varying = [i for i in range(5) if len({key[i] for key in groups}) > 1]
    reasons.update(_REASONS[i] for i in varying)
    stacks: list[Stack] = []
    for group_key, members in groups.items():
        label = _label(group_key, orientations, varying)
        for sub, why, part in _split_duplicates(members):
            if why:
                reasons.add(why)
            stacks.append(Stack(sub, f"{label} {part}".strip()))
    _name_stacks(stacks)
    reason = ", ".join(sorted(reasons))
    for stack in stacks:
        stack.reason = reason
    return stacks


def _orientation_index(
    orientation: tuple[float, ...] | None, known: list[tuple[float, ...]]
) -> int:
    if orientation is None:
        return -1
    for index, other in enumerate(known):
        if max(abs(a - b) for a, b in zip(orientation, other, strict=True)) <= (
            ORIENTATION_TOLERANCE
        ):
            return index
    known.append(orientation)
    return len(known) - 1


_REASONS = (
    "a localizer",
    "several orientations",
    "several frame types",
    "several echoes",
    "several image sizes",
)


def _label(
    key: tuple[object, ...], orientations: list[tuple[float, ...]], varying: list[int]
) -> str:
    localizer, plane, frame_type, echo, size = key
    parts = []
    if 0 in varying:
        parts.append("localizer" if localizer else "images")
    if 1 in varying and isinstance(plane, int):
        named = classify_orientation(orientations[plane]) if plane >= 0 else ""
        parts.append(named.lower() or "no orientation")
    if 2 in varying:
        parts.append(f"frame type {frame_type or '(none)'}")
    if 3 in varying:
        parts.append(f"echo {echo or '(none)'}")
    if 4 in varying and isinstance(size, tuple):
        parts.append(f"{size[0]}x{size[1]}")
    return " ".join(parts)


_DISCRIMINATORS: tuple[tuple[str, str, str], ...] = (
    ("series_number", "several series numbers", "series number"),
    ("image_type", "several image types", "image type"),
    ("temporal", "several temporal positions", "phase"),
    ("trigger_time", "several trigger times", "trigger time"),
    ("b_value", "several b-values", "b-value"),
    ("acquisition_number", "several acquisitions", "acquisition"),
    ("stack_id", "several stacks", "stack"),
)


def _split_duplicates(
    members: list[tuple[FileRef, FrameKeys]],
) -> list[tuple[list[tuple[FileRef, FrameKeys]], str, str]]:
    """Split frames that repeat a position, by the first key that separates them."""
    if not _has_duplicates(members):
        return [(members, "", "")]
    for attribute, why, name in _DISCRIMINATORS:
        parts: dict[object, list[tuple[FileRef, FrameKeys]]] = {}
        for ref, keys in members:
            parts.setdefault(getattr(keys, attribute), []).append((ref, keys))
        if len(parts) > 1 and not any(_has_duplicates(p) for p in parts.values()):
            ordered_parts = sorted(parts.items(), key=lambda kv: str(kv[0]))
            return [(p, why, f"{name} {_value(v)}") for v, p in ordered_parts]
    # Nothing tells the repeats apart: the n-th frame at each position (in
    # instance and frame order) goes to the n-th stack.
    ordered = sorted(members, key=lambda m: _order(m[0]))
    repeats: list[list[tuple[FileRef, FrameKeys]]] = []
    seen: Counter[float] = Counter()
    for ref, keys in ordered:
        where = _position_key(ref)
        index = seen[where]
        seen[where] += 1
        while len(repeats) <= index:
            repeats.append([])
        repeats[index].append((ref, keys))
    return [(r, "repeated positions", f"repeat {n}") for n, r in enumerate(repeats, 1)]


def _value(value: object) -> str:
    if isinstance(value, tuple):
        return "\\".join(str(v) for v in value)
    return str(value)


def _order(ref: FileRef) -> tuple[int, int]:
    return (ref.instance_number or 0, ref.frame or 0)


def _position_key(ref: FileRef) -> float:
    if ref.position_lps_mm is None or ref.orientation is None:
        return 0.0
    nx, ny, nz = _normal(ref.orientation)
    x, y, z = ref.position_lps_mm
    distance = nx * x + ny * y + nz * z
    return round(distance / POSITION_TOLERANCE_MM) * POSITION_TOLERANCE_MM


def _has_duplicates(members: list[tuple[FileRef, FrameKeys]]) -> bool:
    keys = [_position_key(ref) for ref, _ in members]
    return len(set(keys)) != len(keys)


def _name_stacks(stacks: list[Stack]) -> None:
    if len(stacks) == 1:
        stacks[0].label = ""
        return
    counts = Counter(stack.label for stack in stacks)
    used: Counter[str] = Counter()
    for stack in stacks:
        if counts[stack.label] > 1:
            used[stack.label] += 1
            stack.label = f"{stack.label} part {used[stack.label]}".strip()
        stack.label = stack.label or "stack"


def slice_gaps(
    distances_mm: Sequence[float], thicknesses_mm: Sequence[float | None]
) -> list[str]:
    """Describe missing slices in a stack sorted along the normal.

    A step counts as a gap when it is about a whole multiple (two or more) of
    the most common step and wider than one and a half times the thickness of
    the slices on both sides; overlapping or deliberately spaced slices (such as
    a head CT with 4 mm and 7 mm parts) are not gaps.
    """
    steps = np.diff(np.asarray(distances_mm, dtype=np.float64))
    if len(steps) < 2:
        return []
    rounded = np.round(steps, 2)
    values, counts = np.unique(rounded, return_counts=True)
    common = float(values[int(np.argmax(counts))])
    if common <= 0:
        return []
    messages = []
    for index, step in enumerate(steps):
        ratio = step / common
        if ratio < 1.8 or abs(ratio - round(ratio)) > 0.1:
            continue
        sides = [t for t in thicknesses_mm[index : index + 2] if t]
        if sides and step <= 1.5 * max(sides):
            continue
        missing = int(round(ratio)) - 1
        messages.append(
            f"{missing} slice(s) missing between {distances_mm[index]:.2f} mm and "
            f"{distances_mm[index + 1]:.2f} mm along the normal (step {step:.2f} mm "
            f"where the others are {common:.2f} mm)"
        )
    return messages


def sort_along_normal(
    files: list[FileRef],
) -> tuple[list[FileRef], np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Frames sorted along the normal, their positions, cosines and warnings.

    Sorting uses the position along the slice normal only (PS3.3 C.7.6.2.1.1),
    never Instance Number or file names. A single frame without Image Position
    and Orientation (Patient) is placed flat at the origin, with a warning.

    Raises
    ------
    StackError
        Frames without position among others with it, two frames at the same
        position, or differing pixel spacings.
    """
    warnings: list[str] = []
    located = [f for f in files if f.position_lps_mm and f.orientation]
    if not located:
        if len(files) > 1:
            raise StackError(
                f"{files[0].display}: no Image Position/Orientation (Patient) "
                "(0020,0032/0037); the images cannot be stacked"
            )
        warnings.append(
            "no Image Position/Orientation (Patient): shown as a flat image; "
            "positions are not patient coordinates"
        )
        return (
            files,
            np.zeros((1, 3)),
            np.array([1.0, 0, 0]),
            np.array([0, 1.0, 0]),
            warnings,
        )
    if len(located) < len(files):
        missing = next(f for f in files if not (f.position_lps_mm and f.orientation))
        raise StackError(
            f"{missing.display}: Image Position/Orientation (Patient) missing while "
            "the other images have it"
        )
    orientation = np.asarray(located[0].orientation, dtype=np.float64)
    row, column = orientation[:3], orientation[3:]
    normal = np.cross(row, column)
    normal /= np.linalg.norm(normal)
    positions = np.asarray([f.position_lps_mm for f in files], dtype=np.float64)
    distances = positions @ normal
    order = np.argsort(distances, kind="stable")
    distances = distances[order]
    steps = np.diff(distances)
    if len(steps) and steps.min() < POSITION_TOLERANCE_MM:
        k = int(np.argmin(steps))
        raise StackError(
            f"{files[order[k]].display} and {files[order[k + 1]].display} lie at the "
            f"same position ({distances[k]:.2f} mm along the normal); the stack "
            "mixes images that belong to different stacks"
        )
    ordered = [files[int(i)] for i in order]
    thicknesses = [f.slice_thickness_mm for f in ordered]
    warnings.extend(slice_gaps(list(distances), thicknesses))
    check_spacing(ordered)
    if not math.isclose(float(np.dot(row, column)), 0.0, abs_tol=1e-3):
        warnings.append("Image Orientation (Patient) cosines are not orthogonal")
    return ordered, positions[order], row, column, warnings


def check_spacing(ordered: list[FileRef]) -> None:
    """Refuse a stack whose frames have different Pixel Spacing."""
    spacings = {f.pixel_spacing_mm for f in ordered}
    values = [s for s in spacings if s is not None]
    spread = np.ptp(np.asarray(values), axis=0).max() if len(values) > 1 else 0.0
    if None in spacings and values or spread > 1e-4:
        raise StackError(
            f"Pixel Spacing (0028,0030) differs within the stack "
            f"({', '.join(sorted(map(str, spacings))[:3])}); its slices cannot share "
            "one grid"
        )
