"""How long exporting the demo reading takes, against indexing its studies.

Run with ``python tests/perf/bench_export.py``. The reference is the header scan
every export starts with; the ratio shows what writing the SR, the key objects, the
key images and the PDF adds to it, per language and with de-identification.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from reporting.export import export_reading  # noqa: E402
from reporting.sources import index_sources  # noqa: E402
from viewer.demo_case import write_demo_case  # noqa: E402


def bench_export(size: int = 512, slices: int = 130) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = write_demo_case(root / "demo", size, slices)
        case = json.loads((folder / "expected_case.json").read_text())

        started = time.perf_counter()
        index_sources([folder])
        reference = time.perf_counter() - started

        for n, (lang, deidentify) in enumerate(
            (("en", False), ("de", False), ("ru", True))
        ):
            started = time.perf_counter()
            result = export_reading(case, [folder], root / f"out{n}", lang, deidentify)
            took = time.perf_counter() - started
            print(
                f"export {lang}{' de-identified' if deidentify else ''}: "
                f"{len(result.files)} files, {result.pages} pages, {took:.2f} s; "
                f"index {reference:.2f} s; ratio {took / reference:.2f}"
            )


if __name__ == "__main__":
    bench_export()
