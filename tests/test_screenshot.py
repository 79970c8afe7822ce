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


def _viewport_contrast(shot: Path) -> tuple[float, float]:
    from PySide6.QtGui import QImage

    image = QImage(str(shot)).convertToFormat(QImage.Format.Format_Grayscale8)
    width, height = image.width(), image.height()
    assert width >= 1000 and height >= 600
    pixels = np.frombuffer(image.constBits(), dtype=np.uint8)
    pixels = pixels.reshape(height, image.bytesPerLine())[:, :width]
    # viewports fill the area right of the study browser; compare their halves
    body = pixels[height // 4 : 3 * height // 4, width // 4 :]
    half = body.shape[1] // 2
    return float(body[:, :half].std()), float(body[:, half:].std())


def test_offscreen_screenshot_shows_two_studies(tmp_path):
    shot = _run_demo(tmp_path, "offscreen", [])
    left, right = _viewport_contrast(shot)
    assert left > 20 and right > 20


@pytest.mark.xvfb
def test_xvfb_screenshot_shows_two_studies(tmp_path):
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (make test installs it as root)")
    shot = _run_demo(
        tmp_path, "xcb", ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]
    )
    left, right = _viewport_contrast(shot)
    assert left > 20 and right > 20
