"""Indexing folders, DICOMDIR media and zip archives into patients, studies, series.

:func:`scan` reads headers only (never pixels) and returns what a study browser
shows: patients matched on Patient ID, their studies oldest first, and each
study's series split into consistent stacks (see :mod:`viewer.stacking`). Files
that cannot be used, and files a DICOMDIR names that are not on the medium
(PS3.10 8, PS3.3 F.5), are listed as :class:`Problem` with a reason the user can
act on; they never stop the rest from being indexed.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from viewer.headers import (
    FileRef,
    FrameKeys,
    Header,
    HeaderError,
    has,
    int_or_none,
    raw,
    read_header,
    sop_class_name,
    text,
)
from viewer.sources import Location, resolve_file_id, walk
from viewer.stack_notes import geometry_notes, sorted_along_normal
from viewer.stacking import classify_orientation, split

logger = logging.getLogger(__name__)

__all__ = ["FileRef", "Patient", "Problem", "ScanResult", "Series", "Study", "scan"]

ProgressCallback = Callable[[int, int], None]

# Threads reading headers, and how many files ahead of the one in use they read.
READ_THREADS = 4
READ_AHEAD = 16

# Image storage classes whose pixels are not a picture to read from.
_NOT_LOADABLE_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.66.4": "a segmentation; shown as an overlay",
    "1.2.840.10008.5.1.4.1.1.66.7": "a label map segmentation; shown as an overlay",
}
_PHOTOMETRIC_LOADABLE = frozenset({"MONOCHROME1", "MONOCHROME2"})


@dataclass(frozen=True)
class Problem:
    """A file that was left out, and why (``archive.zip!member`` inside zips).

    ``missing_from`` is set for a file that a DICOMDIR (or a chained directory
    file) names but the medium lacks: the directory file that names it, so a
    printout can count the missing files per folder instead of listing each.
    """

    path: str
    reason: str
    missing_from: str = ""


@dataclass
class Series:
    """One consistent stack of a series (several share a UID when it was split).

    ``files`` has one entry per frame, in the order found; the loader sorts them
    along the slice normal. ``stack_id`` is '' for an unsplit series, otherwise a
    label telling this stack apart from its siblings. ``rows`` and ``columns``
    are Rows (0028,0010) and Columns (0028,0011); ``pixel_spacing_mm`` is Pixel
    Spacing (row, column); ``slice_steps_mm`` the smallest and largest distance
    between successive slice centres along the normal (None for one slice or
    without positions). ``slice_thickness_mm`` is
    the LARGEST Slice Thickness of the stack: RECIST 1.1 (3.1.1) ties
    measurability to it, so a stack with 4 mm and 7 mm parts counts as 7 mm.
    """

    series_instance_uid: str
    series_number: int | None = None
    series_description: str = ""
    modality: str = ""
    body_part_examined: str = ""
    orientation: str = ""
    slice_thickness_mm: float | None = None
    contrast: str = ""
    frame_of_reference_uid: str = ""
    rows: int = 0
    columns: int = 0
    pixel_spacing_mm: tuple[float, float] | None = None
    slice_steps_mm: tuple[float, float] | None = None
    files: list[FileRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_volume: bool = False
    stack_id: str = ""
    sop_class: str = ""

    @property
    def count(self) -> int:
        """Number of frames (images) in this stack."""
        return len(self.files)


@dataclass
class Study:
    """One study and its series, ordered by series number then stack."""

    study_instance_uid: str
    study_date: str = ""
    study_time: str = ""
    study_description: str = ""
    accession_number: str = ""
    series: list[Series] = field(default_factory=list)


@dataclass
class Patient:
    """One patient (matched on Patient ID) and their studies, oldest first."""

    patient_id: str
    patient_name: str = ""
    birth_date: str = ""
    sex: str = ""
    studies: list[Study] = field(default_factory=list)


@dataclass
class ScanResult:
    """What :func:`scan` found, and what it left out."""

    patients: list[Patient] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def all_series(self) -> list[Series]:
        """Every series of every study of every patient, in browser order."""
        return [s for p in self.patients for st in p.studies for s in st.series]


def scan(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> ScanResult:
    """Index files, folders, DICOMDIR files and zip archives, headers only.

    Parameters
    ----------
    paths
        What the user opened; folders are walked recursively, zip archives read
        in place, and the files a DICOMDIR names are included even outside the
        folders given.
    progress
        Called as ``progress(done, total)`` after each file; ``total`` grows as
        DICOMDIR files add references.
    cancel
        When set, scanning stops after the current file and what was found so
        far is returned with a problem saying the scan was cancelled.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    raw_problems: list[tuple[str, str]] = []
    # The same file named twice (a folder and a file in it) is read once.
    queue = list(dict.fromkeys(walk(paths, raw_problems)))
    seen = set(queue)
    roots: dict[Location, str] = {}
    # Missing files named by directory files: lower-case path -> directory file.
    missing: dict[str, str] = {}
    builder = _TreeBuilder()
    done = 0
    with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="nadir-scan") as pool:
        # Headers are read a few files ahead on threads (file reads release the
        # GIL, which matters on slow media) and used in order, here.
        ahead: dict[int, Future[Header | HeaderError]] = {}
        while done < len(queue):
            if cancel is not None and cancel.is_set():
                raw_problems.append(("", "scan cancelled; the list is incomplete"))
                break
            for index in range(done, min(done + READ_AHEAD, len(queue))):
                if index not in ahead:
                    ahead[index] = pool.submit(_read, queue[index])
            header = ahead.pop(done).result()
            location = queue[done]
            done += 1
            if isinstance(header, HeaderError):
                raw_problems.append((location.display, str(header)))
            elif header.is_directory:
                for target in _directory_targets(header, roots, missing, raw_problems):
                    if target not in seen:
                        seen.add(target)
                        queue.append(target)
            else:
                builder.add(header, raw_problems)
            if progress is not None:
                progress(done, len(queue))
        for future in ahead.values():
            future.cancel()
    problems = [Problem(p, r, missing.get(p.lower(), "")) for p, r in raw_problems]
    result = ScanResult(builder.build(), problems)
    logger.info(
        "indexed %d files: %d patients, %d series, %d problems",
        done,
        len(result.patients),
        len(result.all_series()),
        len(result.problems),
    )
    return result


