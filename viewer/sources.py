"""Where DICOM files come from: folders, single files and zip archives read in place.

A :class:`Location` names one file either on disk or as a member of a zip archive,
and opens it for reading without extracting anything or writing next to the
source. :func:`walk` turns what the user picked into locations, and
:func:`resolve_file_id` finds the file a DICOMDIR record names (PS3.10 8.2 and
PS3.3 F.5: components of a Referenced File ID) whatever the case of the names on
the medium and with ISO 9660 version suffixes such as ``;1``.
"""

from __future__ import annotations

import logging
import os
import threading
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

# Desktop clutter that is never DICOM and would only add noise to the problem list.
_IGNORED_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})

_zip_lock = threading.Lock()
_open_zips: dict[str, zipfile.ZipFile] = {}


@dataclass(frozen=True, order=True)
class Location:
    """One file: ``path`` on disk, or ``member`` of the zip archive at ``path``."""

    path: str
    member: str = ""

    @property
    def display(self) -> str:
        """What the user sees: the path, or ``archive.zip!member``."""
        return f"{self.path}!{self.member}" if self.member else self.path

    def open(self) -> BinaryIO:
        """A seekable binary stream of the file's bytes.

        A zip member is decompressed as it is read, so reading a header only
        decompresses the header; several members can be read at once.
        """
        if not self.member:
            return open(self.path, "rb")
        return zip_archive(self.path).open(self.member)  # type: ignore[return-value]

    def size(self) -> int:
        """Size of the file's bytes (uncompressed size for zip members)."""
        if not self.member:
            return os.path.getsize(self.path)
        return zip_archive(self.path).getinfo(self.member).file_size


def zip_archive(path: str) -> zipfile.ZipFile:
    """The open archive at ``path``, kept open for the life of the process."""
    with _zip_lock:
        archive = _open_zips.get(path)
        if archive is None:
            archive = zipfile.ZipFile(path)
            _open_zips[path] = archive
        return archive


def walk(
    paths: Sequence[str | os.PathLike[str]], problems: list[tuple[str, str]]
) -> Iterator[Location]:
    """Every file under ``paths``; folders recursively, zip archives member by member.

    Paths that do not exist or cannot be listed are appended to ``problems`` as
    ``(path, reason)`` and skipped.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            problems.append((str(path), "does not exist; check the path"))
        elif path.is_dir():
            yield from _walk_folder(path, problems)
        else:
            yield from _file_or_archive(path, problems)


def _walk_folder(root: Path, problems: list[tuple[str, str]]) -> Iterator[Location]:
    def on_error(error: OSError) -> None:
        problems.append((str(error.filename), f"cannot be listed: {error.strerror}"))

    for folder, subfolders, names in os.walk(root, onerror=on_error):
        subfolders.sort()
        for name in sorted(names):
            if name.lower() in _IGNORED_NAMES or name.startswith("._"):
                continue
            yield from _file_or_archive(Path(folder) / name, problems)


def _file_or_archive(path: Path, problems: list[tuple[str, str]]) -> Iterator[Location]:
    if path.suffix.lower() != ".zip" or not zipfile.is_zipfile(path):
        yield Location(str(path))
        return
    try:
        archive = zip_archive(str(path))
        infos = archive.infolist()
    except (OSError, zipfile.BadZipFile) as error:
        problems.append((str(path), f"zip archive cannot be read: {error}"))
        return
    for info in sorted(infos, key=lambda item: item.filename):
        name = info.filename.rsplit("/", 1)[-1]
        if info.is_dir() or name.lower() in _IGNORED_NAMES or name.startswith("._"):
            continue
        if info.flag_bits & 0x1:
            problems.append(
                (f"{path}!{info.filename}", "encrypted zip member; extract it first")
            )
            continue
        if name.lower().endswith(".zip"):
            problems.append(
                (f"{path}!{info.filename}", "zip inside a zip is not read; extract it")
            )
            continue
        yield Location(str(path), info.filename)


def resolve_file_id(
    referencing: Location, components: Sequence[str], root: str | None
) -> tuple[Location, bool]:
    """Find the file a DICOMDIR record names.

    Parameters
    ----------
    referencing
        The DICOMDIR (or chained directory file) holding the record.
    components
        Referenced File ID (0004,1500) components.
    root
        Folder (or member prefix inside a zip) of the first DICOMDIR of a chain;
        file IDs are relative to it (PS3.10 8.5). ``None`` uses the folders of
        ``referencing`` and its parents.

    Returns
    -------
    The location and whether the file exists.
    """
    parts = [_strip_version(part) for part in components if part]
    if referencing.member:
        return _resolve_in_zip(referencing, parts, root)
    bases = [Path(root)] if root is not None else []
    bases += list(Path(referencing.path).parents)[:4]
    fallback: Path | None = None
    for base in bases:
        found = _resolve_case_insensitive(base, parts)
        if found is not None:
            return Location(str(found)), True
        if fallback is None and parts and _child(base, parts[0]) is not None:
            fallback = base
    base = fallback or (bases[0] if bases else Path(referencing.path).parent)
    return Location(str(base.joinpath(*parts))), False


def _resolve_in_zip(
    referencing: Location, parts: list[str], root: str | None
) -> tuple[Location, bool]:
    names = {name.lower(): name for name in zip_archive(referencing.path).namelist()}
    prefixes = [root] if root is not None else []
    member_parts = referencing.member.split("/")[:-1]
    while True:
        prefixes.append("/".join(member_parts))
        if not member_parts:
            break
        member_parts = member_parts[:-1]
    for prefix in prefixes:
        wanted = "/".join([prefix, *parts]) if prefix else "/".join(parts)
        name = names.get(wanted.lower())
        if name is not None:
            return Location(referencing.path, name), True
    wanted = "/".join([prefixes[0], *parts]) if prefixes[0] else "/".join(parts)
    return Location(referencing.path, wanted), False


def _strip_version(part: str) -> str:
    name = part.split(";", 1)[0]
    return name[:-1] if name.endswith(".") else name


def _resolve_case_insensitive(base: Path, parts: Sequence[str]) -> Path | None:
    current = base
    for part in parts:
        child = _child(current, part)
        if child is None:
            return None
        current = child
    return current if current.is_file() else None


def _child(folder: Path, name: str) -> Path | None:
    exact = folder / name
    if exact.exists():
        return exact
    try:
        entries = os.listdir(folder)
    except OSError:
        return None
    lowered = name.lower()
    for entry in entries:
        if _strip_version(entry).lower() == lowered:
            return folder / entry
    return None
