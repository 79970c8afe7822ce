"""Window presets come from the middle slice, the one shown first (PS3.3 C.11.2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.dicom_factory import SAGITTAL, image, write
from viewer import load_series
from viewer.viewport import Viewport


def _windowed_stack(folder: Path, explanation: str | None) -> None:
    # Five slices, each windowed for its own content: edges narrow, middle wide.
    windows = [(21, 53), (300, 700), (624, 1304), (310, 710), (20, 50)]
    for n, (center, width) in enumerate(windows):
        extra = {"WindowCenterWidthExplanation": explanation} if explanation else {}
        ds = image(
            np.zeros((4, 5), np.uint16),
            position=(10.0 - 2 * n, 0.0, 0.0),
            orientation=SAGITTAL,
            instance=n + 1,
            intercept=0.0,
            WindowCenter=str(center),
            WindowWidth=str(width),
            **extra,
        )
        # File names run against the slice order, so the first file is no help.
        write(ds, folder / f"IM{4 - n}")


def test_presets_are_the_middle_slice_window_named_file(tmp_path: Path) -> None:
    _windowed_stack(tmp_path, None)
    volume = load_series(tmp_path, workers=0)
    assert [(p.name, p.center, p.width) for p in volume.window_presets] == [
        ("File", 624.0, 1304.0)
    ]


def test_presets_are_named_by_their_explanation(tmp_path: Path) -> None:
    _windowed_stack(tmp_path, "BRAIN")
    volume = load_series(tmp_path, workers=0)
    assert [(p.name, p.center, p.width) for p in volume.window_presets] == [
        ("BRAIN", 624.0, 1304.0)
    ]


def test_several_unnamed_presets_are_numbered(tmp_path: Path) -> None:
    ds = image(
        np.zeros((4, 5), np.int16),
        WindowCenter=["40", "-600"],
        WindowWidth=["400", "1500"],
    )
    write(ds, tmp_path / "IM0")
    volume = load_series(tmp_path, workers=0)
    assert [p.name for p in volume.window_presets] == ["File", "File 2"]


@pytest.mark.realdata
def test_sagittal_mr_opens_in_the_middle_slice_window(shared_data: Path, qtbot) -> None:
    volume = load_series(shared_data / "siemens_mr_t1_sag_jpegll_fragmented")
    assert (volume.window_presets[0].center, volume.window_presets[0].width) == (
        624.0,
        1304.0,
    )
    viewport = Viewport("Current")
    qtbot.addWidget(viewport)
    viewport.set_volume(volume)
    assert viewport.slice_index == 48
    assert viewport.overlay_corners()[2][0] == "W 1304  L 624  File"
    # The brain (the middle slice's upper 98th percentile) is not saturated.
    window = viewport.window
    top = window.center + window.width / 2
    assert np.percentile(volume.voxels[48], 98) < top
