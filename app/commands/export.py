"""``nadir export``: write the reading's SR, key objects, key images and PDF report.

The reading comes from a workspace or from a case file (RECIST.md) with the study
folders that hold its images. Nothing is written into the studies, and an output
folder that already holds files is refused.
"""

from __future__ import annotations

import argparse
import json
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
        help="study folders or files with the measured images (with a case file)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument("--lang", default="en", choices=("en", "de", "ru"))
    parser.add_argument(
        "--deidentify",
        action="store_true",
        help="remove the patient's identity (DICOM PS3.15 basic profile)",
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

    case, studies = _reading(Path(args.reading), list(args.studies))

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
            secondary_captures=args.secondary_capture,
        )
    except (ExportError, SrError, KosError, KeyImageError) as error:
        raise UsageError(str(error)) from error
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {len(result.files)} files to {result.out_dir}")
    return 0


def _reading(path: Path, studies: list[Path]) -> tuple[dict[str, Any], list[Path]]:
    """The case and its study folders, from a case file or a workspace."""
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    for study in studies:
        if not study.exists():
            raise UsageError(f"study path {study} does not exist")
    if path.suffix.lower() == ".json":
        if not studies:
            raise UsageError(
                f"{path} is a case file; give the study folders with --studies PATH..."
            )
        return load_case(path), studies
    return _from_workspace(path, studies)


def load_case(path: Path) -> dict[str, Any]:
    """Read a case file, naming the file and the place of any error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{path}: not valid JSON at line {error.lineno} column {error.colno} "
            f"({error.msg})"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot be read ({error})") from error
    if not isinstance(data, dict) or data.get("format") != "nadir-case/1":
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise UsageError(
            f"{path}: field 'format' is {found!r}, expected 'nadir-case/1' "
            "(see RECIST.md)"
        )
    return data


def _from_workspace(
    path: Path, studies: list[Path]
) -> tuple[dict[str, Any], list[Path]]:
    try:
        from reporting import workspace
    except ImportError as error:
        raise UsageError(
            f"{path}: workspaces cannot be read by this build; export its case file "
            "with --studies instead"
        ) from error
    opened = workspace.open_workspace(path)
    return opened.case(), studies or list(opened.source_paths())
