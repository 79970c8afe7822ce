"""Two readings of the demo case with known differences, for the review tests.

Reading A is the demo's true lesion table (``expected_case.json``). Reading B
differs in three known ways: the lung target L1 at the current study T2 is
measured 2.0 mm longer (22 against 20 mm: +10.0%, inside the noise band); the
liver lesion L3 at the nadir T1 is measured 30 mm against 20 mm (+50.0%, outside
the band), which turns the target response at T1 from PR to SD; and B chose the
small liver lesion N1 as a target instead of the liver lesion L4, which B follows
as a non-target.

B's sums: T0 24 + 18 + 32 + 18 + 12 = 104 mm; T1 14 + 12 + 30 + 11 + 10 = 77 mm,
77 / 104 = 0.740 > 0.70 -> SD; T2 22 + 17 + 28 + 16 + 11 = 94 mm, nadir 77,
+17 mm and +22.1% -> PD.

Paired diameters (both measured): L1, L2, L3 and L5 at three timepoints each, 12
pairs; differences +2.0 (L1 T2), +10.0 (L3 T1) and ten zeros. Bias 1.0 mm, mean
absolute difference 1.0 mm, SD sqrt(92 / 11) = 2.892 mm, limits of agreement
1.0 -+ 1.96 x 2.892 = -4.668 to +6.668 mm; relative bias (10 + 50) / 12 = 5.0%.
"""

from __future__ import annotations

import copy
import math
from typing import Any

N1_DIAMETERS = {"T0": 12.0, "T1": 10.0, "T2": 11.0}
EXPECTED_SD_MM = math.sqrt(92 / 11)
EXPECTED_LOA_MM = (1.0 - 1.96 * EXPECTED_SD_MM, 1.0 + 1.96 * EXPECTED_SD_MM)


def perturbed_reading(case: dict[str, Any]) -> dict[str, Any]:
    """Reading B of the module docstring, built from reading A."""
    other = copy.deepcopy(case)
    other["reader"] = "Dr B. Second"
    for lesion in other["lesions"]:
        if lesion["id"] == "L1":
            lesion["measurements"]["T2"]["long_mm"] += 2.0
        elif lesion["id"] == "L3":
            lesion["measurements"]["T1"]["long_mm"] = 30.0
        elif lesion["id"] == "L4":
            measured = lesion.pop("measurements")
            lesion["kind"] = "non-target"
            lesion["assessments"] = dict.fromkeys(measured, "present")
        elif lesion["id"] == "N1":
            lesion["kind"] = "target"
            lesion.pop("assessments")
            lesion["measurements"] = {
                tp: {"long_mm": mm} for tp, mm in N1_DIAMETERS.items()
            }
    return other