def _read(location: Location) -> Header | HeaderError:
    try:
        return read_header(location)
    except HeaderError as error:
        return error


def _directory_targets(
    header: Header,
    roots: dict[Location, str],
    missing: dict[str, str],
    problems: list[tuple[str, str]],
) -> list[Location]:
    """Files a DICOMDIR (or a chained Philips DIRFILE) names; missing ones reported."""
    location = header.location
    root = roots.get(location)
    if root is None and header.dataset.file_meta.get("MediaStorageSOPClassUID") == (
        "1.2.840.10008.1.3.10"
    ):
        root = os.path.dirname(location.member if location.member else location.path)
    targets = []
    for record in header.dataset.get("DirectoryRecordSequence", []):
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        components = [file_id] if isinstance(file_id, str) else list(file_id)
        target, exists = resolve_file_id(location, components, root)
        if not exists:
            key = target.display.lower()
            if key not in missing:
                missing[key] = location.display
                problems.append(
                    (
                        target.display,
                        f"listed in {_name(location)} ({location.display}) but "
                        "missing; copy the whole disc or folder again",
                    )
                )
            continue
        if root is not None:
            roots.setdefault(target, root)
        targets.append(target)
    return targets


def _name(location: Location) -> str:
    return os.path.basename(location.member or location.path)


@dataclass
class _SeriesFrames:
    first: Dataset
    frames: list[tuple[FileRef, FrameKeys]] = field(default_factory=list)
    # Objects without pixels (SR, KOS, ...): one reference per file. Headers
    # themselves are not kept, so their data sets are freed as the scan goes.
    objects: list[FileRef] = field(default_factory=list)
    # Frames of multi-frame objects without per-frame positions (cine, NM).
    cine: list[FileRef] = field(default_factory=list)


