"""Geometry the index tells the reader about: tilt, uneven steps, mixed thickness."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from tests.dicom_factory import image, write
from viewer import load_series, scan
from viewer.stack_notes import step_note, thickness_note, tilt_note

TILT_DEG = 18.5


def _tilted_head(folder: Path, header_tilt: str | None = "+18.5") -> None:
    """GE-like: table steps 4, 4, 1.08/cos, 7, 7 mm; 4 mm then 7 mm thick; tilted."""
    angle = np.radians(TILT_DEG)
    orientation = (1, 0, 0, 0, np.cos(angle), -np.sin(angle))
    normal_steps = [4.0, 4.0, 1.08, 7.0, 7.0]
    table = np.concatenate([[0.0], np.cumsum(normal_steps) / np.cos(angle)])
    thicknesses = [4.0, 4.0, 4.0, 7.0, 7.0, 7.0]
    for n, z in enumerate(table):
        extra = {"GantryDetectorTilt": header_tilt} if header_tilt else {}
        ds = image(
            np.zeros((4, 5), np.int16),
            position=(0.0, 0.0, float(z)),
            orientation=orientation,
            thickness=thicknesses[n],
            instance=n + 1,
            **extra,
        )
        write(ds, folder / f"IM{n}")


def test_tilt_steps_and_thicknesses_become_notes_with_their_values(
    tmp_path: Path,
) -> None:
    _tilted_head(tmp_path)
    (series,) = scan([tmp_path]).all_series()
    tilt, spacing, thickness = series.notes
    assert tilt.startswith("gantry tilt 18.5 deg: the slices are sheared")
    assert "Gantry/Detector Tilt (0018,1120) +18.5 deg" in tilt
    assert "steps along the normal are 4.00 mm (2x), 1.08 mm (1x), 7.00 mm (2x)" in (
        spacing
    )
    assert "4 mm (3 slices), 7 mm (3 slices)" in thickness
    assert "counts as 7 mm" in thickness
    # The loaded volume carries the same notes as warnings for the viewer.
    volume = load_series(series, workers=0)
    assert set(series.notes) <= set(volume.warnings)


def test_tilt_from_geometry_alone_and_from_the_header_alone(tmp_path: Path) -> None:
    _tilted_head(tmp_path / "a", header_tilt=None)
    (series,) = scan([tmp_path / "a"]).all_series()
    assert series.notes[0].startswith("gantry tilt 18.5 deg")
    assert "0018,1120" not in series.notes[0]
    write(image(np.zeros((4, 5), np.int16), GantryDetectorTilt="-12"), tmp_path / "b")
    (single,) = scan([tmp_path / "b"]).all_series()
    assert single.notes == ["gantry tilt: Gantry/Detector Tilt (0018,1120) -12.0 deg"]


def test_a_regular_stack_has_no_notes(tmp_path: Path) -> None:
    for n in range(4):
        ds = image(np.zeros((4, 5), np.int16), position=(0, 0, 2.5 * n), instance=n)
        write(ds, tmp_path / f"IM{n}")
    (series,) = scan([tmp_path]).all_series()
    assert series.notes == []


def test_note_helpers_tolerate_rounding() -> None:
    assert step_note([2.37, 2.38, 2.371, 2.36]) == ""
    assert step_note([5.0, 5.0, 2.5]).startswith(
        "non-uniform slice spacing: steps along the normal are 5.00 mm (2x), "
        "2.50 mm (1x)"
    )
    assert thickness_note([2.5, 2.5, None, 2.5001]) == ""
    assert tilt_note(0.2, 0.0) == "" and tilt_note(None, None) == ""


def test_notes_reach_index_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tilted_head(tmp_path)
    assert main(["index", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "        note: gantry tilt 18.5 deg" in text
    assert main(["index", "--json", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    notes = data["patients"][0]["studies"][0]["series"][0]["notes"]
    assert [n.split(":")[0] for n in notes] == [
        "gantry tilt 18.5 deg",
        "non-uniform slice spacing",
        "mixed Slice Thickness (0018,0050)",
    ]


@pytest.mark.realdata
def test_real_tilted_scans_get_notes(shared_data: Path) -> None:
    ge = scan([shared_data / "ge_ct_head_tilt_varspacing"]).all_series()[0]
    assert [n.split(":")[0] for n in ge.notes] == [
        "gantry tilt 18.5 deg",
        "non-uniform slice spacing",
        "mixed Slice Thickness (0018,0050)",
    ]
    assert "4.00 mm (13x), 1.08 mm (1x), 7.00 mm (13x)" in ge.notes[1]
    assert "4 mm (14 slices), 7 mm (14 slices)" in ge.notes[2]
    cd = scan([shared_data / "philips_ct_phantom_2studies_cd" / "DICOM" / "S21610"])
    (stereotaxis,) = [
        s for s in cd.all_series() if s.series_description == "STEREOTAXIS"
    ]
    assert len(stereotaxis.notes) == 1
    assert stereotaxis.notes[0].startswith("gantry tilt 18.5 deg")
    assert "Gantry/Detector Tilt (0018,1120) -18.5 deg" in stereotaxis.notes[0]
    (plain,) = [
        s
        for s in scan([shared_data / "philips_ct_phantom_2studies_cd"]).all_series()
        if s.series_description == "STD BRAIN 5MM"
    ]
    assert plain.notes == []
