"""The immutable state of a reading: timepoints, lesions, measurements, statuses.

A :class:`ReadingState` is a value: edits build a new one (see
:mod:`measurement.edits`), so undo can hand back the exact earlier state and two
readings compare equal when they hold the same assessment. Terms follow RECIST 1.1
(Eisenhauer et al. 2009): target, non-target and new lesions, followed per
timepoint; one timepoint per study, one of them the baseline.

Lengths in a :class:`Measurement` are named ``*_mm`` like the case file's fields;
on an image without pixel spacing they are in pixels, and ``calibration`` says so.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from enum import StrEnum

from measurement.geometry import Point
from viewer.volume import Calibration, iso_date

logger = logging.getLogger(__name__)


class LesionKind(StrEnum):
    """RECIST 1.1 section 3: how a lesion is followed."""

    TARGET = "target"
    NON_TARGET = "non-target"
    NEW = "new"


class Tool(StrEnum):
    """The tool a measurement was drawn with; ``manual`` holds typed-in values."""

    CALIPER = "caliper"
    BIDIRECTIONAL = "bidirectional"
    ELLIPSE = "ellipse"
    MANUAL = "manual"


class AnnotationKind(StrEnum):
    """Marks on an image that are not measurements."""

    ARROW = "arrow"
    TEXT = "text"


# The statuses a cell may hold, per lesion kind (RECIST.md, the case file).
STATUSES: dict[LesionKind, tuple[str, ...]] = {
    LesionKind.TARGET: ("too-small", "absent", "not-assessed"),
    LesionKind.NON_TARGET: ("present", "absent", "progression", "not-assessed"),
    LesionKind.NEW: ("equivocal", "unequivocal", "absent", "not-assessed"),
}

# Tools whose diameters can stand for a target lesion (RECIST 1.1 section 4.1).
DIAMETER_TOOLS = (Tool.CALIPER, Tool.BIDIRECTIONAL, Tool.MANUAL)

ID_PREFIXES: dict[LesionKind, str] = {
    LesionKind.TARGET: "L",
    LesionKind.NON_TARGET: "N",
    LesionKind.NEW: "X",
}


@dataclass(frozen=True)
class Timepoint:
    """One study of the patient as a column of the lesion table.

    ``date`` is the study date as ISO 8601 (``2026-01-12``; a DICOM DA value is
    converted), so timepoints sort by it; the slice thickness,
    when known, decides the smallest measurable lesion (RECIST 1.1 section 3.1.1).
    """

    id: str
    study_uid: str
    date: str = ""
    baseline: bool = False
    slice_thickness_mm: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "date", iso_date(self.date))


@dataclass(frozen=True)
class Lesion:
    """One row of the lesion table."""

    id: str
    kind: LesionKind = LesionKind.TARGET
    name: str = ""
    organ: str = ""
    node: bool = False


@dataclass(frozen=True)
class ImageRef:
    """The image a mark was drawn on (SOP Instance UID, PS3.3 C.12.1)."""

    sop_uid: str
    series_uid: str = ""
    slice_thickness_mm: float | None = None


@dataclass(frozen=True)
class Measurement:
    """A tool's geometry on one image of one timepoint, possibly tied to a lesion.

    ``points_lps_mm`` are the tool's points in patient coordinates: the two ends of
    a caliper; long then short axis ends of a bidirectional tool; centre and two
    semi-axis ends of an ellipse; none for typed-in values. ``long_mm`` and
    ``short_mm`` are the diameters as recorded.
    """

    id: str
    timepoint_id: str
    tool: Tool
    points_lps_mm: tuple[Point, ...] = ()
    image: ImageRef | None = None
    calibration: Calibration = field(default_factory=Calibration)
    lesion_id: str | None = None
    long_mm: float | None = None
    short_mm: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points_lps_mm", _float_points(self.points_lps_mm))


@dataclass(frozen=True)
class Status:
    """A lesion's status at a timepoint instead of, or beside, a measurement."""

    lesion_id: str
    timepoint_id: str
    value: str


@dataclass(frozen=True)
class Annotation:
    """An arrow or a text note on an image."""

    id: str
    timepoint_id: str
    kind: AnnotationKind
    points_lps_mm: tuple[Point, ...]
    text: str = ""
    image: ImageRef | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points_lps_mm", _float_points(self.points_lps_mm))


@dataclass(frozen=True)
class KeyImage:
    """An image flagged for the key object selection and the report."""

    image: ImageRef
    timepoint_id: str


