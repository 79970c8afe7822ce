"""Every series of the real public scans loads (or is refused, saying why) with the
geometry its headers give; see ../shared/data/SOURCES.md for the figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from app.cli import main
from viewer import load_series, scan
from viewer.index import ScanResult, Series
from viewer.volume import Volume

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def everything(shared_data: Path) -> ScanResult:
    return scan([shared_data])


def _series(result: ScanResult, folder: str) -> list[Series]:
    return [
        s for s in result.all_series() if any(f"/{folder}/" in f.path for f in s.files)
    ]


def _check_against_headers(series: Series, volume: Volume) -> None:
    """Each slice's position, orientation and spacing equal its own header."""
    frames = sorted(
        series.files, key=lambda r: float(np.dot(volume.normal, r.position_lps_mm))
    )
    assert [r.sop_instance_uid for r in frames] == list(volume.sop_instance_uids)
    for k, ref in enumerate(frames):
        ds = pydicom.dcmread(ref.path, stop_before_pixels=True)
        if ref.frame is not None:
            group = ds.PerFrameFunctionalGroupsSequence[ref.frame - 1]
            position = group.PlanePositionSequence[0].ImagePositionPatient
            assert volume.slice_positions_lps_mm[k].tolist() == pytest.approx(
                [float(v) for v in position], abs=1e-4
            )
            continue
        assert volume.slice_positions_lps_mm[k].tolist() == pytest.approx(
            [float(v) for v in ds.ImagePositionPatient], abs=1e-4
        )
        iop = [float(v) for v in ds.ImageOrientationPatient]
        assert volume.row_cosine.tolist() == pytest.approx(iop[:3], abs=1e-4)
        assert volume.pixel_spacing_mm == pytest.approx(
            [float(v) for v in ds.PixelSpacing]
        )
    assert np.all(np.diff(volume.slice_positions_lps_mm @ volume.normal) > 0)
    middle = frames[len(frames) // 2]
    if middle.frame is None:
        # The voxels equal pydicom's own decoding with the rescale applied.
        ds = pydicom.dcmread(middle.path)
        slope = float(ds.get("RescaleSlope", 1) or 1)
        intercept = float(ds.get("RescaleIntercept", 0) or 0)
        expected = ds.pixel_array.astype(np.float64) * slope + intercept
        np.testing.assert_array_equal(volume.voxels[len(frames) // 2], expected)


def test_every_series_loads_or_is_refused_with_a_reason(everything: ScanResult) -> None:
    loaded = refused = 0
    for series in everything.all_series():
        if not series.is_volume:
            assert series.notes, series.series_description
            refused += 1
            continue
        volume = load_series(series)
        assert volume.shape[0] == series.count
        if series.files[0].position_lps_mm is not None:
            _check_against_headers(series, volume)
        loaded += 1
    assert (loaded, refused) >= (50, 7)


def test_problems_are_the_missing_cd_files_and_the_readme(
    everything: ScanResult,
) -> None:
    reasons = [p.reason for p in everything.problems]
    missing = [
        r
        for r in reasons
        if r.endswith("but missing; copy the whole disc or folder again")
    ]
    # 433 images named by the DICOMDIR, 89 present; 4 chained DIRFILEs absent.
    assert len(missing) == 344 + 4
    others = [p for p in everything.problems if "missing" not in p.reason]
    assert [Path(p.path).name for p in others] == ["SOURCES.md"]


def test_lidc_chest_ct(everything: ScanResult) -> None:
    (ct,) = [s for s in _series(everything, "lidc0001_ct_chest_nodule") if s.is_volume]
    volume = load_series(ct)
    assert volume.shape == (133, 512, 512)
    assert volume.pixel_spacing_mm == (0.703125, 0.703125)
    assert volume.slice_steps_mm == pytest.approx(np.full(132, 2.5))
    assert volume.voxels.dtype == np.int16
    assert volume.info.patient_id == "LIDC-IDRI-0001"
    # Air in front of the chest is about -1000 HU after the -1024 intercept; the
    # corners outside the reconstruction circle hold the padding value.
    assert -1050 < float(np.median(volume.voxels[60, 25:35, 200:300])) < -950
    assert int(volume.voxels[60, 0, 0]) == -2048
    seg = [s for s in _series(everything, "lidc0001_seg_nodule1")]
    assert not seg[0].is_volume and "Segmentation Storage" in seg[0].notes[0]


def test_ge_head_tilt_and_irregular_spacing(everything: ScanResult) -> None:
    (series,) = _series(everything, "ge_ct_head_tilt_varspacing")
    volume = load_series(series)
    steps = np.round(volume.slice_steps_mm, 2).tolist()
    assert steps == [4.0] * 13 + [1.08] + [7.0] * 13
    # Files 01-14 are 4 mm thick, 15-28 7 mm; the series counts as 7 mm.
    assert volume.slice_thicknesses_mm == (4.0,) * 14 + (7.0,) * 14
    assert series.slice_thickness_mm == volume.info.slice_thickness_mm == 7.0
    assert not volume.is_uniform
    # What the index says about tilt, steps and thickness, and nothing else.
    assert volume.warnings == tuple(series.notes) and len(series.notes) == 3
    assert volume.column_cosine.tolist() == pytest.approx(
        [0, 0.9483, -0.3173], abs=1e-4
    )


def test_philips_cd_two_studies_with_localizers_and_tilt(
    everything: ScanResult,
) -> None:
    (patient,) = [p for p in everything.patients if p.patient_id == "PLASTIC"]
    assert [s.study_time[:4] for s in patient.studies] == ["0928", "0934"]
    prior, current = patient.studies
    by_number = {s.series_number: s for s in prior.series}
    assert by_number[201].count == 28 and by_number[100].count == 1
    brain = load_series(by_number[201])
    assert brain.slice_steps_mm == pytest.approx(np.full(27, 5.0), abs=1e-3)
    tilted = next(s for s in current.series if s.series_number == 201)
    volume = load_series(tilted)
    assert volume.shape == (54, 512, 512)
    assert volume.slice_step_mm == pytest.approx(2.371, abs=1e-3)
    assert volume.pixel_spacing_mm == (0.482421875, 0.482421875)
    summaries = [s for s in current.series if s.series_number == 401]
    colour = [s for s in summaries if not s.is_volume]
    assert len(colour) == 3
    assert all("RGB" in s.notes[-1] for s in colour)


def test_philips_dicomdir_alone_finds_every_present_image(shared_data: Path) -> None:
    result = scan([shared_data / "philips_ct_phantom_2studies_cd" / "DICOMDIR"])
    assert sum(s.count for s in result.all_series()) == 89
    # The root DICOMDIR names images directly, not the chained DIRFILEs.
    assert len(result.problems) == 344


def test_siemens_sagittal_jpeg_lossless_fragmented(everything: ScanResult) -> None:
    (series,) = _series(everything, "siemens_mr_t1_sag_jpegll_fragmented")
    assert series.orientation == "SAGITTAL"
    volume = load_series(series)
    assert volume.shape == (96, 128, 128)
    assert volume.slice_steps_mm == pytest.approx(np.full(95, 2.0), abs=1e-3)
    assert volume.voxels.max() > 0


def test_nine_mosaic_encodings_give_identical_pixels(everything: ScanResult) -> None:
    mosaics = _series(everything, "siemens_mr_mosaic_9_transfer_syntaxes")
    assert sorted(s.series_number or 0 for s in mosaics) == list(range(1, 10))
    volumes = [load_series(s).voxels for s in mosaics]
    for voxels in volumes[1:]:
        np.testing.assert_array_equal(voxels, volumes[0])
    assert (int(volumes[0].min()), int(volumes[0].max())) == (0, 2362)
    assert all("MOSAIC" in " ".join(s.notes) for s in mosaics)


def test_philips_enhanced_mr_split_by_frame_type(everything: ScanResult) -> None:
    stacks = _series(everything, "philips_mr_enhanced_multiframe")
    assert len(stacks) == 2 and all(s.count == 32 for s in stacks)
    magnitude = next(
        s
        for s in stacks
        if s.stack_id.startswith("frame type ORIGINAL\\PRIMARY\\T1\\M")
    )
    field_map = next(s for s in stacks if "FIELD_MAP" in s.stack_id)
    assert [f.rescale_slope for f in magnitude.files[:1]] == pytest.approx(
        [1.27985], abs=1e-4
    )
    assert [f.rescale_slope for f in field_map.files[:1]] == pytest.approx(
        [0.2442], abs=1e-4
    )
    for series in (magnitude, field_map):
        volume = load_series(series)
        assert volume.shape == (32, 64, 64)
        assert volume.pixel_spacing_mm == (4.0, 4.0)
        assert volume.slice_steps_mm == pytest.approx(np.full(31, 4.0), abs=1e-3)
        assert volume.voxels.dtype == np.float32
    assert "split into 2 stacks" in magnitude.notes[0]
    assert magnitude.series_description == "B0 NS (magnitude)"
    assert field_map.series_description == "B0 NS (field map)"


def test_covid_and_rider_pairs(everything: ScanResult) -> None:
    covid = _series(everything, "covid19nysbu_ct_prior_current_slices")
    assert len(covid) == 18 and all(s.count == 1 for s in covid)
    orientations = sorted(s.orientation for s in covid)
    assert orientations == ["AXIAL"] * 6 + ["CORONAL"] * 6 + ["SAGITTAL"] * 6
    rider = [p for p in everything.patients if p.patient_id.startswith("RIDER")]
    assert (
        len(rider) == 2 and rider[0].patient_name == rider[1].patient_name == "281949"
    )
    for patient in rider:
        for study in patient.studies:
            for series in study.series:
                volume = load_series(series)
                expected = 5.0 if series.orientation == "AXIAL" else 1.0
                assert volume.slice_step_mm == pytest.approx(expected, abs=1e-3)


def test_sr_and_rwvm_are_listed(everything: ScanResult) -> None:
    objects = _series(everything, "qiicr_sr_tid1500_seg_example")
    notes = sorted(s.notes[0].split(":")[0] for s in objects)
    assert notes == [
        "Comprehensive SR Storage",
        "Real World Value Mapping Storage",
        "Segmentation Storage",
    ]


def test_nadir_index_lists_every_series_and_problem(
    shared_data: Path, everything: ScanResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["index", str(shared_data)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n    Series ") == len(everything.all_series())
    assert f"Problems ({len(everything.problems)}):" in out
    assert "SOURCES.md: not a DICOM file" in out
    # The 348 files missing from the Philips CD are counted per folder.
    cd = "philips_ct_phantom_2studies_cd"
    grouped = [line for line in out.splitlines() if " are missing" in line]
    assert grouped == [
        f"  {cd}/DICOM/S21570/S2020: 141 files named by {cd}/DICOMDIR and "
        f"{cd}/DICOM/S21570/DIRFILE are missing",
        f"  {cd}/DICOM/S21570/S2030: 141 files named by {cd}/DICOMDIR and "
        f"{cd}/DICOM/S21570/DIRFILE are missing",
        f"  {cd}/DICOM/S21570/S4010: 7 files named by {cd}/DICOMDIR and "
        f"{cd}/DICOM/S21570/DIRFILE are missing",
        f"  {cd}/DICOM/S21610/S3010: 59 files named by {cd}/DICOMDIR and "
        f"{cd}/DICOM/S21610/DIRFILE are missing",
    ]
    assert "but missing" not in out
    # The localizer of 256 rows x 512 columns is printed as such.
    assert "Series 100 CT (no description) 1 image 256x512 px 0.9766x0.9766 mm" in out
