"""``nadir index PATH...``: list the patients, studies and series found, and problems.

Prints a tree (patient > study > series, with counts, size as rows x columns,
pixel spacing, orientation, thickness, slice step and notes) or, with ``--json``,
the same as one JSON document. Every file that was left out is listed with its
reason, except that files a DICOMDIR names but the medium lacks are counted per
folder unless ``--verbose`` is given. The printout is the user's own and shows
names; the log only counts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from app.cli import UsageError

logger = logging.getLogger(__name__)

NAME = "index"


def add_parser(subparsers: Any) -> None:
    """Register ``nadir index``."""
    parser = subparsers.add_parser(
        NAME,
        help="list the patients, studies and series in folders, DICOMDIRs and zips",
        description="Index DICOM folders, DICOMDIR media and zip archives (headers "
        "only) and print patients, studies, series and every file left out.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print JSON instead")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="list every missing file a DICOMDIR names, not a count per folder",
    )


def run(args: argparse.Namespace) -> int:
    """Index the paths and print the result; 1 when nothing was found."""
    from viewer.index import ScanResult, scan

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {missing[0]}")
    result: ScanResult = scan(args.paths)
    if args.json:
        text = json.dumps(_as_json(result), indent=1, ensure_ascii=False) + "\n"
    else:
        text = _as_text(result, args.paths, args.verbose)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (a pager, head) stopped early; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0 if result.patients else 1


def _as_json(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = dataclasses.asdict(result)
    for patient in data["patients"]:
        for study in patient["studies"]:
            for series in study["series"]:
                series["count"] = len(series["files"])
                series["files"] = [
                    {k: ref[k] for k in ("path", "member", "frame") if ref[k]}
                    for ref in series["files"]
                ]
    return data


# What the figures on a series line mean; printed once above the tree.
LEGEND = (
    "Sizes are rows x columns (pixels); pixel spacing is row x column (mm); thk is "
    "the largest Slice Thickness; step is between slice centres along the normal."
)


def _as_text(result: Any, paths: list[str], verbose: bool) -> str:
    if not result.patients:
        lines = [f"no DICOM files found in {', '.join(paths)}"]
    else:
        lines = [LEGEND]
    for patient in result.patients:
        lines.append(
            f"Patient {patient.patient_name or '(no name)'} "
            f"[ID {patient.patient_id or '(none)'}] born {_date(patient.birth_date)} "
            f"sex {patient.sex or '?'}"
        )
        for study in patient.studies:
            lines.append(
                f"  Study {_date(study.study_date)} {_time(study.study_time)} "
                f"{study.study_description or '(no description)'}"
                f" accession {study.accession_number or '-'}"
            )
            for series in study.series:
                lines.append("    " + _series_line(series))
                lines.extend(f"        note: {note}" for note in series.notes)
    if result.problems:
        lines.append(f"Problems ({len(result.problems)}):")
        lines.extend(_problem_lines(result.problems, paths, verbose))
    elif result.patients:
        lines.append("Problems: none")
    return "\n".join(lines) + "\n"


def _problem_lines(problems: list[Any], paths: list[str], verbose: bool) -> list[str]:
    """One line per problem; files missing from a DICOMDIR counted per folder."""
    lines = []
    # Folder -> how many of its files are missing, and the directory files naming them.
    groups: dict[str, tuple[int, list[str]]] = {}
    for problem in problems:
        if problem.missing_from and not verbose:
            folder = os.path.dirname(problem.path)
            count, directories = groups.get(folder, (0, []))
            if problem.missing_from not in directories:
                directories.append(problem.missing_from)
            groups[folder] = (count + 1, directories)
        else:
            lines.append(f"  {problem.path}: {problem.reason}")
    for folder, (count, directories) in sorted(groups.items()):
        files = "file" if count == 1 else "files"
        are = "is" if count == 1 else "are"
        named_by = " and ".join(_relative(d, paths) for d in directories)
        lines.append(
            f"  {_relative(folder, paths)}: {count} {files} named by {named_by} "
            f"{are} missing"
        )
    if groups:
        lines.append(
            "  (copy the whole disc or folder again; --verbose or --json lists "
            "every missing file)"
        )
    return lines


def _relative(path: str, roots: list[str]) -> str:
    """``path`` relative to the folder the user named that holds it."""
    for root in roots:
        base = os.path.abspath(root if os.path.isdir(root) else os.path.dirname(root))
        absolute = os.path.abspath(path)
        if os.path.commonpath([base, absolute]) == base and absolute != base:
            return os.path.relpath(absolute, base)
    return path


def _series_line(series: Any) -> str:
    from viewer.stack_notes import STEP_TOLERANCE_MM

    parts = [
        f"Series {series.series_number if series.series_number is not None else '-'}",
        series.modality or "?",
    ]
    if series.stack_id:
        parts.append(f"[{series.stack_id}]")
    parts.append(series.series_description or "(no description)")
    parts.append(f"{series.count} image{'s' if series.count != 1 else ''}")
    if series.rows:
        parts.append(f"{series.rows}x{series.columns} px")
    if series.pixel_spacing_mm:
        row, column = series.pixel_spacing_mm
        parts.append(f"{row:.4g}x{column:.4g} mm")
    if series.orientation:
        parts.append(series.orientation.lower())
    if series.slice_thickness_mm:
        parts.append(f"thk {series.slice_thickness_mm:g} mm")
    if series.slice_steps_mm:
        smallest, largest = series.slice_steps_mm
        if largest - smallest <= STEP_TOLERANCE_MM:
            parts.append(f"step {_mm((smallest + largest) / 2)} mm")
        else:
            parts.append(f"step {_mm(smallest)} to {_mm(largest)} mm")
    if series.body_part_examined:
        parts.append(series.body_part_examined)
    if series.contrast:
        parts.append(f"contrast {series.contrast}")
    if not series.is_volume:
        parts.append("(not loadable)")
    return " ".join(parts)


def _mm(value: float) -> str:
    """A length to 0.01 mm without trailing zeros: 2.37, 4, 1.08."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _date(value: str) -> str:
    from viewer.volume import iso_date

    return iso_date(value) or "?"


def _time(value: str) -> str:
    if len(value) >= 4 and value[:4].isdigit():
        return f"{value[:2]}:{value[2:4]}"
    return value
