"""Key images: window choice, caliper placement and labels."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from reporting_testdata import case_for, headers_by_uid, write_studies

from reporting.keyimages import default_window, key_images, render_file, windowed
from reporting.qtsupport import locale_for

# The application's QApplication first, so the report's QGuiApplication is not
# the one widget tests later find.
pytestmark = pytest.mark.usefixtures("qapp")


def test_window_follows_the_lesions_organ(tmp_path):
    header = write_studies(tmp_path)[0][1]
    pixels = np.zeros((4, 4))
    assert default_window(header, pixels, "lung") == (-600.0, 1500.0)
    assert default_window(header, pixels, "liver") == (60.0, 160.0)
    assert default_window(header, pixels, "kidney") == (40.0, 400.0)
    bare = Dataset()
    ramp = np.arange(101, dtype=float).reshape(1, -1)
    assert default_window(bare, ramp, "lung") == (50.0, 98.0)


def test_linear_window_maps_the_edges_to_black_and_white():
    grey = windowed(np.array([[-160.0, 40.0, 240.0, 1000.0]]), 40.0, 400.0)
    assert grey.tolist() == [[0, 128, 255, 255]]
    assert windowed(np.array([[-160.0]]), 40.0, 400.0, invert=True).tolist() == [[255]]


def test_calipers_land_on_the_measured_pixels(qapp, tmp_path):
    studies = write_studies(tmp_path)
    case = case_for(studies)
    headers = headers_by_uid(studies)
    keys = key_images(
        case, headers, "de", locale_for("de"), [str(studies[2][0].SOPInstanceUID)]
    )
    assert [k.timepoint for k in keys] == ["T0", "T1", "T2", "T2"]
    assert [c.label for c in keys[1].calipers] == ["L1 10,0 mm", "L2 13,4 × 9,4 mm"]
    # L1 at T1: 10 mm centred on x = -6 mm, 0.8 mm pixels from -19.2 mm
    assert keys[1].calipers[0].start_px == pytest.approx((10.75, 19.5))
    assert keys[1].calipers[0].end_px == pytest.approx((23.25, 19.5))
    assert keys[3].calipers == []
    image, _ = render_file(studies[1][1].filename, keys[1].calipers, 480)
    assert (image.width(), image.height()) == (480, 480)
    # the caliper is drawn in yellow along row 19.5 * 10 px
    on = image.pixelColor(170, 195)
    assert on.red() > 240 and on.green() > 200 and on.blue() < 20
    off = image.pixelColor(170, 215)
    assert off.red() == off.green() == off.blue()  # grey image, no caliper


def test_key_images_carry_orientation_letters_and_a_scale_bar(qapp):
    import numpy as np
    from PySide6.QtGui import QColor

    from reporting.imagegeom import ImagePlane
    from reporting.keyimages import render_key_image

    plane = ImagePlane(
        origin_lps_mm=np.zeros(3),
        row_cosine=np.array([1.0, 0.0, 0.0]),
        column_cosine=np.array([0.0, 1.0, 0.0]),
        spacing_mm=(0.5, 0.5),
        rows=400,
        columns=400,
    )
    grey = np.zeros((400, 400), dtype=np.uint8)

    def yellow_in(image, x0, x1, y0, y1):
        return sum(
            QColor(image.pixel(x, y)).red() > 150
            and QColor(image.pixel(x, y)).blue() < 160
            for x in range(x0, x1)
            for y in range(y0, y1)
        )

    bare = render_key_image(grey, [], 400)
    marked = render_key_image(grey, [], 400, plane=plane, window=(40, 400))
    # "R" at the left edge, the scale bar in the lower right corner
    assert yellow_in(bare, 0, 30, 180, 220) == 0
    assert yellow_in(marked, 0, 30, 180, 220) > 5
    # 400 px show 200 mm: 2 px per mm, a 50 mm bar of 100 px ends 10 px from the edge
    assert yellow_in(marked, 300, 392, 330, 380) > 50
    assert yellow_in(bare, 300, 392, 330, 380) == 0
