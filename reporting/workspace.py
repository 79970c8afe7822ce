"""The reading kept in a SQLite workspace, saved on every change; case files.

A workspace is one SQLite file per set of studies, in a folder the caller passes
(the application's data folder, never a folder of images); its name is a hash of
the sorted Study Instance UIDs, so opening the same studies again finds it. Every
committed change of the reading is written in one transaction (WAL journal,
``synchronous=FULL``) before :meth:`measurement.reading.Reading.execute` returns,
so killing the process loses no finished edit and never leaves half of one. The
undo history is stored as item-level differences between states, so reopening
restores undo and redo too. :func:`save_case` and :func:`open_case` write and
read the nadir-case/1 file of RECIST.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from measurement.model import ReadingState
from measurement.reading import Change, HistoryEntry, Reading
from measurement.serial import (
    KEYED_COLLECTIONS,
    CaseError,
    state_from_json,
    state_to_json,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
SUFFIX = ".nadir-workspace"

Json = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL
);
"""


class WorkspaceError(RuntimeError):
    """A workspace that cannot be opened, read or written; names the file."""


def workspace_key(study_uids: Iterable[str]) -> str:
    """Hash of the sorted, distinct Study Instance UIDs: the workspace's name."""
    uids = sorted({uid.strip() for uid in study_uids if uid.strip()})
    if not uids:
        raise WorkspaceError("a workspace needs at least one Study Instance UID")
    return hashlib.sha256("\n".join(uids).encode("ascii")).hexdigest()[:32]


def workspace_path(folder: Path, study_uids: Iterable[str]) -> Path:
    """Where the workspace of these studies lives inside ``folder``."""
    return Path(folder) / f"{workspace_key(study_uids)}{SUFFIX}"


class Workspace:
    """One SQLite workspace file holding a reading and its undo history.

    Parameters
    ----------
    path
        The workspace file; created with its folder if missing.
    source_folders
        Folders the images came from; a workspace inside one is refused, since
        nothing is ever written next to the images.
    """

    def __init__(self, path: Path, source_folders: Iterable[Path] = ()) -> None:
        self.path = Path(path)
        resolved = self.path.resolve()
        for source in source_folders:
            if resolved.is_relative_to(Path(source).resolve()):
                raise WorkspaceError(
                    f"{self.path}: a workspace must not be written inside the image "
                    f"folder {source}; pass the application's data folder"
                )
        self._reading: Reading | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            version = self._meta("schema")
            if version is None:
                self._set_meta("schema", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise WorkspaceError(
                    f"{self.path}: workspace schema {version} is not {SCHEMA_VERSION}; "
                    "open it with the version of Nadir that wrote it"
                )
        except sqlite3.DatabaseError as error:
            raise WorkspaceError(
                f"{self.path}: cannot open the workspace ({error}); move the file "
                "aside to start a new reading"
            ) from error
        logger.debug("workspace %s open", self.path)

    @classmethod
    def for_studies(
        cls,
        folder: Path,
        study_uids: Iterable[str],
        source_folders: Iterable[Path] = (),
    ) -> Workspace:
        """The workspace of a set of studies inside the caller's data folder."""
        return cls(workspace_path(folder, study_uids), source_folders)

    # --------------------------------------------------------- open, close

    def close(self) -> None:
        """Stop saving and close the file."""
        self.detach()
        self._db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -------------------------------------------------------- read, write

    def load(self) -> Reading | None:
        """The stored reading with its undo and redo history, or None if empty."""
        try:
            row = self._db.execute("SELECT json FROM state WHERE id = 1").fetchone()
            if row is None:
                return None
            rows = self._db.execute(
                "SELECT seq, label, before, after FROM history ORDER BY seq"
            ).fetchall()
            top = int(self._meta("undo_top") or 0)
        except sqlite3.DatabaseError as error:
            raise WorkspaceError(f"{self.path}: cannot read ({error})") from error
        try:
            current = json.loads(row[0])
            reading = Reading()
            undo, redo = _history(current, rows, top)
            reading.reset(state_from_json(current), undo, redo)
        except (ValueError, KeyError, TypeError) as error:
            raise WorkspaceError(
                f"{self.path}: the stored reading is damaged ({error}); open the "
                "case file saved with it, or move the workspace aside"
            ) from error
        return reading

    def save(self, reading: Reading) -> None:
        """Write the whole reading and its history in one transaction."""
        current = state_to_json(reading.committed_state)
        with self._transaction():
            self._db.execute("DELETE FROM history")
            for seq, entry in enumerate(
                (*reading.undo_entries, *reversed(reading.redo_entries)), start=1
            ):
                self._insert_entry(seq, entry)
            self._set_meta("undo_top", str(len(reading.undo_entries)))
            self._write_state(current)

    def attach(self, reading: Reading) -> None:
        """Save ``reading`` now and after each of its committed changes."""
        self.detach()
        self.save(reading)
        self._reading = reading
        reading.add_listener(self._on_change)

    def detach(self) -> None:
        """Stop saving the attached reading."""
        if self._reading is not None:
            self._reading.remove_listener(self._on_change)
            self._reading = None

    def _on_change(self, change: Change) -> None:
        reading = self._reading
        if reading is None or change.transient:
            return
        if change.kind == "reset":
            self.save(reading)
            return
        with self._transaction():
            top = int(self._meta("undo_top") or 0)
            if change.kind == "do":
                self._db.execute("DELETE FROM history WHERE seq > ?", (top,))
                top += 1
                self._insert_entry(top, reading.undo_entries[-1])
                self._trim(top, len(reading.undo_entries))
            elif change.kind == "undo":
                row = self._db.execute(
                    "SELECT MAX(seq) FROM history WHERE seq < ?", (top,)
                ).fetchone()
                top = int(row[0] or 0)
            elif change.kind == "redo":
                row = self._db.execute(
                    "SELECT MIN(seq) FROM history WHERE seq > ?", (top,)
                ).fetchone()
                top = int(row[0])
            self._set_meta("undo_top", str(top))
            self._write_state(state_to_json(reading.committed_state))

    # ------------------------------------------------------------ helpers

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    def _insert_entry(self, seq: int, entry: HistoryEntry) -> None:
        before, after = state_delta(
            state_to_json(entry.before), state_to_json(entry.after)
        )
        self._db.execute(
            "INSERT INTO history (seq, label, before, after) VALUES (?, ?, ?, ?)",
            (seq, entry.label, json.dumps(before), json.dumps(after)),
        )

    def _trim(self, top: int, keep: int) -> None:
        self._db.execute(
            "DELETE FROM history WHERE seq <= ? AND seq NOT IN "
            "(SELECT seq FROM history WHERE seq <= ? ORDER BY seq DESC LIMIT ?)",
            (top, top, keep),
        )

    def _write_state(self, current: Json) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO state (id, json) VALUES (1, ?)",
            (json.dumps(current),),
        )

    def _meta(self, key: str) -> str | None:
        row = self._db.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
        )


