"""Benchmark: start-up to a shown window, and opening a two-study case to its images.

Run with ``make perf`` or ``python tests/perf/perf_startup.py``. Start-up is timed
as a fresh process (``python -m app --screenshot``) against a bare Python start
measured in the same run; opening is timed in-process from ``open_paths`` until
both viewports show an image, against merely reading the two series' bytes.
Targets: window shown <= 2 s, first images of a two-study case <= 3 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _process_seconds(args: list[str], env: dict[str, str], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, NADIR_DATA_DIR=scratch)
        bare = _process_seconds([sys.executable, "-c", "pass"], env)
        shot = str(Path(scratch) / "empty.png")
        window = _process_seconds(
            [sys.executable, "-m", "app", "--screenshot", shot], env
        )
        print(f"bare python start (reference): {bare:.2f} s")
        print(
            f"start-up to a shown window, including a screenshot: {window:.2f} s "
            f"(ratio {window / bare:.1f}; target <= 2 s)"
        )

        os.environ["NADIR_DATA_DIR"] = scratch
        from viewer.demo_case import write_demo_case

        folder = Path(scratch) / "demo"
        write_demo_case(folder)
        studies = sorted(p for p in folder.iterdir() if p.is_dir())[-2:]
        start = time.perf_counter()
        for study in studies:
            for path in study.rglob("*"):
                if path.is_file():
                    path.read_bytes()
        floor = time.perf_counter() - start

        from PySide6.QtCore import QTimer

        from app.gui import application
        from app.main_window import MainWindow

        app = application()
        main_window = MainWindow()
        main_window.show()
        shown: dict[str, float] = {}
        begin = time.perf_counter()

        def poll() -> None:
            if all(v.plane is not None for v in main_window.viewports[:2]):
                shown.setdefault("first", time.perf_counter() - begin)
            if "first" in shown and main_window.progress.isHidden():
                shown["linked"] = time.perf_counter() - begin
                app.quit()
            else:
                QTimer.singleShot(10, poll)

        main_window.open_paths([folder])
        QTimer.singleShot(10, poll)
        app.exec()
        print(f"reading the two series' bytes (reference floor): {floor:.2f} s")
        print(
            "open a two-study 512x512x130 case to first images: "
            f"{shown['first']:.2f} s "
            f"(ratio to floor {shown['first'] / floor:.1f}; target <= 3 s)"
        )
        print(f"... until registered and linked: {shown['linked']:.2f} s")


def test_startup_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
