"""Key Object Selection documents of the reading's key images (PS3.3 A.35.4).

The key images are every image a measurement lies on and every image the reader
flagged (a list of SOP Instance UIDs). One document
is written per study: a document whose references span studies is only valid when
its evidence lists every one of them, and one per study keeps each document with the
images it describes. The title is "Of Interest" (DCM 113000, CID 7010).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from reporting.evidence import evidence_header

logger = logging.getLogger(__name__)

OF_INTEREST = Code("113000", "DCM", "Of Interest")
SERIES_NUMBER = 9002


class KosError(ValueError):
    """A key object selection cannot be written; says why."""


def key_image_uids(case: Mapping[str, Any], flagged: Sequence[str] = ()) -> list[str]:
    """SOP Instance UIDs of the key images: measured ones first, then flagged."""
    uids: list[str] = []
    for lesion in case.get("lesions", []):
        for m in (lesion.get("measurements") or {}).values():
            uid = (m.get("image") or {}).get("sop_uid")
            if uid and uid not in uids:
                uids.append(str(uid))
    for uid in flagged:
        if uid and str(uid) not in uids:
            uids.append(str(uid))
    return uids


def build_kos_documents(
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    flagged: Sequence[str] = (),
    description: str = "Key images of the RECIST 1.1 reading",
) -> list[hd.ko.KeyObjectSelectionDocument]:
    """One key object selection document per study that has key images.

    Raises
    ------
    KosError
        If a key image is not among ``headers``.
    """
    by_study: dict[str, list[Dataset]] = {}
    for uid in key_image_uids(case, flagged):
        header = headers.get(uid)
        if header is None:
            raise KosError(
                f"key image {uid} is not among the source images; add the study "
                "folder that holds it"
            )
        by_study.setdefault(str(header.StudyInstanceUID), []).append(
            evidence_header(header)
        )
    documents = []
    for images in by_study.values():
        content = hd.ko.KeyObjectSelection(
            document_title=OF_INTEREST,
            referenced_objects=images,
            description=description,
        )
        documents.append(
            hd.ko.KeyObjectSelectionDocument(
                evidence=images,
                content=content,
                series_instance_uid=hd.UID(),
                series_number=SERIES_NUMBER,
                sop_instance_uid=hd.UID(),
                instance_number=1,
                manufacturer="Nadir",
            )
        )
    return documents


def write_kos(
    out_dir: Path,
    case: Mapping[str, Any],
    headers: Mapping[str, Dataset],
    flagged: Sequence[str] = (),
) -> list[Path]:
    """Write one key object selection per study into ``out_dir``; their paths."""
    paths = []
    for n, document in enumerate(build_kos_documents(case, headers, flagged), 1):
        path = out_dir / f"key-objects-{n}.dcm"
        document.save_as(path, enforce_file_format=True)
        logger.debug("wrote key object selection %s", path)
        paths.append(path)
    return paths
