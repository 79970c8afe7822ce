"""Exporting the reading from the window: the export as one background job.

The window calls :func:`start_export` with the reading's case, the folders of its
studies and the reader's choices; the files are written off the GUI thread by
:func:`reporting.export.export_reading`, whose steps arrive as progress, and the
result or a one-line error comes back on the GUI thread (see :mod:`app.workers`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import workers
from reporting.export import ExportResult, export_reading

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportRequest:
    """What the reader asked for: where, in which language, and what to add."""

    out_dir: Path
    lang: str = "en"
    deidentify: bool = False
    secondary_captures: bool = False
    findings: str = ""
    impression: str = ""
    flagged: Sequence[str] = field(default_factory=tuple)


def start_export(
    case: Mapping[str, Any],
    sources: Sequence[Path],
    request: ExportRequest,
    on_result: Callable[[ExportResult], None],
    on_error: Callable[[str], None],
    on_progress: Callable[[float, str], None] | None = None,
) -> workers.Job:
    """Export in the background; an output folder in use is reported as an error
    before anything is written."""
    snapshot = dict(case)

    def run(job: workers.Job) -> ExportResult:
        def progress(done: int, total: int, message: str) -> None:
            job.report(done / total, message)

        return export_reading(
            snapshot,
            list(sources),
            request.out_dir,
            request.lang,
            request.deidentify,
            progress,
            flagged=list(request.flagged),
            findings=request.findings,
            impression=request.impression,
            secondary_captures=request.secondary_captures,
        )

    def result(value: Any) -> None:
        on_result(value)

    return workers.submit(run, result, on_error, on_progress)
