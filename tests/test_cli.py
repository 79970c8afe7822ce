"""The command line: one clear line and a non-zero exit for wrong input."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def nadir(*args, env_dir):
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "NADIR_DATA_DIR": str(env_dir),
            "QT_QPA_PLATFORM": "offscreen",
        },
        timeout=120,
    )


def test_unknown_command_is_one_line_and_exit_2(tmp_path):
    result = nadir("frobnicate", env_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_named(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = nadir("open", str(missing), env_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"nadir: error: no such file or folder: {missing}"


def test_bad_log_level_is_refused(tmp_path):
    result = nadir("--log-level", "LOUD", "open", "x", env_dir=tmp_path)
    assert result.returncode == 2
    assert "--log-level" in result.stderr and "Traceback" not in result.stderr


def test_empty_window_screenshot_is_written(tmp_path):
    shot = tmp_path / "empty.png"
    result = nadir("--screenshot", str(shot), env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
    assert (tmp_path / "nadir.log").is_file()
