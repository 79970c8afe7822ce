"""A process that measures in a loop, saving each caliper to a workspace.

Run as ``python tests/workspace_writer.py FOLDER``: it reopens (or starts) the
workspace of two fixed studies in FOLDER and adds calipers for ever, printing each
measurement's id only after the change has been saved. The kill test stops it with
SIGKILL and checks that every printed id survived.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measurement.edits import AddMeasurement, Batch, CreateLesion  # noqa: E402
from measurement.model import (  # noqa: E402
    ImageRef,
    Lesion,
    LesionKind,
    Measurement,
    ReadingState,
    Timepoint,
    Tool,
)
from reporting.workspace import open_reading  # noqa: E402

STUDIES = ("1.2.826.0.1.3", "1.2.826.0.1.4")


def expected_points(number: int) -> tuple[tuple[float, float, float], ...]:
    """The caliper end points of measurement ``M<number>``: ``number`` mm long."""
    y = float(number % 50)
    return ((0.0, y, float(number)), (float(number), y, float(number)))


def initial() -> ReadingState:
    return ReadingState(
        patient_id="ANON-KILL",
        timepoints=(
            Timepoint("T0", STUDIES[0], "2026-01-12", True),
            Timepoint("T1", STUDIES[1], "2026-03-20"),
        ),
    )


def main() -> None:
    workspace, reading = open_reading(Path(sys.argv[1]), STUDIES, initial)
    while True:
        mid = reading.next_measurement_id()
        number = int(mid[1:])
        lesion_id = f"L{number}"
        measurement = Measurement(
            mid,
            "T0" if number % 2 else "T1",
            Tool.CALIPER,
            expected_points(number),
            ImageRef(f"1.2.826.0.9.{number}", "1.2.826.0.8"),
            lesion_id=lesion_id,
        )
        reading.execute(
            Batch(
                f"Measure {lesion_id}",
                (
                    CreateLesion(Lesion(lesion_id, LesionKind.TARGET, organ="liver")),
                    AddMeasurement(measurement),
                ),
            )
        )
        print(mid, flush=True)


if __name__ == "__main__":
    main()
