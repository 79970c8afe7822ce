"""A small reading with known geometry for the reading, table and workspace tests."""

from __future__ import annotations

from measurement.edits import (
    AddMeasurement,
    AddTimepoint,
    CreateLesion,
    SetStatus,
)
from measurement.model import (
    ImageRef,
    Lesion,
    LesionKind,
    Measurement,
    Timepoint,
    Tool,
)
from measurement.reading import Reading


def caliper(mid, tid, start, length_mm, lesion=None, sop=None):
    """A caliper along x of ``length_mm`` starting at ``start``."""
    x, y, z = start
    return Measurement(
        id=mid,
        timepoint_id=tid,
        tool=Tool.CALIPER,
        points_lps_mm=((x, y, z), (x + length_mm, y, z)),
        image=ImageRef(sop or f"1.2.9.{mid[1:]}", "1.2.8"),
        lesion_id=lesion,
    )


def sample_reading() -> Reading:
    """Baseline and one follow-up, two targets, a non-target and a new lesion."""
    reading = Reading()
    reading.execute(AddTimepoint(Timepoint("T0", "1.2.3", "2026-01-12", True)))
    reading.execute(AddTimepoint(Timepoint("T1", "1.2.4", "2026-03-20")))
    reading.execute(
        CreateLesion(Lesion("L1", LesionKind.TARGET, "segment VII", "liver"))
    )
    reading.execute(
        CreateLesion(Lesion("L2", LesionKind.TARGET, "", "mediastinal node", True))
    )
    reading.execute(CreateLesion(Lesion("N1", LesionKind.NON_TARGET, "", "bone")))
    reading.execute(CreateLesion(Lesion("X1", LesionKind.NEW, "", "lung")))
    reading.execute(AddMeasurement(caliper("M1", "T0", (10, -4.5, 120), 32.0, "L1")))
    reading.execute(AddMeasurement(caliper("M2", "T1", (10, -4.5, 120), 25.0, "L1")))
    reading.execute(
        AddMeasurement(
            Measurement(
                "M3",
                "T0",
                Tool.BIDIRECTIONAL,
                ((0, 50, 100), (24, 50, 100), (12, 41.5, 100), (12, 58.5, 100)),
                ImageRef("1.2.9.3", "1.2.8"),
                lesion_id="L2",
            )
        )
    )
    reading.execute(SetStatus("L2", "T1", "too-small"))
    reading.execute(SetStatus("N1", "T0", "present"))
    reading.execute(SetStatus("N1", "T1", "present"))
    reading.execute(SetStatus("X1", "T1", "equivocal"))
    return reading
