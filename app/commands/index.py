"""``nadir index PATH...``: list the patients, studies and series found, and problems.

Prints a tree (patient > study > series, with counts, orientation, thickness and
notes) or, with ``--json``, the same as one JSON document; every file that was
left out is listed with its reason. The printout is the user's own and shows
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
        text = _as_text(result)
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


def _as_text(result: Any) -> str:
    lines = []
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
        lines.extend(f"  {p.path}: {p.reason}" for p in result.problems)
    else:
        lines.append("Problems: none")
    return "\n".join(lines) + "\n"


def _series_line(series: Any) -> str:
    parts = [
        f"Series {series.series_number if series.series_number is not None else '-'}",
        series.modality or "?",
    ]
    if series.stack_id:
        parts.append(f"[{series.stack_id}]")
    parts.append(series.series_description or "(no description)")
    parts.append(f"{series.count} image{'s' if series.count != 1 else ''}")
    if series.rows:
        parts.append(f"{series.columns}x{series.rows}")
    if series.orientation:
        parts.append(series.orientation.lower())
    if series.slice_thickness_mm:
        parts.append(f"{series.slice_thickness_mm:g} mm")
    if series.body_part_examined:
        parts.append(series.body_part_examined)
    if series.contrast:
        parts.append(f"contrast {series.contrast}")
    if not series.is_volume:
        parts.append("(not loadable)")
    return " ".join(parts)


def _date(value: str) -> str:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value or "?"


def _time(value: str) -> str:
    if len(value) >= 4 and value[:4].isdigit():
        return f"{value[:2]}:{value[2:4]}"
    return value
