"""Reading one DICOM file's header and describing each of its frames.

:func:`read_header` reads a file's data set up to the Pixel Data element (never the
pixels), notes where that element starts so the loader can read native pixels
straight into a volume, and checks that native pixel data is complete.
:func:`frames_of` turns the header into one :class:`FileRef` per frame, taking the
geometry and rescale of a classic image from its top-level attributes and of an
enhanced multi-frame image from its shared and per-frame functional groups
(PS3.3 C.7.6.16). Character sets follow Specific Character Set, ISO 2022 code
extensions included (PS3.5 6.1), through pydicom's decoding.
"""

from __future__ import annotations

import functools
import logging
import struct
from dataclasses import dataclass, field
from typing import Any

import pydicom
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from viewer.sources import Location

logger = logging.getLogger(__name__)

NATIVE_LITTLE_ENDIAN = frozenset(
    {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}  # implicit, explicit VR LE
)
DEFLATED = "1.2.840.10008.1.2.1.99"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
_PIXEL_DATA_TAG = 0x7FE00010
_DIRECTORY_RECORD_SEQUENCE_TAG = 0x00041220


class HeaderError(Exception):
    """A file that is not usable DICOM; the message says why and what to do."""


@dataclass(frozen=True)
class FileRef:
    """One frame the loader can read: a file (or zip member) and its frame number.

    ``frame`` is the 1-based frame number in a multi-frame object, ``None`` for a
    single-frame one. The remaining fields are the frame's geometry and rescale
    as the header gives them, so a series can be sorted and its volume allocated
    before any pixel is read.
    """

    path: str
    member: str = ""
    frame: int | None = None
    sop_instance_uid: str = ""
    instance_number: int | None = None
    position_lps_mm: tuple[float, float, float] | None = None
    orientation: tuple[float, float, float, float, float, float] | None = None
    pixel_spacing_mm: tuple[float, float] | None = None
    slice_thickness_mm: float | None = None
    gantry_tilt_deg: float | None = None
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    transfer_syntax_uid: str = ""
    # Byte offset of the Pixel Data element in a little-endian, not deflated file.
    pixel_data_offset: int | None = None

    @property
    def location(self) -> Location:
        """Where the frame's file is."""
        return Location(self.path, self.member)

    @property
    def display(self) -> str:
        """``path``, ``archive.zip!member``, plus ``#frame`` for multi-frame."""
        text = self.location.display
        return f"{text}#{self.frame}" if self.frame is not None else text


@dataclass(frozen=True)
class FrameKeys:
    """What can tell frames of one series apart (for splitting into stacks)."""

    image_type: tuple[str, ...] = ()
    frame_type: str = ""
    echo: str = ""
    temporal: str = ""
    trigger_time: str = ""
    acquisition_number: str = ""
    b_value: str = ""
    stack_id: str = ""
    size: tuple[int, int] = (0, 0)
    series_number: str = ""
    photometric: str = ""


@dataclass
class Header:
    """A file's data set without pixels, and where its pixels start."""

    location: Location
    dataset: Dataset
    transfer_syntax_uid: str
    pixel_data_offset: int | None = None
    frames: list[tuple[FileRef, FrameKeys]] = field(default_factory=list)

    is_directory: bool = False
    """True for a DICOMDIR or a chained directory file (Philips DIRFILE)."""


def read_header(location: Location) -> Header:
    """Read a file's header (PS3.10 7.1) and, for native syntaxes, check its size.

    Raises
    ------
    HeaderError
        Not DICOM, truncated or unreadable, with a message naming the cause.
    """
    try:
        with location.open() as stream:
            dataset = _dcmread(stream)
            offset = stream.tell()
            head = stream.read(12)
    except OSError as error:
        raise HeaderError(f"cannot be read: {error.strerror or error}") from error
    syntax = text(dataset.file_meta, "TransferSyntaxUID")
    sop_class = text(dataset.file_meta, "MediaStorageSOPClassUID")
    directory = sop_class == MEDIA_STORAGE_DIRECTORY or (
        dataset.get_item(_DIRECTORY_RECORD_SEQUENCE_TAG) is not None
    )
    header = Header(location, dataset, syntax, is_directory=directory)
    at_pixels = len(head) >= 4 and _tag(head, syntax) == _PIXEL_DATA_TAG
    if len(dataset) == 0:
        raise HeaderError(
            "truncated or empty: no data set after the file meta information; "
            "copy the file again"
        )
    if "Rows" in dataset and not at_pixels and not head and syntax != DEFLATED:
        raise HeaderError(
            "truncated: the file ends before Pixel Data (7FE0,0010); copy it again"
        )
    if at_pixels and syntax in NATIVE_LITTLE_ENDIAN:
        header.pixel_data_offset = offset
        _check_native_length(location, dataset, offset, head, syntax)
    elif at_pixels and syntax not in (DEFLATED, BIG_ENDIAN):
        header.pixel_data_offset = offset  # encapsulated: explicit VR little endian
    if not header.is_directory:
        header.frames = frames_of(header)
    return header


