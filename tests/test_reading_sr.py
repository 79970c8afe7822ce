"""A reading written as a TID 1500 measurement report and opened again."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from reporting_testdata import case_for, headers_by_uid, write_studies

from measurement.edits import SetStatus
from measurement.reading import Reading
from reporting.sr import read_sr, write_sr


def test_a_reading_survives_the_measurement_report(tmp_path):
    studies = write_studies(tmp_path / "src")
    reading = Reading.from_case(case_for(studies))
    reading.execute(SetStatus("N1", reading.state.timepoints[-1].id, "progression"))
    path = tmp_path / "sr.dcm"
    write_sr(path, reading.to_case(), headers_by_uid(studies))

    back = Reading.from_case(read_sr(path))
    assert back.state.timepoints == reading.state.timepoints
    assert back.state.lesions == reading.state.lesions
    assert back.state.statuses == reading.state.statuses
    pairs = zip(back.state.measurements, reading.state.measurements, strict=True)
    for restored, original in pairs:
        assert (restored.lesion_id, restored.timepoint_id, restored.tool) == (
            original.lesion_id,
            original.timepoint_id,
            original.tool,
        )
        # the report names each image's series too, which the case file left out
        assert restored.image.series_uid
        assert dataclasses.replace(restored.image, series_uid="") == (
            dataclasses.replace(original.image, series_uid="")
        )
        assert restored.long_mm == pytest.approx(original.long_mm)
        assert restored.short_mm == pytest.approx(original.short_mm)
        # end points pass through image coordinates: equal to a micrometre
        np.testing.assert_allclose(
            restored.points_lps_mm, original.points_lps_mm, atol=1e-3
        )
