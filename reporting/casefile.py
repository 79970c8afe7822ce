"""Writing the case file (RECIST.md, format ``nadir-case/1``) beside the report.

The case dict is written as UTF-8 JSON with stable key order, so that two exports of
one reading differ only where the reading does. Parsing and checking a case file is
the job of :mod:`measurement.case`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FORMAT = "nadir-case/1"


def case_json(case: Mapping[str, Any]) -> str:
    """The case as JSON text, with the format tag first."""
    ordered = {"format": FORMAT, **{k: v for k, v in case.items() if k != "format"}}
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def write_case(path: Path, case: Mapping[str, Any]) -> None:
    """Write the case file to ``path``."""
    path.write_text(case_json(case), encoding="utf-8")
    logger.debug("wrote case file %s", path)