def _dcmread(stream: Any) -> Dataset:
    try:
        return pydicom.dcmread(stream, stop_before_pixels=True)
    except InvalidDicomError:
        stream.seek(0)
        start = stream.read(4)
        # A data set written without the preamble and meta header starts at
        # group 0008 (PS3.10 7.1 makes the preamble mandatory; old writers skip it).
        if len(start) == 4 and start[:2] == b"\x08\x00":
            stream.seek(0)
            try:
                return pydicom.dcmread(stream, stop_before_pixels=True, force=True)
            except (EOFError, ValueError, struct.error) as error:
                raise HeaderError(f"damaged DICOM data set: {error}") from error
        raise HeaderError(
            "not a DICOM file (no 'DICM' marker at byte 128); remove it or ignore"
        ) from None
    except (EOFError, struct.error) as error:
        raise HeaderError(
            f"truncated: the header ends early ({error}); copy the file again"
        ) from error
    except (ValueError, KeyError, TypeError, NotImplementedError) as error:
        raise HeaderError(f"damaged DICOM header: {error}") from error


def _tag(head: bytes, syntax: str) -> int:
    endian = ">" if syntax == BIG_ENDIAN else "<"
    group, element = struct.unpack(endian + "HH", head[:4])
    return int((group << 16) | element)


def _check_native_length(
    location: Location, dataset: Dataset, offset: int, head: bytes, syntax: str
) -> None:
    implicit = syntax == "1.2.840.10008.1.2"
    header_bytes = 8 if implicit else 12
    if len(head) < header_bytes:
        raise HeaderError("truncated: Pixel Data (7FE0,0010) has no value; copy again")
    declared = struct.unpack("<I", head[4:8] if implicit else head[8:12])[0]
    expected = _expected_pixel_bytes(dataset)
    available = location.size() - offset - header_bytes
    if expected and min(declared, available) < expected:
        raise HeaderError(
            f"truncated: Pixel Data (7FE0,0010) holds {min(declared, available)} "
            f"bytes, {expected} expected for Rows {dataset.get('Rows')} x Columns "
            f"{dataset.get('Columns')}; copy the file again"
        )


def _expected_pixel_bytes(dataset: Dataset) -> int:
    values = [
        int_or_none(raw(dataset, keyword))
        for keyword in ("BitsAllocated", "Rows", "Columns")
    ]
    if any(v is None for v in values):
        return 0
    bits, rows, columns = (int(v or 0) for v in values)
    samples = int_or_none(raw(dataset, "SamplesPerPixel")) or 1
    frames = int_or_none(raw(dataset, "NumberOfFrames")) or 1
    return (rows * columns * samples * frames * bits + 7) // 8


def frames_of(header: Header) -> list[tuple[FileRef, FrameKeys]]:
    """One :class:`FileRef` and its :class:`FrameKeys` per frame of an image file."""
    ds = header.dataset
    if "Rows" not in ds or "Columns" not in ds:
        return []
    count = int_or_none(raw(ds, "NumberOfFrames")) or 1
    enhanced = has(ds, "PerFrameFunctionalGroupsSequence")
    shared = _first_item(ds, "SharedFunctionalGroupsSequence") if enhanced else None
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") if enhanced else None
    base: dict[str, Any] = dict(
        path=header.location.path,
        member=header.location.member,
        sop_instance_uid=_text(raw(ds, "SOPInstanceUID")),
        instance_number=int_or_none(raw(ds, "InstanceNumber")),
        transfer_syntax_uid=header.transfer_syntax_uid,
        pixel_data_offset=header.pixel_data_offset,
    )
    image_type = tuple(str(v).upper() for v in as_list(raw(ds, "ImageType")))
    frames: list[tuple[FileRef, FrameKeys]] = []
    for index in range(count):
        groups = [shared] if shared is not None else []
        if per_frame is not None and index < len(per_frame):
            groups.insert(0, per_frame[index])
        ref, keys = _frame(ds, groups, image_type)
        frame = index + 1 if count > 1 or per_frame is not None else None
        frames.append((FileRef(frame=frame, **base, **ref), keys))
    return frames


