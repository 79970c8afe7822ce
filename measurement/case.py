"""The nadir-case/1 case file as typed objects: parsing, validation and the way back.

A case file (RECIST.md, "The case file") holds one reader's whole RECIST 1.1
assessment of one patient: the timepoints, and the lesions with their measurements,
statuses and assessments. :func:`parse_case` checks a decoded JSON object field by
field and raises :class:`CaseFormatError` naming the first broken field by its path
(``lesions[2].measurements.T1.long_mm``); :meth:`Case.to_dict` gives back exactly the
object that was parsed. This module knows no files; reading them is the reporting
package's job.

Beyond RECIST.md the format accepts, all optional:

- ``fragments_mm`` on a measurement: a lesion that split is measured as its fragments,
  and contributes their sum (RECIST 1.1 section 4.3.2);
- status ``merged`` with ``merged_into``: a lesion that coalesced with another counts
  0 mm, the other carrying the diameter of the whole (section 4.3.2);
- ``slice_thickness_mm`` on a timepoint or a measurement's ``image``, for the rule that
  a non-nodal lesion must measure at least twice the slice thickness (section 3.1.1);
- ``location`` and ``reader`` (free text; ``organ`` and ``location`` may be empty
  where a report names none), ``tracking_uid`` on a lesion (the DICOM tracking UID
  of a measurement report, PS3.16 TID 4108), ``series_uid`` on ``image``;
- ``points_mm`` holds the end points (two for a caliper, four for long then short
  axis; other tools' reports may give one or more points of a region), and
  ``points_px`` (column, row) points on the image where its geometry is unknown;
- new-lesion assessments ``absent`` and ``not-assessed`` besides ``equivocal`` and
  ``unequivocal``, for an equivocal finding that resolves or is not looked at.
"""

from __future__ import annotations

import datetime
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Final

from measurement.case_fields import (
    CaseFormatError,
    boolean,
    choice,
    iso_date,
    known,
    list_of,
    nonempty_text,
    number,
    obj_of,
    optional_number,
    optional_string,
    optional_text,
    required,
    show,
)

logger = logging.getLogger(__name__)

__all__ = [
    "Case",
    "CaseFormatError",
    "Image",
    "Lesion",
    "Measurement",
    "Timepoint",
    "case_from_json_text",
    "parse_case",
]

FORMAT: Final = "nadir-case/1"
KINDS: Final = ("target", "non-target", "new")
MEASUREMENT_STATUSES: Final = ("too-small", "absent", "not-assessed", "merged")
NON_TARGET_ASSESSMENTS: Final = ("present", "absent", "progression", "not-assessed")
NEW_LESION_ASSESSMENTS: Final = ("equivocal", "unequivocal", "absent", "not-assessed")


@dataclass
class Image:
    """Where a measurement was made: the instance and its end points (LPS, mm)."""

    sop_uid: str | None = None
    series_uid: str | None = None
    points_mm: list[list[float]] | None = None
    points_px: list[list[float]] | None = None
    slice_thickness_mm: float | None = None

    def centre_mm(self) -> tuple[float, float, float] | None:
        """The mean of the end points, or None without points."""
        if not self.points_mm:
            return None
        n = len(self.points_mm)
        x, y, z = (sum(p[axis] for p in self.points_mm) / n for axis in range(3))
        return (x, y, z)


@dataclass
class Measurement:
    """One lesion at one timepoint: diameters, fragments or a status."""

    long_mm: float | None = None
    short_mm: float | None = None
    fragments_mm: list[float] | None = None
    status: str | None = None
    merged_into: str | None = None
    image: Image | None = None


@dataclass
class Timepoint:
    """One imaging study of the patient; exactly one of them is the baseline."""

    id: str
    date: datetime.date
    baseline: bool | None = None
    study_uid: str | None = None
    slice_thickness_mm: float | None = None

    @property
    def is_baseline(self) -> bool:
        """True for the baseline timepoint."""
        return bool(self.baseline)


@dataclass
class Lesion:
    """A target, non-target or new lesion and what was recorded for it."""

    id: str
    kind: str
    organ: str | None = None
    node: bool | None = None
    location: str | None = None
    tracking_uid: str | None = None
    first_seen: str | None = None
    measurements: dict[str, Measurement] | None = None
    assessments: dict[str, str] | None = None

    @property
    def is_node(self) -> bool:
        """True for a lymph node (which is measured by its short axis)."""
        return bool(self.node)


