"""Finding the source images of a reading in what the user gave for export.

The folders, files, DICOMDIR media and zip archives are indexed with
:func:`viewer.index.scan` (headers only); the images the reading refers to are then
read in full header (the SR and key objects copy patient and study attributes from
them) and kept by SOP Instance UID with their location, so that the key images can
be rendered from the same place. Nothing in the sources is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from viewer.index import scan
from viewer.sources import Location

logger = logging.getLogger(__name__)


@dataclass
class SourceImages:
    """Source image headers and locations by SOP Instance UID, and what was left out."""

    headers: dict[str, Dataset] = field(default_factory=dict)
    files: dict[str, Location] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def index_sources(
    paths: Iterable[Path], wanted: set[str] | None = None
) -> SourceImages:
    """Headers of the images under ``paths``; only ``wanted`` UIDs when given."""
    found = SourceImages()
    result = scan([str(p) for p in paths])
    found.skipped = [(p.path, p.reason) for p in result.problems]
    for series in result.all_series():
        for ref in series.files:
            uid = ref.sop_instance_uid
            if (
                not uid
                or uid in found.headers
                or (wanted is not None and uid not in wanted)
            ):
                continue
            try:
                found.headers[uid] = read_dataset(ref.location, pixels=False)
            except (InvalidDicomError, OSError, ValueError) as error:
                found.skipped.append((ref.location.display, str(error)))
                continue
            found.files[uid] = ref.location
    logger.debug(
        "found %d of the images wanted, left out %d files",
        len(found.headers),
        len(found.skipped),
    )
    return found


def read_dataset(location: Location, pixels: bool = True) -> Dataset:
    """The dataset of a file or zip member, with or without its pixel data."""
    with location.open() as stream:
        ds = pydicom.dcmread(stream, stop_before_pixels=not pixels)
    ds.filename = location.display
    return ds
