"""In-memory volumes with known geometry for tests that need no DICOM files."""

from __future__ import annotations

import numpy as np

from viewer.volume import SeriesInfo, Volume, WindowPreset


def ball_volume(
    centre_lps_mm=(10.0, -20.0, 30.0),
    radius_mm: float = 12.0,
    shape=(40, 64, 64),
    spacing=(1.5, 1.0),
    step: float = 2.5,
    origin=(-40.0, -80.0, -20.0),
    rotation_deg: float = 0.0,
    frame: str = "1.2.3.1",
    study_date: str = "20260101",
) -> Volume:
    """A volume of -1000 HU air holding one 60 HU ball at a known patient point.

    ``rotation_deg`` turns the rows and columns about the patient's z axis.
    """
    angle = np.deg2rad(rotation_deg)
    row = np.array([np.cos(angle), np.sin(angle), 0.0])
    col = np.array([-np.sin(angle), np.cos(angle), 0.0])
    k, j, i = shape
    positions = np.array([np.asarray(origin) + [0, 0, step * s] for s in range(k)])
    volume = Volume(
        np.zeros(shape, dtype=np.int16),
        positions,
        row,
        col,
        spacing,
        frame_of_reference_uid=frame,
        sop_instance_uids=tuple(f"{frame}.{s}" for s in range(k)),
        window_presets=(WindowPreset("Soft tissue", 40, 400),),
        info=SeriesInfo(
            patient_name="TEST^PATIENT",
            patient_id="T-1",
            study_date=study_date,
            series_description="Ball",
            modality="CT",
            slice_thickness_mm=step,
        ),
    )
    grid = np.stack(
        np.meshgrid(np.arange(i), np.arange(j), np.arange(k), indexing="xy"), axis=-1
    )
    points = volume.to_patient(grid.transpose(2, 0, 1, 3).astype(float))
    inside = np.linalg.norm(points - np.asarray(centre_lps_mm), axis=-1) <= radius_mm
    volume.voxels[:] = np.where(inside, 60, -1000).astype(np.int16)
    return volume
