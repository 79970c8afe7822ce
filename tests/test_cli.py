"""The command line: one clear line and a non-zero exit for wrong input."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def nadir(*args, env_dir, platform="offscreen"):
    env = {"PATH": "/usr/bin:/bin", "NADIR_DATA_DIR": str(env_dir)}
    if platform:
        env["QT_QPA_PLATFORM"] = platform
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
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


def test_no_display_is_explained_not_crashed(tmp_path):
    result = nadir("open", str(tmp_path), env_dir=tmp_path, platform="")
    assert result.returncode == 2
    assert "no display to show the window on" in result.stderr
    assert "xvfb-run -a" in result.stderr and "Traceback" not in result.stderr


def test_screenshot_is_refused_for_commands_without_a_window(tmp_path):
    result = nadir("--screenshot", "x.png", "index", str(tmp_path), env_dir=tmp_path)
    assert result.returncode == 2
    assert "--screenshot renders the window" in result.stderr
    assert not (ROOT / "x.png").exists()


def test_output_piped_into_a_closed_pager_ends_quietly(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for number in range(3000):
        (folder / f"note-{number:04d}.txt").write_text("not an image")
    result = subprocess.run(
        f"{sys.executable} -m app index {folder} | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NADIR_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    assert result.stdout.count("\n") == 1
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
