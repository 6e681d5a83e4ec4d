"""The 统计 page and the home page's charts on the demo county: the figures the charts draw are the
reports' figures, a report exports from the page, and the bars are really painted."""

from __future__ import annotations

import threading

from openpyxl import load_workbook
from PySide6.QtGui import QColor

from desktop.services import charts
from desktop.ui.charts import BAR_COLOUR, BarChart
from desktop.ui.dashboard_page import DashboardPage
from desktop.ui.statistics_page import StatisticsPage
from desktop.ui.tasks import TaskRunner
from tests.conftest import DEMO_TODAY, QuietContext


def painted_bar_pixels(chart: BarChart) -> int:
    image = chart.grab().toImage()
    return sum(
        1
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
        if QColor(image.pixel(x, y)) == BAR_COLOUR
    )


def test_statistics_page_draws_the_years_figures_and_exports_a_report(qtbot, demo_db, tmp_path):
    context = QuietContext(demo_db)
    page = StatisticsPage(context)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    with demo_db.read() as session:
        coverage = charts.coverage_figures(session, year=DEMO_TODAY.year)
        completion = charts.completion_figures(session, year=DEMO_TODAY.year)
    assert page.coverage.bars == coverage.by_township and len(coverage.by_township) == 9
    assert (
        page.coverage.summary
        == f"{coverage.covered}/{coverage.target}，{coverage.covered / coverage.target:.1%}"
    )
    assert page.completion.summary.startswith(f"{completion.completed}/{completion.arrived}")
    assert sum(bar.value for bar in page.arrived.bars) == completion.arrived
    assert painted_bar_pixels(page.completion) > 100
    out = tmp_path / "统计.xlsx"
    page.export("statistics", out)
    assert context.errors == [] and "已生成" in context.messages[-1]
    assert load_workbook(out).sheetnames[:2] == ["按层级", "按培训类型"]
    # Another year: the charts follow.
    page.year.setCurrentIndex(page.year.findData(DEMO_TODAY.year - 1))
    assert page.coverage_by_year.bars[-1].label == str(DEMO_TODAY.year - 1)


def test_home_page_charts_coverage_completion_sessions_this_week_and_changes_waiting(qtbot, demo_db):
    page = DashboardPage(QuietContext(demo_db))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.refresh_charts()
    assert [b.label for b in page.charts["week"].bars] == [
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
        "周六",
        "周日",
    ]
    with demo_db.read() as session:
        week = charts.sessions_this_week(session, today=DEMO_TODAY)
        waiting = charts.changes_waiting(session)
    assert page.charts["week"].bars == week and sum(b.value for b in week) > 0
    assert page.charts["waiting"].bars == waiting[:5]
    assert page.charts["waiting"].summary == f"共 {sum(int(b.value) for b in waiting)} 条"
    assert page.charts["coverage"].goal == 1.0 and page.charts["completion"].bars
    assert all(painted_bar_pixels(chart) > 0 for chart in page.charts.values())


def test_an_empty_chart_says_so(qtbot):
    chart = BarChart("本周课次")
    qtbot.addWidget(chart)
    chart.resize(300, 200)
    chart.set_bars([])
    assert painted_bar_pixels(chart) == 0 and chart.toolTip() == ""


def test_a_quiet_read_runs_off_the_ui_thread_and_reports_back(qtbot):
    runner = TaskRunner()
    results: list[object] = []
    errors: list[BaseException] = []
    ui_thread = threading.get_ident()
    runner.read_quietly(lambda: threading.get_ident(), results.append, errors.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results[0] != ui_thread and errors == []
    runner.read_quietly(lambda: 1 / 0, results.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ZeroDivisionError) and len(results) == 1
