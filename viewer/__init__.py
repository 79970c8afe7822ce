"""DICOM indexing and loading, volumes, rendering, viewports, sync and registration.

Nothing here knows about response criteria. The DICOM and geometry modules import
no Qt and no VTK; widgets live in their own modules.

``viewer.scan`` and ``viewer.load_series`` are imported on first use, so that the
window can open before pydicom has loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from viewer.index import scan
    from viewer.loader import load_series

__all__ = ["load_series", "scan"]


def __getattr__(name: str) -> Any:
    if name == "scan":
        from viewer.index import scan

        return scan
    if name == "load_series":
        from viewer.loader import load_series

        return load_series
    raise AttributeError(f"module 'viewer' has no attribute {name!r}")
