"""Qt support for the report renderers: a GUI application, fonts and locales.

The PDF and image renderers paint with QtGui only (QImage, QPainter, QPdfWriter),
which needs a QGuiApplication but no window. Without a display one is created on
the offscreen platform. The report font is DejaVu Sans, which carries Latin and
Cyrillic; it is loaded from the system's font folder when Qt does not list it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QDate, QLocale
from PySide6.QtGui import QFontDatabase, QGuiApplication

logger = logging.getLogger(__name__)

FONT_FAMILY = "DejaVu Sans"
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
_LOCALES = {"en": "en_GB", "de": "de_DE", "ru": "ru_RU"}
_app: QGuiApplication | None = None


def ensure_gui_application() -> None:
    """Create a QGuiApplication (offscreen without a display) if none exists."""
    global _app
    if QGuiApplication.instance() is not None:
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication([])
    logger.debug("created a QGuiApplication on %s", QGuiApplication.platformName())


def report_font_family() -> str:
    """A font family with Cyrillic glyphs, loading DejaVu Sans if need be."""
    ensure_gui_application()
    if FONT_FAMILY in QFontDatabase.families():
        return FONT_FAMILY
    family = ""
    for path in _FONT_FILES:
        if Path(path).exists():
            font_id = QFontDatabase.addApplicationFont(path)
            families = QFontDatabase.applicationFontFamilies(font_id)
            family = family or (families[0] if families else "")
    if not family:
        # Without fonts-dejavu-core Cyrillic may render as boxes; scripts/system-deps.sh
        # installs it.
        logger.warning("DejaVu Sans not found; the report uses Qt's default font")
    return family or QGuiApplication.font().family()


def locale_for(lang: str) -> QLocale:
    """The locale that formats numbers and dates for a report language."""
    return QLocale(_LOCALES.get(lang, "en_GB"))


_DATE_FORMATS = {"en": "d MMM yyyy", "de": "dd.MM.yyyy", "ru": "dd.MM.yyyy"}


def format_date(iso_date: str, lang: str) -> str:
    """An ISO date (or DICOM DA) written for a report language; as given if invalid."""
    text = iso_date.replace("-", "")
    date = QDate.fromString(text, "yyyyMMdd")
    if not date.isValid():
        return iso_date
    return locale_for(lang).toString(date, _DATE_FORMATS.get(lang, "yyyy-MM-dd"))


def format_number(value: float, lang: str, decimals: int = 1) -> str:
    """A number with the language's decimal separator."""
    return locale_for(lang).toString(float(value), "f", decimals)


def format_percent(value: float, lang: str) -> str:
    """A signed percentage to one decimal: "+32.5%", "+32,5 %"."""
    number = format_number(abs(value), lang)
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    space = "" if lang == "en" else "\u00a0"
    return f"{sign}{number}{space}%"