class _TreeBuilder:
    """Collects headers and builds the patient > study > series tree."""

    def __init__(self) -> None:
        self.patients: dict[str, Patient] = {}
        self.studies: dict[str, tuple[str, Study]] = {}
        self.series: dict[tuple[str, str], _SeriesFrames] = {}
        self.instances: dict[str, str] = {}

    def add(self, header: Header, problems: list[tuple[str, str]]) -> None:
        ds = header.dataset
        sop_uid = text(ds, "SOPInstanceUID")
        if sop_uid and sop_uid in self.instances:
            problems.append(
                (
                    header.location.display,
                    f"same SOP Instance UID as {self.instances[sop_uid]}; "
                    "duplicate left out",
                )
            )
            return
        if sop_uid:
            self.instances[sop_uid] = header.location.display
        patient_id = text(ds, "PatientID")
        key = patient_id or f"(no Patient ID) {text(ds, 'PatientName')}"
        if key not in self.patients:
            patient_name = text(ds, "PatientName")
            self.patients[key] = Patient(
                patient_id=patient_id,
                patient_name=patient_name,
                birth_date=text(ds, "PatientBirthDate"),
                sex=text(ds, "PatientSex"),
            )
        study_uid = text(ds, "StudyInstanceUID")
        if study_uid not in self.studies:
            self.studies[study_uid] = (
                key,
                Study(
                    study_instance_uid=study_uid,
                    study_date=text(ds, "StudyDate"),
                    study_time=text(ds, "StudyTime"),
                    study_description=text(ds, "StudyDescription"),
                    accession_number=text(ds, "AccessionNumber"),
                ),
            )
        series_key = (study_uid, text(ds, "SeriesInstanceUID"))
        entry = self.series.setdefault(series_key, _SeriesFrames(ds))
        if not header.frames:
            location = header.location
            entry.objects.append(FileRef(location.path, location.member, None, sop_uid))
        if len(header.frames) > 1 and not has(ds, "PerFrameFunctionalGroupsSequence"):
            entry.cine.extend(ref for ref, _ in header.frames)
        else:
            entry.frames.extend(header.frames)

    def build(self) -> list[Patient]:
        for (study_uid, _), entry in self.series.items():
            study = self.studies[study_uid][1]
            study.series.extend(_build_series(entry))
        for patient_key, study in self.studies.values():
            study.series.sort(
                key=lambda s: (
                    s.series_number is None,
                    s.series_number or 0,
                    s.stack_id,
                )
            )
            self.patients[patient_key].studies.append(study)
        for patient in self.patients.values():
            patient.studies.sort(key=lambda s: (s.study_date, s.study_time))
        return sorted(
            self.patients.values(), key=lambda p: (p.patient_name, p.patient_id)
        )


