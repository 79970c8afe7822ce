"""The real window, started as a user would, rendered to a picture.

One run on the offscreen platform and one in a real X server (Xvfb) with the xcb
platform; both must show the current and the comparison study side by side, each
viewport holding an image rather than a blank field.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run_demo(tmp_path: Path, platform: str, wrapper: list[str]) -> Path:
    shot = tmp_path / f"demo-{platform}.png"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NADIR_DATA_DIR": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": platform,
        "HOME": str(tmp_path),
    }
    command = [
        *wrapper,
        sys.executable,
        "-m",
        "app",
        "demo",
        "--size",
        "192",
        "--slices",
        "60",
        "--screenshot",
        str(shot),
    ]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return shot


def _grey(shot: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(shot)).convertToFormat(QImage.Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    pixels = np.frombuffer(image.constBits(), dtype=np.uint8)
    return pixels.reshape(height, image.bytesPerLine())[:, :width].copy()


def _image_columns(grey: np.ndarray) -> int:
    """How many columns of the middle band hold CT-like grey structure."""
    band = grey[grey.shape[0] // 3 : 2 * grey.shape[0] // 3]
    dark = (band < 16).mean(axis=0)  # viewport background is black
    textured = band.std(axis=0) > 25
    return int(np.count_nonzero((dark > 0.2) & textured))


def _assert_two_studies(shot: Path) -> None:
    grey = _grey(shot)
    assert grey.shape[1] >= 1000 and grey.shape[0] >= 600
    # two viewports, each several hundred columns wide, show a body on black
    assert _image_columns(grey) > 300


def test_offscreen_screenshot_shows_two_studies(tmp_path):
    _assert_two_studies(_run_demo(tmp_path, "offscreen", []))
    # the log at INFO names no patient
    log = (tmp_path / "data" / "nadir.log").read_text(encoding="utf-8")
    assert "INFO" in log
    for identity in ("NADIR-DEMO-001", "NADIR^ALEX", "ALEX"):
        assert identity not in log


@pytest.mark.xvfb
def test_xvfb_screenshot_shows_two_studies(tmp_path):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (make test installs it as root)")
    shot = _run_demo(
        tmp_path, "xcb", ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
    )
    _assert_two_studies(shot)
