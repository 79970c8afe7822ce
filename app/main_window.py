"""The main window: study browser, viewports side by side, status and progress.

Opening paths indexes them in the background, hangs the newest study against the
one before it and loads both series off the GUI thread. Studies that share a frame
of reference are linked at once; others are registered in the background while
"link here" is available. The window's layout and choices persist in settings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QSettings, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDrag,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app import paths, workers
from app.export_action import install_export
from app.reading_session import install_reading
from app.review_mode import install_review
from viewer.hanging import hang
from viewer.linker import Linker
from viewer.sync import registration_link
from viewer.viewport import Bindings, Viewport
from viewer.volume import Volume, iso_date

logger = logging.getLogger(__name__)

SERIES_MIME = "application/x-nadir-series"
LAYOUTS = {"1x1": (1, 1), "1x2": (1, 2), "2x2": (2, 2)}


def settings() -> QSettings:
    """Nadir's settings, stored in its data folder."""
    return QSettings(str(paths.data_dir() / "settings.ini"), QSettings.Format.IniFormat)


class SeriesTree(QTreeWidget):
    """Patient > studies by date > series, with counts and problems."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Study / series", "Images", "Notes"])
        self.setDragEnabled(True)
        self.setColumnWidth(0, 250)
        self.setMinimumWidth(230)

    def startDrag(self, supported: Qt.DropAction) -> None:  # noqa: N802
        item = self.currentItem()
        key = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if not key:
            return
        mime = QMimeData()
        mime.setData(SERIES_MIME, QByteArray(str(key).encode()))
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)


class DropViewport(Viewport):
    """A viewport that accepts a series dragged from the browser."""

    series_dropped = Signal(str)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802
        if event.mimeData().hasFormat(SERIES_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802
        key = bytes(event.mimeData().data(SERIES_MIME).data()).decode()
        self.series_dropped.emit(key)
        event.acceptProposedAction()


class MainWindow(QMainWindow):
    """Nadir's main window."""

    case_loaded = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Nadir")
        self._fit_to_screen()
        self.linker = Linker(self)
        self.viewports: list[DropViewport] = [
            DropViewport(title) for title in ("Current", "Comparison", "3", "4")
        ]
        for viewport in self.viewports:
            self.linker.add(viewport)
            viewport.series_dropped.connect(
                lambda key, v=viewport: self.load_into(v, key)
            )
            viewport.activated.connect(lambda v=viewport: self._set_active(v))
        self._active: Viewport = self.viewports[0]
        self._layout_name = "1x2"
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.setCentralWidget(self._grid_host)
        self.scan_result: Any = None
        self.patient: Any = None
        self.opened_paths: list[Path] = []
        self.last_export: Any = None
        self.patient_index = 0
        self._comparison_indices: list[int] = []
        self.series_by_key: dict[str, Any] = {}
        self.study_of_key: dict[str, int] = {}
        self._volumes: dict[str, Volume] = {}
        self._pending = 0
        self._registration_job: workers.Job | None = None
        self._build_browser()
        self._build_status()
        self._build_toolbar()
        self.reading_session = install_reading(self)
        self._pending_readings: list[Path] = []
        self.case_loaded.connect(self._open_pending_readings)
        self.export_action = install_export(self)
        self.review = install_review(self)
        self._docks_sized = False
        self.set_layout("1x2")
        self._restore_settings()

    # ------------------------------------------------------------ building

    def _fit_to_screen(self) -> None:
        """Start at 1680x1000, or 95% of a smaller screen."""
        width, height = 1680, 1000
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry()
            width = min(width, int(available.width() * 0.95))
            height = min(height, int(available.height() * 0.95))
        self.resize(width, height)

    def _build_browser(self) -> None:
        self.browser = SeriesTree()
        self.browser.itemDoubleClicked.connect(self._on_browser_double_click)
        dock = QDockWidget("Studies", self)
        dock.setObjectName("studies-dock")
        dock.setWidget(self.browser)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.browser_dock = dock

    def _build_status(self) -> None:
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.link_label = QLabel("")
        self.statusBar().addPermanentWidget(self.link_label)
        self.statusBar().addPermanentWidget(self.progress)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Reading")
        bar.setObjectName("reading-toolbar")
        self.addToolBar(bar)
        self.open_action = QAction("Open…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._choose_folder)
        bar.addAction(self.open_action)
        bar.addSeparator()

        self.layout_group = QActionGroup(self)
        for name in LAYOUTS:
            action = QAction(name, self, checkable=True)
            action.setData(name)
            action.triggered.connect(lambda _c=False, n=name: self.set_layout(n))
            self.layout_group.addAction(action)
            bar.addAction(action)
        bar.addSeparator()

        self.plane_box = QComboBox()
        self.plane_box.addItems(["native", "axial", "coronal", "sagittal"])
        self.plane_box.setToolTip("Plane of the active viewport")
        self.plane_box.currentTextChanged.connect(self._on_plane_chosen)
        bar.addWidget(QLabel(" Plane "))
        bar.addWidget(self.plane_box)

        self.comparison_box = QComboBox()
        self.comparison_box.setMinimumContentsLength(18)
        self.comparison_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.comparison_box.setToolTip("Study shown as the comparison")
        self.comparison_box.activated.connect(self._on_comparison_chosen)
        bar.addWidget(QLabel(" Compare with "))
        bar.addWidget(self.comparison_box)
        bar.addSeparator()

        self.scroll_link_action = self._toggle(bar, "Sync scroll", True, "scroll")
        self.window_link_action = self._toggle(bar, "Link W/L", False, "window")
        self.zoom_link_action = self._toggle(bar, "Link zoom", False, "zoom")
        self.link_here_action = QAction("Link here", self)
        self.link_here_action.setToolTip(
            "Pair the points you shift-clicked in the two viewports as the same place"
        )
        self.link_here_action.triggered.connect(self.link_here)
        bar.addAction(self.link_here_action)

    def _toggle(self, bar: QToolBar, text: str, on: bool, what: str) -> QAction:
        action = QAction(text, self, checkable=True)
        action.setChecked(on)
        action.toggled.connect(lambda checked: self._set_linking(what, checked))
        bar.addAction(action)
        self._set_linking(what, on)
        return action

    def _set_linking(self, what: str, on: bool) -> None:
        setattr(self.linker, f"{what}_linked", on)

    # ------------------------------------------------------------ layout

    def set_layout(self, name: str) -> None:
        """Arrange the viewports as 1x1, 1x2 or 2x2."""
        rows, columns = LAYOUTS[name]
        for viewport in self.viewports:
            self._grid.removeWidget(viewport)
            viewport.hide()
        for index in range(rows * columns):
            viewport = self.viewports[index]
            self._grid.addWidget(viewport, index // columns, index % columns)
            viewport.show()
        for action in self.layout_group.actions():
            action.setChecked(action.data() == name)
        self._layout_name = name
        self._fill_reformats()

    def _fill_reformats(self) -> None:
        """In 2x2, the empty lower viewports show the current study's MPR planes."""
        current = self.viewports[0].volume
        if self._layout_name != "2x2" or current is None:
            return
        for viewport, orientation in zip(
            self.viewports[2:], ("coronal", "sagittal"), strict=True
        ):
            if viewport.volume is None:
                viewport.title = f"{self.viewports[0].title} {orientation}"
                viewport.set_volume(current, orientation)
                crosshair = self.viewports[0].crosshair_lps_mm
                viewport.show_point(
                    crosshair
                    if crosshair is not None
                    else self.viewports[0].centre_lps_mm()
                )
        self.linker.refresh_texts()

    def active_viewport(self) -> Viewport:
        """The viewport the reader last clicked, else the current study's."""
        return self._active

    def _set_active(self, viewport: Viewport) -> None:
        self._active = viewport
        self.plane_box.blockSignals(True)
        self.plane_box.setCurrentText(
            viewport.source.orientation if viewport.source else "native"
        )
        self.plane_box.blockSignals(False)

    def _on_plane_chosen(self, orientation: str) -> None:
        self.active_viewport().set_orientation(orientation)

    # ------------------------------------------------------------ opening

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of DICOM files")
        if folder:
            self.open_paths([folder])

    def open_paths(self, sources: Sequence[str | Path]) -> None:
        """Index ``sources`` in the background, then hang and load the patient."""
        from viewer import scan

        names = [str(source) for source in sources]
        # Case files open as the reading once the images are in.
        self._pending_readings = [
            Path(name) for name in names if name.lower().endswith(".json")
        ]
        names = [name for name in names if not name.lower().endswith(".json")]
        self.opened_paths = [Path(name) for name in names]
        self.statusBar().showMessage("Indexing…")
        self.progress.show()
        workers.submit(
            lambda job: scan(
                names, progress=_counter(job, "Indexing"), cancel=job.cancel
            ),
            self._on_scanned,
            self._on_error,
            self._on_progress,
        )

    def _on_scanned(self, result: Any) -> None:
        self.scan_result = result
        self._pending_readings += [
            Path(series.files[0].path)
            for series in result.all_series()
            if series.modality == "SR" and series.files and not series.files[0].member
        ]
        self._fill_browser(result)
        if result.problems:
            self.statusBar().showMessage(
                f"{len(result.problems)} file(s) could not be read; see the Studies "
                "list for the reasons"
            )
        patients = [p for p in result.patients if p.studies]
        if not patients:
            self._finish_loading()
            QMessageBox.warning(self, "Nadir", "No images were found to show.")
            return
        self.patient = max(patients, key=lambda p: p.studies[-1].study_date or "")
        self.patient_index = result.patients.index(self.patient)
        if len(patients) > 1:
            self.statusBar().showMessage(
                f"{len(patients)} patients found; showing the one with the newest "
                "study. Double-click a series in the Studies list to show another."
            )
        self._fill_comparisons()
        self.hang_patient()

    def hang_patient(self, comparison: int | None = None) -> None:
        """Hang the patient's newest study against ``comparison`` (default prior)."""
        studies = self.patient.studies
        hanging = hang(studies, comparison)
        targets: list[tuple[Viewport, str]] = []
        if hanging.current_series is not None:
            key = _series_key(
                self.patient_index, hanging.current_study, hanging.current_series
            )
            targets.append((self.viewports[0], key))
        if (
            hanging.comparison_study is not None
            and hanging.comparison_series is not None
        ):
            key = _series_key(
                self.patient_index, hanging.comparison_study, hanging.comparison_series
            )
            targets.append((self.viewports[1], key))
            self.comparison_box.setCurrentIndex(
                self._comparison_indices.index(hanging.comparison_study)
            )
        self._pending = len(targets)
        for viewport, key in targets:
            self.load_into(viewport, key)
        if not targets:
            kinds = sorted(
                {series.modality or "?" for study in studies for series in study.series}
            )
            self.statusBar().showMessage(
                "No image stack to show: these files hold "
                f"{', '.join(kinds)} objects only; open the images they refer to"
            )
            self._finish_loading()

    def load_into(self, viewport: Viewport, key: str) -> None:
        """Load the series ``key`` off the GUI thread and show it in ``viewport``."""
        if key in self._volumes:
            self._show(viewport, self._volumes[key])
            return
        series = self.series_by_key.get(key)
        if series is None:
            return
        from viewer.loader import SeriesLoader

        self.progress.show()
        self.statusBar().showMessage(f"Loading {series.series_description or key}…")

        def load(job: workers.Job) -> Volume:
            started: dict[str, Any] = {}

            def slice_in(k: int) -> None:
                if k == started["middle"]:
                    job.partial.emit(started["loader"].volume)

            loader = SeriesLoader(
                series,
                progress=_counter(job, "Loading"),
                cancel=job.cancel,
                on_slice=slice_in,
            )
            started.update(loader=loader, middle=len(loader.refs) // 2)
            loader.start(started["middle"])
            return loader.wait()

        def first_slice(volume: Volume) -> None:
            # The slice in view is decoded; show it while the rest comes in.
            viewport.set_volume(volume)

        def done(volume: Volume) -> None:
            self._volumes[key] = volume
            self._show(viewport, volume)

        workers.submit(load, done, self._on_error, self._on_progress, first_slice)

    def show_volumes(self, current: Volume, comparison: Volume | None = None) -> None:
        """Show volumes directly (already loaded), as tests and tools do."""
        self._pending = 2 if comparison is not None else 1
        self._show(self.viewports[0], current)
        if comparison is not None:
            self._show(self.viewports[1], comparison)

    def _show(self, viewport: Viewport, volume: Volume) -> None:
        if viewport.volume is not None and viewport.volume.voxels is volume.voxels:
            viewport.refresh()  # the early view of this volume: keep the reader's place
        else:
            viewport.set_volume(volume)
        self.linker.reset_links()
        for warning in volume.warnings:
            self.statusBar().showMessage(warning)
        self._pending = max(0, self._pending - 1)
        if self._pending == 0:
            self._fill_reformats()
            if not self._start_registration():
                self._finish_loading()

    def _finish_loading(self) -> None:
        self.progress.hide()
        if self.statusBar().currentMessage().startswith(("Loading", "Indexing")):
            self.statusBar().showMessage("Ready", 5000)
        self._update_link_label()
        self.case_loaded.emit()

    # ------------------------------------------------------------ linking

    def _start_registration(self) -> bool:
        """Register the comparison to the current study if no link holds yet."""
        current, comparison = self.viewports[0], self.viewports[1]
        fixed, moving = current.volume, comparison.volume
        if fixed is None or moving is None:
            return False
        if self.linker.link(current, comparison).is_linked:
            return False
        if min(fixed.shape) < 4 or min(moving.shape) < 4:
            self.statusBar().showMessage(
                "Single slices cannot be registered: shift-click the same place in "
                "both viewports and press Link here"
            )
            return False
        from viewer.registration import RegistrationCache, register_rigid

        self.statusBar().showMessage("Registering the comparison to the current study…")
        self.progress.show()

        def done(result: Any) -> None:
            self._finish_loading()
            if current.volume is not fixed or comparison.volume is not moving:
                return  # the reader changed series meanwhile; this result is stale
            detail = f"Mattes MI {result.metric_value:.3f}"
            self.linker.set_link(
                current,
                comparison,
                registration_link(result.matrix_fixed_to_moving, detail),
            )
            self._update_link_label()
            self.statusBar().showMessage(
                "Registration done: the studies scroll in step"
            )

        cache = RegistrationCache(paths.data_dir() / "registrations")

        def register(job: workers.Job) -> Any:
            cached = cache.get(fixed, moving)
            if cached is not None:
                return cached
            result = register_rigid(
                fixed, moving, progress=job.report, cancel=job.cancel
            )
            cache.put(fixed, moving, result)
            return result

        self._registration_job = workers.submit(
            register,
            done,
            self._on_error,
            self._on_progress,
        )
        return True

    def _open_pending_readings(self) -> None:
        """Open a case file or measurement report given with the images.

        A reading already saved for these studies wins over a report found beside
        them; a case file the reader named explicitly replaces it (undoably).
        """
        pending, self._pending_readings = self._pending_readings, []
        session = self.reading_session
        for path in pending:
            explicit = path.suffix.lower() == ".json"
            if not explicit and session.reading.state.measurements:
                continue
            try:
                if explicit:
                    session.open_case_file(path)
                else:
                    from reporting.srread import SrReadError, read_sr_reading

                    try:
                        reading = read_sr_reading(path)
                    except SrReadError as error:
                        logger.info("not a measurement report: %s", error)
                        continue
                    session.open_case_dict(reading.case, path.name)
                    if reading.not_imported:
                        self.statusBar().showMessage(
                            f"Reading opened from {path.name}; "
                            f"{len(reading.not_imported)} measurements a RECIST "
                            "table has no place for (e.g. "
                            f"{reading.not_imported[0]}) were left out"
                        )
                        continue
            except (OSError, ValueError) as error:
                self.statusBar().showMessage(f"{path.name}: {error}")
                continue
            self.statusBar().showMessage(f"Reading opened from {path.name}")

    def link_here(self) -> None:
        """Pair the last picked points of the two viewports as the same place."""
        from viewer.sync import link_here

        current, comparison = self.viewports[0], self.viewports[1]
        if current.volume is None or comparison.volume is None:
            return
        a = self.linker.last_pick.get(id(current), current.centre_lps_mm())
        b = self.linker.last_pick.get(id(comparison), comparison.centre_lps_mm())
        base = self.linker.link(current, comparison)
        self.linker.set_link(current, comparison, link_here(a, b, base))
        self._update_link_label()

    def _update_link_label(self) -> None:
        link = self.linker.link(self.viewports[0], self.viewports[1])
        self.link_label.setText(link.describe())

    # ------------------------------------------------------------ browser

    def _fill_browser(self, result: Any) -> None:
        self.browser.clear()
        self.series_by_key.clear()
        for patient_index, patient in enumerate(result.patients):
            label = f"{patient.patient_name.replace('^', ' ')} ({patient.patient_id})"
            top = QTreeWidgetItem([label, "", ""])
            self.browser.addTopLevelItem(top)
            for study_index, study in enumerate(patient.studies):
                study_item = QTreeWidgetItem(
                    [f"{_date(study.study_date)} {study.study_description}", "", ""]
                )
                top.addChild(study_item)
                for series_index, series in enumerate(study.series):
                    key = _series_key(patient_index, study_index, series_index)
                    self.series_by_key[key] = series
                    text = f"{series.modality} {series.series_description}".strip()
                    item = QTreeWidgetItem(
                        [text, str(series.count), "; ".join(series.notes)]
                    )
                    item.setData(0, Qt.ItemDataRole.UserRole, key)
                    study_item.addChild(item)
            top.setExpanded(True)
            for index in range(top.childCount()):
                top.child(index).setExpanded(True)
        if result.problems:
            problems = QTreeWidgetItem(
                [f"Not shown: not DICOM or unreadable ({len(result.problems)})"]
            )
            self.browser.addTopLevelItem(problems)
            missing: dict[str, list[Any]] = {}
            for problem in result.problems:
                if problem.missing_from:
                    folder = str(Path(problem.path).parent)
                    missing.setdefault(folder, []).append(problem)
                    continue
                problems.addChild(QTreeWidgetItem([problem.path, "", problem.reason]))
            # Files a DICOMDIR names but the medium lacks: one row per folder.
            for folder, items in sorted(missing.items()):
                group = QTreeWidgetItem(
                    [folder, str(len(items)), "named by a DICOMDIR but missing"]
                )
                problems.addChild(group)
                for problem in items:
                    group.addChild(QTreeWidgetItem([problem.path, "", problem.reason]))

    def _fill_comparisons(self) -> None:
        self.comparison_box.clear()
        studies = self.patient.studies
        current = hang(studies).current_study
        self._comparison_indices = [i for i in range(len(studies)) if i != current]
        for index in self._comparison_indices:
            study = studies[index]
            role = "baseline" if index == 0 else "prior"
            when = _date(study.study_date)
            same_date = [x for x in studies if x.study_date == study.study_date]
            if len(same_date) > 1 and study.study_time:
                # studies of one day are told apart by their time
                when += f" {study.study_time[:2]}:{study.study_time[2:4]}"
            if study.study_date == studies[current].study_date:
                role = "same day"
            self.comparison_box.addItem(f"{when} ({role})")

    def _on_comparison_chosen(self, box_index: int) -> None:
        if self.patient is None or box_index < 0:
            return
        self.hang_patient(self._comparison_indices[box_index])

    def _on_browser_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, Qt.ItemDataRole.UserRole)
        if key:
            self.load_into(self.active_viewport(), str(key))

    # ------------------------------------------------------------ feedback

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.show()
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.statusBar().showMessage(text)

    def _on_error(self, message: str) -> None:
        self._pending = max(0, self._pending - 1)
        self.progress.hide()
        self.statusBar().showMessage(message)
        logger.warning("%s", message)
        if self._pending == 0:
            self.case_loaded.emit()

    # ------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = store.value("window/state")
        self._state_restored = isinstance(state, QByteArray) and self.restoreState(
            state
        )
        layout = store.value("window/layout", "1x2")
        if layout in LAYOUTS:
            self.set_layout(str(layout))
        for action, key in self._link_settings():
            value = store.value(key)
            if value is not None:
                action.setChecked(str(value).lower() == "true")
        bindings = read_bindings(store)
        for viewport in self.viewports:
            viewport.bindings = bindings

    def _link_settings(self) -> list[tuple[QAction, str]]:
        return [
            (self.scroll_link_action, "link/scroll"),
            (self.window_link_action, "link/window"),
            (self.zoom_link_action, "link/zoom"),
        ]

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._docks_sized and not self._state_restored:
            # First run: the images get the room, the docks a reading width.
            self._docks_sized = True
            self.resizeDocks(
                [self.browser_dock, self.lesion_dock],  # type: ignore[attr-defined]
                [220, max(380, self.width() // 4)],
                Qt.Orientation.Horizontal,
            )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.setValue("window/layout", self._layout_name)
        for action, key in self._link_settings():
            store.setValue(key, action.isChecked())
        store.sync()
        if self._registration_job is not None:
            self._registration_job.cancel.set()
        self.reading_session.close_workspace()
        super().closeEvent(event)


BUTTONS = {
    "left": Qt.MouseButton.LeftButton,
    "right": Qt.MouseButton.RightButton,
    "middle": Qt.MouseButton.MiddleButton,
}


def read_bindings(store: QSettings) -> Bindings:
    """The reader's mouse conventions from settings (``[input]`` in settings.ini).

    ``window``, ``zoom`` and ``pan`` name a button (left, right, middle);
    ``wheel`` is ``next`` when turning the wheel away moves to the next slice, else
    ``previous``. Unknown values keep the defaults, with a warning in the log.
    """
    bindings = Bindings()
    for name in ("window", "zoom", "pan"):
        value = str(store.value(f"input/{name}", "") or "").lower()
        if value in BUTTONS:
            setattr(bindings, f"{name}_button", BUTTONS[value])
        elif value:
            logger.warning(
                "settings input/%s=%r is not left, right or middle", name, value
            )
    wheel = str(store.value("input/wheel", "") or "").lower()
    if wheel in ("next", "previous"):
        bindings.wheel_direction = 1 if wheel == "next" else -1
    elif wheel:
        logger.warning("settings input/wheel=%r is not next or previous", wheel)
    return bindings


def _series_key(patient_index: int, study_index: int, series_index: int) -> str:
    return f"{patient_index}:{study_index}:{series_index}"


def _date(value: str) -> str:
    return iso_date(value) or "undated"


def _counter(job: workers.Job, what: str) -> Any:
    """Adapt a ``progress(done, total)`` callback to the job's fraction."""

    def report(done: int, total: int) -> None:
        job.report(done / max(total, 1), f"{what}… {done}/{total}")

    return report
