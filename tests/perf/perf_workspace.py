"""Benchmark: saving one edit to the workspace, and reopening it with its history.

Run with ``python tests/perf/perf_workspace.py``. Prints medians and their ratio to
a reference measured in the same run: one bare SQLite transaction (WAL,
synchronous=FULL) that replaces a row of the same size as the saved reading. The
save is dominated by that fsync; the ratio shows what the reading's serialisation
and the history difference add.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    from measurement.edits import AddMeasurement, Batch, CreateLesion, MoveMeasurement
    from measurement.model import (
        ImageRef,
        Lesion,
        LesionKind,
        Measurement,
        ReadingState,
        Timepoint,
        Tool,
    )
    from measurement.serial import state_to_json
    from reporting.workspace import open_reading

    def initial() -> ReadingState:
        return ReadingState(
            patient_id="ANON",
            timepoints=(
                Timepoint("T0", "1.2.3", "2026-01-12", True),
                Timepoint("T1", "1.2.4", "2026-03-20"),
                Timepoint("T2", "1.2.5", "2026-06-02"),
            ),
        )

    with tempfile.TemporaryDirectory() as folder:
        workspace, reading = open_reading(Path(folder), ["1.2.3"], initial)
        for size in (10, 100, 300):
            while len(reading.state.measurements) < size:
                number = len(reading.state.measurements) + 1
                lesion = f"L{number}"
                reading.execute(
                    Batch(
                        "add",
                        (
                            CreateLesion(Lesion(lesion, LesionKind.TARGET)),
                            AddMeasurement(
                                Measurement(
                                    f"M{number}",
                                    f"T{number % 3}",
                                    Tool.BIDIRECTIONAL,
                                    (
                                        (0, number, 0),
                                        (20, number, 0),
                                        (10, number - 5, 0),
                                        (10, number + 5, 0),
                                    ),
                                    ImageRef(f"1.2.9.{number}", "1.2.8"),
                                    lesion_id=lesion,
                                )
                            ),
                        ),
                    )
                )
            saves = []
            for step in range(20):
                points = ((0, 1, 0), (20 + step, 1, 0), (10, -4, 0), (10, 6, 0))
                start = time.perf_counter()
                reading.execute(MoveMeasurement("M1", points))
                saves.append(time.perf_counter() - start)

            import json

            payload = json.dumps(state_to_json(reading.state))
            reference = []
            db = sqlite3.connect(Path(folder) / "ref.sqlite", isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
            for _ in range(20):
                start = time.perf_counter()
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT OR REPLACE INTO t VALUES (1, ?)", (payload,))
                db.execute("COMMIT")
                reference.append(time.perf_counter() - start)
            db.close()

            opens = []
            for _ in range(3):
                start = time.perf_counter()
                again, _ = open_reading(Path(folder), ["1.2.3"], initial)
                again.close()
                opens.append(time.perf_counter() - start)
            save_ms, ref_ms = _median_ms(saves), _median_ms(reference)
            print(
                f"{size:4d} measurements, {len(reading.undo_entries)} undo steps, "
                f"{len(payload) / 1024:.0f} KiB: save {save_ms:.1f} ms "
                f"(bare transaction {ref_ms:.1f} ms, ratio {save_ms / ref_ms:.1f}); "
                f"reopen with history {_median_ms(opens):.0f} ms"
            )
        workspace.close()


if __name__ == "__main__":
    main()
