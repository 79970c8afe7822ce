"""``nadir export``: write the reading's SR, key objects, key images and PDF report.

The reading comes from a workspace or from a case file (RECIST.md) with the study
folders that hold its images. Nothing is written into the studies, and an output
folder that already holds files is refused.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from app.cli import UsageError

NAME = "export"
logger = logging.getLogger(__name__)


def add_parser(subparsers: Any) -> None:
    """Register ``nadir export``."""
    parser = subparsers.add_parser(
        NAME,
        help="export a reading as DICOM SR, key objects, key images and a PDF report",
        description="Export a reading: DICOM SR (TID 1500), key object selections, "
        "key images (PNG), the PDF report, the case file and the lesion table (CSV).",
    )
    parser.add_argument(
        "reading", metavar="WORKSPACE|CASE.json", help="a workspace or a case file"
    )
    parser.add_argument(
        "--studies",
        nargs="+",
        type=Path,
        default=[],
        metavar="PATH",
        help="study folders or files with the measured images (a workspace "
        "remembers where its images were opened from)",
    )
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="a new or empty folder for the files (never overwritten)",
    )
    parser.add_argument("--lang", default="en", choices=("en", "de", "ru"))
    parser.add_argument(
        "--deidentify",
        action="store_true",
        help="remove the patient's identity (DICOM PS3.15 basic profile)",
    )
    parser.add_argument("--findings", default="", help="the reader's findings (text)")
    parser.add_argument(
        "--impression", default="", help="the reader's impression (text)"
    )
    parser.add_argument(
        "--secondary-capture",
        action="store_true",
        help="also write the key images as DICOM secondary capture",
    )


def run(args: argparse.Namespace) -> int:
    """Export; returns the exit code."""
    from reporting.export import ExportError, export_reading
    from reporting.keyimages import KeyImageError
    from reporting.kos import KosError
    from reporting.sr import SrError

    if Path(args.reading).suffix.lower() == ".json" and not args.studies:
        raise UsageError(
            "give the study folders that hold the measured images with "
            "--studies PATH..."
        )
    case, flagged, remembered = _reading(Path(args.reading), list(args.studies or []))
    studies = list(args.studies or remembered)
    if not studies:
        raise UsageError(
            "give the study folders that hold the measured images with "
            "--studies PATH..."
        )

    def progress(done: int, total: int, message: str) -> None:
        print(f"[{done + 1}/{total}] {message}", file=sys.stderr)

    try:
        result = export_reading(
            case,
            studies,
            args.out,
            args.lang,
            deidentify=args.deidentify,
            progress=progress,
            flagged=flagged,
            findings=args.findings,
            impression=args.impression,
            secondary_captures=args.secondary_capture,
        )
    except (ExportError, SrError, KosError, KeyImageError) as error:
        raise UsageError(str(error)) from error
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(result.files)} files to {result.out_dir}")
    return 0


def _reading(
    path: Path, studies: list[Path]
) -> tuple[dict[str, Any], list[str], list[Path]]:
    """The case, the flagged key images and where a workspace's images were."""
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    for study in studies:
        if not study.exists():
            raise UsageError(f"study path {study} does not exist")
    if path.suffix.lower() == ".json":
        return _case_file(path), [], []
    return _workspace(path)


def _case_file(path: Path) -> dict[str, Any]:
    """Read and check a case file, naming the file and the field of any error."""
    from reporting.readings import ReadingFileError, read_case_file

    try:
        return read_case_file(path)
    except ReadingFileError as error:
        raise UsageError(str(error)) from error


def _workspace(path: Path) -> tuple[dict[str, Any], list[str], list[Path]]:
    """The reading saved in a workspace file, its flagged images and sources."""
    from reporting.workspace import Workspace, WorkspaceError

    try:
        with Workspace(path) as workspace:
            reading = workspace.load()
            sources = [p for p in workspace.sources if p.exists()]
    except WorkspaceError as error:
        raise UsageError(str(error)) from error
    if reading is None:
        raise UsageError(f"{path}: the workspace holds no reading yet")
    flagged = [k.image.sop_uid for k in reading.state.key_images]
    return reading.to_case(), flagged, sources
