"""Window/level, orientation letters and scale bars."""

import numpy as np
import pytest

from viewer.render import (
    orientation_label,
    scale_bar_mm,
    window_slice,
    window_to_bytes,
)


def test_linear_window_follows_dicom_formula():
    # PS3.3 C.11.2.1.2.1: c=40, w=400 -> below -160.5 black, above 239.5 white
    values = np.array([-1000, -161, 39.5, 240, 3000], dtype=np.float32)
    out = window_to_bytes(values, 40, 400)
    assert out.tolist()[0:2] == [0, 0]
    assert out[2] == pytest.approx(127.8, abs=1)
    assert out.tolist()[3:] == [255, 255]


def test_lookup_table_matches_arithmetic_for_every_int16():
    values = np.arange(-32768, 32768, 7, dtype=np.int16).reshape(1, -1)
    for center, width, invert in [(40, 400, False), (-600, 1500, True), (0, 1, False)]:
        np.testing.assert_array_equal(
            window_slice(values, center, width, invert=invert),
            window_to_bytes(values, center, width, invert=invert),
        )


def test_monochrome1_inverts_after_windowing():
    values = np.array([[-1000, 1000]], dtype=np.int16)
    assert window_slice(values, 0, 100, invert=True).tolist() == [[255, 0]]


@pytest.mark.parametrize(
    ("direction", "letters"),
    [
        ((1, 0, 0), "L"),
        ((-1, 0, 0), "R"),
        ((0, 1, 0), "P"),
        ((0, 0, -1), "F"),
        ((0.8, -0.6, 0), "LA"),
        ((0, 0.9483, -0.3173), "PF"),
    ],
)
def test_orientation_letters(direction, letters):
    assert orientation_label(direction) == letters


def test_scale_bar_picks_the_longest_round_length_that_fits():
    assert scale_bar_mm(pixels_per_mm=1.42, available_px=100) == 50
    assert scale_bar_mm(pixels_per_mm=12, available_px=100) == 5
