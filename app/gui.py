"""Starting the window: the Qt application, opening paths, the screenshot mode.

``run_window(paths, screenshot=FILE)`` opens the paths, waits until the case has
loaded (and the first link is in force), renders the window to FILE and exits 0,
for headless checks under ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from app import workers

logger = logging.getLogger(__name__)
qt_logger = logging.getLogger("qt")

# Longest wait for a case to load before a screenshot is taken anyway.
SCREENSHOT_TIMEOUT_MS = 120_000
SCREENSHOT_SIZE = (1600, 1000)


def _qt_message(mode: QtMsgType, _context: object, message: str) -> None:
    """Route Qt's own messages into the log instead of stderr."""
    if "propagateSizeHints" in message:
        return  # the offscreen platform cannot honour size hints; nothing is wrong
    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(mode, logging.ERROR)
    qt_logger.log(level, "%s", message)


def application() -> QApplication:
    """The running QApplication, created on first use."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    qInstallMessageHandler(_qt_message)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Nadir")
    app.setOrganizationName("Nadir")
    return app


def check_display(screenshot: str | None) -> None:
    """Refuse, with advice, to start a window where no display can show it."""
    from app.cli import UsageError

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    hint = (
        "QT_QPA_PLATFORM=offscreen nadir ... --screenshot FILE"
        if screenshot
        else "xvfb-run -a nadir ..., or QT_QPA_PLATFORM=offscreen and --screenshot"
    )
    raise UsageError(
        "no display to show the window on (neither DISPLAY nor WAYLAND_DISPLAY is "
        f"set); start Nadir in a desktop session, or use {hint}"
    )


def run_window(sources: Sequence[str | Path], screenshot: str | None = None) -> int:
    """Show the main window on ``sources``; with ``screenshot``, save and exit."""
    from app.main_window import MainWindow

    check_display(screenshot)

    app = application()
    window = MainWindow()
    window.show()
    if screenshot:
        target = Path(screenshot)
        # A fixed size, whatever the (virtual) screen, so pictures compare.
        window.resize(*SCREENSHOT_SIZE)

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
            QTimer.singleShot(0, capture)
    if sources:
        window.open_paths(list(sources))
    code = int(app.exec())
    workers.shutdown()
    return code
