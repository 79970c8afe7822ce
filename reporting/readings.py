"""Reading a reader's assessment from disk, whatever file it came in.

A reading is handed to the RECIST engine and the comparison as a nadir-case/1 object
(RECIST.md). A reader function per file suffix turns a file into that object: the
case file (``.json``) and the TID 1500 measurement report (``.dcm``, through
:func:`reporting.srread.read_sr`, imported when first needed) are built in; other
formats register theirs with :func:`register_reader`. Every problem becomes a
:class:`ReadingFileError` naming the file and, for a case file, the field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measurement.case import CaseFormatError, parse_case

logger = logging.getLogger(__name__)

Reader = Callable[[Path], dict[str, Any]]


class ReadingFileError(Exception):
    """A reading that cannot be read: the file and what is wrong, as one line."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def read_case_file(path: Path) -> dict[str, Any]:
    """A nadir-case/1 file as its checked JSON object.

    Raises
    ------
    ReadingFileError
        When the file is missing or unreadable, is not JSON, or breaks the format
        (the message then names the field, e.g. ``lesions[2].measurements.T1``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReadingFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ReadingFileError(path, "is a folder, expected a case file") from None
    except UnicodeDecodeError:
        raise ReadingFileError(path, "not a UTF-8 text file") from None
    except OSError as error:
        raise ReadingFileError(path, f"cannot be read ({error.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReadingFileError(
            path,
            f"not valid JSON at line {error.lineno} column {error.colno}: {error.msg}",
        ) from None
    try:
        parse_case(data)
    except CaseFormatError as error:
        raise ReadingFileError(path, str(error)) from None
    logger.debug("read case file %s", path)
    return dict(data)


def read_sr_file(path: Path) -> dict[str, Any]:
    """The case that a TID 1500 measurement report (DICOM SR) describes, checked.

    End points are placed with the geometry in the report's image library; the
    source images are not needed.
    """
    from reporting.srread import SrReadError, read_sr

    if not path.is_file():
        raise ReadingFileError(path, "no such file")
    try:
        data = read_sr(path)
    except SrReadError as error:
        problem = str(error).removeprefix(f"{path}: ")
        raise ReadingFileError(path, problem) from None
    try:
        parse_case(data)
    except CaseFormatError as error:
        raise ReadingFileError(
            path, f"the report does not make a valid case: {error}"
        ) from None
    logger.debug("read measurement report %s", path)
    return data


_READERS: dict[str, Reader] = {".json": read_case_file, ".dcm": read_sr_file}


def register_reader(suffix: str, reader: Reader) -> None:
    """Read files ending in ``suffix`` (e.g. ``".dcm"``) with ``reader``."""
    _READERS[suffix.lower()] = reader


def read_reading(path: Path, default: Reader | None = None) -> dict[str, Any]:
    """The reading in ``path`` as a nadir-case/1 object, chosen by file suffix.

    ``default`` reads files whose suffix has no reader; without it they are refused.
    """
    reader = _READERS.get(path.suffix.lower(), default)
    if reader is None:
        known = ", ".join(sorted(_READERS))
        raise ReadingFileError(
            path,
            f"unknown kind of reading {path.suffix or '(no suffix)'!r}; "
            f"expected one of {known}",
        )
    return reader(path)
