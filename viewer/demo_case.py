"""The built-in demo: a synthetic longitudinal CT case with a known ground truth.

One patient, three CT studies months apart (baseline, nadir, current), each one
axial series of a body-like phantom (body outline with a fat rim, lungs,
mediastinum, heart, aorta, spine, liver, spleen) with lesions of known size: two
lung nodules, two liver target lesions, a mediastinal lymph node, a small liver
non-target lesion, and a new lung nodule at the current study only. The lesions
shrink at the nadir and regrow at the current study.

Each study has its own Frame of Reference UID and its own patient position: the
body frame (x to the patient's left, y posterior, z superior, origin mid-chest)
is placed in the patient by ``p = Rz(yaw) b + t`` with a different yaw (rotation
about the long axis only) and translation per study (:data:`STUDIES`). A pure
rotation about the long axis keeps every axial section of a lesion the same
ellipse, so a lesion's true long and short axes in the axial plane are exactly
its planned diameters. Lesions are spheroids ``(long/2, short/2, short/2)`` whose
long axis lies in the axial plane; each lesion's centre is moved by less than
half a slice along z so that its largest axial section is a slice's centre.

Beside the images, ``ground_truth.json`` holds each study's UIDs and pose and
each lesion's centre, axes and slice per study, with the RECIST 1.1 evaluation
worked out by hand; ``expected_case.json`` holds the true lesion table in the
``nadir-case/1`` format. A marker file, written last, says the case is complete.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.uid import generate_uid

from viewer.phantom import Ellipsoid, Float32Array, Pose, cylinder, render_slice
from viewer.synthetic import CTSeries, Patient, StackGeometry, Study, write_ct_series

logger = logging.getLogger(__name__)

DEMO_FORMAT = "nadir-demo/1"
COMPLETE_MARKER = "demo-complete.json"
GROUND_TRUTH = "ground_truth.json"
EXPECTED_CASE = "expected_case.json"

PATIENT = Patient("DEMO^ALEX^NADIR", "NADIR-DEMO-001", dt.date(1961, 5, 17), "F")
FIELD_OF_VIEW_MM = 400.0
SCAN_LENGTH_MM = 195.0
# Body z at the middle of every scan (before each study's own scan offset).
SCAN_CENTRE_BODY_Z_MM = -7.5


@dataclass(frozen=True)
class StudyPlan:
    """One timepoint: date, patient position and pixel encoding of its series."""

    label: str
    timepoint_id: str
    acquired: dt.datetime
    yaw_deg: float
    translation_mm: tuple[float, float, float]
    scan_offset_mm: float
    signed: bool
    rescale_intercept: float

    @property
    def pose(self) -> Pose:
        """Body frame to patient LPS: rotation about the long axis, then shift."""
        return Pose.from_angles(self.yaw_deg, 0.0, self.translation_mm)


# fmt: off
STUDIES: tuple[StudyPlan, ...] = (
    StudyPlan(
        "baseline", "T0", dt.datetime(2026, 1, 12, 9, 14), 0.0,
        (4.0, 12.0, -412.0), 0.0, False, -1024.0,
    ),
    StudyPlan(
        "nadir", "T1", dt.datetime(2026, 4, 14, 10, 2), 4.0,
        (-22.0, -6.0, -377.5), 3.0, True, 0.0,
    ),
    StudyPlan(
        "current", "T2", dt.datetime(2026, 7, 15, 8, 47), -3.0,
        (15.0, 25.0, -448.0), -4.5, True, -1024.0,
    ),
)
# fmt: on


@dataclass(frozen=True)
class LesionPlan:
    """A lesion and its true (long, short) axial diameters in each of :data:`STUDIES`.

    ``None`` marks a study where the lesion is absent.
    """

    lesion_id: str
    kind: str
    organ: str
    node: bool
    centre_body_mm: tuple[float, float, float]
    angle_deg: float
    hu: float
    diameters_mm: tuple[tuple[float, float] | None, ...]


# Diameters chosen so that RECIST 1.1 gives PR at the nadir and PD at the current
# study (see EXPECTED_EVALUATION for the arithmetic).
# fmt: off
LESIONS: tuple[LesionPlan, ...] = (
    LesionPlan("L1", "target", "lung", False, (-80.0, -10.0, 45.0), 20.0, 30.0,
               ((24.0, 18.0), (14.0, 10.0), (20.0, 15.0))),
    LesionPlan("L2", "target", "lung", False, (85.0, 20.0, 75.0), -35.0, 30.0,
               ((18.0, 14.0), (12.0, 9.0), (17.0, 13.0))),
    LesionPlan("L3", "target", "liver", False, (-75.0, 10.0, -60.0), 10.0, 15.0,
               ((32.0, 24.0), (20.0, 15.0), (28.0, 21.0))),
    LesionPlan("L4", "target", "liver", False, (-30.0, -30.0, -35.0), 60.0, 15.0,
               ((22.0, 16.0), (14.0, 10.0), (19.0, 14.0))),
    LesionPlan("L5", "target", "mediastinal node", True, (2.0, -15.0, 70.0), 0.0, 40.0,
               ((26.0, 18.0), (20.0, 11.0), (24.0, 16.0))),
    LesionPlan("N1", "non-target", "liver", False, (-95.0, -20.0, -85.0), -20.0, 15.0,
               ((12.0, 10.0), (10.0, 8.0), (11.0, 9.0))),
    LesionPlan("X1", "new", "lung", False, (70.0, -40.0, 30.0), 45.0, 30.0,
               (None, None, (10.0, 8.0))),
)
# fmt: on

# RECIST 1.1 worked by hand from the diameters above (targets L1-L4 contribute
# their long axis, the node L5 its short axis):
#   T0: 24 + 18 + 32 + 22 + 18 = 114 mm (baseline)
#   T1: 14 + 12 + 20 + 14 + 11 = 71 mm; 71 / 114 = 0.623 <= 0.70 -> PR;
#       nadir before T1 is 114; -43 / 114 = -37.7 %
#   T2: 20 + 17 + 28 + 19 + 16 = 100 mm; nadir 71; 100 / 71 = 1.408 >= 1.20 and
#       +29 mm >= 5 mm -> PD; -14 / 114 = -12.3 % from baseline, +40.8 % from nadir;
#       plus the unequivocal new lesion X1 -> PD
#   Best overall response: PR at T1 is not confirmed (T2 is PD), so SD (T1 is 92
#   days after baseline, past the 6-week minimum); PR without confirmation.
# fmt: off
EXPECTED_EVALUATION: dict[str, Any] = {
    "timepoints": {
        "T0": {"sum_mm": 114.0, "baseline_sum_mm": 114.0, "nadir_mm": None,
               "change_from_baseline_pct": None, "change_from_nadir_pct": None,
               "target": None, "non_target": None, "new_lesions": False,
               "overall": None},
        "T1": {"sum_mm": 71.0, "baseline_sum_mm": 114.0, "nadir_mm": 114.0,
               "change_from_baseline_pct": -37.7, "change_from_nadir_pct": -37.7,
               "target": "PR", "non_target": "Non-CR/Non-PD", "new_lesions": False,
               "overall": "PR"},
        "T2": {"sum_mm": 100.0, "baseline_sum_mm": 114.0, "nadir_mm": 71.0,
               "change_from_baseline_pct": -12.3, "change_from_nadir_pct": 40.8,
               "target": "PD", "non_target": "Non-CR/Non-PD", "new_lesions": True,
               "overall": "PD"},
    },
    "best_overall_response": "SD",
    "best_overall_response_without_confirmation": "PR",
}
# fmt: on


def write_demo_case(
    folder: Path,
    size: int = 512,
    slices: int = 130,
    *,
    noise_hu: float = 8.0,
    seed: int = 20260112,
) -> Path:
    """Write the three studies, the ground truth and the expected case into ``folder``.

    Parameters
    ----------
    size
        Rows and columns of every slice; the field of view stays 400 mm, so the
        pixel spacing is ``400 / size`` mm.
    slices
        Slices per series; the scan length stays 195 mm, so slices are
        ``195 / slices`` mm apart (1.5 mm at the default) and as thick.
    noise_hu
        Standard deviation of the Gaussian noise added to every pixel.

    Returns
    -------
    Path
        ``folder``, complete with its marker file.
    """
    if size < 32 or slices < 8:
        raise ValueError(
            f"the demo needs size >= 32 and slices >= 8, got size {size} and "
            f"slices {slices}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / COMPLETE_MARKER).unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    study_uids = {plan.label: generate_uid() for plan in STUDIES}
    truth_studies: list[dict[str, Any]] = []
    truth_lesions: dict[str, dict[str, Any]] = {
        lesion.lesion_id: _lesion_header(lesion) for lesion in LESIONS
    }

    for number, plan in enumerate(STUDIES, start=1):
        geometry = _geometry(plan, size, slices)
        series = _series(plan, geometry)
        study = Study(
            study_instance_uid=study_uids[plan.label],
            study_datetime=plan.acquired,
            study_description="CT CHEST ABDOMEN WITH CONTRAST",
            accession_number=f"DEMO{number:04d}",
            study_id=str(1000 + number),
        )
        sop_uids = [str(generate_uid()) for _ in range(slices)]
        lesion_shapes, lesion_truth = _place_lesions(number - 1, geometry, sop_uids)
        for lesion_id, entry in lesion_truth.items():
            truth_lesions[lesion_id]["studies"][plan.label] = entry
        shapes = (*_anatomy(), *lesion_shapes)
        subfolder = f"{plan.acquired:%Y%m%d}-{plan.label}"
        # A demo of another size may have left more slices here than this one has.
        for stale in sorted((folder / subfolder).glob("IM*.dcm")):
            stale.unlink()
        write_ct_series(
            folder / subfolder,
            _slices(shapes, geometry, plan.pose, noise_hu, rng),
            geometry,
            PATIENT,
            study,
            series,
            sop_instance_uids=sop_uids,
        )
        truth_studies.append(_study_truth(plan, study, series, geometry, subfolder))
        logger.info("demo study %d of %d written", number, len(STUDIES))

    truth = {
        "format": DEMO_FORMAT,
        "patient": {"id": PATIENT.patient_id, "name": PATIENT.patient_name},
        "body_frame": "x to the patient's left, y posterior, z superior (mm); "
        "pose maps body to patient LPS mm as p = R b + t, R a rotation about z",
        "lesion_model": "spheroid with semi-axes (long/2, short/2, short/2), long "
        "axis in the axial plane; centre moved less than half a slice along z so "
        "that it lies on a slice",
        "studies": truth_studies,
        "lesions": list(truth_lesions.values()),
        "expected": EXPECTED_EVALUATION,
    }
    _write_json(folder / GROUND_TRUTH, truth)
    _write_json(folder / EXPECTED_CASE, _expected_case(truth_studies, truth_lesions))
    _write_json(
        folder / COMPLETE_MARKER,
        {"format": DEMO_FORMAT, "size": size, "slices": slices},
    )
    return folder


def is_complete(folder: Path, size: int = 512, slices: int = 130) -> bool:
    """True when ``folder`` holds a finished demo of this size (its marker)."""
    marker = folder / COMPLETE_MARKER
    try:
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(content == {"format": DEMO_FORMAT, "size": size, "slices": slices})


def _geometry(plan: StudyPlan, size: int, slices: int) -> StackGeometry:
    """Axial slices from head to feet, the image centred on the scanner's axis."""
    pixel = FIELD_OF_VIEW_MM / size
    step = SCAN_LENGTH_MM / slices
    first = -FIELD_OF_VIEW_MM / 2 + pixel / 2
    centre_z = plan.translation_mm[2] + SCAN_CENTRE_BODY_Z_MM + plan.scan_offset_mm
    top_z = centre_z + step * (slices - 1) / 2
    return StackGeometry.regular(
        size, size, slices, (first, first, top_z), (0.0, 0.0, -step), (pixel, pixel)
    )


