"""The best overall response of a case, with confirmation (RECIST 1.1 4.4.3, 4.6).

From the overall responses of the follow-ups, the best one recorded from the start
of treatment until progression, where a CR or PR may need confirmation at least 4
weeks later and SD must be seen a minimum interval after the baseline.
"""

from __future__ import annotations

from typing import Any, Final

from measurement.case import Case
from measurement.responses import CR, NE, NON_CR_NON_PD, PD, PR, SD

CONFIRMATION_DAYS: Final = 28
SD_MIN_INTERVAL_DAYS: Final = 42


def best_overall_response(
    case: Case,
    rows: list[dict[str, Any]],
    *,
    sd_min_interval_days: int = SD_MIN_INTERVAL_DAYS,
    confirmation_days: int = CONFIRMATION_DAYS,
    require_confirmation: bool = True,
) -> tuple[str | None, dict[str, Any]]:
    """The best response from baseline until progression (sections 4.4.3, 4.6).

    Only follow-ups up to the first PD count. With confirmation, a CR counts when a
    CR is seen again at least ``confirmation_days`` later with nothing but CR or NE
    in between; a PR when a PR or CR is followed that much later by a PR or CR with
    nothing worse than PR (but NE) in between. Unconfirmed CR and PR, SD and
    Non-CR/Non-PD count as SD (Non-CR/Non-PD for a non-target-only patient) when
    seen at least ``sd_min_interval_days`` after the baseline. Otherwise PD when
    progression was seen, else NE. None when there is no follow-up.
    """
    baseline_date = case.baseline.date
    seen = [(r, case.timepoint(r["id"]).date) for r in rows if r["overall"] is not None]
    seen = [(r, d) for r, d in seen if not r["baseline"]]
    if not seen:
        return None, {
            "response": None,
            "timepoint": None,
            "confirmed_by": None,
            "reason": "no follow-up timepoint evaluated",
        }
    before_pd: list[tuple[dict[str, Any], Any]] = []
    progression = None
    for row, date in seen:
        if row["overall"] == PD:
            progression = row
            break
        before_pd.append((row, date))

    for response, allowed_between in ((CR, {CR, NE}), (PR, {CR, PR, NE})):
        accepted = {CR} if response == CR else {CR, PR}
        for i, (row, date) in enumerate(before_pd):
            if row["overall"] not in accepted:
                continue
            if not require_confirmation:
                return response, _detail(
                    response, row, None, "seen, no confirmation required"
                )
            for later, later_date in before_pd[i + 1 :]:
                if (later_date - date).days >= confirmation_days and later[
                    "overall"
                ] in accepted:
                    return response, _detail(
                        response,
                        row,
                        later["id"],
                        f"confirmed {(later_date - date).days} days later",
                    )
                if later["overall"] not in allowed_between:
                    break

    non_target_only = all(lesion.kind != "target" for lesion in case.lesions)
    stable = NON_CR_NON_PD if non_target_only else SD
    for row, date in before_pd:
        interval = (date - baseline_date).days
        if row["overall"] != NE and interval >= sd_min_interval_days:
            return stable, _detail(
                stable,
                row,
                None,
                f"{interval} days after baseline (minimum {sd_min_interval_days})",
            )
    if progression is not None:
        return PD, _detail(
            PD,
            progression,
            None,
            "progression before any response or stable disease counted",
        )
    return NE, {
        "response": NE,
        "timepoint": None,
        "confirmed_by": None,
        "reason": f"no response confirmed and nothing stable at least "
        f"{sd_min_interval_days} days after baseline",
    }


def _detail(
    response: str, row: dict[str, Any], confirmed_by: str | None, reason: str
) -> dict[str, Any]:
    return {
        "response": response,
        "timepoint": row["id"],
        "confirmed_by": confirmed_by,
        "reason": reason,
    }
