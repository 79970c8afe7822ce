"""Slow work off the GUI thread, with one path for results and errors.

:func:`submit` runs a function in Qt's global thread pool and delivers its result,
its error or its progress back on the GUI thread through signals. Setting
``Workers.synchronous`` runs the function at once on the calling thread, which
makes tests deterministic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)


class Job(QObject):
    """Signals of one piece of background work; ``cancel`` asks it to stop.

    The job lives on the GUI thread; the worker emits its signals, which Qt queues
    to the job's own slots, and those call the Python callbacks on the GUI thread.
    """

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(float, str)
    partial = Signal(object)

    def __init__(
        self,
        on_result: Callable[[Any], None],
        on_error: Callable[[str], None],
        on_progress: Callable[[float, str], None] | None,
        on_partial: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self.cancel = threading.Event()
        self._on_result = on_result
        self._on_error = on_error
        self._on_progress = on_progress
        self._on_partial = on_partial
        self._ended = False
        self.finished.connect(self._deliver_result)
        self.failed.connect(self._deliver_error)
        self.progress.connect(self._deliver_progress)
        self.partial.connect(self._deliver_partial)

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        _running.discard(self)
        self._ended = True
        self._on_result(result)

    @Slot(str)
    def _deliver_error(self, message: str) -> None:
        _running.discard(self)
        self._ended = True
        self._on_error(message)

    @Slot(object)
    def _deliver_partial(self, value: Any) -> None:
        if self._on_partial is not None and not self.cancel.is_set():
            self._on_partial(value)

    @Slot(float, str)
    def _deliver_progress(self, fraction: float, text: str) -> None:
        # Reports from helper threads can arrive after the result: drop them.
        if self._on_progress is not None and not self._ended:
            self._on_progress(fraction, text)

    def report(self, fraction: float, text: str = "") -> None:
        """Thread-safe progress report (0..1)."""
        self.progress.emit(float(fraction), text)


class _Runnable(QRunnable):
    def __init__(self, job: Job, function: Callable[[Job], Any]) -> None:
        super().__init__()
        self.job = job
        self.function = function

    def run(self) -> None:
        _execute(self.job, self.function)


# Jobs are kept alive here until they report, so their signals are not lost.
_running: set[Job] = set()


class Workers:
    """Switches between the thread pool and synchronous execution."""

    synchronous = False


def submit(
    function: Callable[[Job], Any],
    on_result: Callable[[Any], None],
    on_error: Callable[[str], None],
    on_progress: Callable[[float, str], None] | None = None,
    on_partial: Callable[[Any], None] | None = None,
) -> Job:
    """Run ``function(job)`` in the background; callbacks run on the GUI thread.

    ``function`` may emit ``job.partial`` with an early result (a volume whose
    first slices are in) before it returns the finished one.
    """
    job = Job(on_result, on_error, on_progress, on_partial)
    _running.add(job)
    if Workers.synchronous:
        _execute(job, function)
    else:
        QThreadPool.globalInstance().start(_Runnable(job, function))
    return job


def _execute(job: Job, function: Callable[[Job], Any]) -> None:
    try:
        result = function(job)
    except Exception as error:  # noqa: BLE001 - the one place worker errors surface
        if job.cancel.is_set():
            logger.debug("cancelled work ended with %s", type(error).__name__)
            return
        logger.exception("background work failed")
        job.failed.emit(str(error) or type(error).__name__)
        return
    if not job.cancel.is_set():
        job.finished.emit(result)


def shutdown(timeout_ms: int = 5000) -> None:
    """Ask every running job to stop and wait for the pool (on exit)."""
    for job in list(_running):
        job.cancel.set()
    QThreadPool.globalInstance().waitForDone(timeout_ms)
