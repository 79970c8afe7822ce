"""The window's "Export…" action: the whole reading as files, with progress.

One dialog asks where (a new or empty folder), in which language, whether to
de-identify for teaching, and the reader's findings and impression; the export of
:mod:`reporting.export` then runs off the GUI thread and reports its steps in the
status bar. An existing folder with files in it is refused, never overwritten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from app import workers

if TYPE_CHECKING:
    from app.main_window import MainWindow

logger = logging.getLogger(__name__)

LANGUAGES = (("English", "en"), ("Deutsch", "de"), ("Русский", "ru"))


@dataclass(frozen=True)
class ExportChoices:
    """What the reader chose in the export dialog."""

    out_dir: Path
    lang: str = "en"
    deidentify: bool = False
    findings: str = ""
    impression: str = ""


class ExportDialog(QDialog):
    """Asks for the output folder, language, de-identification and free text."""

    def __init__(self, suggested: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the reading")
        form = QFormLayout(self)
        self.folder = QLineEdit(str(suggested))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder)
        row.addWidget(browse)
        form.addRow("New folder", row)
        self.language = QComboBox()
        for name, code in LANGUAGES:
            self.language.addItem(name, code)
        form.addRow("Report language", self.language)
        self.deidentify = QCheckBox("Remove the patient's identity (for teaching)")
        form.addRow("", self.deidentify)
        self.findings = QPlainTextEdit()
        self.findings.setPlaceholderText("Findings")
        self.impression = QPlainTextEdit()
        self.impression.setPlaceholderText("Impression")
        form.addRow("Findings", self.findings)
        form.addRow("Impression", self.impression)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to export into")
        if folder:
            self.folder.setText(folder)

    def choices(self) -> ExportChoices:
        """The reader's answers."""
        return ExportChoices(
            out_dir=Path(self.folder.text()).expanduser(),
            lang=str(self.language.currentData()),
            deidentify=self.deidentify.isChecked(),
            findings=self.findings.toPlainText().strip(),
            impression=self.impression.toPlainText().strip(),
        )


def install_export(window: MainWindow) -> QAction:
    """Add the "Export…" action to the window's toolbar and File keys."""
    action = QAction("Export…", window)
    action.setShortcut(QKeySequence("Ctrl+E"))
    action.setToolTip("Write the SR, key images, PDF report and case file")
    action.triggered.connect(lambda: _ask_and_export(window))
    toolbar = window.findChild(QWidget, "reading-toolbar")
    if toolbar is not None:
        toolbar.addAction(action)
    window.addAction(action)
    return action


def _ask_and_export(window: MainWindow) -> None:
    dialog = ExportDialog(_suggested_folder(window), window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    export(window, dialog.choices())


def export(window: MainWindow, choices: ExportChoices) -> workers.Job | None:
    """Export the open reading as ``choices`` say, off the GUI thread."""
    from reporting.export import export_reading

    session = window.reading_session
    case = session.reading.to_case()
    state = session.reading.state
    if not state.measurements:
        QMessageBox.information(window, "Nadir", "There is no measurement to export.")
        return None
    session.table.evaluation()
    if session.table.evaluation_error:
        QMessageBox.warning(
            window,
            "Nadir",
            f"The reading cannot be exported yet:\n{session.table.evaluation_error}",
        )
        return None
    flagged = [key.image.sop_uid for key in state.key_images]
    sources = list(window.opened_paths)

    def run(job: workers.Job) -> Any:
        def progress(done: int, total: int, text: str) -> None:
            job.report(done / max(total, 1), f"Export: {text}")

        return export_reading(
            case,
            sources,
            choices.out_dir,
            choices.lang,
            choices.deidentify,
            progress,
            flagged=flagged,
            findings=choices.findings,
            impression=choices.impression,
        )

    def done(result: Any) -> None:
        window.progress.hide()
        window.last_export = result
        window.statusBar().showMessage(
            f"Exported {len(result.files)} files to {result.out_dir}"
        )
        logger.info("reading exported: %d files", len(result.files))

    def failed(message: str) -> None:
        window.progress.hide()
        window.statusBar().showMessage(f"Export failed: {message}")
        QMessageBox.warning(window, "Nadir", f"The export did not finish:\n{message}")

    window.progress.show()
    return workers.submit(run, done, failed, window._on_progress)


def _suggested_folder(window: MainWindow) -> Path:
    from app import paths

    base = paths.data_dir() / "exports"
    stamp = window.reading_session.reading.state.timepoints
    name = f"reading-{stamp[-1].date}" if stamp else "reading"
    candidate = base / name
    number = 2
    while candidate.exists():
        candidate = base / f"{name}-{number}"
        number += 1
    return candidate
