"""The lesion table as a Qt-free model: lesions by timepoints, with RECIST footers.

Rows are the reading's lesions, columns its timepoints (by date, baseline marked);
each cell shows the lesion's measurement or status there. Footer rows show, per
timepoint, what the RECIST 1.1 engine (:mod:`measurement.recist`, imported when
first needed) computes from the reading's case file: the sum of diameters, its
change from baseline and from the nadir, the target, non-target, new-lesion and
overall responses, the response margin, and the engine's rule-check warnings,
which the table shows and never enforces. A Qt item model wraps this class and
forwards the reading's change callbacks as signals.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from measurement.geometry import Quantity, length_unit
from measurement.model import ImageRef, Lesion, LesionKind, Measurement, Timepoint
from measurement.reading import Change, Reading

logger = logging.getLogger(__name__)

Evaluate = Callable[[dict[str, Any]], Mapping[str, Any]]

FOOTER_ROWS: tuple[tuple[str, str], ...] = (
    ("sum", "Sum of diameters"),
    ("change_from_baseline", "Change from baseline"),
    ("change_from_nadir", "Change from nadir"),
    ("target", "Target response"),
    ("non_target", "Non-target response"),
    ("new_lesions", "New lesions"),
    ("overall", "Overall response"),
    ("margin", "Response margin"),
)

STATUS_TEXT = {
    "too-small": "too small (5 mm)",
    "absent": "absent",
    "not-assessed": "not assessed",
    "present": "present",
    "progression": "progression",
    "equivocal": "equivocal",
    "unequivocal": "unequivocal",
}


@dataclass(frozen=True)
class Cell:
    """What one cell shows and what clicking it brings back."""

    text: str
    status: str | None = None
    measurement_id: str | None = None
    long: Quantity | None = None
    short: Quantity | None = None
    image: ImageRef | None = None

    @property
    def calibrated(self) -> bool:
        """False when the cell's lengths are not trusted patient millimetres."""
        return all(q.calibrated for q in (self.long, self.short) if q is not None)


class LesionTable:
    """Rows of lesions, columns of timepoints, footers from the RECIST engine.

    Parameters
    ----------
    reading
        The reading shown; the table listens to it and recomputes lazily.
    evaluate
        The RECIST evaluation of a nadir-case/1 dict; by default
        ``measurement.recist.evaluate``.
    """

    def __init__(self, reading: Reading, evaluate: Evaluate | None = None) -> None:
        self._reading = reading
        self._evaluate = evaluate
        self._evaluation: Mapping[str, Any] | None = None
        self._per_timepoint: dict[str, Mapping[str, Any]] = {}
        self.evaluation_error = ""
        reading.add_listener(self._on_change)

    def close(self) -> None:
        """Stop listening to the reading."""
        self._reading.remove_listener(self._on_change)

    # ----------------------------------------------------------- shape

    @property
    def row_count(self) -> int:
        """Number of lesions."""
        return len(self._reading.state.lesions)

    @property
    def column_count(self) -> int:
        """Number of timepoints."""
        return len(self._reading.state.timepoints)

    def lesion(self, row: int) -> Lesion:
        """The lesion of a row."""
        return self._reading.state.lesions[row]

    def timepoint(self, column: int) -> Timepoint:
        """The timepoint of a column."""
        return self._reading.state.timepoints[column]

    def row_header(self, row: int) -> str:
        """E.g. ``"L2 mediastinal node (node, target)"``."""
        lesion = self.lesion(row)
        place = " ".join(part for part in (lesion.organ, lesion.name) if part)
        details = ", ".join(
            part for part in ("node" if lesion.node else "", lesion.kind.value) if part
        )
        return f"{lesion.id} {place} ({details})".replace("  ", " ")

    def column_header(self, column: int) -> str:
        """E.g. ``"T0 2026-01-12 (baseline)"``."""
        timepoint = self.timepoint(column)
        text = f"{timepoint.id} {timepoint.date}".strip()
        return f"{text} (baseline)" if timepoint.baseline else text

    # ----------------------------------------------------------- cells

    def cell(self, row: int, column: int) -> Cell:
        """The measurement or status of a lesion at a timepoint."""
        state = self._reading.state
        lesion, timepoint = self.lesion(row), self.timepoint(column)
        status = state.status(lesion.id, timepoint.id)
        measured = state.cell_measurements(lesion.id, timepoint.id)
        if measured and (status is None or lesion.kind is not LesionKind.TARGET):
            cell = _measurement_cell(measured[0])
            if status is not None:
                cell = Cell(
                    f"{STATUS_TEXT[status]}; {cell.text}",
                    status,
                    cell.measurement_id,
                    cell.long,
                    cell.short,
                    cell.image,
                )
            return cell
        if status is not None:
            return Cell(STATUS_TEXT.get(status, status), status)
        return Cell("")

    # ---------------------------------------------------------- footers

    @property
    def footer_count(self) -> int:
        """Number of footer rows."""
        return len(FOOTER_ROWS)

    def footer_title(self, footer: int) -> str:
        """Title of a footer row."""
        return FOOTER_ROWS[footer][1]

    def footer(self, footer: int, column: int) -> str:
        """Text of a footer row at a timepoint, ``""`` where nothing applies."""
        key = FOOTER_ROWS[footer][0]
        timepoint_id = self.timepoint(column).id
        values = self.timepoint_evaluation(timepoint_id)
        if not values or not self._assessed(timepoint_id):
            # Nothing read at this timepoint yet: no verdict, not even "no".
            return ""
        if key == "sum":
            return _number(values.get("sum_mm"), " mm")
        if key == "change_from_baseline":
            return _number(values.get("change_from_baseline_pct"), "%", signed=True)
        if key == "change_from_nadir":
            return _number(values.get("change_from_nadir_pct"), "%", signed=True)
        if key == "margin":
            margin = self.margin(column)
            return str(margin.get("text", "")) if margin else ""
        value = values.get(key)
        return "" if value is None else str(value)

    def _assessed(self, timepoint_id: str) -> bool:
        """True once any lesion has a measurement or a status at the timepoint."""
        state = self._reading.state
        return any(m.timepoint_id == timepoint_id for m in state.measurements) or any(
            s.timepoint_id == timepoint_id for s in state.statuses
        )

    def margin(self, column: int) -> Mapping[str, Any] | None:
        """The engine's response margin at a follow-up (``text``, ``to_pd_mm``...)."""
        margin = self.timepoint_evaluation(self.timepoint(column).id).get("margin")
        return margin if isinstance(margin, Mapping) else None

    def notes(self, column: int) -> list[str]:
        """The engine's notes on a timepoint (e.g. which targets were not assessed)."""
        notes = self.timepoint_evaluation(self.timepoint(column).id).get("notes", [])
        return [str(note) for note in notes] if isinstance(notes, list) else []

    def warnings(self) -> list[str]:
        """Every rule check the case breaks (RECIST.md): shown, never enforced."""
        return [_warning_text(w) for w in self._warnings()]

    def lesion_warnings(self, row: int) -> list[str]:
        """The rule checks that concern one lesion."""
        lesion_id = self.lesion(row).id
        return [
            _warning_text(w)
            for w in self._warnings()
            if isinstance(w, Mapping) and w.get("lesion") == lesion_id
        ]

    def _warnings(self) -> list[Any]:
        warnings = self.evaluation().get("warnings", [])
        return list(warnings) if isinstance(warnings, list) else []

    # -------------------------------------------------------- evaluation

    def evaluation(self) -> Mapping[str, Any]:
        """The engine's evaluation of the reading, computed once per change.

        A case the engine refuses (a ValueError, e.g. a target not yet measured
        at baseline) yields an empty evaluation and its message, with lesions
        named by id, in :attr:`evaluation_error`.
        """
        if self._evaluation is None:
            evaluate = self._evaluate or _engine()
            case = self._reading.to_case()
            try:
                self._evaluation = evaluate(case)
                self.evaluation_error = ""
            except ValueError as error:
                logger.info("the lesion table cannot be evaluated yet: %s", error)
                self._evaluation = {}
                self.evaluation_error = _name_lesions(str(error), case)
            self._per_timepoint = _per_timepoint(self._evaluation)
        return self._evaluation

    def timepoint_evaluation(self, timepoint_id: str) -> Mapping[str, Any]:
        """The engine's values for one timepoint (empty when none)."""
        self.evaluation()
        return self._per_timepoint.get(timepoint_id, {})

    @property
    def best_overall_response(self) -> str:
        """The case's best overall response, ``""`` when not evaluated."""
        value = self.evaluation().get("best_overall_response")
        return "" if value is None else str(value)

    def _on_change(self, change: Change) -> None:
        self._evaluation = None


