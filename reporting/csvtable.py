"""The lesion table as CSV, for spreadsheets and statistics tools.

One row per lesion and one column per timepoint, as the report shows it, followed
by the rows of the evaluation (sum of diameters, changes, responses). Numbers are
written with a full stop and one decimal, responses with their RECIST codes, so the
file reads the same in every locale.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reporting.results import lesion_value_mm, timepoint_results

logger = logging.getLogger(__name__)


def table_rows(
    case: Mapping[str, Any], evaluation: Mapping[str, Any] | None
) -> list[list[str]]:
    """The table as rows of text, header first."""
    results = timepoint_results(case, evaluation)
    header = ["lesion", "kind", "organ", "location", "node"]
    header += [f"{r.id} ({r.date})" if r.date else r.id for r in results]
    rows = [header]
    for lesion in case.get("lesions", []):
        row = [
            str(lesion.get("id", "")),
            str(lesion.get("kind", "")),
            str(lesion.get("organ", "")),
            str(lesion.get("location", "") or ""),
            "yes" if lesion.get("node") else "no",
        ]
        for r in results:
            row.append(_cell(lesion, r.id))
        rows.append(row)
    summary: list[tuple[str, list[str]]] = [
        ("sum_mm", [_num(r.sum_mm) for r in results]),
        ("sum_complete", ["yes" if r.sum_complete else "no" for r in results]),
        (
            "change_from_baseline_pct",
            [_num(r.change_from_baseline_pct) for r in results],
        ),
        ("change_from_nadir_pct", [_num(r.change_from_nadir_pct) for r in results]),
        ("target", [r.target or "" for r in results]),
        ("non_target", [r.non_target or "" for r in results]),
        (
            "new_lesions",
            [
                "" if r.new_lesions is None else str(r.new_lesions).lower()
                for r in results
            ],
        ),
        ("overall", [r.overall or "" for r in results]),
    ]
    for name, values in summary:
        rows.append([name, "", "", "", "", *values])
    return rows


def write_csv(
    path: Path, case: Mapping[str, Any], evaluation: Mapping[str, Any] | None
) -> None:
    """Write the table (UTF-8, comma separated) to ``path``."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table_rows(case, evaluation))
    path.write_text(buffer.getvalue(), encoding="utf-8")
    logger.debug("wrote lesion table %s", path)


def _cell(lesion: Mapping[str, Any], tp_id: str) -> str:
    if lesion.get("kind") != "target":
        return str((lesion.get("assessments") or {}).get(tp_id, ""))
    m = (lesion.get("measurements") or {}).get(tp_id)
    if not m:
        return ""
    if m.get("status") == "merged":
        return f"merged into {m.get('merged_into', '')}"
    if m.get("status"):
        return str(m["status"])
    return _num(lesion_value_mm(lesion, tp_id))


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"
