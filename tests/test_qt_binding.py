"""The Qt binding must survive a long session of painting.

PySide6 6.12.0 loses a reference to None on every Qt call that returns nothing;
after a few thousand paint calls the interpreter aborts ("none_dealloc"). The
project pins a release without the fault; this test keeps it so.
"""

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

image = QImage(8, 8, QImage.Format.Format_RGB32)
painter = QPainter(image)
before = sys.getrefcount(None)
for _ in range(50_000):
    painter.setPen(QColor(1, 2, 3))
    QRectF(0, 0, 1, 1).setWidth(2.0)
painter.end()
print(sys.getrefcount(None) - before)
"""


def test_fifty_thousand_paint_calls_keep_none_alive():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert int(result.stdout) > -1000
