"""How a point in one series maps to the same anatomy in another.

A :class:`Link` maps patient coordinates (LPS, mm) of a series A to those of a
series B. Series that share a Frame of Reference UID (PS3.3 C.7.4.1) are linked
by identity; others by a rigid registration, or by a translation the user sets
with "link here". The link in force is always described to the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

FRAME_OF_REFERENCE = "frame of reference"
REGISTRATION = "registration"
MANUAL = "link here"
UNLINKED = "not linked"


@dataclass(frozen=True, eq=False)
class Link:
    """A rigid map from series A's patient space to series B's.

    ``matrix_a_to_b`` is a 4x4 homogeneous matrix acting on LPS mm column vectors.
    """

    kind: str
    matrix_a_to_b: FloatArray = field(default_factory=lambda: np.eye(4))
    detail: str = ""

    def a_to_b(self, points_lps_mm: npt.ArrayLike) -> FloatArray:
        """Map points ``(..., 3)`` of A into B."""
        return _apply(self.matrix_a_to_b, points_lps_mm)

    def b_to_a(self, points_lps_mm: npt.ArrayLike) -> FloatArray:
        """Map points ``(..., 3)`` of B into A."""
        return _apply(_inverse(self.matrix_a_to_b), points_lps_mm)

    def inverse(self) -> Link:
        """The same link seen from B."""
        return Link(self.kind, _inverse(self.matrix_a_to_b), self.detail)

    @property
    def is_linked(self) -> bool:
        """False when no map is known and scrolling is not followed."""
        return self.kind != UNLINKED

    def describe(self) -> str:
        """One line for the status bar: which link is in force."""
        text = {
            FRAME_OF_REFERENCE: "Linked by patient coordinates "
            "(same frame of reference)",
            REGISTRATION: "Linked by rigid registration",
            MANUAL: "Linked here by the reader",
            UNLINKED: "Not linked",
        }.get(self.kind, self.kind)
        return f"{text}: {self.detail}" if self.detail else text

    def short(self) -> str:
        """A few words for a viewport's corner."""
        return {
            FRAME_OF_REFERENCE: "Link: same frame",
            REGISTRATION: "Link: registered",
            MANUAL: "Link: set here",
            UNLINKED: "Not linked",
        }.get(self.kind, self.kind)


def frame_of_reference_link() -> Link:
    """Identity: both series share one patient coordinate system."""
    return Link(FRAME_OF_REFERENCE)


def link_for(frame_a: str, frame_b: str) -> Link:
    """The link that holds before any registration: identity or none."""
    if frame_a and frame_a == frame_b:
        return frame_of_reference_link()
    return Link(UNLINKED)


def registration_link(matrix_a_to_b: npt.ArrayLike, detail: str = "") -> Link:
    """A link from a rigid registration (matrix from A's LPS to B's)."""
    return Link(REGISTRATION, np.asarray(matrix_a_to_b, dtype=np.float64), detail)


def link_here(
    point_a_lps_mm: npt.ArrayLike, point_b_lps_mm: npt.ArrayLike, base: Link
) -> Link:
    """Make ``point_a`` map onto ``point_b``, keeping the base link's rotation.

    Without a usable base (unlinked) the result is a pure translation, which is
    what a reader means by "these two positions are the same place".
    """
    a = np.asarray(point_a_lps_mm, dtype=np.float64)
    b = np.asarray(point_b_lps_mm, dtype=np.float64)
    matrix = base.matrix_a_to_b.copy() if base.is_linked else np.eye(4)
    matrix[:3, 3] += b - _apply(matrix, a)
    return Link(MANUAL, matrix, "at the position the reader chose")


def _apply(matrix: FloatArray, points_lps_mm: npt.ArrayLike) -> FloatArray:
    points = np.asarray(points_lps_mm, dtype=np.float64)
    return np.asarray(points @ matrix[:3, :3].T + matrix[:3, 3], dtype=np.float64)


def _inverse(matrix: FloatArray) -> FloatArray:
    return np.asarray(np.linalg.inv(matrix), dtype=np.float64)
