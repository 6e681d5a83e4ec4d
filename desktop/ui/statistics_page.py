"""统计: the year's figures as charts — coverage of the poverty-area rural teachers and heads (per
township and year by year), completion rate and trainees per level — and the four reports a county
owes, each exported as .xlsx or as a PDF ready to stamp."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.report import rate
from desktop.services import charts, reports
from desktop.ui.charts import BarChart
from desktop.ui.context import AppContext
from desktop.ui.flow_layout import FlowLayout
from desktop.ui.refresh_when_shown import RefreshWhenShown
from desktop.ui.tasks import Reporter


class StatisticsPage(RefreshWhenShown, QWidget):
    WATCHED = ("enrollments", "attendance", "projects", "teachers", "schools", "credit_entries")

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        title = QLabel(self.tr("统计"))
        title.setObjectName("pageTitle")
        self.year = QComboBox()
        this_year = context.today().year
        for year in range(this_year, this_year - 6, -1):
            self.year.addItem(str(year), year)
        self.year.currentIndexChanged.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(QLabel(self.tr("年度")))
        top.addWidget(self.year)

        self.coverage = BarChart(self.tr("贫困地区乡村教师校园长覆盖率（按乡镇）"), percent=True, goal=1.0)
        self.coverage_by_year = BarChart(self.tr("覆盖率变化（逐年，周期内累计）"), percent=True, goal=1.0)
        self.completion = BarChart(self.tr("结业率（按层级）"), percent=True)
        self.arrived = BarChart(self.tr("报到人次（按层级）"))
        grid = QGridLayout()
        for index, chart in enumerate((self.coverage, self.coverage_by_year, self.completion, self.arrived)):
            grid.addWidget(chart, index // 2, index % 2)

        exports = FlowLayout()
        self.export_buttons: dict[tuple[str, str], QPushButton] = {}
        for kind, (caption, _make) in reports.KINDS.items():
            exports.addWidget(QLabel(self.tr(caption)))
            for suffix, label in ((".xlsx", self.tr("Excel…")), (".pdf", self.tr("PDF…"))):
                button = QPushButton(label)
                button.clicked.connect(lambda _=False, k=kind, s=suffix: self.choose_export(k, s))
                exports.addWidget(button)
                self.export_buttons[(kind, suffix)] = button
        heading = QLabel(self.tr("报表（PDF 可直接盖章报送）"))
        heading.setObjectName("sectionTitle")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addWidget(heading)
        layout.addLayout(exports)
        self.watch_changes(context)

    def refresh(self) -> None:
        """Counted off the UI thread (seconds in a county of 200,000 teachers), drawn when ready."""
        self._stale = False
        year, db = self.year.currentData(), self.context.db
        self.context.runner.read_quietly(
            lambda: charts.year_charts(db, year=year),
            lambda figures: self.show_charts(year, *figures),
            lambda error: self.context.report_error(self, error),
        )

    def show_charts(
        self, year: int, coverage: charts.CoverageFigures, completion: charts.CompletionFigures
    ) -> None:
        if year != self.year.currentData():
            return  # an answer for a year no longer chosen
        covered = f"{coverage.covered}/{coverage.target}，{rate(coverage.covered, coverage.target)}"
        self.coverage.set_bars(coverage.by_township, covered)
        self.coverage_by_year.set_bars(coverage.by_year, coverage.cycle_label)
        done = (
            f"{completion.completed}/{completion.arrived}，{rate(completion.completed, completion.arrived)}"
        )
        self.completion.set_bars(completion.by_level, done)
        self.arrived.set_bars(
            completion.arrived_by_level, self.tr("共 {n} 人次").format(n=completion.arrived)
        )

    def choose_export(self, kind: str, suffix: str) -> None:
        caption = reports.KINDS[kind][0]
        year = self.year.currentData()
        name = f"{self.context.db.device.county_name}{year}年{caption}{suffix}"
        pattern = self.tr("Excel 文件 (*.xlsx)") if suffix == ".xlsx" else self.tr("PDF 文件 (*.pdf)")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("导出{what}").format(what=caption), name, pattern)
        if path:
            self.export(kind, Path(path).with_suffix(suffix))

    def export(self, kind: str, out: Path) -> None:
        """Build and write the report off the UI thread (a PDF of many schools takes seconds)."""
        year, today, county = (
            self.year.currentData(),
            self.context.today(),
            self.context.db.device.county_name,
        )

        def work(reporter: Reporter) -> tuple[str, int]:
            reporter.progress(0, 0, self.tr("正在生成报表…"))
            return reports.export(self.context.db, kind, out, year=year, county_name=county, today=today)

        def done(result: tuple[str, int]) -> None:
            self.last_export = out
            self.context.inform(
                self,
                self.tr("导出报表"),
                self.tr("已生成“{title}”：\n{path}").format(title=result[0], path=out),
            )

        self.context.runner.run(
            self,
            title=self.tr("导出报表"),
            work=work,
            on_done=done,
            on_error=lambda error: self.context.report_error(self, error),
        )