def _build_series(entry: _SeriesFrames) -> list[Series]:
    ds = entry.first
    sop_class = text(ds, "SOPClassUID")
    base: dict[str, Any] = dict(
        series_instance_uid=text(ds, "SeriesInstanceUID"),
        series_description=text(ds, "SeriesDescription"),
        modality=text(ds, "Modality"),
        body_part_examined=text(ds, "BodyPartExamined"),
        contrast=text(ds, "ContrastBolusAgent"),
        frame_of_reference_uid=text(ds, "FrameOfReferenceUID"),
        sop_class=sop_class_name(sop_class),
    )
    number = int_or_none(raw(ds, "SeriesNumber"))
    out: list[Series] = []
    if entry.cine:
        note = (
            f"{len(entry.cine)} frames of multi-frame objects without a position per "
            "frame (a cine loop or projections): listed, not loaded as a stack"
        )
        out.append(
            Series(
                **base,
                series_number=number,
                files=entry.cine,
                notes=[note],
                rows=int_or_none(raw(ds, "Rows")) or 0,
                columns=int_or_none(raw(ds, "Columns")) or 0,
            )
        )
    if not entry.frames and out:
        return out
    if not entry.frames:
        files = entry.objects
        note = f"{sop_class_name(sop_class) or 'object'}: not an image"
        return [Series(**base, series_number=number, files=files, notes=[note])]
    refusal = _NOT_LOADABLE_CLASSES.get(sop_class, "")
    if refusal:
        refusal = f"{sop_class_name(sop_class)}: {refusal}"
        files = [ref for ref, _ in entry.frames]
        rows, columns = int(ds.Rows), int(ds.Columns)
        return [
            Series(
                **base,
                files=files,
                rows=rows,
                columns=columns,
                notes=[refusal],
                series_number=int_or_none(raw(ds, "SeriesNumber")),
            )
        ]
    stacks = split(entry.frames)
    kinds = _distinct_frame_types([stack.frames[0][1].frame_type for stack in stacks])
    for stack, kind in zip(stacks, kinds, strict=True):
        refs = [ref for ref, _ in stack.frames]
        first_ref, first_keys = stack.frames[0]
        notes = []
        if len(stacks) > 1:
            notes.append(
                f"series mixes {stack.reason}: split into {len(stacks)} stacks; "
                f"this is '{stack.label}' with {len(refs)} "
                f"image{'s' if len(refs) != 1 else ''}"
            )
        description = base["series_description"]
        if kind:
            description = f"{description} ({kind})".strip()
        refused = _photometric_refusal(first_keys.photometric)
        if refused:
            # Geometry notes would describe how a picture that is not shown is shown.
            notes.append(refused)
        else:
            notes.extend(_stack_notes(refs, first_keys))
        # The thickest slice decides measurability (RECIST 1.1 3.1.1); a frame
        # without Slice Thickness of its own has none (secondary captures).
        thicknesses = [r.slice_thickness_mm for r in refs if r.slice_thickness_mm]
        thickness = max(thicknesses) if thicknesses else None
        _, distances = sorted_along_normal(refs)
        steps = np.diff(distances)
        out.append(
            Series(
                **{**base, "series_description": description},
                orientation=classify_orientation(first_ref.orientation),
                slice_thickness_mm=thickness,
                rows=first_keys.size[0],
                columns=first_keys.size[1],
                pixel_spacing_mm=first_ref.pixel_spacing_mm,
                slice_steps_mm=(
                    (float(steps.min()), float(steps.max())) if len(steps) else None
                ),
                files=refs,
                notes=notes,
                is_volume=not refused,
                stack_id=stack.label,
                series_number=int_or_none(first_keys.series_number),
            )
        )
    return out


# Values of Frame Type (0008,9007) that name the complex component of an MR image
# (PS3.3 C.8.13.1.1.1; Philips writes the one-letter forms).
_COMPONENTS = {
    "M": "magnitude",
    "P": "phase",
    "R": "real",
    "I": "imaginary",
    "MAGNITUDE": "magnitude",
    "PHASE": "phase",
    "REAL": "real",
    "IMAGINARY": "imaginary",
}


def _distinct_frame_types(frame_types: list[str]) -> list[str]:
    """What tells each stack's Frame Type apart from its siblings', or ''.

    Values shared by every stack are dropped, so ``ORIGINAL\\PRIMARY\\T1\\M``
    beside ``ORIGINAL\\PRIMARY\\T1\\FIELD_MAP`` gives ``magnitude`` and
    ``field map``.
    """
    if len(set(frame_types)) < 2:
        return [""] * len(frame_types)
    split_types = [t.split("\\") for t in frame_types]
    width = max(len(values) for values in split_types)
    padded = [values + [""] * (width - len(values)) for values in split_types]
    varying = [i for i in range(width) if len({v[i] for v in padded}) > 1]
    out = []
    for values in padded:
        parts = [values[i] or "none" for i in varying]
        named = [_COMPONENTS.get(p, p.replace("_", " ").lower()) for p in parts]
        out.append(" ".join(named))
    return out


def _photometric_refusal(photometric: str) -> str:
    """Why frames of this Photometric Interpretation are not loaded, or ''."""
    if photometric in _PHOTOMETRIC_LOADABLE:
        return ""
    return (
        f"Photometric Interpretation (0028,0004) '{photometric}': colour images are "
        "listed but not loaded as grey-scale stacks"
    )


def _stack_notes(refs: list[FileRef], keys: FrameKeys) -> list[str]:
    notes = []
    if "MOSAIC" in keys.image_type:
        notes.append(
            "Siemens MOSAIC: the slices are tiles of one image, shown as that image; "
            "its position is the mosaic's, not the slices'"
        )
    located = [r for r in refs if r.position_lps_mm and r.orientation]
    if len(located) < len(refs):
        notes.append(
            "no Image Position/Orientation (Patient): shown as a flat image without "
            "patient geometry"
        )
    notes.extend(geometry_notes(refs))
    return notes
