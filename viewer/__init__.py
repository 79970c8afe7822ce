"""DICOM indexing and loading, volumes, rendering, viewports, sync and registration.

Nothing here knows about response criteria. The DICOM and geometry modules import
no Qt and no VTK; widgets live in their own modules.
"""

from viewer.index import scan
from viewer.loader import load_series

__all__ = ["load_series", "scan"]