def open_reading(
    folder: Path,
    study_uids: Iterable[str],
    initial: Callable[[], ReadingState],
    source_folders: Iterable[Path] = (),
) -> tuple[Workspace, Reading]:
    """Reopen the reading of these studies, or start one from ``initial()``.

    The returned reading is attached: every change is saved from now on.
    """
    workspace = Workspace.for_studies(folder, study_uids, source_folders)
    reading = workspace.load()
    if reading is None:
        reading = Reading(initial())
    workspace.attach(reading)
    return workspace, reading


# ------------------------------------------------------------------ case file


def save_case(reading: Reading, path: Path) -> None:
    """Write the reading's nadir-case/1 file atomically (all of it or nothing)."""
    path = Path(path)
    text = json.dumps(reading.to_case(), indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
    logger.info("case file written: %s", path)


def open_case(path: Path) -> Reading:
    """A reading from a nadir-case/1 file; the message names the file and field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CaseError(
            f"{path}: cannot read the case file ({error.strerror})"
        ) from None
    except json.JSONDecodeError as error:
        raise CaseError(
            f"{path}: not JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}); a case file is the JSON object of RECIST.md"
        ) from None
    try:
        return Reading.from_case(data)
    except CaseError as error:
        raise CaseError(f"{path}: {error}") from None


# ------------------------------------------------------------- differences


def state_delta(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[Json, Json]:
    """The parts of two JSON states that differ, as two partial states.

    Collections keyed by id differ item by item (a missing item is ``None``); other
    entries as a whole. Applying the first to ``after`` with :func:`apply_delta`
    gives ``before``, and the second to ``before`` gives ``after``.
    """
    old: Json = {"items": {}, "values": {}}
    new: Json = {"items": {}, "values": {}}
    for key in sorted(set(before) | set(after)):
        if key in KEYED_COLLECTIONS:
            items_before = before.get(key, {})
            items_after = after.get(key, {})
            for item in set(items_before) | set(items_after):
                if items_before.get(item) != items_after.get(item):
                    old["items"].setdefault(key, {})[item] = items_before.get(item)
                    new["items"].setdefault(key, {})[item] = items_after.get(item)
        elif before.get(key) != after.get(key):
            old["values"][key] = before.get(key)
            new["values"][key] = after.get(key)
    return old, new


def apply_delta(state: Mapping[str, Any], delta: Mapping[str, Any]) -> Json:
    """``state`` with a partial state from :func:`state_delta` laid over it."""
    result: Json = dict(state)
    for key, items in delta["items"].items():
        collection = dict(result.get(key, {}))
        for item, value in items.items():
            if value is None:
                collection.pop(item, None)
            else:
                collection[item] = copy.deepcopy(value)
        result[key] = collection
    for key, value in delta["values"].items():
        result[key] = copy.deepcopy(value)
    return result


def _history(
    current: Json, rows: list[tuple[int, str, str, str]], top: int
) -> tuple[list[HistoryEntry], list[HistoryEntry]]:
    undo_rows = [row for row in rows if row[0] <= top]
    redo_rows = [row for row in rows if row[0] > top]
    current_state = state_from_json(current)

    undo: list[HistoryEntry] = []
    after_json, after_state = current, current_state
    for _, label, before, _after in reversed(undo_rows):
        before_json = apply_delta(after_json, json.loads(before))
        before_state = state_from_json(before_json)
        undo.append(HistoryEntry(label, before_state, after_state))
        after_json, after_state = before_json, before_state
    undo.reverse()

    redo: list[HistoryEntry] = []
    before_json, before_state = current, current_state
    for _, label, _before, after in redo_rows:
        next_json = apply_delta(before_json, json.loads(after))
        next_state = state_from_json(next_json)
        redo.append(HistoryEntry(label, before_state, next_state))
        before_json, before_state = next_json, next_state
    redo.reverse()
    return undo, redo


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error inside."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as error:
            raise WorkspaceError(f"{self._path}: cannot write ({error})") from error

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.DatabaseError):
                raise WorkspaceError(
                    f"{self._path}: the change was not saved ({error})"
                ) from error
            return
        try:
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as failure:
            raise WorkspaceError(
                f"{self._path}: the change was not saved ({failure})"
            ) from failure
