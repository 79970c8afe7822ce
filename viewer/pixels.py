"""Reading one frame's stored pixel values, natively or through pydicom's decoders.

Native little-endian single-frame files whose Pixel Data offset the index noted
are read straight from disk into a numpy buffer (the read releases the GIL, so
threads overlap). Everything else (compressed transfer syntaxes, big-endian,
deflate, zip members, multi-frame objects) goes through pydicom and its decoder
plugins (pylibjpeg: JPEG, JPEG-LS, JPEG 2000, RLE); a transfer syntax without a
decoder is a :class:`DecodeError` naming it. Values returned are stored values
(PS3.5 8: sign and Bits Stored applied), before the modality rescale.
"""

from __future__ import annotations

import logging
import struct
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID

from viewer.headers import NATIVE_LITTLE_ENDIAN, FileRef, int_or_none
from viewer.sources import Location

logger = logging.getLogger(__name__)


class DecodeError(Exception):
    """A frame's pixels could not be read; the message names file and cause."""


@dataclass(frozen=True)
class PixelFormat:
    """Image Pixel module attributes that fix the stored layout (PS3.3 C.7.6.3)."""

    rows: int
    columns: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    samples_per_pixel: int = 1
    photometric_interpretation: str = "MONOCHROME2"

    @classmethod
    def from_dataset(cls, ds: Dataset) -> PixelFormat:
        """Read the format from a header; missing attributes raise DecodeError."""
        try:
            bits_allocated = int(ds.BitsAllocated)
            return cls(
                rows=int(ds.Rows),
                columns=int(ds.Columns),
                bits_allocated=bits_allocated,
                bits_stored=int_or_none(ds.get("BitsStored")) or bits_allocated,
                pixel_representation=int_or_none(ds.get("PixelRepresentation")) or 0,
                samples_per_pixel=int_or_none(ds.get("SamplesPerPixel")) or 1,
                photometric_interpretation=str(
                    ds.get("PhotometricInterpretation", "MONOCHROME2")
                ).strip(),
            )
        except (AttributeError, TypeError, ValueError) as error:
            raise DecodeError(
                f"Image Pixel attributes missing or wrong: {error}"
            ) from None

    @property
    def stored_dtype(self) -> np.dtype[Any]:
        """Little-endian numpy type of one stored sample."""
        kind = "i" if self.pixel_representation == 1 else "u"
        return np.dtype(f"<{kind}{max(self.bits_allocated // 8, 1)}")

    @property
    def stored_range(self) -> tuple[int, int]:
        """Smallest and largest value Bits Stored allows."""
        if self.pixel_representation == 1:
            return -(1 << (self.bits_stored - 1)), (1 << (self.bits_stored - 1)) - 1
        return 0, (1 << self.bits_stored) - 1

    def native_fast_path(self, ref: FileRef) -> bool:
        """True when the frame can be read straight from the file."""
        return (
            ref.pixel_data_offset is not None
            and not ref.member
            and ref.frame is None
            and ref.transfer_syntax_uid in NATIVE_LITTLE_ENDIAN
            and self.bits_allocated in (8, 16, 32)
            and self.samples_per_pixel == 1
        )


def read_native(
    ref: FileRef, fmt: PixelFormat, out: npt.NDArray[Any] | None = None
) -> npt.NDArray[Any]:
    """Stored values of a native little-endian single-frame file, (rows, columns).

    With ``out`` (C-contiguous, of the stored type's size) the bytes land there
    directly and ``out`` viewed as the stored type is returned.
    """
    assert ref.pixel_data_offset is not None
    implicit = ref.transfer_syntax_uid == "1.2.840.10008.1.2"
    if out is None:
        buffer = np.empty((fmt.rows, fmt.columns), dtype=fmt.stored_dtype)
    else:
        buffer = out.view(fmt.stored_dtype)
    with open(ref.path, "rb", buffering=0) as stream:
        stream.seek(ref.pixel_data_offset + (8 if implicit else 12))
        view = memoryview(buffer.data).cast("B")
        got = 0
        while got < len(view):
            count = stream.readinto(view[got:])
            if not count:
                raise DecodeError(
                    f"{ref.display}: truncated: Pixel Data (7FE0,0010) ends after "
                    f"{got} of {len(view)} bytes; copy the file again"
                )
            got += count
    return _apply_bits_stored(buffer, fmt)


