"""Finding the source images of a reading in the study folders given for export.

Reads headers only (no pixel data) of every file under the given paths and keeps
the images by SOP Instance UID, with their paths, so that the writers can reference
them (SR evidence, key objects) and render them (key images). Files that are not
DICOM are skipped and counted; nothing in the source folders is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

logger = logging.getLogger(__name__)


@dataclass
class SourceImages:
    """Source image headers and files by SOP Instance UID."""

    headers: dict[str, Dataset] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def index_sources(
    paths: Iterable[Path], wanted: set[str] | None = None
) -> SourceImages:
    """Headers of the DICOM images under ``paths`` (files or folders).

    Parameters
    ----------
    wanted
        If given, only these SOP Instance UIDs are kept (the rest are still read,
        since the UID is only known after reading the header).
    """
    found = SourceImages()
    for path in _files(paths):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError) as error:
            found.skipped.append((path, str(error)))
            continue
        uid = str(ds.get("SOPInstanceUID", ""))
        if not uid or "ImagePositionPatient" not in ds and "Rows" not in ds:
            continue
        if wanted is not None and uid not in wanted:
            continue
        found.headers[uid] = ds
        found.files[uid] = path
    logger.debug(
        "indexed %d images, skipped %d files", len(found.headers), len(found.skipped)
    )
    return found


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name != "DICOMDIR":
                    yield child
