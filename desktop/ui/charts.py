"""A small bar chart drawn with QPainter: a title, one bar per value, the value (or a note such as
"184/1481") above each bar and the label below, labels elided to fit.

Drawn here rather than with QtCharts: that module is in PySide6-Addons, a second large wheel the app
does not otherwise need (the bundle leaves the Addons' Qt libraries out), and these charts are bars
with text, which a hundred lines draw with the app's own font and palette and test offscreen."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.services.charts import Bar

BAR_COLOUR = QColor("#2f6db5")
GOAL_COLOUR = QColor("#c0392b")
AXIS_COLOUR = QColor("#999999")


class BarChart(QWidget):
    def __init__(self, title: str, *, percent: bool = False, goal: float | None = None) -> None:
        super().__init__()
        self.title = title
        self.percent = percent  # values are shares (0–1), shown as 87.5%, the axis runs to 100 %
        self.goal = goal  # a dashed line across at this value (full coverage: 1.0)
        self.bars: tuple[Bar, ...] = ()
        self.summary = ""  # the headline figure, at the right of the title
        self.empty_text = self.tr("暂无数据")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(180, 150)

    def sizeHint(self) -> QSize:
        return QSize(320, 210)

    def set_bars(self, bars: Sequence[Bar], summary: str = "") -> None:
        self.bars = tuple(bars)
        self.empty_text = self.tr("暂无数据")
        self.summary = summary
        self.setToolTip("\n".join(f"{b.label}：{self.value_text(b)}" for b in self.bars))
        self.update()

    def value_text(self, bar: Bar) -> str:
        if bar.note:
            return f"{bar.value:.0%}（{bar.note}）" if self.percent else bar.note
        return f"{bar.value:.1%}" if self.percent else f"{bar.value:,.0f}"

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        area = QRectF(self.rect()).adjusted(8, 6, -8, -6)
        painter.setPen(self.palette().windowText().color())
        title_font = painter.font()
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.drawText(
            area.adjusted(0, 0, 0, -(area.height() - line)), Qt.AlignmentFlag.AlignLeft, self.title
        )
        painter.setFont(self.font())
        title_line = area.adjusted(0, 0, 0, -(area.height() - line))
        bold_metrics = QFontMetrics(title_font)
        if (
            bold_metrics.horizontalAdvance(self.title) + metrics.horizontalAdvance(self.summary) + 12
            > area.width()
        ):
            title_line.translate(0, line)  # no room beside the title: on the line below it
        painter.drawText(title_line, Qt.AlignmentFlag.AlignRight, self.summary)
        plot = area.adjusted(0, line * 2 + 4, 0, -(line + 4))
        if not self.bars:
            painter.setPen(AXIS_COLOUR)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.empty_text)
            return
        top = 1.0 if self.percent else max(max(b.value for b in self.bars), 1)
        painter.setPen(AXIS_COLOUR)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        slot = plot.width() / len(self.bars)
        width = min(slot * 0.6, 48)
        label_font = self._label_font(slot)
        label_metrics = QFontMetrics(label_font)
        for index, bar in enumerate(self.bars):
            x = plot.left() + slot * index + (slot - width) / 2
            height = plot.height() * min(bar.value / top, 1.0)
            painter.fillRect(QRectF(x, plot.bottom() - height, width, height), BAR_COLOUR)
            painter.setPen(self.palette().windowText().color())
            painter.setFont(label_font)
            text = f"{bar.value:.0%}" if self.percent else f"{bar.value:,.0f}"
            # A little wider than the slot: a value may reach over the gap between bars.
            above = QRectF(
                plot.left() + slot * (index - 0.25), plot.bottom() - height - line - 2, slot * 1.5, line
            )
            painter.drawText(above, Qt.AlignmentFlag.AlignCenter, text)
            below = QRectF(plot.left() + slot * index, plot.bottom() + 2, slot, line)
            label = label_metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(slot) - 2)
            painter.setFont(label_font)
            painter.drawText(below, Qt.AlignmentFlag.AlignCenter, label)
            painter.setFont(self.font())
        if self.goal is not None:
            y = plot.bottom() - plot.height() * min(self.goal / top, 1.0)
            pen = painter.pen()
            pen.setColor(GOAL_COLOUR)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(plot.left(), y, plot.right(), y)

    def _label_font(self, slot: float) -> QFont:
        """The widget's font, made smaller (down to 7 pt) until most labels fit under their bars:
        nine townships side by side on a 1,366-pixel screen."""
        font = QFont(self.font())
        labels = sorted(QFontMetrics(font).horizontalAdvance(bar.label) for bar in self.bars)
        typical = labels[len(labels) // 2] if labels else 0
        size = font.pointSizeF()
        if size <= 0:  # a font sized in pixels: left as it is
            return font
        while size > 7 and typical * (size / font.pointSizeF()) > slot - 2:
            size -= 0.5
        scaled = QFont(font)
        scaled.setPointSizeF(size)
        return scaled