def _series(plan: StudyPlan, geometry: StackGeometry) -> CTSeries:
    step = SCAN_LENGTH_MM / geometry.slices
    return CTSeries(
        series_number=2,
        series_description=f"AXIAL {step:.3g} mm STANDARD",
        acquisition_offset=dt.timedelta(minutes=3, seconds=20),
        body_part_examined="CHEST",
        slice_thickness_mm=step,
        contrast_bolus_agent="IOHEXOL 350",
        signed=plan.signed,
        bits_stored=16 if plan.signed else 12,
        rescale_intercept=plan.rescale_intercept,
    )


def _anatomy() -> tuple[Ellipsoid, ...]:
    """The body phantom in the body frame (mm, HU), painted in this order."""
    spine: list[Ellipsoid] = [
        cylinder((0.0, 62.0), (20.0, 17.0), 80.0),
        cylinder((0.0, 90.0), (17.0, 15.0), 700.0),
        cylinder((0.0, 90.0), (9.0, 8.0), 10.0),
    ]
    for z in np.arange(-120.0, 121.0, 30.0):
        spine.insert(1, Ellipsoid((0.0, 62.0, float(z)), (20.0, 17.0, 13.0), 700.0))
    return (
        cylinder((0.0, 0.0), (160.0, 110.0), -100.0),
        cylinder((0.0, 0.0), (148.0, 98.0), 40.0),
        Ellipsoid((0.0, -15.0, 65.0), (35.0, 55.0, 80.0), -90.0),
        Ellipsoid((-78.0, 0.0, 70.0), (58.0, 80.0, 110.0), -850.0),
        Ellipsoid((78.0, 0.0, 70.0), (58.0, 80.0, 110.0), -850.0),
        Ellipsoid((15.0, -35.0, -5.0), (55.0, 45.0, 45.0), 110.0),
        Ellipsoid((-55.0, 0.0, -55.0), (80.0, 70.0, 65.0), 60.0),
        Ellipsoid((85.0, 35.0, -50.0), (30.0, 38.0, 50.0), 50.0),
        *spine,
        cylinder((28.0, 35.0), (12.0, 12.0), 150.0),
    )


