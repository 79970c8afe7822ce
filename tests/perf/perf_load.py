"""Benchmark: loading a 512x512x300 uncompressed CT series, against references.

Writes the series to a temporary folder, then prints, measured in this one run on
the same files with the page cache warm (median of a few repeats):

- our load time / SimpleITK ImageSeriesReader's (with its own file sort),
- our load time / the time to merely read every file's bytes (the floor),
- the time to the first displayable slice,
- peak memory during a load / the voxel bytes (in a fresh child process).

"Our load" is given twice: from the folder (index + load, comparable to
SimpleITK, which also sorts the files itself) and from an already indexed
series (what the viewer does when the user opens a series from the browser).
Run ``python tests/perf/perf_load.py`` or ``pytest tests/perf/perf_load.py -s``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.dicom_factory import image, write  # noqa: E402
from viewer import load_series, scan  # noqa: E402
from viewer.loader import SeriesLoader  # noqa: E402

SLICES, ROWS, COLUMNS = 300, 512, 512
REPEATS = 5


def build_series(folder: Path) -> None:
    """300 slices of 512x512 unsigned 12-bit CT, file names shuffled."""
    rng = np.random.default_rng(1)
    names = rng.permutation(SLICES)
    base = rng.integers(0, 4096, size=(ROWS, COLUMNS), dtype=np.uint16)
    for n in range(SLICES):
        pixels = np.roll(base, n, axis=1)
        ds = image(
            pixels, position=(-180.0, -180.0, 1.25 * n), bits_stored=12, instance=n + 1
        )
        write(ds, folder / f"{names[n]:05d}.dcm")


def timed_round_robin(actions: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median wall time (s) of each action over REPEATS rounds.

    The actions take turns within each round, so a busy spell on a shared
    machine slows all of them alike instead of skewing one ratio.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(REPEATS):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def read_bytes(folder: Path) -> None:
    for path in sorted(folder.iterdir()):
        with open(path, "rb") as stream:
            stream.read()


def simpleitk_load(folder: Path) -> None:
    import SimpleITK as sitk

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    image_ = reader.Execute()
    sitk.GetArrayFromImage(image_)


def serial_pydicom(folder: Path) -> None:
    import pydicom

    slices = []
    for path in sorted(folder.iterdir()):
        ds = pydicom.dcmread(path)
        slices.append((float(ds.ImagePositionPatient[2]), ds.pixel_array))
    slices.sort(key=lambda item: item[0])
    np.stack([s for _, s in slices])


def first_slice_time(folder: Path) -> float:
    (series,) = scan([folder]).all_series()
    times = []
    for _ in range(REPEATS):
        shown = threading.Event()
        wanted = SLICES // 3

        def on_slice(
            k: int, wanted: int = wanted, shown: threading.Event = shown
        ) -> None:
            if k == wanted:
                shown.set()

        start = time.perf_counter()
        loader = SeriesLoader(series, on_slice=on_slice)
        loader.start(priority_slice=wanted)
        shown.wait()
        times.append(time.perf_counter() - start)
        loader.wait()
    return statistics.median(times)


def memory_child(folder: str) -> None:
    """Print peak RSS growth during one load and the voxel bytes (child process)."""
    (series,) = scan([folder]).all_series()
    before = _status_bytes("VmRSS")
    volume = load_series(series)
    print(_status_bytes("VmHWM") - before, volume.voxels.nbytes)


def _status_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status.

    VmHWM (the peak resident set) belongs to this program image only; the
    ru_maxrss of getrusage would carry the parent's size over the fork.
    """
    with open("/proc/self/status") as stream:
        for line in stream:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_ratio(folder: Path) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]) / int(out[1])


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_series(folder)
        read_bytes(folder)  # warm the page cache
        (series,) = scan([folder]).all_series()
        load_series(series)  # first use: imports and thread start-up
        t = timed_round_robin(
            {
                "floor": lambda: read_bytes(folder),
                "sitk": lambda: simpleitk_load(folder),
                "serial": lambda: serial_pydicom(folder),
                "from_folder": lambda: load_series(folder),
                "indexed": lambda: load_series(series),
                "index_only": lambda: scan([folder]),
            }
        )
        floor, sitk, serial = t["floor"], t["sitk"], t["serial"]
        from_folder, indexed, index_only = (
            t["from_folder"],
            t["indexed"],
            t["index_only"],
        )
        first = first_slice_time(folder)
        memory = memory_ratio(folder)
    figures = {
        "floor_s": floor,
        "simpleitk_s": sitk,
        "serial_pydicom_s": serial,
        "ours_from_folder_s": from_folder,
        "ours_indexed_s": indexed,
        "index_only_s": index_only,
        "first_slice_s": first,
        "memory_ratio": memory,
    }
    print(
        f"{SLICES} slices of {ROWS}x{COLUMNS}, {os.cpu_count()} CPUs, "
        f"median of {REPEATS}"
    )
    print(f"read bytes (floor)           {floor * 1000:8.0f} ms")
    print(f"SimpleITK ImageSeriesReader  {sitk * 1000:8.0f} ms")
    print(f"serial pydicom loop          {serial * 1000:8.0f} ms")
    print(f"ours, index + load           {from_folder * 1000:8.0f} ms")
    print(f"ours, indexed series         {indexed * 1000:8.0f} ms")
    print(f"  (index alone               {index_only * 1000:8.0f} ms)")
    print(
        f"ratio to SimpleITK           {from_folder / sitk:8.2f} (index + load), "
        f"{indexed / sitk:.2f} (indexed)   target <= 0.4"
    )
    print(
        f"ratio to floor               {from_folder / floor:8.2f} (index + load), "
        f"{indexed / floor:.2f} (indexed)   target <= 2.5"
    )
    print(f"first displayable slice      {first * 1000:8.0f} ms   target <= 300 ms")
    print(f"peak memory / voxel bytes    {memory:8.2f}   target <= 1.3")
    return figures


def test_perf_load() -> None:
    figures = run()
    assert figures["memory_ratio"] > 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory-child":
        memory_child(sys.argv[2])
    else:
        run()
