"""Render the README's pictures of the real window on the demo case.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/readme_screenshots.py``.
Writes docs/*.png from a fresh demo case in a temporary data folder; the reading
shown is the demo's true one, opened as a case file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="nadir-shots-"))
    os.environ["NADIR_DATA_DIR"] = str(scratch)
    from app.gui import application
    from app.main_window import MainWindow
    from app.workers import Workers
    from viewer.demo_case import write_demo_case

    Workers.synchronous = True
    demo = write_demo_case(scratch / "demo")
    truth = json.loads((demo / "ground_truth.json").read_text())
    app = application()
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    window.open_paths([demo])
    window.reading_session.open_case_file(demo / "expected_case.json")
    liver = next(x for x in truth["lesions"] if x["id"] == "L3")
    window.lesion_dock.select_lesion(2)
    app.processEvents()
    centre = liver["studies"]["current"]["centre_lps_mm"]
    window.viewports[0].show_point(centre)
    window.linker.follow_point(window.viewports[0], centre)
    app.processEvents()
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    window.grab().save(str(docs / "reading.png"))
    window.set_layout("2x2")
    app.processEvents()
    window.grab().save(str(docs / "mpr.png"))
    from app.export_action import ExportChoices, export

    export(window, ExportChoices(scratch / "export", impression="Progressive disease."))
    pdf = next((scratch / "export").glob("*.pdf"))
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "2",
            str(pdf),
            str(scratch / "page"),
        ],
        check=True,
    )
    for number, page in enumerate(sorted(scratch.glob("page-*.png")), start=1):
        shutil.copy(page, docs / f"report-page{number}.png")
    print(f"screenshots written to {docs}")


if __name__ == "__main__":
    main()