def _frame(
    ds: Dataset, groups: list[Dataset], image_type: tuple[str, ...]
) -> tuple[dict[str, Any], FrameKeys]:
    def find(sequence: str, keyword: str) -> Any:
        for group in groups:
            item = _first_item(group, sequence)
            if item is not None and keyword in item:
                return item.get(keyword)
        return raw(ds, keyword)

    position = floats(find("PlanePositionSequence", "ImagePositionPatient"), 3)
    orientation = floats(find("PlaneOrientationSequence", "ImageOrientationPatient"), 6)
    spacing = floats(find("PixelMeasuresSequence", "PixelSpacing"), 2)
    slope = float_or_none(find("PixelValueTransformationSequence", "RescaleSlope"))
    intercept = float_or_none(
        find("PixelValueTransformationSequence", "RescaleIntercept")
    )
    frame_type = find("MRImageFrameTypeSequence", "FrameType") or find(
        "CTImageFrameTypeSequence", "FrameType"
    )
    echo = find("MREchoSequence", "EffectiveEchoTime")
    content = [_first_item(g, "FrameContentSequence") for g in groups]
    content_item = next((c for c in content if c is not None), None)
    temporal = raw(ds, "TemporalPositionIdentifier")
    stack_id = ""
    if content_item is not None:
        temporal = content_item.get("TemporalPositionIndex", temporal)
        stack_id = str(content_item.get("StackID", ""))
    ref = dict(
        position_lps_mm=position,
        orientation=orientation,
        pixel_spacing_mm=spacing,
        slice_thickness_mm=float_or_none(
            find("PixelMeasuresSequence", "SliceThickness")
        ),
        gantry_tilt_deg=float_or_none(
            find("CTAcquisitionDetailsSequence", "GantryDetectorTilt")
        ),
        rescale_slope=1.0 if slope is None else slope,
        rescale_intercept=0.0 if intercept is None else intercept,
    )
    keys = FrameKeys(
        image_type=image_type,
        frame_type="\\".join(str(v) for v in as_list(frame_type)),
        echo=_text(echo if echo is not None else raw(ds, "EchoNumbers")),
        temporal=_text(temporal),
        trigger_time=_text(raw(ds, "TriggerTime")),
        acquisition_number=_text(raw(ds, "AcquisitionNumber")),
        b_value=_text(raw(ds, "DiffusionBValue")),
        stack_id=stack_id,
        size=(int_or_none(raw(ds, "Rows")) or 0, int_or_none(raw(ds, "Columns")) or 0),
        series_number=_text(raw(ds, "SeriesNumber")),
        photometric=_text(raw(ds, "PhotometricInterpretation")).strip().upper(),
    )
    return ref, keys


def _first_item(ds: Dataset, keyword: str) -> Dataset | None:
    sequence = ds.get(keyword)
    if sequence is None or len(sequence) == 0:
        return None
    item: Dataset = sequence[0]
    return item


def _text(value: Any) -> str:
    return "\\".join(str(v) for v in as_list(value))


def as_list(value: Any) -> list[Any]:
    """A multi-valued attribute as a list (empty for missing, one item for single)."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return list(value)
    return [value]


def floats(value: Any, count: int) -> Any:
    """A tuple of ``count`` floats, or None when missing or malformed."""
    items = as_list(value)
    if len(items) != count:
        return None
    try:
        return tuple(float(v) for v in items)
    except (TypeError, ValueError):
        return None


def float_or_none(value: Any) -> float | None:
    """A float from a DS/FD value, or None when missing or malformed."""
    items = as_list(value)
    try:
        return float(items[0]) if items else None
    except (TypeError, ValueError):
        return None


def int_or_none(value: Any) -> int | None:
    """An int from an IS/US value, or None when missing or malformed."""
    items = as_list(value)
    try:
        return int(float(items[0])) if items else None
    except (TypeError, ValueError):
        return None


def text(ds: Dataset, keyword: str) -> str:
    """A string attribute decoded per Specific Character Set, '' when absent."""
    return _text(raw(ds, keyword)).strip()


# Value representations whose bytes are ASCII whatever the character set
# (PS3.5 6.1.2.3), and binary ones: read without pydicom's value conversion,
# which dominates header indexing time otherwise.
_ASCII_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI"})
_BINARY_VRS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d"}


@functools.lru_cache(maxsize=256)
def _tag_and_vr(keyword: str) -> tuple[int, str]:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"unknown DICOM keyword {keyword}")
    return tag, dictionary_VR(tag)


def has(ds: Dataset, keyword: str) -> bool:
    """True when the attribute is present, without parsing its value."""
    return ds.get_item(_tag_and_vr(keyword)[0]) is not None


def raw(ds: Dataset, keyword: str) -> Any:
    """An attribute's value, None when absent; plain VRs parsed straight from bytes.

    ASCII values come back as a string or a list of strings (multi-valued),
    binary ones as a number or a list; other VRs through pydicom's conversion
    (character sets included).
    """
    tag, dictionary_vr = _tag_and_vr(keyword)
    element = ds.get_item(tag)
    if element is None:
        return None
    if not isinstance(element, RawDataElement):
        return element.value
    vr = element.VR or dictionary_vr
    value = element.value
    if value is None:
        return None
    if vr in _ASCII_VRS:
        decoded = value.decode("ascii", "replace")
        if "\\" not in decoded:
            return decoded.strip(" \0")
        return [part.strip(" \0") for part in decoded.split("\\")]
    code = _BINARY_VRS.get(vr)
    if code is not None:
        endian = "<" if element.is_little_endian else ">"
        count = len(value) // struct.calcsize(code)
        numbers = struct.unpack(
            f"{endian}{count}{code}", value[: count * struct.calcsize(code)]
        )
        return numbers[0] if count == 1 else list(numbers)
    return ds.get(keyword)


def sop_class_name(uid: str) -> str:
    """The registered name of a SOP Class UID, or the UID itself."""
    name = UID(uid).name if uid else ""
    return name or uid
