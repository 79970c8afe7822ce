"""An analytic body-like CT phantom with asymmetric features, for registration tests.

Values are a function of patient position (LPS, mm), so a copy moved by a known
rigid transform is computed exactly instead of by resampling: the moved study's
value at ``p`` is the phantom's value at ``truth @ p``.
"""

from __future__ import annotations

import numpy as np

from viewer.derive import rigid_matrix
from viewer.volume import Volume

__all__ = [
    "LESIONS_LPS_MM",
    "apply",
    "body_hu",
    "phantom_volume",
    "rigid_matrix",
    "write_ct_series",
]

# Lesion centres in the phantom's own space (LPS mm): right lung, left lung, liver.
LESIONS_LPS_MM = np.array(
    [[-70.0, 10.0, 30.0], [65.0, -15.0, -20.0], [-60.0, -10.0, -75.0]]
)


def body_hu(points_lps_mm: np.ndarray) -> np.ndarray:
    """CT numbers of the phantom at points ``(..., 3)``.

    Edges are soft (about 1 mm wide), as partial volume makes them in a scan, so
    the phantom looks alike on any grid it is sampled on.
    """
    p = np.asarray(points_lps_mm, dtype=np.float64)
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    values = np.full(x.shape, -1000.0)

    def paint(inside_weight: np.ndarray, hu: float) -> None:
        nonlocal values
        values = values + inside_weight * (hu - values)

    def ellipsoid(centre, radii) -> np.ndarray:
        offset = (p - np.asarray(centre)) / np.asarray(radii)
        radius = np.sqrt(np.sum(offset**2, axis=-1))
        # distance to the surface, roughly, in mm
        return _soft((radius - 1.0) * float(np.min(radii)))

    paint(ellipsoid((0, 0, 0), (150, 100, 160)), 30.0)
    paint(ellipsoid((-65, -5, 40), (50, 60, 90)), -820.0)
    paint(ellipsoid((60, -5, 50), (45, 55, 80)), -820.0)
    paint(ellipsoid((-55, 0, -80), (60, 55, 45)), 65.0)
    spine_radius = np.sqrt(x**2 + (y - 70.0) ** 2)
    paint(_soft(spine_radius - 14.0) * _soft(np.abs(z) - 150.0), 600.0)
    sternum = _soft(np.abs(x) - 10.0) * _soft(np.abs(y + 88.0) - 5.0)
    paint(sternum * _soft(np.abs(z - 35.0) - 55.0), 400.0)
    for radius, centre in zip((12.0, 8.0, 15.0), LESIONS_LPS_MM, strict=True):
        distance = np.sqrt(np.sum((p - centre) ** 2, axis=-1)) - radius
        paint(_soft(distance), 90.0 if centre[2] > -50 else 120.0)
    return values.astype(np.float32)


def _soft(distance_mm: np.ndarray) -> np.ndarray:
    """1 inside (negative distance), 0 outside, over about a millimetre."""
    return 1.0 / (1.0 + np.exp(np.clip(distance_mm / 0.4, -50, 50)))


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def phantom_volume(
    shape_kji: tuple[int, int, int],
    spacing_ijk_mm: tuple[float, float, float],
    truth_to_phantom: np.ndarray | None = None,
    *,
    centre_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
    dtype: type = np.int16,
    noise_hu: float = 0.0,
    seed: int = 0,
    sop_prefix: str = "",
) -> Volume:
    """An axial volume of the phantom centred on ``centre_mm``.

    With ``truth_to_phantom`` (4x4, this volume's LPS -> phantom LPS) the anatomy is
    moved: each voxel takes the phantom value at the mapped point.
    """
    nk, nj, ni = shape_kji
    di, dj, dk = spacing_ijk_mm
    origin = np.asarray(centre_mm) - np.array(
        [(ni - 1) * di / 2, (nj - 1) * dj / 2, (nk - 1) * dk / 2]
    )
    positions = origin + np.outer(np.arange(nk) * dk, [0, 0, 1])
    xs = origin[0] + np.arange(ni) * di
    ys = origin[1] + np.arange(nj) * dj
    rng = np.random.default_rng(seed)
    voxels = np.empty(shape_kji, dtype=dtype)
    grid_x, grid_y = np.meshgrid(xs, ys, indexing="xy")
    for k in range(nk):
        points = np.stack([grid_x, grid_y, np.full_like(grid_x, positions[k, 2])], -1)
        if truth_to_phantom is not None:
            points = apply(truth_to_phantom, points)
        values = body_hu(points)
        if noise_hu:
            values = values + rng.normal(0.0, noise_hu, values.shape)
        voxels[k] = np.round(values).astype(dtype)
    uids = tuple(f"{sop_prefix}{k + 1}" for k in range(nk)) if sop_prefix else ()
    return Volume(
        voxels,
        positions,
        np.array([1.0, 0.0, 0.0]),
        np.array([0.0, 1.0, 0.0]),
        (dj, di),
        sop_instance_uids=uids,
    )


def write_ct_series(
    volume: Volume,
    folder,
    *,
    study_date: str = "20260301",
    frame_of_reference_uid: str = "",
    patient_id: str = "PHANTOM-1",
) -> list:
    """Write ``volume`` (HU) as a CT Image Storage series, one file per slice."""
    from pathlib import Path

    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    frame = frame_of_reference_uid or generate_uid()
    paths = []
    for k in range(volume.shape[0]):
        ds = pydicom.Dataset()
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = (
            volume.sop_instance_uids[k] if volume.sop_instance_uids else generate_uid()
        )
        ds.PatientName = "Phantom^Body"
        ds.PatientID = patient_id
        ds.PatientBirthDate = "19600101"
        ds.PatientSex = "O"
        ds.StudyInstanceUID = study
        ds.StudyDate = study_date
        ds.StudyTime = "101500"
        ds.ContentDate = study_date
        ds.ContentTime = "101500"
        ds.ReferringPhysicianName = ""
        ds.StudyID = "1"
        ds.AccessionNumber = "A1"
        ds.StudyDescription = "CT CHEST"
        ds.Modality = "CT"
        ds.SeriesInstanceUID = series
        ds.SeriesNumber = 2
        ds.SeriesDescription = "Body 3mm"
        ds.PatientPosition = "HFS"
        ds.Laterality = ""
        ds.FrameOfReferenceUID = frame
        ds.PositionReferenceIndicator = ""
        ds.Manufacturer = "Nadir test"
        ds.InstanceNumber = k + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.ImagePositionPatient = [float(v) for v in volume.slice_positions_lps_mm[k]]
        ds.ImageOrientationPatient = [
            *(float(v) for v in volume.row_cosine),
            *(float(v) for v in volume.column_cosine),
        ]
        ds.PixelSpacing = [float(v) for v in volume.pixel_spacing_mm]
        ds.SliceThickness = float(volume.slice_step_mm)
        ds.KVP = 120
        ds.AcquisitionNumber = 1
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = volume.shape[1], volume.shape[2]
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
        ds.RescaleType = "HU"
        stored = np.clip(np.asarray(volume.voxels[k], dtype=np.int32) + 1024, 0, 65535)
        ds.PixelData = stored.astype("<u2").tobytes()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta = meta
        path = folder / f"slice{k:03d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
