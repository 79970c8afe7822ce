"""Killing the window with SIGKILL while measuring loses no finished measurement.

A real process opens the window on two studies and measures with the caliper
without pause, printing a line after each finished caliper; the test kills it
with SIGKILL mid-stream and reopens the workspace the window was saving to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reporting.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ("1.2.9.1", "1.2.9.2")

CHILD = textwrap.dedent(
    """
    import sys
    from dataclasses import replace

    sys.path.insert(0, sys.argv[1])
    from app.gui import application
    from app.main_window import MainWindow
    from app.measure_tools import LesionChoice
    from tests.factories import ball_volume

    app = application()
    window = MainWindow()
    window.show()
    current = ball_volume()
    current.info = replace(current.info, study_instance_uid="1.2.9.2")
    prior = ball_volume(study_date="20251001")
    prior.info = replace(prior.info, study_instance_uid="1.2.9.1")
    window.show_volumes(current, prior)
    tools = window.measure_tools
    tools.chooser = lambda request: LesionChoice()
    tools.set_mode("caliper")
    viewport = window.viewports[0]
    number = 0
    while True:
        viewport.set_slice(number % viewport.slice_count)
        row = 10.0 + 3 * (number // viewport.slice_count)
        tools.press(viewport, [10.0, row])
        tools.move(viewport, [20.0, row])
        tools.release(viewport, [30.0 + number % 7, row])
        number += 1
        print(f"measured {number}", flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_while_measuring_loses_no_finished_measurement(tmp_path):
    script = tmp_path / "measure_forever.py"
    script.write_text(CHILD, encoding="utf-8")
    data = tmp_path / "data"
    env = {**os.environ, "NADIR_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, str(script), str(ROOT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    reported = 0
    try:
        assert child.stdout is not None
        for line in child.stdout:
            reported = int(line.split()[1])
            if reported >= 12:
                break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert reported >= 12

    with Workspace.for_studies(data / "workspaces", STUDIES) as workspace:
        reading = workspace.load()
    assert reading is not None
    measurements = reading.committed_state.measurements
    # Every caliper reported finished is there; at most the one after it too.
    assert reported <= len(measurements) <= reported + 1
    # Columns are 1.0 mm apart (Pixel Spacing 1.5 by 1.0).
    for number, measurement in enumerate(measurements[:reported]):
        assert measurement.long_mm == pytest.approx(20 + number % 7, abs=1e-6)
    assert len(reading.undo_entries) == len(measurements)
