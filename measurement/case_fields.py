"""Field checks for the case file: each names the field's path when it fails.

The helpers of :mod:`measurement.case`: every check takes a decoded JSON value and the
path of its field (``lesions[2].measurements.T1.long_mm``) and either returns the
value, typed, or raises :class:`CaseFormatError` saying what was expected and what
was found, in JSON spelling.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


class CaseFormatError(ValueError):
    """A case file that breaks the nadir-case/1 format.

    ``path`` is the field's path (``lesions[2].measurements.T1.long_mm``), ``problem``
    what is wrong with it; ``str(error)`` joins them into one line.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def show(value: Any) -> str:
    """A value as it would read in the JSON file."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def obj_of(value: Any, path: str) -> Mapping[str, Any]:
    """A JSON object."""
    if not isinstance(value, Mapping):
        raise CaseFormatError(path, f"expected an object, got {show(value)}")
    return value


def list_of(value: Any, path: str) -> list[Any]:
    """A JSON list."""
    if not isinstance(value, list):
        raise CaseFormatError(path, f"expected a list, got {show(value)}")
    return value


def known(obj: Mapping[str, Any], path: str, keys: tuple[str, ...]) -> None:
    """Refuse fields outside ``keys`` (a typo must not silently drop a value)."""
    for key in obj:
        if key not in keys:
            where = f"{path}.{key}" if path else str(key)
            raise CaseFormatError(
                where, f"unknown field; expected one of {', '.join(keys)}"
            )


def required(obj: Mapping[str, Any], key: str, path: str) -> Any:
    """The value of a field that must be present."""
    if key not in obj:
        raise CaseFormatError(f"{path}.{key}" if path else key, "missing")
    return obj[key]


def nonempty_text(value: Any, path: str) -> str:
    """A string with more than white space."""
    if not isinstance(value, str) or not value.strip():
        raise CaseFormatError(path, f"expected a non-empty string, got {show(value)}")
    return value


def optional_text(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """An optional non-empty string field; None when absent."""
    if key not in obj:
        return None
    return nonempty_text(obj[key], f"{path}.{key}" if path else key)


def optional_string(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """An optional string field that may be empty; None when absent."""
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, str):
        where = f"{path}.{key}" if path else key
        raise CaseFormatError(where, f"expected a string, got {show(value)}")
    return value


def boolean(value: Any, path: str) -> bool:
    """JSON true or false."""
    if not isinstance(value, bool):
        raise CaseFormatError(path, f"expected true or false, got {show(value)}")
    return value


def number(value: Any, path: str, minimum: float | None = 0.0) -> float:
    """A finite number (not a boolean), at least ``minimum`` unless None."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and not math.isfinite(value):
        ok = False
    if ok and minimum is not None and value < minimum:
        ok = False
    if not ok:
        bound = f" >= {minimum:g}" if minimum is not None else ""
        raise CaseFormatError(path, f"expected a number{bound}, got {show(value)}")
    return float(value)


def optional_number(obj: Mapping[str, Any], key: str, path: str) -> float | None:
    """An optional number >= 0; None when absent."""
    if key not in obj:
        return None
    return number(obj[key], f"{path}.{key}")


def choice(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    """One of the ``allowed`` strings."""
    if value not in allowed:
        raise CaseFormatError(
            path, f"expected one of {', '.join(allowed)}, got {show(value)}"
        )
    return str(value)


def iso_date(value: Any, path: str) -> datetime.date:
    """A calendar date written YYYY-MM-DD."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise CaseFormatError(path, f"expected an ISO date YYYY-MM-DD, got {show(value)}")
