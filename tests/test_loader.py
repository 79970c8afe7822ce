"""Loading stacks: order along the normal, true geometry, values, calibration."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from tests.dicom_factory import CORONAL, SAGITTAL, enhanced_ct, image, stack, write
from viewer import load_series, scan
from viewer.loader import LoadCancelled, LoadError, SeriesLoader


def _load(folder: Path, **kwargs):
    (series,) = [s for s in scan([folder]).all_series() if s.is_volume]
    return load_series(series, **kwargs)


def test_slices_sorted_by_position_not_name_or_instance(tmp_path: Path) -> None:
    stack(tmp_path, 5, names=[3, 0, 4, 1, 2], instances=[2, 5, 1, 4, 3])
    volume = _load(tmp_path)
    assert volume.shape == (5, 6, 8)
    assert volume.slice_positions_lps_mm[:, 2].tolist() == [50, 52, 54, 56, 58]
    assert volume.voxels[:, 3, 3].tolist() == [0, 100, 200, 300, 400]
    assert volume.voxels[2, 0].tolist() == list(range(8))  # row 0 holds column index
    assert volume.slice_steps_mm.tolist() == pytest.approx([2.0] * 4)
    assert volume.is_uniform and volume.warnings == ()
    assert volume.to_patient([4, 2, 3]).tolist() == pytest.approx([-8.0, -19.0, 56.0])


def test_feet_first_descending_positions_still_increase_along_normal(
    tmp_path: Path,
) -> None:
    stack(tmp_path, 4, step=(0, 0, -2.5), origin=(0, 0, 0))
    volume = _load(tmp_path)
    assert volume.slice_positions_lps_mm[:, 2].tolist() == [-7.5, -5.0, -2.5, 0.0]
    assert volume.voxels[:, 3, 3].tolist() == [300, 200, 100, 0]


def test_gantry_tilt_keeps_sheared_positions(tmp_path: Path) -> None:
    angle = np.radians(18.5)
    orientation = (1, 0, 0, 0, np.cos(angle), -np.sin(angle))
    # Table moves along z by 2.5 mm; the tilted planes are 2.5*cos apart.
    stack(tmp_path, 4, step=(0, 0, 2.5), orientation=orientation)
    volume = _load(tmp_path)
    assert volume.slice_steps_mm == pytest.approx([2.5 * np.cos(angle)] * 3, abs=1e-4)
    assert volume.to_patient([0, 0, 3]).tolist() == pytest.approx([-10, -20, 57.5])
    # Ten rows down the tilted column direction: 5 mm along (0, cos, -sin).
    assert volume.to_patient([0, 10, 0]).tolist() == pytest.approx(
        [-10, -20 + 5 * np.cos(angle), 50 - 5 * np.sin(angle)], abs=1e-4
    )


@pytest.mark.parametrize(
    ("orientation", "step", "axis"),
    [(SAGITTAL, (3.0, 0, 0), 0), (CORONAL, (0, -1.5, 0), 1)],
)
def test_sagittal_and_coronal_stacks(
    tmp_path: Path, orientation, step, axis: int
) -> None:
    stack(tmp_path, 3, step=step, orientation=orientation, names=[2, 0, 1])
    series = scan([tmp_path]).all_series()[0]
    assert series.orientation == ("SAGITTAL" if axis == 0 else "CORONAL")
    volume = load_series(series)
    assert volume.slice_step_mm == pytest.approx(abs(step[axis]))
    point = volume.to_patient([2.0, 1.0, 1.0])
    assert volume.from_patient(point).tolist() == pytest.approx([2.0, 1.0, 1.0])


def test_non_square_pixels_caliper(tmp_path: Path) -> None:
    stack(tmp_path, 2, spacing=(0.5, 0.8))
    volume = _load(tmp_path)
    assert volume.pixel_spacing_mm == (0.5, 0.8)
    # Along a row (i) pixels are 0.8 mm apart (column spacing); down a column 0.5.
    assert volume.length_mm([0, 0, 0], [5, 0, 0]) == pytest.approx(4.0)
    assert volume.length_mm([0, 0, 0], [0, 4, 0]) == pytest.approx(2.0)
    assert volume.length_mm([0, 0, 0], [5, 0, 1]) == pytest.approx(np.hypot(4, 2))


def test_non_uniform_spacing_is_kept_per_slice(tmp_path: Path) -> None:
    for n, z in enumerate([0.0, 4.0, 8.0, 9.08, 16.08, 23.08]):
        thickness = 4.0 if n < 3 else 7.0
        ds = image(
            np.full((4, 4), n, np.int16), position=(0, 0, z), thickness=thickness
        )
        write(ds, tmp_path / f"s{n}")
    volume = _load(tmp_path)
    assert volume.slice_steps_mm.tolist() == pytest.approx([4, 4, 1.08, 7, 7])
    assert not volume.is_uniform
    # Told as uneven spacing and mixed thickness, never as missing slices.
    assert [w.split(":")[0] for w in volume.warnings] == [
        "non-uniform slice spacing",
        "mixed Slice Thickness (0018,0050)",
    ]
    assert volume.to_patient([0, 0, 3.5])[2] == pytest.approx(12.58)


def test_missing_slice_is_reported_not_papered_over(tmp_path: Path) -> None:
    paths = stack(tmp_path, 6)
    paths[2].unlink()
    volume = _load(tmp_path)
    assert volume.shape[0] == 5
    assert volume.slice_steps_mm.tolist() == pytest.approx([2, 4, 2, 2])
    assert any(
        "1 slice(s) missing between 52.00 mm and 56.00 mm" in w for w in volume.warnings
    )


def test_enhanced_multiframe_per_frame_rescale_and_order(tmp_path: Path) -> None:
    positions = [(0, 0, z) for z in (6.0, 0.0, 3.0)]
    ds = enhanced_ct(positions, [1100, 1000, 1050], [1.0, 2.0, 0.5])
    write(ds, tmp_path / "enh.dcm")
    volume = _load(tmp_path)
    assert volume.slice_positions_lps_mm[:, 2].tolist() == [0.0, 3.0, 6.0]
    # value * slope - 1000 per frame; a fractional slope gives float32.
    assert volume.voxels.dtype == np.float32
    assert volume.voxels[:, 0, 0].tolist() == [1000.0, -475.0, 100.0]
    assert volume.pixel_spacing_mm == (0.7, 0.9)
    assert [uid for uid in volume.sop_instance_uids] == [ds.SOPInstanceUID] * 3


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian])
def test_byte_order_and_sign(tmp_path: Path, syntax: str) -> None:
    pixels = np.array([[-1000, 258], [32767, -32768]], dtype=np.int16)
    for n in range(2):
        ds = image(pixels, position=(0, 0, n), intercept=0.0)
        write(ds, tmp_path / f"s{n}", syntax)
    volume = _load(tmp_path)
    assert volume.voxels.dtype == np.int16
    assert volume.voxels[0].tolist() == pixels.tolist()


def test_bits_stored_masks_and_sign_extends(tmp_path: Path) -> None:
    # 12-bit signed -5 stored in 16 bits with junk above bit 11.
    raw = np.array([[0x0FFB | 0x7000, 100]], dtype=np.uint16).view(np.int16)
    ds = image(raw, bits_stored=12, intercept=0.0)
    write(ds, tmp_path / "s0")
    assert _load(tmp_path).voxels[0].tolist() == [[-5, 100]]


def test_values_beyond_int16_become_float32(tmp_path: Path) -> None:
    pixels = np.array([[60000, 5]], dtype=np.uint16)
    for n in range(3):
        write(image(pixels, position=(0, 0, n), intercept=-10.0), tmp_path / f"s{n}")
    volume = _load(tmp_path)
    assert volume.voxels.dtype == np.float32
    assert volume.voxels[:, 0, 0].tolist() == [59990.0] * 3
    assert volume.voxels[:, 0, 1].tolist() == [-5.0] * 3


def _encoded(tmp_path: Path, syntax: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 4000, size=(64, 64), dtype=np.uint16)
    for n in range(2):
        ds = image(pixels, position=(0, 0, 2.0 * n), bits_stored=12, intercept=-1024.0)
        if syntax == DeflatedExplicitVRLittleEndian:
            write(ds, tmp_path / f"s{n}", syntax)
        else:
            ds.compress(syntax, pixels)
            ds.save_as(tmp_path / f"s{n}", enforce_file_format=True)
    return pixels.astype(np.int16) - 1024


@pytest.mark.parametrize(
    "syntax",
    [RLELossless, JPEGLSLossless, JPEG2000Lossless, DeflatedExplicitVRLittleEndian],
)
def test_compressed_syntaxes_decode_exactly(tmp_path: Path, syntax: str) -> None:
    expected = _encoded(tmp_path, syntax)
    volume = _load(tmp_path)
    assert volume.voxels[1].tolist() == expected.tolist()


def test_undecodable_syntax_names_it(tmp_path: Path) -> None:
    for n in range(2):
        ds = image(np.zeros((4, 4), np.int16), position=(0, 0, n))
        ds.PixelData = encapsulate([b"\x00\x00\x01\xb3" + b"\x00" * 28])
        ds["PixelData"].VR = "OB"
        write(ds, tmp_path / f"s{n}", "1.2.840.10008.1.2.4.100")
    with pytest.raises(LoadError, match=r"1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2"):
        _load(tmp_path)


def test_monochrome1_windows_and_voi_lut(tmp_path: Path) -> None:
    lut = Dataset()
    lut.LUTDescriptor = [4, 10, 8]
    lut.LUTData = np.array([0, 80, 160, 255], dtype="<u2").tobytes()
    lut.LUTExplanation = "Soft"
    ds = image(
        np.zeros((2, 2), np.int16),
        photometric="MONOCHROME1",
        WindowCenter=["40", "-600"],
        WindowWidth=["400", "1500"],
        WindowCenterWidthExplanation=["MEDIASTINUM", "LUNG"],
    )
    ds.VOILUTSequence = DicomSequence([lut])
    write(ds, tmp_path / "s0")
    volume = _load(tmp_path)
    assert volume.monochrome1
    presets = [(p.name, p.center, p.width) for p in volume.window_presets]
    assert presets[:2] == [("MEDIASTINUM", 40.0, 400.0), ("LUNG", -600.0, 1500.0)]
    (voi,) = volume.voi_luts
    assert (voi.name, voi.first_mapped, voi.table.tolist()) == (
        "Soft",
        10,
        [0, 80, 160, 255],
    )
    assert presets[2] == ("Soft", 10 - 1024 + 1.5, 3.0)


def test_calibration_never_guesses_millimetres(tmp_path: Path) -> None:
    write(image(np.zeros((2, 2), np.int16), spacing=None), tmp_path / "a" / "s0")
    volume = _load(tmp_path / "a")
    assert volume.calibration.unit == "px" and not volume.calibration.trusted
    assert "no Pixel Spacing (0028,0030)" in volume.calibration.note

    ds = image(
        np.zeros((2, 2), np.int16), spacing=None, ImagerPixelSpacing=["0.2", "0.2"]
    )
    ds.EstimatedRadiographicMagnificationFactor = "1.25"
    write(ds, tmp_path / "b" / "s0")
    volume = _load(tmp_path / "b")
    assert volume.pixel_spacing_mm == pytest.approx((0.16, 0.16))
    assert volume.calibration.unit == "mm" and not volume.calibration.trusted
    assert "Estimated Radiographic Magnification Factor 1.25" in volume.calibration.note

    ds = image(
        np.zeros((2, 2), np.int16), spacing=None, ImagerPixelSpacing=["0.2", "0.3"]
    )
    write(ds, tmp_path / "c" / "s0")
    volume = _load(tmp_path / "c")
    assert volume.pixel_spacing_mm == (0.2, 0.3)
    assert volume.calibration.note.startswith("Imager Pixel Spacing only")

    region = Dataset()
    region.PhysicalUnitsXDirection = 3
    region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = 0.02
    region.PhysicalDeltaY = 0.025
    ds = image(
        np.zeros((2, 2), np.uint16), spacing=None, position=None, orientation=None
    )
    ds.SequenceOfUltrasoundRegions = DicomSequence([region])
    write(ds, tmp_path / "d" / "s0")
    volume = _load(tmp_path / "d")
    assert volume.pixel_spacing_mm == pytest.approx((0.25, 0.2))
    assert volume.calibration.trusted and "ultrasound" in volume.calibration.note
    assert any("flat image" in w for w in volume.warnings)


def test_load_from_zip_member(tmp_path: Path) -> None:
    files = stack(tmp_path / "src", 3, names=[2, 0, 1])
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in files:
            out.write(path, path.name)
    volume = load_series(archive)
    assert volume.voxels[:, 3, 3].tolist() == [0, 100, 200]


def test_load_series_from_paths_refuses_several_stacks(tmp_path: Path) -> None:
    stack(tmp_path / "a", 2)
    stack(tmp_path / "b", 2, series_uid="1.2.3.4")
    message = (
        r"^2 image stacks found: 2024-01-01 10:15 series 3 Axial 2 mm \(2 images\); "
        r"2024-01-01 10:15 series 3 Axial 2 mm \(2 images\)\. Pass the folder of "
        r"one series \('nadir index' lists them\)$"
    )
    with pytest.raises(LoadError, match=message):
        load_series(tmp_path)
    assert load_series(tmp_path / "b").shape == (2, 6, 8)


def test_priority_slice_is_decoded_first_and_progress_counts(tmp_path: Path) -> None:
    stack(tmp_path, 7)
    (series,) = scan([tmp_path]).all_series()
    order: list[int] = []
    progress: list[tuple[int, int]] = []
    loader = SeriesLoader(
        series,
        workers=0,
        on_slice=order.append,
        progress=lambda d, t: progress.append((d, t)),
    )
    assert loader.volume.shape == (7, 6, 8)  # allocated before decoding
    assert not loader.is_loaded(5)
    loader.start(priority_slice=5)
    assert order == [5, 6, 4, 3, 2, 1, 0]
    assert progress[-1] == (7, 7)
    volume = loader.wait()
    assert volume.voxels[5, 3, 3] == 500


def test_threaded_load_matches_and_cancel_raises(tmp_path: Path) -> None:
    stack(tmp_path, 12)
    (series,) = scan([tmp_path]).all_series()
    volume = load_series(series, workers=3)
    assert volume.voxels[:, 3, 3].tolist() == [100 * n for n in range(12)]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoadCancelled, match="cancelled"):
        load_series(series, cancel=cancel, workers=2)


def test_mixed_positions_missing_is_refused(tmp_path: Path) -> None:
    stack(tmp_path, 2)
    write(image(np.zeros((6, 8), np.int16), position=None, instance=9), tmp_path / "x")
    (series,) = scan([tmp_path]).all_series()
    with pytest.raises(
        LoadError, match=r"Image Position/Orientation \(Patient\) missing"
    ):
        load_series(series)


def test_a_slice_that_fails_to_decode_is_blank_and_reported(tmp_path: Path) -> None:
    _encoded(tmp_path, RLELossless)
    stack_file = tmp_path / "s1"
    data = bytearray(stack_file.read_bytes())
    # Destroy the RLE header (segment count) of the second slice's only fragment.
    start = data.rfind(b"\xfe\xff\x00\xe0") + 8
    data[start : start + 64] = b"\xff" * 64
    stack_file.write_bytes(bytes(data))
    volume = _load(tmp_path)
    assert volume.voxels[1].min() == volume.voxels[1].max() == 0
    (warning,) = [w for w in volume.warnings if "blank" in w]
    assert warning.startswith("slice 2 at 2.00 mm along the normal is blank: ")
    assert "s1" in warning and "RLE Lossless" in warning


def test_threaded_loader_reports_loaded_slices(tmp_path: Path) -> None:
    stack(tmp_path, 9)
    (series,) = scan([tmp_path]).all_series()
    seen: list[int] = []
    lock = threading.Lock()

    def on_slice(k: int) -> None:
        with lock:
            seen.append(k)

    loader = SeriesLoader(series, workers=2, on_slice=on_slice)
    loader.start(priority_slice=8)
    loader.focus(0)
    volume = loader.wait()
    assert sorted(seen) == list(range(9))
    assert all(loader.is_loaded(k) for k in range(9))
    assert volume.voxels[8, 3, 3] == 800
    with pytest.raises(RuntimeError, match="starts once"):
        loader.start()


def test_modality_lut_table_is_reported_not_silently_ignored(tmp_path: Path) -> None:
    lut = Dataset()
    lut.LUTDescriptor = [2, 0, 16]
    lut.LUTData = np.array([0, 1], dtype="<u2").tobytes()
    ds = image(np.zeros((2, 2), np.int16))
    ds.ModalityLUTSequence = DicomSequence([lut])
    write(ds, tmp_path / "s0")
    (warning,) = [w for w in _load(tmp_path).warnings if "Modality LUT" in w]
    assert warning.startswith("Modality LUT Sequence (0028,3000) is not applied")
