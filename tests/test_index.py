"""Indexing: patients, studies and stacks from folders, DICOMDIRs and zips."""

from __future__ import annotations

import shutil
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ComprehensiveSRStorage, generate_uid

from tests.dicom_factory import (
    CORONAL,
    SAGITTAL,
    base_dataset,
    dicomdir,
    enhanced_ct,
    image,
    stack,
    write,
)
from viewer import load_series, scan
from viewer.index import Series


def _only_series(result) -> Series:
    series = result.all_series()
    assert len(series) == 1, [s.stack_id for s in series]
    return series[0]


def test_folder_gives_patient_study_series_with_browser_fields(tmp_path: Path) -> None:
    stack(tmp_path / "a", 5, names=[4, 2, 0, 3, 1], instances=[9, 3, 5, 1, 7])
    result = scan([tmp_path, tmp_path / "a", tmp_path / "a" / "IM0002"])
    assert result.problems == []
    (patient,) = result.patients
    assert (patient.patient_id, patient.patient_name) == ("P1", "Test^Patient")
    assert (patient.birth_date, patient.sex) == ("19600101", "F")
    (study,) = patient.studies
    assert (study.study_date, study.study_time) == ("20240101", "101500")
    assert study.accession_number == "A1"
    series = _only_series(result)
    assert series.count == 5
    assert series.orientation == "AXIAL"
    assert series.slice_thickness_mm == 2.0
    assert (series.rows, series.columns) == (6, 8)
    assert series.is_volume and series.stack_id == "" and series.notes == []


def test_unreadable_files_are_problems_and_the_rest_loads(tmp_path: Path) -> None:
    good = stack(tmp_path, 3)
    (tmp_path / "notes.txt").write_text("not an image")
    truncated = tmp_path / "IM_truncated"
    data = good[0].read_bytes()
    truncated.write_bytes(data[: len(data) - 40])
    header_cut = tmp_path / "IM_header_cut"
    header_cut.write_bytes(data[:200])
    result = scan([tmp_path, tmp_path / "absent"])
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    assert "not a DICOM file" in reasons["notes.txt"]
    assert reasons["IM_truncated"].startswith("truncated: Pixel Data (7FE0,0010) holds")
    assert "truncated" in reasons["IM_header_cut"]
    assert "does not exist" in reasons["absent"]
    assert _only_series(result).count == 3


def test_mixed_series_is_split_into_stacks_with_notes(tmp_path: Path) -> None:
    stack(tmp_path / "ax", 4)
    localizer = image(
        np.zeros((6, 8), np.int16),
        orientation=CORONAL,
        image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
        instance=20,
    )
    write(localizer, tmp_path / "loc")
    for n in range(3):
        sagittal = image(
            np.zeros((6, 8), np.int16),
            orientation=SAGITTAL,
            position=(n * 3.0, 0, 0),
            instance=30 + n,
        )
        write(sagittal, tmp_path / f"sag{n}")
    other_size = image(np.zeros((4, 4), np.int16), position=(0, 0, 99), instance=40)
    write(other_size, tmp_path / "small")
    result = scan([tmp_path])
    stacks = {s.stack_id: s for s in result.all_series()}
    counts = {key: s.count for key, s in stacks.items()}
    assert counts == {
        "images axial 6x8": 4,
        "localizer coronal 6x8": 1,
        "images sagittal 6x8": 3,
        "images axial 4x4": 1,
    }
    assert len({s.series_instance_uid for s in stacks.values()}) == 1
    note = stacks["images sagittal 6x8"].notes[0]
    assert "a localizer" in note and "several orientations" in note
    assert "split into 4 stacks" in note
    assert stacks["images sagittal 6x8"].orientation == "SAGITTAL"


def test_echoes_and_phases_at_the_same_positions_are_split(tmp_path: Path) -> None:
    for echo in (1, 2):
        stack(
            tmp_path / f"e{echo}",
            3,
            EchoNumbers=echo,
            names=[echo * 10 + n for n in range(3)],
        )
    for phase in (1, 2):
        stack(
            tmp_path / f"p{phase}",
            3,
            series_uid="1.2.3.9",
            TemporalPositionIdentifier=phase,
            names=[phase * 10 + n for n in range(3)],
        )
    result = scan([tmp_path])
    labels = sorted(
        (s.series_instance_uid, s.stack_id, s.count) for s in result.all_series()
    )
    assert labels == [
        ("1.2.3.9", "phase 1", 3),
        ("1.2.3.9", "phase 2", 3),
        ("1.2.826.0.1.3680043.8.498.2", "echo 1", 3),
        ("1.2.826.0.1.3680043.8.498.2", "echo 2", 3),
    ]


def test_patients_match_on_id_and_studies_run_oldest_first(tmp_path: Path) -> None:
    stack(tmp_path / "new", 2, study_uid="1.9.2", study_date="20240301")
    stack(
        tmp_path / "old",
        2,
        study_uid="1.9.1",
        study_date="20230301",
        series_uid="1.9.1.1",
    )
    stack(
        tmp_path / "other", 2, patient_id="P2", study_uid="1.9.3", series_uid="1.9.3.1"
    )
    result = scan([tmp_path])
    by_id = {p.patient_id: p for p in result.patients}
    assert set(by_id) == {"P1", "P2"}
    assert by_id["P1"].patient_name == by_id["P2"].patient_name
    assert [s.study_date for s in by_id["P1"].studies] == ["20230301", "20240301"]


