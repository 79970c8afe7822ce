"""The RECIST evaluation in the measurement report, as qualitative evaluations.

Each evaluated timepoint becomes a measurement group (PS3.16 TID 1501) tracked as
"RECIST <timepoint>", with its time point context, the sum of diameters, and the
target (CID 6144), non-target (CID 6144), new-lesion and overall responses
("Current Response", DCM 112048); the best overall response (DCM 112049) has a
group of its own. Readers that know only TID 1500 still see every value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import highdicom as hd

from reporting import srcodes as c
from reporting.results import best_overall, by_timepoint

logger = logging.getLogger(__name__)

RECIST_TRACKING_PREFIX = "RECIST "
BEST_RESPONSE_TRACKING_ID = "RECIST best overall response"


def response_groups(
    evaluation: Mapping[str, Any],
    timepoints: Sequence[Mapping[str, Any]],
    order: Mapping[str, int],
    time_point: Callable[[Mapping[str, Any], Mapping[str, int]], Any],
) -> list[Any]:
    """One TID 1501 group per evaluated timepoint (its sum and responses) and one
    for the best overall response."""
    by_id = by_timepoint(evaluation)
    groups: list[Any] = []
    for tp in timepoints:
        tp_id = str(tp.get("id"))
        result = by_id.get(tp_id)
        if result is None:
            continue
        evaluations = []
        for key, name, table in (
            ("target", c.TARGET_RESPONSE, c.TARGET_RESPONSE_CODES),
            ("non_target", c.NON_TARGET_RESPONSE, c.NON_TARGET_RESPONSE_CODES),
            ("overall", c.CURRENT_RESPONSE, c.OVERALL_RESPONSE_CODES),
        ):
            value = result.get(key)
            if value in table:
                evaluations.append(hd.sr.QualitativeEvaluation(name, table[value]))
        new = result.get("new_lesions")
        if isinstance(new, bool):
            new = "yes" if new else "no"
        if new in c.NEW_LESION_CODES:
            code = c.NEW_LESION_CODES[str(new)]
            evaluations.append(hd.sr.QualitativeEvaluation(c.NEW_LESIONS, code))
        numbers = []
        if result.get("sum_mm") is not None:
            numbers.append(
                hd.sr.Measurement(
                    name=c.SUM_OF_DIAMETERS,
                    value=float(result["sum_mm"]),
                    unit=c.MILLIMETRE,
                )
            )
        if not evaluations and not numbers:
            continue
        groups.append(
            hd.sr.MeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    identifier=f"{RECIST_TRACKING_PREFIX}{tp_id}"
                ),
                time_point_context=time_point(tp, order),
                method=c.RECIST_1_1,
                measurements=numbers or None,
                qualitative_evaluations=evaluations or None,
            )
        )
    best = best_overall(evaluation).response
    if best in c.OVERALL_RESPONSE_CODES:
        groups.append(
            hd.sr.MeasurementsAndQualitativeEvaluations(
                tracking_identifier=hd.sr.TrackingIdentifier(
                    identifier=BEST_RESPONSE_TRACKING_ID
                ),
                method=c.RECIST_1_1,
                qualitative_evaluations=[
                    hd.sr.QualitativeEvaluation(
                        c.BEST_OVERALL_RESPONSE, c.OVERALL_RESPONSE_CODES[str(best)]
                    )
                ],
            )
        )
    return groups
