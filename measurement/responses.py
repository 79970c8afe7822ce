"""RECIST 1.1 response categories and the sum thresholds that separate them.

The names of the categories (section 4.3 and 4.4) and the two thresholds of the sum
of diameters at a follow-up (section 4.3.1): PD at 20% and 5 mm above the nadir, PR
at 30% below the baseline sum. Shared by the engine, the response margin and the
best overall response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CR: Final = "CR"
PR: Final = "PR"
SD: Final = "SD"
PD: Final = "PD"
NE: Final = "NE"
NON_CR_NON_PD: Final = "Non-CR/Non-PD"

PD_INCREASE: Final = 0.20
PD_ABSOLUTE_MM: Final = 5.0
PR_DECREASE: Final = 0.30
EPS_MM: Final = 1e-6


@dataclass(frozen=True)
class Thresholds:
    """The sums at which a follow-up's target response changes (section 4.3.1).

    ``pd_mm``: a sum at or above it is PD (20% and 5 mm above the nadir);
    ``pr_mm``: a sum at or below it is PR (30% below the baseline sum).
    """

    pd_mm: float
    pr_mm: float

    @classmethod
    def of(cls, baseline_sum_mm: float, nadir_mm: float) -> Thresholds:
        """The thresholds for a baseline sum and the nadir before a timepoint."""
        pd = max(nadir_mm * (1 + PD_INCREASE), nadir_mm + PD_ABSOLUTE_MM)
        return cls(pd_mm=pd, pr_mm=baseline_sum_mm * (1 - PR_DECREASE))

    def category(self, sum_mm: float) -> str:
        """PD, PR or SD for a complete sum, leaving CR aside (it needs lesions)."""
        if sum_mm >= self.pd_mm - EPS_MM:
            return PD
        if sum_mm <= self.pr_mm + EPS_MM:
            return PR
        return SD