@pytest.mark.parametrize(
    ("charset", "name"),
    [
        ("\\ISO 2022 IR 87", "Yamada^Tarou=山田^太郎=やまだ^たろう"),
        ("ISO_IR 144", "Иванов^Пётр"),
        ("ISO_IR 126", "Παπαδόπουλος^Νίκος"),
        ("ISO_IR 192", "Müller^Zoë"),
    ],
)
def test_names_decode_per_specific_character_set(
    tmp_path: Path, charset: str, name: str
) -> None:
    ds = image(np.zeros((2, 2), np.int16), patient_name=name)
    ds.SpecificCharacterSet = charset.split("\\") if "\\" in charset else charset
    ds.StudyDescription = name.split("^")[0]
    path = write(ds, tmp_path / "im")
    raw = path.read_bytes()
    native = name.split("=")[-1].split("^")[0]
    assert (native.encode("utf-8") in raw) == (charset == "ISO_IR 192")
    result = scan([tmp_path])
    assert result.patients[0].patient_name == name
    assert result.patients[0].studies[0].study_description == name.split("^")[0]


def test_dicomdir_with_missing_and_recased_files(tmp_path: Path) -> None:
    cd = tmp_path / "cd"
    for n in range(4):
        ds = image(
            np.full((4, 4), n, np.int16), position=(0, 0, 2.0 * n), instance=n + 1
        )
        # Media written with upper-case names often come back lower-case.
        write(ds, cd / "dicom" / "st1" / f"im{n}")
    ids = [("DICOM", "ST1", f"IM{n}") for n in range(5)]
    path = dicomdir(cd / "DICOMDIR", ids)
    result = scan([path])
    assert _only_series(result).count == 4
    (problem,) = result.problems
    assert problem.reason.startswith("listed in DICOMDIR")
    assert problem.reason.endswith("but missing; copy the whole disc or folder again")
    assert problem.path == str(cd / "DICOM" / "ST1" / "IM4")


def test_chained_directory_files_resolve_from_the_first_dicomdir(
    tmp_path: Path,
) -> None:
    root = tmp_path / "DICOM"
    for n in range(2):
        ds = image(np.zeros((4, 4), np.int16), position=(0, 0, 2.0 * n), instance=n)
        write(ds, root / "S1" / "S2" / f"I{n}")
    dicomdir(root / "S1" / "S2" / "DIRFILE", [("S1", "S2", "I0"), ("S1", "S2", "I1")])
    dicomdir(
        root / "S1" / "DIRFILE", [("S1", "S2", "DIRFILE"), ("S1", "S9", "DIRFILE")]
    )
    path = dicomdir(root / "DICOMDIR", [("S1", "DIRFILE")])
    result = scan([path])
    assert _only_series(result).count == 2
    (problem,) = result.problems
    assert problem.path == str(root / "S1" / "S9" / "DIRFILE")
    assert problem.reason.startswith("listed in DIRFILE")


def test_zip_is_read_in_place_with_member_paths(tmp_path: Path) -> None:
    files = stack(tmp_path / "src", 3)
    archive = tmp_path / "case.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in files:
            out.write(path, f"case/{path.name}")
        out.writestr("case/readme.txt", "hello")
    shutil.rmtree(tmp_path / "src")
    result = scan([archive])
    series = _only_series(result)
    assert {f.path for f in series.files} == {str(archive)}
    assert sorted(f.member for f in series.files) == [f"case/{p.name}" for p in files]
    (problem,) = result.problems
    assert problem.path == f"{archive}!case/readme.txt"


def test_non_image_objects_are_listed_not_loadable(tmp_path: Path) -> None:
    sr = base_dataset(ComprehensiveSRStorage, series_uid=generate_uid(), modality="SR")
    sr.ValueType = "CONTAINER"
    write(sr, tmp_path / "sr")
    rgb = image(
        np.zeros((2, 2), np.int16), series_uid=generate_uid(), photometric="RGB"
    )
    write(rgb, tmp_path / "rgb")
    series = {s.modality + s.notes[-1][:12]: s for s in scan([tmp_path]).all_series()}
    assert [s.is_volume for s in series.values()] == [False, False]
    notes = sorted(s.notes[-1] for s in series.values())
    assert notes[0].startswith("Comprehensive SR Storage: not an image")
    assert notes[1].startswith("Photometric Interpretation (0028,0004) 'RGB'")