@dataclass
class Case:
    """One reader's RECIST 1.1 assessment of one patient (nadir-case/1)."""

    timepoints: list[Timepoint]
    lesions: list[Lesion]
    patient: dict[str, Any] | None = None
    reader: str | None = None
    format: str = FORMAT
    _timepoint_index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._timepoint_index = {tp.id: i for i, tp in enumerate(self.timepoints)}

    @property
    def baseline(self) -> Timepoint:
        """The baseline timepoint."""
        return next(tp for tp in self.timepoints if tp.is_baseline)

    def timepoint(self, timepoint_id: str) -> Timepoint:
        """The timepoint with this id (KeyError when there is none)."""
        return self.timepoints[self._timepoint_index[timepoint_id]]

    def lesion(self, lesion_id: str) -> Lesion:
        """The lesion with this id (KeyError when there is none)."""
        for lesion in self.lesions:
            if lesion.id == lesion_id:
                return lesion
        raise KeyError(lesion_id)

    def to_dict(self) -> dict[str, Any]:
        """The case as the JSON object it was parsed from."""
        out: dict[str, Any] = {"format": self.format}
        if self.patient is not None:
            out["patient"] = dict(self.patient)
        if self.reader is not None:
            out["reader"] = self.reader
        out["timepoints"] = [_timepoint_to_dict(tp) for tp in self.timepoints]
        out["lesions"] = [_lesion_to_dict(lesion) for lesion in self.lesions]
        return out


def parse_case(data: Any) -> Case:
    """Check a decoded nadir-case/1 object and return it as a :class:`Case`.

    Raises
    ------
    CaseFormatError
        At the first field that breaks the format, naming its path.
    """
    obj = obj_of(data, "")
    known(obj, "", ("format", "patient", "reader", "timepoints", "lesions"))
    fmt = obj.get("format")
    if fmt != FORMAT:
        raise CaseFormatError("format", f"expected {show(FORMAT)}, got {show(fmt)}")
    patient = None
    if "patient" in obj:
        patient = dict(obj_of(obj["patient"], "patient"))
    reader = optional_text(obj, "reader", "")
    timepoints = _parse_timepoints(required(obj, "timepoints", ""))
    known_tps = {tp.id: tp for tp in timepoints}
    lesions = _parse_lesions(required(obj, "lesions", ""), known_tps)
    logger.debug("case: %d timepoints, %d lesions", len(timepoints), len(lesions))
    return Case(timepoints, lesions, patient=patient, reader=reader, format=fmt)


