"""Benchmark: window and paint one 512x512 slice; a synced scroll of two viewports.

Run with ``make perf`` or ``python tests/perf/perf_viewport.py``. Prints medians
and their ratio to a reference measured in the same run: plain numpy arithmetic
windowing of the same slice (no lookup table, no painting). Targets: window and
paint <= 5 ms, synced scroll step <= 16 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _median_ms(action, repeat: int = 40) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    from app.gui import application
    from viewer.linker import Linker
    from viewer.render import window_to_bytes
    from viewer.viewport import Viewport
    from viewer.volume import Volume

    app = application()
    rng = np.random.default_rng(1)
    voxels = rng.integers(-1000, 1500, size=(300, 512, 512), dtype=np.int16)
    positions = np.array([[0.0, 0.0, 1.25 * k] for k in range(300)])

    def volume(frame: str) -> Volume:
        return Volume(
            voxels,
            positions,
            np.array([1.0, 0, 0]),
            np.array([0, 1.0, 0]),
            (0.7, 0.7),
            frame_of_reference_uid=frame,
        )

    a, b = Viewport("A"), Viewport("B")
    for viewport in (a, b):
        viewport.resize(700, 700)
        viewport.show()
    linker = Linker()
    linker.add(a)
    linker.add(b)
    a.set_volume(volume("1"))
    b.set_volume(volume("1"))
    app.processEvents()

    reference = _median_ms(lambda: window_to_bytes(voxels[150], 40, 400))
    k = [10]

    def paint_one() -> None:
        k[0] = 10 + (k[0] + 1) % 200
        a.set_slice(k[0])
        a.repaint()

    linker.scroll_linked = False
    paint = _median_ms(paint_one)
    linker.scroll_linked = True

    def synced_step() -> None:
        k[0] = 10 + (k[0] + 1) % 200
        a.set_slice(k[0])
        a.repaint()
        b.repaint()

    synced = _median_ms(synced_step)
    assert b.slice_index == a.slice_index
    print(f"numpy window of one 512x512 slice (reference): {reference:.2f} ms")
    print(
        f"window+paint one viewport: {paint:.2f} ms "
        f"(ratio to reference {paint / reference:.2f}; target <= 5 ms)"
    )
    print(
        f"synced scroll step, two viewports: {synced:.2f} ms "
        f"(ratio to reference {synced / reference:.2f}; target <= 16 ms)"
    )


def test_viewport_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
