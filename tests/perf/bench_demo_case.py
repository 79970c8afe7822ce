"""How long the full-size demo takes to write, against plain slice writing.

Run with ``python tests/perf/bench_demo_case.py``. The reference writes the same
number of constant 512 x 512 slices with the same writer, so the ratio shows what
rasterising the phantom adds to pydicom's encoding and the disk.
"""

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from viewer.demo_case import STUDIES, write_demo_case  # noqa: E402
from viewer.synthetic import StackGeometry, write_ct_series  # noqa: E402


def bench_demo_case(size: int = 512, slices: int = 130) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        geometry = StackGeometry.regular(
            size, size, slices, (0, 0, 0), (0, 0, -1.5), (0.78125, 0.78125)
        )
        blank = np.full((size, size), 40.0, dtype=np.float32)
        started = time.perf_counter()
        for index in range(len(STUDIES)):
            write_ct_series(
                root / f"ref{index}", (blank for _ in range(slices)), geometry
            )
        reference = time.perf_counter() - started

        started = time.perf_counter()
        write_demo_case(root / "demo", size, slices)
        demo = time.perf_counter() - started
    print(
        f"demo {len(STUDIES)} x {slices} x {size}^2: {demo:.2f} s; plain writing "
        f"{reference:.2f} s; ratio {demo / reference:.2f}"
    )


if __name__ == "__main__":
    bench_demo_case()