def _engine() -> Evaluate:
    try:
        recist = importlib.import_module("measurement.recist")
    except ImportError as error:
        raise ImportError(
            "the RECIST engine measurement.recist is not installed, so the lesion "
            f"table has no sums or responses ({error})"
        ) from error
    evaluate: Evaluate = recist.evaluate
    return evaluate


def _name_lesions(message: str, case: Mapping[str, Any]) -> str:
    """Replace ``lesions[4]`` in an engine message by the lesion's id."""
    lesions = case.get("lesions", [])

    def lesion_id(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if 0 <= index < len(lesions):
            return str(lesions[index].get("id", match.group(0)))
        return match.group(0)

    named = re.sub(r"lesions\[(\d+)\]", lesion_id, message)
    unmeasured = re.match(
        r"(\w+)\.measurements\.(\w+): a target lesion must be measured at the "
        r"baseline",
        named,
    )
    if unmeasured:
        lesion, timepoint = unmeasured.groups()
        return (
            f"{lesion} is a target without a measurement at the baseline "
            f"({timepoint}): measure it there, or delete the lesion (right-click "
            "its row); until then no sum or response can be given"
        )
    return named


def _warning_text(warning: Any) -> str:
    if isinstance(warning, Mapping):
        section = warning.get("section")
        message = str(warning.get("message", ""))
        return f"{message} ({section})" if section else message
    return str(warning)


def _per_timepoint(evaluation: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    timepoints = evaluation.get("timepoints", {})
    if isinstance(timepoints, Mapping):
        return {str(k): v for k, v in timepoints.items() if isinstance(v, Mapping)}
    if isinstance(timepoints, list):
        return {
            str(item["id"]): item
            for item in timepoints
            if isinstance(item, Mapping) and "id" in item
        }
    return {}


def _measurement_cell(measurement: Measurement) -> Cell:
    unit = length_unit(measurement.calibration)
    long = (
        None
        if measurement.long_mm is None
        else Quantity(measurement.long_mm, unit, measurement.calibration)
    )
    short = (
        None
        if measurement.short_mm is None
        else Quantity(measurement.short_mm, unit, measurement.calibration)
    )
    if long is not None and short is not None:
        text = f"{long.value:.1f} × {short.label()}"
    elif long is not None:
        text = long.label()
    else:
        text = measurement.tool.value
    return Cell(text, None, measurement.id, long, short, measurement.image)


def _number(value: Any, unit: str, signed: bool = False) -> str:
    if not isinstance(value, int | float):
        return ""
    return f"{value:+.1f}{unit}" if signed else f"{value:.1f}{unit}"