@dataclass(frozen=True)
class ReadingState:
    """Everything a reader has assessed, in a canonical order.

    Timepoints are ordered by date, lesions in the order they were created,
    measurements and annotations by their number, statuses and key images by their
    keys, so that equal assessments are equal values.
    """

    patient_id: str = ""
    reader: str = ""
    timepoints: tuple[Timepoint, ...] = ()
    lesions: tuple[Lesion, ...] = ()
    measurements: tuple[Measurement, ...] = ()
    statuses: tuple[Status, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    key_images: tuple[KeyImage, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "timepoints", tuple(sorted(self.timepoints, key=_timepoint_key))
        )
        object.__setattr__(
            self, "measurements", tuple(sorted(self.measurements, key=_id_key))
        )
        object.__setattr__(
            self, "annotations", tuple(sorted(self.annotations, key=_id_key))
        )
        object.__setattr__(
            self,
            "statuses",
            tuple(sorted(self.statuses, key=lambda s: (s.lesion_id, s.timepoint_id))),
        )
        object.__setattr__(
            self,
            "key_images",
            tuple(sorted(self.key_images, key=lambda k: (k.image.sop_uid,))),
        )

    # ------------------------------------------------------------ look-ups

    def timepoint(self, timepoint_id: str) -> Timepoint:
        """The timepoint with this id; ``KeyError`` naming it otherwise."""
        for timepoint in self.timepoints:
            if timepoint.id == timepoint_id:
                return timepoint
        raise KeyError(f"no timepoint {timepoint_id!r} in this reading")

    def timepoint_of_study(self, study_uid: str) -> Timepoint | None:
        """The timepoint of a study, if the study is part of the reading."""
        return next((t for t in self.timepoints if t.study_uid == study_uid), None)

    @property
    def baseline(self) -> Timepoint | None:
        """The baseline timepoint, if one is marked."""
        return next((t for t in self.timepoints if t.baseline), None)

    def lesion(self, lesion_id: str) -> Lesion:
        """The lesion with this id; ``KeyError`` naming it otherwise."""
        for lesion in self.lesions:
            if lesion.id == lesion_id:
                return lesion
        raise KeyError(f"no lesion {lesion_id!r} in this reading")

    def measurement(self, measurement_id: str) -> Measurement:
        """The measurement with this id; ``KeyError`` naming it otherwise."""
        for measurement in self.measurements:
            if measurement.id == measurement_id:
                return measurement
        raise KeyError(f"no measurement {measurement_id!r} in this reading")

    def annotation(self, annotation_id: str) -> Annotation:
        """The annotation with this id; ``KeyError`` naming it otherwise."""
        for annotation in self.annotations:
            if annotation.id == annotation_id:
                return annotation
        raise KeyError(f"no annotation {annotation_id!r} in this reading")

    def status(self, lesion_id: str, timepoint_id: str) -> str | None:
        """The status of a lesion at a timepoint, if one is set."""
        for status in self.statuses:
            if status.lesion_id == lesion_id and status.timepoint_id == timepoint_id:
                return status.value
        return None

    def cell_measurements(
        self, lesion_id: str, timepoint_id: str
    ) -> tuple[Measurement, ...]:
        """Measurements assigned to a lesion at a timepoint, by number."""
        return tuple(
            m
            for m in self.measurements
            if m.lesion_id == lesion_id and m.timepoint_id == timepoint_id
        )

    def is_key_image(self, sop_uid: str) -> bool:
        """True when the image is flagged as a key image."""
        return any(k.image.sop_uid == sop_uid for k in self.key_images)


def next_id(prefix: str, taken: list[str] | tuple[str, ...]) -> str:
    """``prefix`` followed by one more than the highest number already used."""
    numbers = [
        int(match.group(1))
        for item in taken
        if (match := re.fullmatch(re.escape(prefix) + r"(\d+)", item))
    ]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _float_points(points: tuple[Point, ...]) -> tuple[Point, ...]:
    return tuple((float(x), float(y), float(z)) for x, y, z in points)


def _id_key(item: Measurement | Annotation) -> tuple[str, int, str]:
    match = re.fullmatch(r"(\D*)(\d+)", item.id)
    if match:
        return match.group(1), int(match.group(2)), ""
    return item.id, -1, item.id


def _timepoint_key(timepoint: Timepoint) -> tuple[str, int, str]:
    match = re.fullmatch(r"(\D*)(\d+)", timepoint.id)
    number = int(match.group(2)) if match else -1
    return timepoint.date, number, timepoint.id
