"""Loading one indexed stack into a :class:`~viewer.volume.Volume`, in parallel.

:class:`SeriesLoader` sorts a stack by position along the slice normal (never by
instance number or file name), allocates the volume up front and fills it from a
few worker threads, the slice the user looks at first, then outwards from it.
Rescale Slope and Intercept (PS3.3 C.11.1) are applied per frame: voxels are
int16 where every value fits and float32 otherwise. :func:`load_series` is the
blocking form, for the command line, tests and worker threads.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from viewer.headers import FileRef, HeaderError, read_header
from viewer.index import Series, scan
from viewer.pixels import DatasetCache, DecodeError, PixelFormat, decode, read_native
from viewer.presentation import (
    calibration,
    lut_window,
    series_info,
    voi_luts,
    window_presets,
)
from viewer.stacking import StackError, sort_along_normal
from viewer.volume import VoiLut, Volume, WindowPreset

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
_INT16 = np.iinfo(np.int16)


class LoadError(Exception):
    """A stack that cannot be loaded; the message names the file and the cause."""


class LoadCancelled(LoadError):
    """Loading was cancelled through the cancel event."""


def load_series(
    series_or_paths: Series | str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    *,
    workers: int | None = None,
    priority_slice: int | None = None,
) -> Volume:
    """Load a stack and return its volume once every slice is in.

    Parameters
    ----------
    series_or_paths
        A :class:`~viewer.index.Series` from :func:`viewer.scan`, or files and
        folders holding exactly one loadable stack.
    progress
        ``progress(done, total)`` after each slice, from a worker thread.
    cancel
        Set it to stop; :class:`LoadCancelled` is raised.
    workers
        Decoding threads; 0 decodes in the calling thread.
    """
    series = (
        series_or_paths
        if isinstance(series_or_paths, Series)
        else _only_series(series_or_paths)
    )
    loader = SeriesLoader(series, progress=progress, cancel=cancel, workers=workers)
    loader.start(priority_slice)
    return loader.wait()


def _only_series(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> Series:
    result = scan(paths if not isinstance(paths, str | os.PathLike) else [paths])
    loadable = [s for s in result.all_series() if s.is_volume]
    if len(loadable) == 1:
        return loadable[0]
    if not loadable:
        reasons = [f"{p.path}: {p.reason}" for p in result.problems[:3]]
        reasons += [n for s in result.all_series() for n in s.notes[:1]][:3]
        raise LoadError(
            "no loadable image stack found"
            + (": " + "; ".join(reasons) if reasons else "")
        )
    stacks = [
        _stack_name(study.study_date, study.study_time, series)
        for patient in result.patients
        for study in patient.studies
        for series in study.series
        if series.is_volume
    ]
    shown = "; ".join(stacks[:_NAMED_STACKS])
    if len(stacks) > _NAMED_STACKS:
        shown += f"; and {len(stacks) - _NAMED_STACKS} more"
    raise LoadError(
        f"{len(stacks)} image stacks found: {shown}. Pass the folder of one series "
        "('nadir index' lists them)"
    )


# How many stacks a "several stacks found" message names before "and N more".
_NAMED_STACKS = 8


def _stack_name(study_date: str, study_time: str, series: Series) -> str:
    """'2015-02-06 09:28 series 201 STD BRAIN 5MM (28 images)' for a message."""
    date = (
        f"{study_date[:4]}-{study_date[4:6]}-{study_date[6:]}"
        if len(study_date) == 8
        else "undated"
    )
    if len(study_time) >= 4 and study_time[:4].isdigit():
        date += f" {study_time[:2]}:{study_time[2:4]}"
    number = "-" if series.series_number is None else str(series.series_number)
    description = series.series_description or "(no description)"
    stack = f" [{series.stack_id}]" if series.stack_id else ""
    images = "image" if series.count == 1 else "images"
    return f"{date} series {number} {description}{stack} ({series.count} {images})"


class SeriesLoader:
    """Decodes one stack into a volume allocated up front, off the calling thread.

    Use it from a GUI like this: construct it (reads one header, sorts, and
    allocates ``volume`` with zeros; quick), call :meth:`start` with the slice
    the user is looking at, show ``volume.voxels[k]`` as soon as
    :meth:`is_loaded` says so (``on_slice(k)`` is called from a worker thread
    when slice k is in; hand it to the GUI thread), call :meth:`focus` when the
    user scrolls so the slices near the new position come next, and
    :meth:`wait` (in a worker) for the finished volume. ``voxels`` is written in
    place, except when a slice's values do not fit int16 after all: then the
    volume is rebuilt as float32 once, before :meth:`wait` returns, and
    ``volume`` names the new object.
    """

    def __init__(
        self,
        series: Series,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        workers: int | None = None,
        on_slice: Callable[[int], None] | None = None,
    ) -> None:
        if not series.is_volume:
            note = "; ".join(series.notes) or "not an image stack"
            raise LoadError(f"series {series.series_number} cannot be loaded: {note}")
        if not series.files:
            raise LoadError(f"series {series.series_number} has no images")
        self._progress = progress
        self._cancel = cancel or threading.Event()
        self._on_slice = on_slice
        self._workers = min(4, os.cpu_count() or 1) if workers is None else workers
        self._cache = DatasetCache()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._errors: list[tuple[int, str]] = []
        self._needs_float = False

        try:
            self.refs, positions, row, column, warnings = sort_along_normal(
                series.files
            )
        except StackError as error:
            raise LoadError(str(error)) from None
        try:
            header = read_header(self.refs[0].location)
        except HeaderError as error:
            raise LoadError(f"{self.refs[0].display}: {error}") from None
        ds = header.dataset
        try:
            self._format = PixelFormat.from_dataset(ds)
        except DecodeError as error:
            raise LoadError(f"{self.refs[0].display}: {error}") from None
        spacing, calib = calibration(ds, self.refs[0].pixel_spacing_mm)
        presets, luts = self._presets(ds)
        thickness = series.slice_thickness_mm
        warnings += series.notes
        if "ModalityLUTSequence" in ds:
            # Only the linear rescale is applied; no scanner in the reading
            # workflow (CT, MR) writes a Modality LUT table (PS3.3 C.11.1).
            warnings.append(
                "Modality LUT Sequence (0028,3000) is not applied: values are "
                "stored values with Rescale Slope/Intercept only"
            )
        self._dtype = self._choose_dtype()
        shape = (len(self.refs), self._format.rows, self._format.columns)
        self.volume = Volume(
            voxels=np.zeros(shape, dtype=self._dtype),
            slice_positions_lps_mm=positions,
            row_cosine=row,
            column_cosine=column,
            pixel_spacing_mm=spacing,
            frame_of_reference_uid=series.frame_of_reference_uid,
            sop_instance_uids=tuple(r.sop_instance_uid for r in self.refs),
            calibration=calib,
            window_presets=tuple(presets),
            voi_luts=tuple(luts),
            monochrome1=str(ds.get("PhotometricInterpretation", "")).strip()
            == "MONOCHROME1",
            # The index's description tells split stacks apart ("B0 NS (magnitude)").
            info=dataclasses.replace(
                series_info(ds, thickness),
                series_description=series.series_description,
            ),
            single_slice_step_mm=thickness or 1.0,
            warnings=tuple(dict.fromkeys(warnings)),
            slice_thicknesses_mm=tuple(r.slice_thickness_mm for r in self.refs),
        )
        self._loaded = np.zeros(len(self.refs), dtype=bool)
        self._claimed = np.zeros(len(self.refs), dtype=bool)
        self._started = False
        self._done = 0
        self._order: list[int] = []
        self._next_index = 0

    def _presets(self, first: Any) -> tuple[list[WindowPreset], list[VoiLut]]:
        """Windows and VOI LUTs of the middle slice, the one shown first.

        Scanners window each slice for its own content; an edge slice of a head
        MR holds mostly air, so its window saturates the brain (PS3.3 C.11.2).
        """
        middle = self.refs[len(self.refs) // 2]
        ds = first
        if middle.location != self.refs[0].location:
            try:
                ds = read_header(middle.location).dataset
            except HeaderError as error:
                logger.warning(
                    "middle slice header unreadable, using the first: %s", error
                )
        presets = window_presets(ds, _frame_groups(ds, middle.frame))
        luts = voi_luts(ds)
        presets += [
            lut_window(lut, middle.rescale_slope, middle.rescale_intercept)
            for lut in luts
        ]
        return presets, luts

    # ------------------------------------------------------------ public API

    def start(self, priority_slice: int | None = None) -> None:
        """Begin decoding, slice ``priority_slice`` first (the middle by default)."""
        if self._started:
            raise RuntimeError("a SeriesLoader starts once")
        self._started = True
        self.focus(len(self.refs) // 2 if priority_slice is None else priority_slice)
        if self._workers <= 0:
            self._work()
            return
        for number in range(min(self._workers, len(self.refs))):
            thread = threading.Thread(
                target=self._work, name=f"series-loader-{number}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def focus(self, k: int) -> None:
        """Decode the slices nearest to ``k`` next."""
        count = len(self.refs)
        k = int(np.clip(k, 0, count - 1))
        order = [k]
        for step in range(1, count):
            order.extend(i for i in (k + step, k - step) if 0 <= i < count)
        with self._lock:
            self._order = [i for i in order if not self._claimed[i]]
            self._next_index = 0

    def is_loaded(self, k: int) -> bool:
        """True once slice k holds its final values."""
        return bool(self._loaded[k])

    def cancel(self) -> None:
        """Stop after the slices being decoded now."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> Volume:
        """Block until every slice is in; returns the volume.

        Raises
        ------
        LoadCancelled
            The cancel event was set.
        LoadError
            No slice could be decoded, or the wait timed out.
        """
        if not self._started:
            self.start()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                raise LoadError("loading did not finish in time")
        self._cache.clear()
        if self._cancel.is_set() and not self._loaded.all():
            raise LoadCancelled("loading cancelled")
        if self._needs_float:
            self._rebuild_float()
        return self._finish()

    # ------------------------------------------------------------ workers

    def _next(self) -> int | None:
        with self._lock:
            while self._next_index < len(self._order):
                k = self._order[self._next_index]
                self._next_index += 1
                if not self._claimed[k]:
                    self._claimed[k] = True
                    return k
            return None

    def _work(self) -> None:
        voxels = self.volume.voxels
        while not self._cancel.is_set():
            k = self._next()
            if k is None:
                return
            ref = self.refs[k]
            try:
                fits = self._decode_into(ref, voxels[k])
            except DecodeError as error:
                with self._lock:
                    self._errors.append((k, str(error)))
                continue
            if not fits:
                with self._lock:
                    self._needs_float = True
                continue
            with self._lock:
                self._loaded[k] = True
                self._done += 1
                done = self._done
            if self._on_slice is not None:
                self._on_slice(k)
            if self._progress is not None:
                self._progress(done, len(self.refs))

    def _decode_into(self, ref: FileRef, out: npt.NDArray[Any]) -> bool:
        """Decode one frame into ``out``; False when its values overflow int16."""
        fmt = self._format
        direct = (
            out.dtype == np.int16
            and fmt.bits_allocated == 16
            and ref.rescale_slope == 1
            and fmt.native_fast_path(ref)
        )
        if not direct:
            stored = decode(ref, fmt, self._cache)
            return _rescale_into(stored, ref, out, self._check_range)
        # Read straight into the volume and rescale in place: no buffer, one pass.
        stored = read_native(ref, fmt, out)
        intercept = int(ref.rescale_intercept)
        if self._check_range:
            low, high = int(stored.min()) + intercept, int(stored.max()) + intercept
            if low < _INT16.min or high > _INT16.max:
                return False
        if intercept:
            out += np.int16(intercept)
        return True

    def _choose_dtype(self) -> np.dtype[Any]:
        """int16 when every rescale is integral, float32 otherwise.

        Also decides whether each slice's values must be checked against the
        int16 range: only when Bits Stored and the rescale allow values outside it.
        """
        low, high = self._format.stored_range
        self._check_range = False
        for ref in self.refs:
            slope, intercept = ref.rescale_slope, ref.rescale_intercept
            if slope != int(slope) or intercept != int(intercept):
                return np.dtype(np.float32)
            ends = (low * slope + intercept, high * slope + intercept)
            if min(ends) < _INT16.min or max(ends) > _INT16.max:
                self._check_range = True
        return np.dtype(np.int16)

    def _rebuild_float(self) -> None:
        logger.info("values exceed int16; rebuilding the volume as float32")
        voxels = self.volume.voxels.astype(np.float32)
        self.volume.voxels = voxels
        self._needs_float = False
        pending = [k for k in range(len(self.refs)) if not self._loaded[k]]
        for k in pending:
            if any(k == bad for bad, _ in self._errors):
                continue
            ref = self.refs[k]
            try:
                stored = decode(ref, self._format, self._cache)
            except DecodeError as error:
                self._errors.append((k, str(error)))
                continue
            _rescale_into(stored, ref, voxels[k], check_range=False)
            self._loaded[k] = True
        self._cache.clear()

    def _finish(self) -> Volume:
        if self._errors and len(self._errors) == len(self.refs):
            raise LoadError(self._errors[0][1])
        if self._errors:
            messages = [
                f"slice {k + 1} at {self.volume.slice_distance_mm(k):.2f} mm along the "
                f"normal is blank: {message}"
                for k, message in sorted(self._errors)
            ]
            self.volume.warnings = self.volume.warnings + tuple(messages)
        return self.volume


def _rescale_into(
    stored: npt.NDArray[Any], ref: FileRef, out: npt.NDArray[Any], check_range: bool
) -> bool:
    """Write modality values into ``out``; False if they do not fit an int16 ``out``."""
    slope, intercept = ref.rescale_slope, ref.rescale_intercept
    if out.dtype == np.int16:
        if check_range:
            low, high = int(stored.min()), int(stored.max())
            values = sorted((low * slope + intercept, high * slope + intercept))
            if values[0] < _INT16.min or values[1] > _INT16.max:
                return False
        if slope == 1:
            np.add(stored, np.int32(intercept), out=out, casting="unsafe")
        else:
            np.copyto(
                out,
                stored.astype(np.int32) * np.int32(slope) + np.int32(intercept),
                casting="unsafe",
            )
        return True
    np.multiply(stored, np.float32(slope), out=out, casting="unsafe")
    if intercept:
        out += np.float32(intercept)
    return True


def _frame_groups(ds: Any, frame: int | None) -> list[Any]:
    groups = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if frame is not None and per_frame is not None and frame - 1 < len(per_frame):
        groups.append(per_frame[frame - 1])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    return groups
