"""The Qt-free lesion table: cells, headers, footers from the engine, margins."""

from __future__ import annotations

import pytest

from measurement.edits import (
    AddMeasurement,
    AddTimepoint,
    CreateLesion,
    MoveMeasurement,
    SetStatus,
)
from measurement.model import Lesion, LesionKind, Timepoint
from measurement.reading import Reading
from measurement.table import LesionTable
from tests.reading_fixtures import caliper, sample_reading
from viewer.volume import Calibration


class FakeEngine:
    """Stands in for measurement.recist.evaluate with fixed answers; counts calls."""

    def __init__(self, result):
        self.result = result
        self.cases = []

    def __call__(self, case):
        self.cases.append(case)
        return self.result


EVALUATION = {
    "timepoints": [
        {"id": "T0", "sum_mm": 49.0, "baseline_sum_mm": 49.0, "target": None},
        {
            "id": "T1",
            "sum_mm": 30.0,
            "baseline_sum_mm": 49.0,
            "nadir_mm": 49.0,
            "change_from_baseline_pct": -38.77551,
            "change_from_nadir_pct": -38.77551,
            "target": "PR",
            "non_target": "Non-CR/Non-PD",
            "new_lesions": "equivocal",
            "overall": "PR",
            "margin": {"to_pd_mm": 28.8, "to_pr_mm": 4.3, "text": "SD if it grows"},
            "notes": ["X1 equivocal"],
        },
    ],
    "best_overall_response": "PR",
    "warnings": [
        {
            "lesion": "L2",
            "rule": "node-size",
            "section": "RECIST 1.1 section 3.1.1",
            "message": "L2: a node target needs SA >= 15 mm",
        }
    ],
}


def test_rows_columns_and_cells():
    table = LesionTable(sample_reading(), FakeEngine(EVALUATION))
    assert (table.row_count, table.column_count) == (4, 2)
    assert table.row_header(0) == "L1 liver segment VII (target)"
    assert table.row_header(1) == "L2 mediastinal node (node, target)"
    assert table.column_header(0) == "T0 2026-01-12 (baseline)"
    assert table.column_header(1) == "T1 2026-03-20"
    assert table.cell(0, 0).text == "32.0 mm"
    assert table.cell(0, 0).measurement_id == "M1"
    assert table.cell(0, 1).image.sop_uid == "1.2.9.2"
    assert table.cell(1, 0).text == "24.0 × 17.0 mm"
    assert table.cell(1, 1).text == "too small (5 mm)"
    assert table.cell(1, 1).status == "too-small"
    assert table.cell(2, 1).text == "present"
    assert table.cell(3, 0).text == ""
    assert table.cell(3, 1).text == "equivocal"


def test_uncalibrated_cell_says_so():
    reading = sample_reading()
    px = Calibration(unit="px", trusted=False)
    m = caliper("M4", "T1", (0, 0, 0), 40.0, "L1")
    reading.execute(AddMeasurement(m.__class__(**{**m.__dict__, "calibration": px})))
    cell = LesionTable(reading, FakeEngine(EVALUATION)).cell(0, 1)
    assert cell.text == "40.0 px (uncalibrated)"
    assert not cell.calibrated


def test_footers_show_the_engine_values_to_one_decimal():
    table = LesionTable(sample_reading(), FakeEngine(EVALUATION))
    column = {table.footer_title(f): table.footer(f, 1) for f in range(8)}
    assert column == {
        "Sum of diameters": "30.0 mm",
        "Change from baseline": "-38.8%",
        "Change from nadir": "-38.8%",
        "Target response": "PR",
        "Non-target response": "Non-CR/Non-PD",
        "New lesions": "equivocal",
        "Overall response": "PR",
        "Response margin": "SD if it grows",
    }
    assert table.footer(0, 0) == "49.0 mm"
    assert table.footer(7, 0) == ""
    assert table.best_overall_response == "PR"
    assert table.margin(1)["to_pd_mm"] == 28.8
    assert table.notes(1) == ["X1 equivocal"]
    expected = "L2: a node target needs SA >= 15 mm (RECIST 1.1 section 3.1.1)"
    assert table.warnings() == [expected]
    assert table.lesion_warnings(1) == [expected]
    assert table.lesion_warnings(0) == []


