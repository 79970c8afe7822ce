"""The noise band: how much one lesion's diameter varies between readers anyway.

Two readers measuring the longest diameter of the same lesion on the same CT disagree
by up to about -22% to +25% (pooled 95% limits of agreement of the relative
measurement difference for a single lesion, -22.1% to 25.4%; Yoon SH et al., Eur J
Cancer 53 (2016) 5-15). A difference between readers, or a change of one lesion
between timepoints, inside that band may be measurement noise rather than a real
difference. The same meta-analysis gives a wider band, -31.3% to 30.3%, for the
interval change of a single lesion when two readers measure the two timepoints;
:data:`INTERVAL_CHANGE_BAND_PCT` holds it for callers that want that stricter view.
Relative differences here are taken against the reference (first) value.
"""

from __future__ import annotations

from typing import Any, Final

from measurement.case import Case
from measurement.recist import TOO_SMALL_MM, measurement_value

NOISE_BAND_PCT: Final = (-22.0, 25.0)
INTERVAL_CHANGE_BAND_PCT: Final = (-31.3, 30.3)


def relative_difference_pct(reference_mm: float, other_mm: float) -> float | None:
    """``other`` relative to ``reference`` in percent; None for a 0 mm reference."""
    if reference_mm <= 0:
        return None
    return (other_mm - reference_mm) / reference_mm * 100


def in_noise_band(
    reference_mm: float | None,
    other_mm: float | None,
    band_pct: tuple[float, float] = NOISE_BAND_PCT,
) -> bool | None:
    """Whether ``other`` lies inside the single-lesion noise band around ``reference``.

    None when either value is missing or the reference is 0 mm (no relative
    difference exists).
    """
    if reference_mm is None or other_mm is None:
        return None
    pct = relative_difference_pct(reference_mm, other_mm)
    if pct is None:
        return None
    low, high = band_pct
    return low - 1e-9 <= pct <= high + 1e-9


def lesion_changes(
    case: Case,
    band_pct: tuple[float, float] = NOISE_BAND_PCT,
    too_small_mm: float = TOO_SMALL_MM,
) -> list[dict[str, Any]]:
    """Each measured lesion's change from its previous measurement, against the band.

    One dict per lesion and follow-up with a diameter (LD, or SA for a node; see
    :func:`measurement.recist.measurement_value`): the lesion, the two timepoints, the
    change in mm and percent and whether it lies inside ``band_pct``. A response that
    rests on changes inside the band alone deserves a second look.
    """
    out: list[dict[str, Any]] = []
    for lesion in case.lesions:
        previous: tuple[str, float] | None = None
        for tp in case.timepoints:
            m = (lesion.measurements or {}).get(tp.id)
            value = (
                None
                if m is None
                else measurement_value(m, lesion.is_node, too_small_mm)
            )
            if value is None:
                continue
            if previous is not None:
                out.append(
                    {
                        "lesion": lesion.id,
                        "from": previous[0],
                        "to": tp.id,
                        "change_mm": value - previous[1],
                        "change_pct": relative_difference_pct(previous[1], value),
                        "in_noise_band": in_noise_band(previous[1], value, band_pct),
                    }
                )
            previous = (tp.id, value)
    return out
