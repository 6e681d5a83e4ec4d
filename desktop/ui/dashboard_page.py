"""首页: live figures of the county and today's sessions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.report import rate
from desktop.services import charts
from desktop.services.dashboard import DashboardFigures, dashboard_figures
from desktop.ui.charts import BarChart
from desktop.ui.context import AppContext
from desktop.ui.refresh_when_shown import RefreshWhenShown
from guopei_common.vocab import SessionFormat


class FigureCard(QFrame):
    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        self.value = QLabel("–")
        self.value.setObjectName("cardValue")
        caption_label = QLabel(caption)
        caption_label.setObjectName("cardCaption")
        layout.addWidget(self.value)
        layout.addWidget(caption_label)

    def set_value(self, value: int) -> None:
        self.value.setText(f"{value:,}")


class DashboardPage(RefreshWhenShown, QWidget):
    # Tables whose changes alter a figure on this page.
    WATCHED = ("teachers", "schools", "projects", "training_sessions", "outbox")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.figures: DashboardFigures | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        title = QLabel(self.tr("{county}教师发展中心").format(county=context.db.device.county_name))
        title.setObjectName("pageTitle")
        layout.addWidget(title)

        grid = QGridLayout()
        self.cards = {
            "teachers": FigureCard(self.tr("在职教师")),
            "schools": FigureCard(self.tr("学校")),
            "projects_running": FigureCard(self.tr("进行中的项目")),
            "sessions_today": FigureCard(self.tr("今日课次")),
            "changes_waiting": FigureCard(self.tr("待同步的修改")),
        }
        for column, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, column)
        layout.addLayout(grid)

        # The charts that matter at a glance, counted off the UI thread (they count whole tables).
        self.charts = {
            "coverage": BarChart(self.tr("本年覆盖率（按乡镇）"), percent=True, goal=1.0),
            "completion": BarChart(self.tr("本年结业率"), percent=True),
            "week": BarChart(self.tr("本周课次")),
            "waiting": BarChart(self.tr("待同步的修改")),
        }
        charts_row = QHBoxLayout()
        for chart in self.charts.values():
            chart.setMinimumHeight(170)
            charts_row.addWidget(chart)
        layout.addLayout(charts_row)

        heading = QLabel(self.tr("今日课次"))
        heading.setObjectName("sectionTitle")
        layout.addSpacing(8)
        layout.addWidget(heading)
        self.sessions = QTableWidget(0, 5)
        self.sessions.setHorizontalHeaderLabels(
            [self.tr("时间"), self.tr("项目"), self.tr("班级"), self.tr("地点"), self.tr("形式")]
        )
        self.sessions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sessions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sessions.verticalHeader().setVisible(False)
        header = self.sessions.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.sessions, 1)
        self.empty_note = QLabel(self.tr("今天没有安排课次。"))
        self.empty_note.setObjectName("emptyNote")
        layout.addWidget(self.empty_note)

        self.watch_changes(context)

    def refresh(self) -> None:
        self._stale = False
        self.refresh_charts()
        figures = self.context.read(dashboard_figures, today=self.context.today())
        self.figures = figures
        self.cards["teachers"].set_value(figures.teachers)
        self.cards["schools"].set_value(figures.schools)
        self.cards["projects_running"].set_value(figures.projects_running)
        self.cards["sessions_today"].set_value(len(figures.sessions_today))
        self.cards["changes_waiting"].set_value(figures.changes_waiting)
        self.sessions.setRowCount(len(figures.sessions_today))
        for row, item in enumerate(figures.sessions_today):
            fmt = SessionFormat(item.format).label
            values = [
                f"{item.start:%H:%M}–{item.end:%H:%M}",
                item.project_name,
                item.class_name,
                item.venue,
                self.tr(fmt),
            ]
            for column, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.sessions.setItem(row, column, cell)
        self.sessions.setVisible(bool(figures.sessions_today))
        self.empty_note.setVisible(not figures.sessions_today)

    def refresh_charts(self) -> None:
        """Counted off the UI thread (seconds in a county of 200,000 teachers), drawn when ready."""
        today, db = self.context.today(), self.context.db
        for chart in self.charts.values():
            if not chart.bars:
                chart.empty_text = self.tr("正在统计…")
                chart.update()
        self.context.runner.read_quietly(
            lambda: charts.home_charts(db, today=today),
            self.show_charts,
            lambda error: self.context.report_error(self, error),
        )

    def show_charts(self, figures: charts.HomeCharts) -> None:
        coverage, completion = figures.coverage, figures.completion
        self.charts["coverage"].set_bars(
            coverage.by_township,
            f"{coverage.covered}/{coverage.target}，{rate(coverage.covered, coverage.target)}",
        )
        self.charts["completion"].set_bars(
            completion.by_level, f"{completion.completed}/{completion.arrived}"
        )
        week = figures.week
        self.charts["week"].set_bars(week, self.tr("共 {n} 次").format(n=sum(int(b.value) for b in week)))
        waiting = figures.waiting
        self.charts["waiting"].set_bars(
            waiting[:5], self.tr("共 {n} 条").format(n=sum(int(b.value) for b in waiting))
        )