def test_enhanced_frames_are_file_refs_split_by_frame_type(tmp_path: Path) -> None:
    positions = [(0, 0, z) for z in (4.0, 0.0, 2.0)] * 2
    types = ["ORIGINAL\\PRIMARY\\AXIAL\\NONE"] * 3 + [
        "DERIVED\\PRIMARY\\AXIAL\\SUBTRACTION"
    ] * 3
    ds = enhanced_ct(positions, [1] * 6, [1.0] * 6, types)
    path = write(ds, tmp_path / "enh.dcm")
    result = scan([tmp_path])
    stacks = {s.stack_id: s for s in result.all_series()}
    assert set(stacks) == {
        "frame type ORIGINAL\\PRIMARY\\AXIAL\\NONE",
        "frame type DERIVED\\PRIMARY\\AXIAL\\SUBTRACTION",
    }
    frames = stacks["frame type DERIVED\\PRIMARY\\AXIAL\\SUBTRACTION"].files
    assert [(f.path, f.frame) for f in frames] == [(str(path), n) for n in (4, 5, 6)]
    assert frames[0].position_lps_mm == (0.0, 0.0, 4.0)
    assert frames[0].pixel_spacing_mm == (0.7, 0.9)


def test_missing_slice_is_noted_in_the_index(tmp_path: Path) -> None:
    paths = stack(tmp_path, 6)
    paths[3].unlink()
    series = _only_series(scan([tmp_path]))
    assert series.notes == [
        "1 slice(s) missing between 54.00 mm and 58.00 mm along the normal "
        "(step 4.00 mm where the others are 2.00 mm)"
    ]


def test_cancel_stops_with_a_problem(tmp_path: Path) -> None:
    stack(tmp_path, 3)
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()

    result = scan([tmp_path], progress=progress, cancel=cancel)
    assert seen == [(1, 3)]
    assert result.problems[-1].reason == "scan cancelled; the list is incomplete"
    assert _only_series(result).count == 1


def test_duplicate_instances_are_left_out(tmp_path: Path) -> None:
    (path,) = stack(tmp_path / "a", 1)
    shutil.copy(path, tmp_path / "copy")
    result = scan([tmp_path])
    assert _only_series(result).count == 1
    (problem,) = result.problems
    assert "same SOP Instance UID" in problem.reason


def test_header_only_scan_never_reads_pixels(tmp_path: Path, monkeypatch) -> None:
    stack(tmp_path, 2)
    import pydicom

    real = pydicom.dcmread
    calls: list[bool] = []

    def spy(*args, **kwargs) -> Dataset:
        calls.append(bool(kwargs.get("stop_before_pixels")))
        return real(*args, **kwargs)

    monkeypatch.setattr(pydicom, "dcmread", spy)
    scan([tmp_path])
    assert calls == [True, True]


def test_dicomdir_inside_a_zip(tmp_path: Path) -> None:
    files = stack(tmp_path / "src", 2)
    directory = dicomdir(
        tmp_path / "DICOMDIR", [("IMG", "A"), ("IMG", "B"), ("IMG", "C")]
    )
    archive = tmp_path / "cd.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(directory, "CD/DICOMDIR")
        out.write(files[0], "CD/img/a")
        out.write(files[1], "CD/img/b")
    result = scan([archive])
    assert _only_series(result).count == 2
    (problem,) = result.problems
    assert problem.path == f"{archive}!CD/IMG/C"
    assert problem.reason.startswith(f"listed in DICOMDIR ({archive}!CD/DICOMDIR)")


def test_multiframe_without_per_frame_positions_is_one_listed_series(
    tmp_path: Path,
) -> None:
    cine = image(np.zeros((5, 4, 4), np.int16), modality="US")
    cine.NumberOfFrames = 5
    write(cine, tmp_path / "cine")
    (series,) = scan([tmp_path]).all_series()
    assert (series.count, series.is_volume, series.rows) == (5, False, 4)
    assert [f.frame for f in series.files] == [1, 2, 3, 4, 5]
    assert series.notes == [
        "5 frames of multi-frame objects without a position per frame (a cine loop "
        "or projections): listed, not loaded as a stack"
    ]


def test_stacks_split_by_frame_type_carry_it_in_their_description(
    tmp_path: Path,
) -> None:
    positions = [(0, 0, z) for z in (0.0, 2.0)] * 2
    types = ["ORIGINAL\\PRIMARY\\T1\\M"] * 2 + ["ORIGINAL\\PRIMARY\\T1\\FIELD_MAP"] * 2
    write(enhanced_ct(positions, [1] * 4, [1.0] * 4, types), tmp_path / "enh.dcm")
    descriptions = sorted(s.series_description for s in scan([tmp_path]).all_series())
    assert descriptions == ["Axial 2 mm (field map)", "Axial 2 mm (magnitude)"]
    (magnitude,) = [
        s for s in scan([tmp_path]).all_series() if "magnitude" in s.series_description
    ]
    volume = load_series(magnitude, workers=0)
    assert volume.info.series_description == "Axial 2 mm (magnitude)"


def test_an_unsplit_series_keeps_its_description(tmp_path: Path) -> None:
    positions = [(0, 0, z) for z in (0.0, 2.0)]
    types = ["ORIGINAL\\PRIMARY\\T1\\M"] * 2
    write(enhanced_ct(positions, [1] * 2, [1.0] * 2, types), tmp_path / "enh.dcm")
    assert [s.series_description for s in scan([tmp_path]).all_series()] == [
        "Axial 2 mm"
    ]