def case_from_json_text(text: str) -> Case:
    """Decode JSON text and parse it; bad JSON is a :class:`CaseFormatError` too."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CaseFormatError(
            "",
            f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}",
        ) from None
    return parse_case(data)


def _parse_timepoints(value: Any) -> list[Timepoint]:
    items = list_of(value, "timepoints")
    if not items:
        raise CaseFormatError("timepoints", "expected at least one timepoint")
    timepoints: list[Timepoint] = []
    for i, item in enumerate(items):
        path = f"timepoints[{i}]"
        obj = obj_of(item, path)
        known(obj, path, ("id", "date", "baseline", "study_uid", "slice_thickness_mm"))
        tp_id = nonempty_text(required(obj, "id", path), f"{path}.id")
        if any(tp.id == tp_id for tp in timepoints):
            raise CaseFormatError(f"{path}.id", f"duplicate timepoint id {show(tp_id)}")
        date = iso_date(required(obj, "date", path), f"{path}.date")
        baseline = None
        if "baseline" in obj:
            baseline = boolean(obj["baseline"], f"{path}.baseline")
        timepoints.append(
            Timepoint(
                tp_id,
                date,
                baseline=baseline,
                study_uid=optional_text(obj, "study_uid", path),
                slice_thickness_mm=optional_number(obj, "slice_thickness_mm", path),
            )
        )
    _check_chronology(timepoints)
    return timepoints


def _check_chronology(timepoints: list[Timepoint]) -> None:
    baselines = [i for i, tp in enumerate(timepoints) if tp.is_baseline]
    if len(baselines) != 1:
        ids = ", ".join(timepoints[i].id for i in baselines) or "none"
        raise CaseFormatError(
            "timepoints",
            f'expected exactly one timepoint with "baseline": true, got {ids}',
        )
    if baselines[0] != 0:
        raise CaseFormatError(
            f"timepoints[{baselines[0]}].baseline",
            "the baseline must be the first timepoint; list timepoints oldest first",
        )
    for i in range(1, len(timepoints)):
        # Two studies of one day (a repeat scan) are two timepoints of that date.
        if timepoints[i].date < timepoints[i - 1].date:
            raise CaseFormatError(
                f"timepoints[{i}].date",
                f"{timepoints[i].date.isoformat()} is before the previous "
                f"timepoint's {timepoints[i - 1].date.isoformat()}; list timepoints "
                "oldest first",
            )


def _parse_lesions(value: Any, timepoints: dict[str, Timepoint]) -> list[Lesion]:
    items = list_of(value, "lesions")
    lesions: list[Lesion] = []
    for i, item in enumerate(items):
        path = f"lesions[{i}]"
        lesion = _parse_lesion(item, path, timepoints)
        if any(other.id == lesion.id for other in lesions):
            raise CaseFormatError(
                f"{path}.id", f"duplicate lesion id {show(lesion.id)}"
            )
        lesions.append(lesion)
    _check_merges(lesions)
    return lesions


def _parse_lesion(item: Any, path: str, timepoints: dict[str, Timepoint]) -> Lesion:
    obj = obj_of(item, path)
    known(
        obj,
        path,
        (
            "id",
            "kind",
            "organ",
            "node",
            "location",
            "tracking_uid",
            "first_seen",
            "measurements",
            "assessments",
        ),
    )
    lesion_id = nonempty_text(required(obj, "id", path), f"{path}.id")
    kind = choice(required(obj, "kind", path), f"{path}.kind", KINDS)
    node = boolean(obj["node"], f"{path}.node") if "node" in obj else None
    lesion = Lesion(
        lesion_id,
        kind,
        organ=optional_string(obj, "organ", path),
        node=node,
        location=optional_string(obj, "location", path),
        tracking_uid=optional_text(obj, "tracking_uid", path),
    )
    baseline_id = next(tp.id for tp in timepoints.values() if tp.is_baseline)
    if "measurements" in obj:
        lesion.measurements = _parse_measurements(
            obj["measurements"], f"{path}.measurements", timepoints, bool(node)
        )
    if "assessments" in obj:
        allowed = NEW_LESION_ASSESSMENTS if kind == "new" else NON_TARGET_ASSESSMENTS
        lesion.assessments = _parse_assessments(
            obj["assessments"], f"{path}.assessments", timepoints, allowed
        )
    if "first_seen" in obj:
        lesion.first_seen = _timepoint_ref(
            obj["first_seen"], f"{path}.first_seen", timepoints
        )
    _check_kind_rules(lesion, path, baseline_id, timepoints)
    return lesion


def _check_kind_rules(
    lesion: Lesion, path: str, baseline_id: str, timepoints: dict[str, Timepoint]
) -> None:
    measurements = lesion.measurements or {}
    assessments = lesion.assessments or {}
    if lesion.kind == "target":
        if lesion.assessments is not None:
            raise CaseFormatError(
                f"{path}.assessments",
                'a target lesion is measured, not assessed; use "measurements"',
            )
        first = measurements.get(baseline_id)
        if first is None or first.status is not None:
            got = "nothing" if first is None else f"status {show(first.status)}"
            raise CaseFormatError(
                f"{path}.measurements.{baseline_id}",
                f"a target lesion must be measured at the baseline, got {got}",
            )
    elif lesion.kind == "non-target":
        at_baseline = assessments.get(baseline_id, "present")
        if at_baseline != "present":
            raise CaseFormatError(
                f"{path}.assessments.{baseline_id}",
                f"a non-target lesion is present at the baseline, got "
                f"{show(at_baseline)}",
            )
    else:
        for source, recorded in (
            ("assessments", assessments),
            ("measurements", measurements),
        ):
            if baseline_id in recorded:
                raise CaseFormatError(
                    f"{path}.{source}.{baseline_id}",
                    "a new lesion cannot be recorded at the baseline; "
                    "make it a target or non-target lesion",
                )
        for tp_id in measurements:
            if tp_id not in assessments:
                raise CaseFormatError(
                    f"{path}.assessments.{tp_id}",
                    "a new lesion measured here needs an assessment here too "
                    "(equivocal or unequivocal)",
                )
        if lesion.first_seen == baseline_id:
            raise CaseFormatError(
                f"{path}.first_seen",
                "a new lesion cannot be first seen at the baseline",
            )
        if lesion.first_seen is not None:
            order = list(timepoints)
            start = order.index(lesion.first_seen)
            for tp_id in assessments:
                if order.index(tp_id) < start:
                    raise CaseFormatError(
                        f"{path}.assessments.{tp_id}",
                        f"recorded before the lesion was first seen "
                        f"({lesion.first_seen})",
                    )


def _check_merges(lesions: list[Lesion]) -> None:
    ids = {lesion.id for lesion in lesions}
    for i, lesion in enumerate(lesions):
        for tp_id, m in (lesion.measurements or {}).items():
            if m.merged_into is None:
                continue
            path = f"lesions[{i}].measurements.{tp_id}.merged_into"
            if m.merged_into not in ids:
                raise CaseFormatError(path, f"unknown lesion id {show(m.merged_into)}")
            if m.merged_into == lesion.id:
                raise CaseFormatError(path, "a lesion cannot merge into itself")


def _parse_measurements(
    value: Any, path: str, timepoints: dict[str, Timepoint], node: bool
) -> dict[str, Measurement]:
    obj = obj_of(value, path)
    out: dict[str, Measurement] = {}
    for tp_id, item in obj.items():
        _timepoint_ref(tp_id, path, timepoints, as_key=True)
        out[tp_id] = _parse_measurement(item, f"{path}.{tp_id}", node)
    return out


def _parse_measurement(item: Any, path: str, node: bool) -> Measurement:
    obj = obj_of(item, path)
    known(
        obj,
        path,
        ("long_mm", "short_mm", "fragments_mm", "status", "merged_into", "image"),
    )
    m = Measurement(
        long_mm=optional_number(obj, "long_mm", path),
        short_mm=optional_number(obj, "short_mm", path),
    )
    if "fragments_mm" in obj:
        fragments = list_of(obj["fragments_mm"], f"{path}.fragments_mm")
        if not fragments:
            raise CaseFormatError(f"{path}.fragments_mm", "expected at least one value")
        m.fragments_mm = [
            number(v, f"{path}.fragments_mm[{k}]") for k, v in enumerate(fragments)
        ]
    if "status" in obj:
        m.status = choice(obj["status"], f"{path}.status", MEASUREMENT_STATUSES)
    m.merged_into = optional_text(obj, "merged_into", path)
    if "image" in obj:
        m.image = _parse_image(obj["image"], f"{path}.image")
    _check_measurement(m, path, node)
    return m


def _check_measurement(m: Measurement, path: str, node: bool) -> None:
    has_numbers = m.long_mm is not None or m.short_mm is not None
    if m.status is not None and (has_numbers or m.fragments_mm is not None):
        raise CaseFormatError(
            f"{path}.status",
            f"a measurement is either numbers or a status, got both (status "
            f"{show(m.status)})",
        )
    if m.fragments_mm is not None and has_numbers:
        raise CaseFormatError(
            f"{path}.fragments_mm",
            "a split lesion is measured by its fragments only; drop long_mm/short_mm",
        )
    if m.status is None and m.fragments_mm is None and not has_numbers:
        raise CaseFormatError(
            path, "expected long_mm (short_mm for a node), fragments_mm or a status"
        )
    if (m.status == "merged") != (m.merged_into is not None):
        raise CaseFormatError(
            f"{path}.merged_into" if m.merged_into is not None else f"{path}.status",
            'status "merged" and merged_into go together',
        )
    if has_numbers and m.long_mm is None and not node:
        raise CaseFormatError(f"{path}.long_mm", "expected a number >= 0, got nothing")
    if node and has_numbers and m.short_mm is None:
        raise CaseFormatError(
            f"{path}.short_mm",
            "a lymph node is measured by its short axis; expected a number >= 0, "
            "got nothing",
        )
    if m.long_mm is not None and m.short_mm is not None and m.short_mm > m.long_mm:
        raise CaseFormatError(
            f"{path}.short_mm",
            f"the short axis ({m.short_mm:g} mm) is longer than the long axis "
            f"({m.long_mm:g} mm)",
        )


def _parse_image(value: Any, path: str) -> Image:
    obj = obj_of(value, path)
    known(
        obj,
        path,
        ("sop_uid", "series_uid", "points_mm", "points_px", "slice_thickness_mm"),
    )
    image = Image(
        sop_uid=optional_text(obj, "sop_uid", path),
        series_uid=optional_text(obj, "series_uid", path),
        slice_thickness_mm=optional_number(obj, "slice_thickness_mm", path),
    )
    if "points_mm" in obj:
        image.points_mm = _points(obj["points_mm"], f"{path}.points_mm", 3)
    if "points_px" in obj:
        image.points_px = _points(obj["points_px"], f"{path}.points_px", 2)
    return image


def _points(value: Any, path: str, dimensions: int) -> list[list[float]]:
    points = list_of(value, path)
    if not points:
        raise CaseFormatError(path, "expected at least one point")
    shape = "[x, y, z]" if dimensions == 3 else "[column, row]"
    out: list[list[float]] = []
    for k, point in enumerate(points):
        p_path = f"{path}[{k}]"
        coords = list_of(point, p_path)
        if len(coords) != dimensions:
            raise CaseFormatError(p_path, f"expected {shape}, got {show(point)}")
        out.append(
            [number(c, f"{p_path}[{a}]", minimum=None) for a, c in enumerate(coords)]
        )
    return out


def _parse_assessments(
    value: Any,
    path: str,
    timepoints: dict[str, Timepoint],
    allowed: tuple[str, ...],
) -> dict[str, str]:
    obj = obj_of(value, path)
    out: dict[str, str] = {}
    for tp_id, item in obj.items():
        _timepoint_ref(tp_id, path, timepoints, as_key=True)
        out[tp_id] = choice(item, f"{path}.{tp_id}", allowed)
    return out


def _timepoint_to_dict(tp: Timepoint) -> dict[str, Any]:
    out: dict[str, Any] = {"id": tp.id, "date": tp.date.isoformat()}
    if tp.baseline is not None:
        out["baseline"] = tp.baseline
    if tp.study_uid is not None:
        out["study_uid"] = tp.study_uid
    if tp.slice_thickness_mm is not None:
        out["slice_thickness_mm"] = tp.slice_thickness_mm
    return out


def _lesion_to_dict(lesion: Lesion) -> dict[str, Any]:
    out: dict[str, Any] = {"id": lesion.id, "kind": lesion.kind}
    for key in ("organ", "node", "location", "tracking_uid", "first_seen"):
        value = getattr(lesion, key)
        if value is not None:
            out[key] = value
    if lesion.measurements is not None:
        out["measurements"] = {
            tp_id: _measurement_to_dict(m) for tp_id, m in lesion.measurements.items()
        }
    if lesion.assessments is not None:
        out["assessments"] = dict(lesion.assessments)
    return out


def _measurement_to_dict(m: Measurement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("long_mm", "short_mm", "status", "merged_into"):
        value = getattr(m, key)
        if value is not None:
            out[key] = value
    if m.fragments_mm is not None:
        out["fragments_mm"] = list(m.fragments_mm)
    if m.image is not None:
        image: dict[str, Any] = {}
        for key in ("sop_uid", "series_uid", "slice_thickness_mm"):
            value = getattr(m.image, key)
            if value is not None:
                image[key] = value
        if m.image.points_mm is not None:
            image["points_mm"] = [list(p) for p in m.image.points_mm]
        if m.image.points_px is not None:
            image["points_px"] = [list(p) for p in m.image.points_px]
        out["image"] = image
    return out


def _timepoint_ref(
    value: Any, path: str, timepoints: dict[str, Timepoint], as_key: bool = False
) -> str:
    where = f"{path}.{value}" if as_key else path
    if not isinstance(value, str) or value not in timepoints:
        raise CaseFormatError(
            where,
            f"unknown timepoint {show(value)}; known: {', '.join(timepoints)}",
        )
    return value