def _place_lesions(
    study_index: int, geometry: StackGeometry, sop_uids: list[str]
) -> tuple[list[Ellipsoid], dict[str, dict[str, Any]]]:
    """The lesions present in one study and their truth in its patient frame."""
    pose = STUDIES[study_index].pose
    normal = geometry.normal
    distances = geometry.slice_positions_lps_mm @ normal
    shapes: list[Ellipsoid] = []
    truth: dict[str, dict[str, Any]] = {}
    for lesion in LESIONS:
        diameters = lesion.diameters_mm[study_index]
        if diameters is None:
            truth[lesion.lesion_id] = {"present": False}
            continue
        long_mm, short_mm = diameters
        centre = pose.to_patient(lesion.centre_body_mm)
        k = int(np.argmin(np.abs(distances - centre @ normal)))
        centre = centre + (distances[k] - centre @ normal) * normal
        centre_body = pose.to_body(centre)
        angle = math.radians(lesion.angle_deg)
        axes = np.array(
            [
                [math.cos(angle), -math.sin(angle), 0.0],
                [math.sin(angle), math.cos(angle), 0.0],
                [0.0, 0.0, 1.0],
            ]
        )
        shapes.append(
            Ellipsoid(
                (float(centre_body[0]), float(centre_body[1]), float(centre_body[2])),
                (long_mm / 2, short_mm / 2, short_mm / 2),
                lesion.hu,
                axes,
            )
        )
        long_direction = pose.rotation @ axes[:, 0]
        short_direction = pose.rotation @ axes[:, 1]
        truth[lesion.lesion_id] = {
            "present": True,
            "centre_lps_mm": _rounded(centre),
            "centre_body_mm": _rounded(centre_body),
            "long_mm": long_mm,
            "short_mm": short_mm,
            "long_axis_direction_lps": _rounded(long_direction, 9),
            "short_axis_direction_lps": _rounded(short_direction, 9),
            "long_axis_end_points_lps_mm": [
                _rounded(centre - long_direction * long_mm / 2),
                _rounded(centre + long_direction * long_mm / 2),
            ],
            "slice_index": k,
            "instance_number": k + 1,
            "sop_instance_uid": sop_uids[k],
        }
    return shapes, truth


