"""The reading behind the window: workspace, timepoints, study links, navigation.

When a case has loaded, :class:`ReadingSession` makes one timepoint per study of
the patient (the oldest is the baseline until the reader says otherwise), reopens
or creates the SQLite workspace of those studies in the data folder and attaches
the reading to it, so every finished edit is saved at once. It remembers every
link the linker has put in force between two studies, so a point can be carried
from any study to any other (through a third if need be): the lesion suggestion
and "go to lesion" use that. :func:`install_reading` adds the measuring tools, the
lesion table dock and their actions to the main window.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, QPointF, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import paths
from measurement.edits import Command, EditError
from measurement.geometry import centre_of
from measurement.model import Measurement, ReadingState, Timepoint
from measurement.reading import Change, Reading
from measurement.serial import CaseError
from measurement.table import LesionTable
from reporting.workspace import Workspace, WorkspaceError, open_case, save_case
from viewer.hanging import best_series
from viewer.sync import Link
from viewer.viewport import Viewport

if TYPE_CHECKING:
    from app.main_window import MainWindow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StudyEntry:
    """A study of the patient as the reading needs it."""

    study_uid: str
    date: str
    slice_thickness_mm: float | None = None
    time: str = ""


@dataclass(frozen=True)
class ReplaceReading:
    """Replace the whole reading with one read from a case file (undoable)."""

    state: ReadingState
    source: str

    @property
    def label(self) -> str:
        return f"Open case file {self.source}"

    def apply(self, state: ReadingState) -> ReadingState:
        return self.state


class ReadingSession(QObject):
    """The reading of the case open in a main window."""

    changed = Signal(object)  # measurement.reading.Change
    opened = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.reading = Reading()
        self.table = LesionTable(self.reading)
        self.workspace: Workspace | None = None
        self.study_uids: tuple[str, ...] = ()
        self._study_links: dict[tuple[str, str], Link] = {}
        self._pending_points: dict[int, tuple[str, npt.NDArray[np.float64]]] = {}
        self.reading.add_listener(self._on_change)
        window.case_loaded.connect(self._on_case_loaded)
        window.linker.links_changed.connect(self._on_links_changed)
        for viewport in window.viewports:
            viewport.slice_changed.connect(
                lambda _k, v=viewport: self._on_viewport_changed(v)
            )

    # ------------------------------------------------------------ opening

    def close_workspace(self) -> None:
        """Stop saving and close the workspace file."""
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None

    def _on_case_loaded(self) -> None:
        self._record_links()
        if self._pending_points:
            QTimer.singleShot(0, self._apply_pending)
        studies = self.patient_studies()
        if not studies:
            return
        uids = tuple(sorted(s.study_uid for s in studies))
        if uids == self.study_uids:
            return
        patient_id = ""
        if self.window.patient is not None:
            patient_id = str(self.window.patient.patient_id)
        self.open_studies(studies, patient_id)

    def patient_studies(self) -> list[StudyEntry]:
        """The open patient's studies, else the studies of the volumes shown."""
        patient = self.window.patient
        entries: dict[str, StudyEntry] = {}
        if patient is not None:
            for study in patient.studies:
                # The thickness of the series a reader measures on (not a scout's).
                best = best_series(study.series)
                thickness = (
                    study.series[best].slice_thickness_mm if best is not None else None
                )
                entries[study.study_instance_uid] = StudyEntry(
                    study.study_instance_uid,
                    study.study_date,
                    thickness,
                    study.study_time or "",
                )
        for viewport in self.window.viewports:
            volume = viewport.volume
            if volume is None:
                continue
            uid = volume.info.study_instance_uid or volume.frame_of_reference_uid
            if uid and uid not in entries:
                entries[uid] = StudyEntry(
                    uid, volume.info.study_date, volume.info.slice_thickness_mm
                )
        return list(entries.values())

    def open_studies(self, studies: list[StudyEntry], patient_id: str = "") -> None:
        """Reopen the workspace of these studies, or start a reading of them."""
        self.close_workspace()
        ordered = sorted(studies, key=lambda s: (s.date, s.time, s.study_uid))
        timepoints = tuple(
            Timepoint(
                f"T{number}",
                study.study_uid,
                study.date,
                baseline=number == 0,
                slice_thickness_mm=study.slice_thickness_mm,
            )
            for number, study in enumerate(ordered)
        )
        self.study_uids = tuple(sorted(s.study_uid for s in studies))
        initial = ReadingState(patient_id=patient_id, timepoints=timepoints)
        try:
            sources = list(getattr(self.window, "opened_paths", []))
            workspace = Workspace.for_studies(
                paths.workspace_dir(), self.study_uids, sources
            )
            stored = workspace.load()
            workspace.remember_sources(sources)
        except WorkspaceError as error:
            logger.warning("%s", error)
            self.window.statusBar().showMessage(f"Not saved: {error}")
            self.reading.reset(initial)
            self.opened.emit()
            return
        if stored is None:
            self.reading.reset(initial)
        else:
            self.reading.reset(
                stored.committed_state, stored.undo_entries, stored.redo_entries
            )
            count = len(stored.committed_state.measurements)
            self.window.statusBar().showMessage(
                f"Reading restored from the workspace: {count} measurement(s)"
            )
        workspace.attach(self.reading)
        self.workspace = workspace
        logger.info("reading of %d studies open", len(studies))
        self.opened.emit()

    def _on_change(self, change: Change) -> None:
        self.changed.emit(change)

    def execute(self, command: Command) -> bool:
        """Apply an edit; a refused edit or a failed save is told, not raised."""
        try:
            self.reading.execute(command)
        except EditError as error:
            self.reading.cancel_preview()
            self._tell(str(error))
            return False
        except WorkspaceError as error:
            self._tell(f"Not saved: {error}")
        return True

    def undo(self) -> None:
        """Undo the last edit, if any."""
        if self.reading.can_undo:
            try:
                self.reading.undo()
            except WorkspaceError as error:
                self._tell(f"Not saved: {error}")

    def redo(self) -> None:
        """Redo the last undone edit, if any."""
        if self.reading.can_redo:
            try:
                self.reading.redo()
            except WorkspaceError as error:
                self._tell(f"Not saved: {error}")

    def _tell(self, message: str) -> None:
        logger.warning("%s", message)
        self.window.statusBar().showMessage(message)

    # ------------------------------------------------------------ timepoints

    def timepoint_of(self, viewport: Viewport) -> Timepoint | None:
        """The timepoint of the study a viewport shows, if it is in the reading."""
        study = study_of(viewport)
        if study is None:
            return None
        return self.reading.state.timepoint_of_study(study)

    def viewport_of_study(self, study_uid: str) -> Viewport | None:
        """The first viewport showing a study."""
        return next(
            (v for v in self.window.viewports if study_of(v) == study_uid), None
        )

    # ------------------------------------------------------------ links

    def _record_links(self) -> None:
        shown = [v for v in self.window.viewports if study_of(v) is not None]
        for a in shown:
            for b in shown:
                ua, ub = study_of(a), study_of(b)
                if a is b or ua is None or ub is None or ua == ub:
                    continue
                link = self.window.linker.link(a, b)
                if link.is_linked:
                    self._study_links[(ua, ub)] = link

    def map_point(
        self, point: npt.NDArray[np.float64], study_a: str, study_b: str
    ) -> npt.NDArray[np.float64] | None:
        """Carry a point (LPS mm) from one study to another through known links."""
        if study_a == study_b:
            return np.asarray(point, dtype=np.float64)
        self._record_links()
        links: dict[str, list[tuple[str, Link]]] = {}
        for (ua, ub), link in self._study_links.items():
            links.setdefault(ua, []).append((ub, link))
            links.setdefault(ub, []).append((ua, link.inverse()))
        queue: deque[tuple[str, npt.NDArray[np.float64]]] = deque(
            [(study_a, np.asarray(point, dtype=np.float64))]
        )
        seen = {study_a}
        while queue:
            study, here = queue.popleft()
            for other, link in links.get(study, []):
                if other in seen:
                    continue
                there = np.asarray(link.a_to_b(here), dtype=np.float64)
                if other == study_b:
                    return there
                seen.add(other)
                queue.append((other, there))
        return None

    # ------------------------------------------------------------ navigation

    def show_measurement(self, measurement: Measurement) -> Viewport | None:
        """Bring a measurement's image into view, loading its study if needed."""
        timepoint = self.reading.state.timepoint(measurement.timepoint_id)
        point = np.asarray(centre_of(measurement.points_lps_mm), dtype=np.float64)
        viewport = self.viewport_of_study(timepoint.study_uid)
        if viewport is not None:
            reveal(viewport, point)
            return viewport
        self._load_study(timepoint.study_uid, point)
        return self.viewport_of_study(timepoint.study_uid)

    def go_to_lesion(self, lesion_id: str, timepoint_id: str | None = None) -> None:
        """Move the viewports to where a lesion is, or maps to, in their studies.

        With ``timepoint_id``, that timepoint's study is brought into view first
        (loaded into the comparison viewport if no viewport shows it).
        """
        state = self.reading.state
        if timepoint_id is not None:
            study = state.timepoint(timepoint_id).study_uid
            if self.viewport_of_study(study) is None:
                point = self.lesion_point(lesion_id, study)
                if point is not None:
                    self._load_study(study, point)
        # Each viewport goes to the lesion in its own study; scroll sync would
        # otherwise move the ones already placed to where the link says.
        linker = self.window.linker
        synced, linker.scroll_linked = linker.scroll_linked, False
        try:
            for viewport in self.window.viewports:
                shown = study_of(viewport)
                if shown is None:
                    continue
                point = self.lesion_point(lesion_id, shown)
                if point is not None:
                    reveal(viewport, point)
        finally:
            linker.scroll_linked = synced

    def lesion_point(
        self, lesion_id: str, study_uid: str
    ) -> npt.NDArray[np.float64] | None:
        """Where a lesion is in a study: measured there, else mapped from elsewhere."""
        state = self.reading.state
        timepoint = state.timepoint_of_study(study_uid)
        measured = [
            m
            for m in state.measurements
            if m.lesion_id == lesion_id and m.points_lps_mm
        ]
        here = [m for m in measured if timepoint and m.timepoint_id == timepoint.id]
        if here:
            return np.asarray(centre_of(here[0].points_lps_mm), dtype=np.float64)
        for other in measured:
            source = state.timepoint(other.timepoint_id).study_uid
            centre = np.asarray(centre_of(other.points_lps_mm), dtype=np.float64)
            mapped = self.map_point(centre, source, study_uid)
            if mapped is not None:
                return mapped
        return None

    def _load_study(self, study_uid: str, point: npt.NDArray[np.float64]) -> None:
        patient = self.window.patient
        if patient is None:
            return
        index = next(
            (
                i
                for i, s in enumerate(patient.studies)
                if s.study_instance_uid == study_uid
            ),
            None,
        )
        if index is None:
            return
        target = 0 if index == len(patient.studies) - 1 else 1
        self._pending_points[id(self.window.viewports[target])] = (study_uid, point)
        if target == 1:
            self.window.hang_patient(index)
        else:
            self.window.hang_patient()

    def _on_viewport_changed(self, viewport: Viewport) -> None:
        pending = self._pending_points.get(id(viewport))
        if pending is not None and study_of(viewport) == pending[0]:
            reveal(viewport, pending[1])

    def _on_links_changed(self) -> None:
        self._record_links()
        if self._pending_points:
            # The linker scrolls the comparison after announcing a new link (and
            # after the case reports loaded), so a point waiting for a study that
            # is being loaded is shown once that has happened.
            QTimer.singleShot(0, self._apply_pending)

    def _apply_pending(self) -> None:
        for viewport in self.window.viewports:
            pending = self._pending_points.pop(id(viewport), None)
            if pending is None:
                continue
            if study_of(viewport) == pending[0]:
                reveal(viewport, pending[1])
            else:
                self._pending_points[id(viewport)] = pending

    # ------------------------------------------------------------ case file

    def save_case_file(self, path: Path) -> None:
        """Write the reading as a nadir-case/1 file."""
        save_case(self.reading, path)

    def open_case_file(self, path: Path) -> None:
        """Replace the reading with a case file's lesion table (undoable)."""
        opened = open_case(path)
        self.execute(ReplaceReading(opened.committed_state, Path(path).name))

    def open_case_dict(self, case: dict[str, Any], name: str) -> None:
        """Replace the reading with a case read elsewhere, e.g. from an SR."""
        opened = Reading.from_case(case)
        self.reading.execute(ReplaceReading(opened.committed_state, name))

    def choose_save_case(self) -> None:
        """Ask where to save the case file and save it."""
        name, _ = QFileDialog.getSaveFileName(
            self.window, "Save case file", "case.json", "Case files (*.json)"
        )
        if not name:
            return
        try:
            self.save_case_file(Path(name))
        except OSError as error:
            QMessageBox.warning(self.window, "Nadir", f"{name}: {error.strerror}")
            return
        self.window.statusBar().showMessage(f"Case file saved: {name}")

    def choose_open_case(self) -> None:
        """Ask for a case file and open it."""
        name, _ = QFileDialog.getOpenFileName(
            self.window, "Open case file", "", "Case files (*.json)"
        )
        if not name:
            return
        try:
            self.open_case_file(Path(name))
        except CaseError as error:
            QMessageBox.warning(self.window, "Nadir", str(error))