def test_the_engine_runs_once_per_change_and_follows_a_dragged_caliper():
    reading = sample_reading()
    engine = FakeEngine(EVALUATION)
    table = LesionTable(reading, engine)
    table.footer(0, 1)
    table.footer(3, 1)
    assert len(engine.cases) == 1
    reading.preview(MoveMeasurement("M2", ((10, -4.5, 120), (30, -4.5, 120))))
    table.footer(0, 1)
    assert len(engine.cases) == 2
    assert engine.cases[-1]["lesions"][0]["measurements"]["T1"]["long_mm"] == 20.0
    assert table.cell(0, 1).text == "20.0 mm"
    table.close()
    reading.cancel_preview()
    table.footer(0, 1)
    assert len(engine.cases) == 2


def test_an_engine_refusal_is_kept_as_a_message():
    def refuse(case):
        raise ValueError("lesions[1].measurements.T0.short_mm: a node needs its SA")

    table = LesionTable(sample_reading(), refuse)
    assert table.footer(0, 1) == ""
    assert "short_mm" in table.evaluation_error


def test_with_the_real_engine_worked_example_1_is_pr():
    reading = Reading()
    reading.execute(AddTimepoint(Timepoint("T0", "1.2.3", "2026-01-12", True)))
    reading.execute(AddTimepoint(Timepoint("T1", "1.2.4", "2026-03-20")))
    number = 0
    for row, (before, after) in enumerate([(30, 20), (20, 15), (10, 7)], start=1):
        reading.execute(
            CreateLesion(Lesion(f"L{row}", LesionKind.TARGET, organ=f"o{row}"))
        )
        for tid, length in (("T0", before), ("T1", after)):
            number += 1
            start = (0.0, 20.0 * row, 0.0)
            reading.execute(
                AddMeasurement(
                    caliper(f"M{number}", tid, start, float(length), f"L{row}")
                )
            )
    reading.execute(CreateLesion(Lesion("N1", LesionKind.NON_TARGET, organ="bone")))
    reading.execute(SetStatus("N1", "T0", "present"))
    reading.execute(SetStatus("N1", "T1", "present"))
    table = LesionTable(reading)
    titles = [table.footer_title(f) for f in range(table.footer_count)]
    column = dict(zip(titles, (table.footer(f, 1) for f in range(8)), strict=True))
    assert column["Sum of diameters"] == "42.0 mm"
    assert column["Change from baseline"] == "-30.0%"
    assert column["Target response"] == "PR"
    assert column["Overall response"] == "PR"


def test_with_the_real_engine_the_sample_reading_is_pr():
    table = LesionTable(sample_reading())
    assert table.evaluation_error == ""
    # baseline: L1 32 mm + node L2 SA 17 mm; follow-up: 25 mm + too small 5 mm
    assert [table.footer(0, c) for c in range(2)] == ["49.0 mm", "30.0 mm"]
    assert table.footer(1, 1) == "-38.8%"
    assert [table.footer(f, 1) for f in (3, 4, 5, 6)] == [
        "PR",
        "Non-CR/Non-PD",
        "equivocal",
        "PR",
    ]
    # PR holds until the sum passes 70% of 49 mm = 34.3 mm
    assert table.margin(1)["to_pr_mm"] == pytest.approx(4.3)


def test_with_the_real_engine_an_unfinished_target_explains_itself():
    reading = sample_reading()
    reading.execute(CreateLesion(Lesion("L3", LesionKind.TARGET, organ="lung")))
    table = LesionTable(reading)
    assert table.footer(0, 1) == ""
    assert table.evaluation_error == (
        "L3 is a target without a measurement at the baseline (T0): measure it "
        "there, or delete the lesion (right-click its row); until then no sum or "
        "response can be given"
    )


def test_a_timepoint_nobody_has_read_shows_no_verdict():
    from measurement.model import ReadingState, Timepoint
    from measurement.reading import Reading
    from measurement.table import LesionTable

    state = ReadingState(
        patient_id="P",
        timepoints=(
            Timepoint("T0", "1.1", "2026-01-01", baseline=True),
            Timepoint("T1", "1.2", "2026-03-01"),
        ),
    )
    table = LesionTable(Reading(state))
    texts = [
        table.footer(row, column)
        for row in range(table.footer_count)
        for column in range(table.column_count)
    ]
    assert set(texts) == {""}
