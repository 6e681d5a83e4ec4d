"""Draw the application icon (resources/icons/): a rounded square in the navigation's blue with 培 in
white, as PNG for Linux menus and as a multi-size .ico for the Windows executable and installer.

The files are committed; run this only to change the icon:
    .venv/bin/python installer/make_icons.py   (needs Pillow, which the test extra brings)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter

from desktop.resources import resource_path

ICON_DIR = resource_path("icons")
PNG_SIZES = (48, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def draw(size: int, family: str) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = size * 0.04
    square = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#24415f"))
    painter.drawRoundedRect(square, size * 0.18, size * 0.18)
    # A band in the selection colour under the character: a book's edge, and it reads at 16 px.
    painter.setBrush(QColor("#3d6a96"))
    band = QRectF(
        square.left() + size * 0.16, square.bottom() - size * 0.2, square.width() - size * 0.32, size * 0.07
    )
    painter.drawRoundedRect(band, size * 0.03, size * 0.03)
    font = QFont(family)
    font.setPixelSize(round(size * 0.62))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(square.adjusted(0, -size * 0.08, 0, -size * 0.08), Qt.AlignmentFlag.AlignCenter, "培")
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", "wqy-zenhei.ttc")))
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    ICON_DIR.mkdir(exist_ok=True)
    for size in PNG_SIZES:
        draw(size, family).save(str(ICON_DIR / f"guopei-desk-{size}.png"))
    # Drawn at every size (not scaled down from 256) so that the small ones stay sharp.
    frames = []
    for size in ICO_SIZES:
        path = Path(ICON_DIR / f".frame-{size}.png")
        draw(size, family).save(str(path))
        frames.append(Image.open(path).convert("RGBA"))
        path.unlink()
    frames[-1].save(
        ICON_DIR / "guopei-desk.ico", sizes=[(s, s) for s in ICO_SIZES], append_images=frames[:-1]
    )
    del app
    print(f"图标已写入 {ICON_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
