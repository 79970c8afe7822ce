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
    return hashlib.sha256("\n".join(uids).encode("utf-8")).hexdigest()[:32]


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
        # The state last written and its JSON, so an edit is serialised once.
        self._saved: tuple[ReadingState, Json] | None = None
        self._whole_save_due = False
        self._loaded: Reading | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WorkspaceError(
                f"{self.path.parent}: cannot create the workspace folder "
                f"({error.strerror})"
            ) from error
        self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            self._prepare()
        except (sqlite3.Error, WorkspaceError) as error:
            self._db.close()
            if isinstance(error, WorkspaceError):
                raise
            raise WorkspaceError(
                f"{self.path}: cannot open the workspace ({error}); move the file "
                "aside to start a new reading"
            ) from error

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

    def _prepare(self) -> None:
        # WAL where the file system allows it, else the rollback journal; both
        # commit atomically, and synchronous=FULL makes a commit durable.
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
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
        logger.debug("workspace %s open, journal mode %s", self.path, mode)

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
        except sqlite3.Error as error:
            raise WorkspaceError(f"{self.path}: cannot read ({error})") from error
        try:
            current = json.loads(row[0])
            current_state = state_from_json(current)
            undo, redo = _history(current, current_state, rows, top)
            reading = Reading()
            reading.reset(current_state, undo, redo)
        except (ValueError, KeyError, TypeError) as error:
            raise WorkspaceError(
                f"{self.path}: the stored reading is damaged ({error}); open the "
                "case file saved with it, or move the workspace aside"
            ) from error
        self._saved = (current_state, current)
        self._loaded = reading
        return reading

    def save(self, reading: Reading) -> None:
        """Write the whole reading and its history in one transaction."""
        committed = reading.committed_state
        current = state_to_json(committed)
        with self._transaction():
            self._db.execute("DELETE FROM history")
            for seq, entry in enumerate(
                (*reading.undo_entries, *reversed(reading.redo_entries)), start=1
            ):
                self._insert_entry(
                    seq, entry.label, state_to_json(entry.before), entry.after
                )
            self._set_meta("undo_top", str(len(reading.undo_entries)))
            self._write_state(current)
        self._saved = (committed, current)

    def attach(self, reading: Reading) -> None:
        """Save ``reading`` now and after each of its committed changes.

        A reading just loaded from this workspace is already saved; its history
        is then left unbuilt until it is undone.
        """
        self.detach()
        saved = self._saved
        unchanged = (
            self._loaded is reading
            and saved is not None
            and saved[0] is reading.committed_state
        )
        if not unchanged:
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
        if change.kind == "reset" or self._whole_save_due:
            # After a failed save the stored history may lack a step: rewrite it all.
            self._whole_save_due = True
            self.save(reading)
            self._whole_save_due = False
            return
        self._whole_save_due = True
        committed = reading.committed_state
        with self._transaction():
            top = int(self._meta("undo_top") or 0)
            if change.kind == "do":
                self._db.execute("DELETE FROM history WHERE seq > ?", (top,))
                top += 1
                entry = reading.undo_entries[-1]
                saved = self._saved
                before = (
                    saved[1]
                    if saved is not None and saved[0] is entry.before
                    else state_to_json(entry.before)
                )
                current = self._insert_entry(top, entry.label, before, entry.after)
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
            if change.kind != "do":
                current = state_to_json(committed)
            self._set_meta("undo_top", str(top))
            self._write_state(current)
        self._saved = (committed, current)
        self._whole_save_due = False

    # ------------------------------------------------------------ helpers

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    def _insert_entry(
        self, seq: int, label: str, before: Json, after: ReadingState
    ) -> Json:
        """Store one step as its differences; return the JSON of its after state."""
        after_json = state_to_json(after)
        old, new = state_delta(before, after_json)
        self._db.execute(
            "INSERT INTO history (seq, label, before, after) VALUES (?, ?, ?, ?)",
            (seq, label, json.dumps(old), json.dumps(new)),
        )
        return after_json

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

    @property
    def sources(self) -> list[Path]:
        """The folders and files the reading's images were opened from."""
        stored = self._meta("sources")
        if not stored:
            return []
        return [Path(item) for item in json.loads(stored)]

    def remember_sources(self, sources: Iterable[Path]) -> None:
        """Record where the images are, so an export can find them again."""
        known = [str(path) for path in self.sources]
        for path in sources:
            text = str(Path(path).resolve())
            if text not in known:
                known.append(text)
        with self._transaction():
            self._set_meta("sources", json.dumps(known))

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
    current: Json,
    current_state: ReadingState,
    rows: list[tuple[int, str, str, str]],
    top: int,
) -> tuple[list[HistoryEntry], list[HistoryEntry]]:
    """Undo and redo entries whose states are rebuilt only when first needed."""
    undo_rows = [row for row in rows if row[0] <= top]
    redo_rows = [row for row in rows if row[0] > top]
    # Undo: chain step j is the state before the j-th newest undo row.
    back = _StateChain(
        current, current_state, [json.loads(r[2]) for r in reversed(undo_rows)]
    )
    count = len(undo_rows)
    undo = [
        HistoryEntry(row[1], back.getter(count - i), back.getter(count - i - 1))
        for i, row in enumerate(undo_rows)
    ]
    # Redo: state m is reached by the first m redo rows, in their stored order.
    ahead = _StateChain(current, current_state, [json.loads(r[3]) for r in redo_rows])
    redo = [
        HistoryEntry(row[1], ahead.getter(m), ahead.getter(m + 1))
        for m, row in enumerate(redo_rows)
    ]
    redo.reverse()
    return undo, redo


class _StateChain:
    """States 0..n: state 0 is given, state k is state k-1 with delta k-1 laid over."""

    def __init__(
        self, first: Json, first_state: ReadingState, deltas: list[Json]
    ) -> None:
        self._deltas = deltas
        self._json: dict[int, Json] = {0: first}
        self._states: dict[int, ReadingState] = {0: first_state}

    def getter(self, step: int) -> Callable[[], ReadingState]:
        """A function building state ``step`` of the chain."""
        return lambda: self.state(step)

    def state(self, step: int) -> ReadingState:
        """State ``step``, built from the nearest state already known."""
        if step not in self._states:
            known = max(k for k in self._json if k <= step)
            for k in range(known + 1, step + 1):
                self._json[k] = apply_delta(self._json[k - 1], self._deltas[k - 1])
            self._states[step] = state_from_json(self._json[step])
        return self._states[step]


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error inside."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise WorkspaceError(f"{self._path}: cannot write ({error})") from error

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error as failure:
                logger.warning("%s: rollback failed: %s", self._path, failure)
            if isinstance(error, sqlite3.Error):
                raise WorkspaceError(
                    f"{self._path}: the change was not saved ({error})"
                ) from error
            return
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as failure:
            raise WorkspaceError(
                f"{self._path}: the change was not saved ({failure})"
            ) from failure