def _slices(
    shapes: tuple[Ellipsoid, ...],
    geometry: StackGeometry,
    pose: Pose,
    noise_hu: float,
    rng: np.random.Generator,
) -> Iterator[Float32Array]:
    for k in range(geometry.slices):
        image = render_slice(shapes, geometry, k, pose)
        if noise_hu > 0:
            noise = rng.standard_normal(image.shape, dtype=np.float32)
            image += noise * np.float32(noise_hu)
        yield image


def _lesion_header(lesion: LesionPlan) -> dict[str, Any]:
    return {
        "id": lesion.lesion_id,
        "kind": lesion.kind,
        "organ": lesion.organ,
        "node": lesion.node,
        "hu": lesion.hu,
        "studies": {},
    }


def _study_truth(
    plan: StudyPlan,
    study: Study,
    series: CTSeries,
    geometry: StackGeometry,
    subfolder: str,
) -> dict[str, Any]:
    return {
        "label": plan.label,
        "timepoint_id": plan.timepoint_id,
        "date": plan.acquired.date().isoformat(),
        "study_uid": study.study_instance_uid,
        "series_uid": series.series_instance_uid,
        "frame_of_reference_uid": series.frame_of_reference_uid,
        "folder": subfolder,
        "pose_body_to_patient": [_rounded(row, 12) for row in plan.pose.matrix()],
        "yaw_deg": plan.yaw_deg,
        "translation_mm": list(plan.translation_mm),
        "rows": geometry.rows,
        "columns": geometry.columns,
        "slices": geometry.slices,
        "pixel_spacing_mm": list(geometry.pixel_spacing_mm),
        "slice_step_mm": SCAN_LENGTH_MM / geometry.slices,
    }


