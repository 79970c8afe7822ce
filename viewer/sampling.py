"""Trilinear sampling of a volume at continuous voxel indices or patient points.

The one interpolation that is exact for every stack a :class:`~viewer.volume.Volume`
can describe: values are interpolated linearly between voxel centres in (i, j, k),
which is the same piecewise-linear model the volume uses for its slice positions, so
tilted and non-uniformly spaced stacks are sampled where they truly are. Points up to
half a voxel outside the outermost centres take the edge value (the voxel still
covers them); points further out take ``fill``. Work is done in chunks so memory
stays bounded on full CT volumes.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from viewer.volume import Volume

logger = logging.getLogger(__name__)

Float32Array = npt.NDArray[np.float32]

# Points per chunk: about 100 MB of temporaries at most.
_CHUNK_POINTS = 1 << 20
# Index rounding allowed at the half-voxel border, so points exactly on it count.
_EDGE_TOLERANCE = 1e-6


def sample_index(
    voxels: npt.NDArray[Any], index_ijk: npt.ArrayLike, fill: float = 0.0
) -> Float32Array:
    """Values of ``voxels`` (shaped (k, j, i)) at continuous indices ``(..., 3)``.

    Parameters
    ----------
    voxels
        Array shaped ``(slices, rows, columns)``.
    index_ijk
        Continuous indices (i, j, k), any leading shape.
    fill
        Value for points more than half a voxel outside the stack.
    """
    ijk = np.asarray(index_ijk, dtype=np.float64)
    lead_shape = ijk.shape[:-1]
    flat = ijk.reshape(-1, 3)
    values = np.ascontiguousarray(voxels)
    out = np.empty(len(flat), dtype=np.float32)
    for start in range(0, len(flat), _CHUNK_POINTS):
        stop = start + _CHUNK_POINTS
        out[start:stop] = _sample_chunk(values, flat[start:stop], fill)
    return out.reshape(lead_shape)


def sample_patient(
    volume: Volume, points_lps_mm: npt.ArrayLike, fill: float = 0.0
) -> Float32Array:
    """Values of ``volume`` at patient points ``(..., 3)`` (LPS, mm)."""
    points = np.asarray(points_lps_mm, dtype=np.float64)
    lead_shape = points.shape[:-1]
    flat = points.reshape(-1, 3)
    values = np.ascontiguousarray(volume.voxels)
    out = np.empty(len(flat), dtype=np.float32)
    for start in range(0, len(flat), _CHUNK_POINTS):
        stop = start + _CHUNK_POINTS
        ijk = volume.from_patient(flat[start:stop])
        out[start:stop] = _sample_chunk(values, ijk, fill)
    return out.reshape(lead_shape)


def _sample_chunk(
    voxels: npt.NDArray[Any], ijk: npt.NDArray[np.float64], fill: float
) -> Float32Array:
    nk, nj, ni = voxels.shape
    sizes = np.array([ni, nj, nk], dtype=np.float64)
    margin = 0.5 + _EDGE_TOLERANCE
    inside = np.all((ijk >= -margin) & (ijk <= sizes - 1.0 + margin), axis=1)
    clipped = np.clip(ijk, 0.0, sizes - 1.0)

    lower = np.floor(clipped).astype(np.intp)
    upper = np.minimum(lower + 1, sizes.astype(np.intp) - 1)
    fraction = (clipped - lower).astype(np.float32)

    flat = voxels.reshape(-1)
    stride_k, stride_j = nj * ni, ni
    result = np.zeros(len(ijk), dtype=np.float32)
    for corner_k in (0, 1):
        k = upper[:, 2] if corner_k else lower[:, 2]
        wk = fraction[:, 2] if corner_k else 1.0 - fraction[:, 2]
        for corner_j in (0, 1):
            j = upper[:, 1] if corner_j else lower[:, 1]
            wj = fraction[:, 1] if corner_j else 1.0 - fraction[:, 1]
            base = k * stride_k + j * stride_j
            weight_kj = wk * wj
            result += flat[base + lower[:, 0]] * (weight_kj * (1.0 - fraction[:, 0]))
            result += flat[base + upper[:, 0]] * (weight_kj * fraction[:, 0])
    result[~inside] = np.float32(fill)
    return result
