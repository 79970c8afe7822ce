"""Keeps viewports in step: scrolling, crosshair, window/level and zoom/pan.

Each pair of viewports has a :class:`viewer.sync.Link`. Scrolling one viewport
moves every linked one to the plane through the same anatomy; a picked point
(shift-click) becomes a crosshair in all of them. Window/level and zoom/pan are
linked by switches. Signals from the viewports being moved are ignored while
they move, so a scroll never echoes back.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal

from viewer.sync import Link, link_for
from viewer.viewport import Viewport

logger = logging.getLogger(__name__)


class Linker(QObject):
    """Synchronises a set of viewports."""

    links_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.viewports: list[Viewport] = []
        self.scroll_linked = True
        self.window_linked = False
        self.zoom_linked = False
        self._links: dict[tuple[int, int], Link] = {}
        self._busy = False
        self.last_pick: dict[int, npt.NDArray[np.float64]] = {}

    def add(self, viewport: Viewport) -> None:
        """Start following ``viewport``."""
        self.viewports.append(viewport)
        viewport.slice_changed.connect(lambda _k, v=viewport: self._on_scroll(v))
        viewport.window_changed.connect(
            lambda c, w, v=viewport: self._on_window(v, c, w)
        )
        viewport.view_changed.connect(lambda v=viewport: self._on_view(v))
        viewport.point_picked.connect(lambda p, v=viewport: self._on_pick(v, p))

    def reset_links(self) -> None:
        """Derive every link from frames of reference (after a volume changes)."""
        self._links.clear()
        self.links_changed.emit()
        self.refresh_texts()

    def link(self, a: Viewport, b: Viewport) -> Link:
        """The link from ``a``'s patient space to ``b``'s."""
        if a.volume is None or b.volume is None:
            return Link("not linked")
        key = (id(a.volume), id(b.volume))
        if key in self._links:
            return self._links[key]
        reverse = (id(b.volume), id(a.volume))
        if reverse in self._links:
            return self._links[reverse].inverse()
        return link_for(
            a.volume.frame_of_reference_uid, b.volume.frame_of_reference_uid
        )

    def set_link(self, a: Viewport, b: Viewport, link: Link) -> None:
        """Put ``link`` (a's LPS to b's) in force and say so on both viewports."""
        if a.volume is None or b.volume is None:
            return
        self._links.pop((id(b.volume), id(a.volume)), None)
        self._links[(id(a.volume), id(b.volume))] = link
        logger.info("link in force: %s", link.describe())
        self.links_changed.emit()
        self.refresh_texts()
        self._on_scroll(a)

    def map_point(
        self, source: Viewport, target: Viewport, point: npt.ArrayLike
    ) -> npt.NDArray[np.float64] | None:
        """Map a point of ``source``'s volume into ``target``'s, if linked."""
        link = self.link(source, target)
        if not link.is_linked:
            return None
        return link.a_to_b(point)

    def follow_point(self, source: Viewport, point: npt.ArrayLike) -> None:
        """Show ``point`` (source's LPS) in every other linked viewport."""
        self._busy = True
        try:
            for other in self.viewports:
                if other is source or other.source is None:
                    continue
                mapped = self.map_point(source, other, point)
                if mapped is not None:
                    other.show_point(mapped)
        finally:
            self._busy = False

    def refresh_texts(self) -> None:
        """Say on each viewport which link ties it to another study."""
        for viewport in self.viewports:
            others = [
                self.link(viewport, other)
                for other in self.viewports
                if other.volume is not None and other.volume is not viewport.volume
            ]
            viewport.link_text = others[0].short() if others else ""
            viewport.update()

    def _on_scroll(self, source: Viewport) -> None:
        if self._busy or not self.scroll_linked or source.plane is None:
            return
        point = source.centre_lps_mm()
        self._busy = True
        try:
            for other in self.viewports:
                if other is source or other.source is None:
                    continue
                if not self._parallel(source, other):
                    # another plane of an MPR: it keeps its place, the crosshair ties
                    continue
                mapped = self.map_point(source, other, point)
                if mapped is not None:
                    other.set_slice(other.source.index_of(mapped))
        finally:
            self._busy = False

    def _parallel(self, source: Viewport, other: Viewport) -> bool:
        """True when both show planes facing the same way in the patient."""
        if source.plane is None or other.plane is None:
            return False
        rotation = self.link(source, other).matrix_a_to_b[:3, :3]
        facing = rotation @ source.plane.normal
        return bool(abs(float(facing @ other.plane.normal)) > 0.9)

    def _on_window(self, source: Viewport, center: float, width: float) -> None:
        if self._busy or not self.window_linked:
            return
        self._busy = True
        try:
            for other in self.viewports:
                if other is not source:
                    other.set_window(center, width, source.window.name)
        finally:
            self._busy = False

    def _on_view(self, source: Viewport) -> None:
        if self._busy or not self.zoom_linked:
            return
        self._busy = True
        try:
            for other in self.viewports:
                if other is not source:
                    other.set_view(source.zoom, source.pan)
        finally:
            self._busy = False

    def _on_pick(self, source: Viewport, point: npt.NDArray[np.float64]) -> None:
        self.last_pick[id(source)] = np.asarray(point, dtype=np.float64)
        source.set_crosshair(point)
        if self.scroll_linked:
            self.follow_point(source, point)
