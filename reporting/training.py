"""Training cases on disk: where a teacher's and a trainee's readings are found.

A training case is a folder holding the teacher's reference reading and the
trainee's reading of one case, named by role: ``reference.json`` or
``reference.dcm``, and ``trainee.json`` or ``trainee.dcm`` (a case file or a TID
1500 measurement report, read by :func:`reporting.readings.read_reading`). A
course is a folder whose subfolders are training cases, taken in name order.
:func:`find_training_cases` accepts either; scores come from
:func:`measurement.compare.score_training`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

ROLES: Final = ("reference", "trainee")
SUFFIXES: Final = (".json", ".dcm")


class TrainingFolderError(Exception):
    """A folder that is not a training case or a course of them."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class TrainingCase:
    """One case: its name and the two readings' files."""

    name: str
    reference: Path
    trainee: Path


def find_training_cases(paths: Iterable[Path]) -> list[TrainingCase]:
    """The training cases in ``paths``: case folders, or course folders of them.

    Raises
    ------
    TrainingFolderError
        For a path that is missing, not a folder, or holds neither both readings
        nor any subfolder that does; or a case folder with two files for one role.
    """
    cases: list[TrainingCase] = []
    for path in paths:
        if not path.exists():
            raise TrainingFolderError(path, "no such folder")
        if not path.is_dir():
            raise TrainingFolderError(
                path, "is a file; give a training case folder or a course folder"
            )
        case = _case_in(path)
        if case is not None:
            cases.append(case)
            continue
        found = [
            c
            for sub in sorted(p for p in path.iterdir() if p.is_dir())
            if (c := _case_in(sub)) is not None
        ]
        if not found:
            raise TrainingFolderError(
                path,
                "holds no training case: expected reference.json (or .dcm) and "
                "trainee.json (or .dcm) in it or in its subfolders",
            )
        cases.extend(found)
    logger.debug("found %d training cases", len(cases))
    return cases


def _case_in(folder: Path) -> TrainingCase | None:
    files: dict[str, Path] = {}
    for role in ROLES:
        present = [
            folder / f"{role}{suffix}"
            for suffix in SUFFIXES
            if (folder / f"{role}{suffix}").is_file()
        ]
        if len(present) > 1:
            names = " and ".join(p.name for p in present)
            raise TrainingFolderError(
                folder, f"holds {names}; keep one {role} reading per case"
            )
        if present:
            files[role] = present[0]
    if len(files) < len(ROLES):
        return None
    return TrainingCase(folder.name, files["reference"], files["trainee"])