def reveal(viewport: Viewport, point: npt.ArrayLike) -> None:
    """Scroll to a point; pan it to the middle if it lies outside the view."""
    viewport.show_point(point)
    plane = viewport.plane
    if plane is None:
        return
    where = viewport.pixel_to_widget(plane.from_patient(point))
    if not viewport.rect().adjusted(20, 20, -20, -20).contains(where.toPoint()):
        middle = QPointF(viewport.width() / 2, viewport.height() / 2)
        viewport.set_view(viewport.zoom, viewport.pan + middle - where)


def study_of(viewport: Viewport) -> str | None:
    """The Study Instance UID of the volume a viewport shows."""
    volume = viewport.volume
    if volume is None:
        return None
    return volume.info.study_instance_uid or volume.frame_of_reference_uid or None


def install_reading(window: MainWindow, **options: Any) -> ReadingSession:
    """Add the reading, the measuring tools and the lesion table to ``window``."""
    from app.lesion_dock import LesionDock
    from app.measure_actions import add_actions
    from app.measure_tools import MeasureTools

    session = ReadingSession(window)
    tools = MeasureTools(session, **options)
    for viewport in window.viewports:
        tools.attach(viewport)
    dock = LesionDock(session, tools, window)
    window.addDockWidget(dock.default_area, dock)
    add_actions(window, session, tools, dock)
    window.measure_tools = tools  # type: ignore[attr-defined]
    window.lesion_dock = dock  # type: ignore[attr-defined]
    return session
