"""预览: a certificate drawn in the app by the very code that draws it into the PDF.

`QtCanvas` answers the handful of reportlab canvas calls the certificate painter makes (fonts, colours,
strings, rectangles, and the QR code's filled path) with QPainter, in PDF coordinates (points, origin
bottom left). So the preview cannot drift from what is printed, and no PDF renderer is needed.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop.printing.certificates import PAGE_HEIGHT, PAGE_WIDTH, CertificateData, draw_certificate
from desktop.ui import dialog_fit
from desktop.ui.app import register_cjk_font


def _qcolor(color: object) -> QColor:
    return QColor.fromRgbF(color.red, color.green, color.blue)  # type: ignore[attr-defined]


class QtCanvas:
    """The subset of reportlab's Canvas the certificate painter uses, painted with QPainter."""

    def __init__(self, painter: QPainter, scale: float, family: str) -> None:
        self.painter = painter
        self.family = family
        # PDF points, y up → device pixels, y down.
        self.base = QTransform(scale, 0, 0, -scale, 0, PAGE_HEIGHT * scale)
        self.transform_stack: list[QTransform] = []
        self.current = QTransform()
        self.fill = QColor(Qt.GlobalColor.black)
        self.stroke = QColor(Qt.GlobalColor.black)
        self.line_width = 1.0
        self.dash: list[float] = []
        self.font_size = 12.0
        self.scale = scale

    # state
    def saveState(self) -> None:
        self.transform_stack.append(QTransform(self.current))

    def restoreState(self) -> None:
        self.current = self.transform_stack.pop()

    def transform(self, a: float, b: float, c: float, d: float, e: float, f: float) -> None:
        self.current = QTransform(a, b, c, d, e, f) * self.current

    def setFillColor(self, color: object) -> None:
        self.fill = _qcolor(color)

    def setStrokeColor(self, color: object) -> None:
        self.stroke = _qcolor(color)

    def setLineWidth(self, width: float) -> None:
        self.line_width = width

    def setFont(self, _name: str, size: float) -> None:
        self.font_size = size

    def setDash(self, array: list[float], _phase: float = 0) -> None:
        self.dash = list(array)

    # drawing
    def _device(self) -> QTransform:
        return self.current * self.base

    def _pen(self) -> QPen:
        pen = QPen(self.stroke, self.line_width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)  # as reportlab's default butt caps
        if self.dash:
            # Qt counts a dash pattern in line widths; reportlab in points.
            pen.setDashPattern([length / self.line_width for length in self.dash])
        return pen

    def rect(self, x: float, y: float, width: float, height: float, stroke: int = 1, fill: int = 0) -> None:
        self.painter.setTransform(self._device())
        self.painter.setPen(self._pen() if stroke else Qt.PenStyle.NoPen)
        self.painter.setBrush(self.fill if fill else Qt.BrushStyle.NoBrush)
        self.painter.drawRect(QRectF(x, y, width, height))

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.painter.setTransform(self._device())
        self.painter.setPen(self._pen())
        self.painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))

    def circle(self, x: float, y: float, r: float, stroke: int = 1, fill: int = 0) -> None:
        self.painter.setTransform(self._device())
        self.painter.setPen(self._pen() if stroke else Qt.PenStyle.NoPen)
        self.painter.setBrush(self.fill if fill else Qt.BrushStyle.NoBrush)
        self.painter.drawEllipse(QPointF(x, y), r, r)

    def addLiteral(self, operators: str) -> None:
        """The QR code arrives as PDF path operators: "x y w h re" rectangles, then "f" to fill."""
        self.painter.setTransform(self._device())
        self.painter.setPen(Qt.PenStyle.NoPen)
        self.painter.setBrush(self.fill)
        for line in operators.splitlines():
            parts = line.split()
            if len(parts) == 5 and parts[4] == "re":
                x, y, w, h = (float(value) for value in parts[:4])
                # A hair wider, so neighbouring modules meet without seams at screen resolution.
                self.painter.drawRect(QRectF(x, y, w + 0.02, h + 0.02))

    def _text(self, x: float, y: float, text: str, anchor: float, char_space: float = 0.0) -> None:
        font = QFont(self.family)
        font.setPixelSize(max(1, round(self.font_size * self.scale)))
        metrics = QFontMetricsF(font)
        spacing = char_space * self.scale
        width = metrics.horizontalAdvance(text) + spacing * len(text)
        point = self._device().map(QPointF(x, y))
        self.painter.resetTransform()
        self.painter.setFont(font)
        self.painter.setPen(self.fill)
        cursor = point.x() - anchor * width
        for char in text if spacing else [text]:
            self.painter.drawText(QPointF(cursor, point.y()), char)
            cursor += metrics.horizontalAdvance(char) + spacing

    def drawString(self, x: float, y: float, text: str, charSpace: float = 0.0) -> None:
        self._text(x, y, text, 0.0, charSpace)

    def drawCentredString(self, x: float, y: float, text: str, charSpace: float = 0.0) -> None:
        self._text(x, y, text, 0.5, charSpace)

    def drawRightString(self, x: float, y: float, text: str, charSpace: float = 0.0) -> None:
        self._text(x, y, text, 1.0, charSpace)


def render_certificate(item: CertificateData, *, width: int) -> QImage:
    """The certificate as an image `width` pixels wide."""
    scale = width / PAGE_WIDTH
    image = QImage(width, round(PAGE_HEIGHT * scale), QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        draw_certificate(QtCanvas(painter, scale, register_cjk_font()), item)
    finally:
        painter.end()
    return image


PREVIEW_WIDTH = 1000


class CertificatePreviewDialog(QDialog):
    def __init__(self, parent: QWidget | None, item: CertificateData) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("证书预览 — {name}").format(name=item.holder_name))
        self.item = item
        # As large as the screen allows (1,000 px at most), so the whole page shows without scrolling.
        room = dialog_fit.available_size(self) - QSize(40, 100)
        width = min(PREVIEW_WIDTH, room.width(), int(room.height() * PAGE_WIDTH / PAGE_HEIGHT))
        self.image = render_certificate(item, width=width)
        picture = QLabel()
        picture.setPixmap(QPixmap.fromImage(self.image))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout()
        layout.addWidget(picture)
        dialog_fit.lay_out(self, layout, buttons)