def _expected_case(
    studies: list[dict[str, Any]], lesions: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The true lesion table in the ``nadir-case/1`` format (RECIST.md)."""
    label_to_tp = {study["label"]: study["timepoint_id"] for study in studies}
    timepoints = [
        {
            "id": study["timepoint_id"],
            "date": study["date"],
            "study_uid": study["study_uid"],
            **({"baseline": True} if study["timepoint_id"] == "T0" else {}),
        }
        for study in studies
    ]
    entries: list[dict[str, Any]] = []
    for lesion in lesions.values():
        entry: dict[str, Any] = {
            "id": lesion["id"],
            "kind": lesion["kind"],
            "organ": lesion["organ"],
        }
        present = {
            label_to_tp[label]: value
            for label, value in lesion["studies"].items()
            if value["present"]
        }
        if lesion["kind"] == "target":
            entry["node"] = lesion["node"]
            entry["measurements"] = {
                tp: {
                    "long_mm": value["long_mm"],
                    "short_mm": value["short_mm"],
                    "image": {
                        "sop_uid": value["sop_instance_uid"],
                        "points_mm": value["long_axis_end_points_lps_mm"],
                    },
                }
                for tp, value in present.items()
            }
        elif lesion["kind"] == "non-target":
            entry["node"] = lesion["node"]
            entry["assessments"] = dict.fromkeys(present, "present")
        else:
            entry["first_seen"] = min(present)
            entry["assessments"] = dict.fromkeys(present, "unequivocal")
        entries.append(entry)
    return {
        "format": "nadir-case/1",
        "patient": {"id": PATIENT.patient_id},
        "timepoints": timepoints,
        "lesions": entries,
    }


def _rounded(values: Any, digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in values]


def _write_json(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