def _apply_bits_stored(values: npt.NDArray[Any], fmt: PixelFormat) -> npt.NDArray[Any]:
    """Mask unused high bits, or sign-extend signed values (PS3.5 8.1.1)."""
    unused = fmt.bits_allocated - fmt.bits_stored
    if unused <= 0:
        return values
    if fmt.pixel_representation == 1:
        values <<= unused
        values >>= unused
    else:
        values &= (1 << fmt.bits_stored) - 1
    return values


class DatasetCache:
    """Whole data sets of multi-frame files, read once and shared by threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[Location, threading.Lock] = {}
        self._datasets: dict[Location, Dataset] = {}

    def get(self, location: Location) -> Dataset:
        """The file's full data set, read on first use."""
        with self._lock:
            lock = self._locks.setdefault(location, threading.Lock())
        with lock:
            ds = self._datasets.get(location)
            if ds is None:
                ds = read_dataset(location)
                self._datasets[location] = ds
            return ds

    def clear(self) -> None:
        """Drop every cached data set."""
        with self._lock:
            self._datasets.clear()


def _encapsulated_fast_path(ref: FileRef, fmt: PixelFormat) -> bool:
    return (
        ref.pixel_data_offset is not None
        and not ref.member
        and ref.frame is None
        and ref.transfer_syntax_uid not in NATIVE_LITTLE_ENDIAN
        and fmt.samples_per_pixel == 1
    )


def _pixel_data_value(ref: FileRef) -> bytes:
    """The encapsulated Pixel Data value (from its Basic Offset Table item on)."""
    assert ref.pixel_data_offset is not None
    try:
        with open(ref.path, "rb") as stream:
            stream.seek(ref.pixel_data_offset + 12)  # tag, VR, reserved, length
            return stream.read()
    except OSError as error:
        raise DecodeError(f"{ref.display}: cannot be read: {error}") from error


def _decode_options(fmt: PixelFormat) -> dict[str, Any]:
    return {
        "rows": fmt.rows,
        "columns": fmt.columns,
        "samples_per_pixel": fmt.samples_per_pixel,
        "bits_allocated": fmt.bits_allocated,
        "bits_stored": fmt.bits_stored,
        "pixel_representation": fmt.pixel_representation,
        "photometric_interpretation": fmt.photometric_interpretation,
        "number_of_frames": 1,
        "pixel_keyword": "PixelData",
    }


def read_dataset(location: Location) -> Dataset:
    """A file's full data set, pixels included (read, not decoded)."""
    try:
        with location.open() as stream:
            return pydicom.dcmread(stream)
    except OSError as error:
        raise DecodeError(f"{location.display}: cannot be read: {error}") from error
    except (EOFError, ValueError, struct.error) as error:
        raise DecodeError(
            f"{location.display}: damaged or truncated: {error}"
        ) from error


def decode(ref: FileRef, fmt: PixelFormat, cache: DatasetCache) -> npt.NDArray[Any]:
    """Stored values of one frame, (rows, columns), through pydicom's decoders."""
    if fmt.native_fast_path(ref):
        return read_native(ref, fmt)
    source: Dataset | bytes
    options: dict[str, Any] = {}
    if _encapsulated_fast_path(ref, fmt):
        # The index noted where Pixel Data starts: hand its value to the
        # decoder without parsing the header again.
        source = _pixel_data_value(ref)
        options = _decode_options(fmt)
    elif ref.frame is not None:
        source = cache.get(ref.location)
    else:
        source = read_dataset(ref.location)
    syntax = UID(ref.transfer_syntax_uid)
    if not ref.transfer_syntax_uid and isinstance(source, Dataset):
        syntax = UID(str(source.file_meta.TransferSyntaxUID))
    try:
        decoder = get_decoder(syntax)
        if not decoder.is_available:
            raise NotImplementedError("no decoder plugin installed")
        index = ref.frame - 1 if ref.frame is not None else None
        array, _ = decoder.as_array(source, index=index, **options)
    except NotImplementedError as error:
        raise DecodeError(
            f"{ref.display}: Transfer Syntax UID (0002,0010) {syntax} "
            f"({syntax.name or 'unknown'}) cannot be decoded here ({error}); convert "
            "the file to an uncompressed syntax, for example with dcmdjpeg or gdcmconv"
        ) from None
    except (ValueError, RuntimeError, EOFError, struct.error) as error:
        raise DecodeError(
            f"{ref.display}: Pixel Data (7FE0,0010) could not be decoded as "
            f"{syntax.name or syntax}: {error}"
        ) from None
    array = np.asarray(array)
    if array.shape != (fmt.rows, fmt.columns):
        raise DecodeError(
            f"{ref.display}: decoded frame is {array.shape}, expected "
            f"({fmt.rows}, {fmt.columns}) from Rows and Columns"
        )
    return array
