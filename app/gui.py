"""Starting the window: the Qt application, opening paths, the screenshot mode.

``run_window(paths, screenshot=FILE)`` opens the paths, waits until the case has
loaded (and the first link is in force), renders the window to FILE and exits 0,
for headless checks under ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

logger = logging.getLogger(__name__)

# Longest wait for a case to load before a screenshot is taken anyway.
SCREENSHOT_TIMEOUT_MS = 120_000


def application() -> QApplication:
    """The running QApplication, created on first use."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Nadir")
    app.setOrganizationName("Nadir")
    return app


def run_window(sources: Sequence[str | Path], screenshot: str | None = None) -> int:
    """Show the main window on ``sources``; with ``screenshot``, save and exit."""
    from app.main_window import MainWindow

    app = application()
    window = MainWindow()
    window.show()
    if screenshot:
        target = Path(screenshot)

        def capture() -> None:
            app.processEvents()
            if not window.grab().save(str(target)):
                logger.error("could not write the screenshot to %s", target)
                app.exit(1)
                return
            logger.info("screenshot written to %s", target)
            app.exit(0)

        if sources:
            window.case_loaded.connect(lambda: QTimer.singleShot(200, capture))
            QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, capture)
        else:
            QTimer.singleShot(300, capture)
    if sources:
        window.open_paths(list(sources))
    return int(app.exec())
