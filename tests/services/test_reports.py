"""The county's reports on the demo county: every figure checked against SQL written here on its own,
the .xlsx read back (frozen header, widths, totals) and the PDF read back with pdftotext."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from desktop.cli import main as desk_cli
from desktop.db.engine import open_database
from desktop.domain.report import Report
from desktop.services import reports
from tests.conftest import DEMO_TODAY

YEAR = 2026
COUNTY = "平塘县"
POVERTY = (
    "(s.in_sanqu_sanzhou OR s.in_contiguous_poverty_area OR s.in_former_poverty_county"
    " OR s.in_key_assistance_county)"
)
COVERING = "('guopei_demo', 'guopei_midwest', 'guopei_kindergarten', 'provincial')"


@pytest.fixture(scope="module")
def built(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Each report built once, written as .xlsx and .pdf; with the database to check them against."""
    out = tmp_path_factory.mktemp("reports")
    db = open_database(demo_dir)
    made: dict[str, tuple[Report, Path, Path]] = {}
    with db.read() as session:
        for kind in reports.KINDS:
            report = reports.build(session, kind, year=YEAR, county_name=COUNTY, today=DEMO_TODAY)
            xlsx, pdf = out / f"{kind}.xlsx", out / f"{kind}.pdf"
            reports.write(report, xlsx)
            reports.write(report, pdf)
            made[kind] = (report, xlsx, pdf)
    yield db, made
    db.dispose()


def sql(db, query: str) -> list[tuple]:
    with db.read() as session:
        return [tuple(row) for row in session.execute(text(query))]


def pdf_text(path: Path) -> str:
    """The PDF's text with all whitespace taken out: lines wrap wherever the layout put them."""
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return flat(words)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def sheet(path: Path, title: str):
    return load_workbook(path)[title]


def test_coverage_matches_sql_and_names_the_uncovered_with_masked_ids(built):
    db, made = built
    _report, xlsx, pdf = made["coverage"]
    ((target,),) = sql(
        db,
        f"""SELECT count(*) FROM teachers t JOIN schools s ON s.id = t.school_id
            WHERE t.deleted = 0 AND t.employment_status = 'active' AND s.is_rural AND {POVERTY}""",
    )
    ((covered,),) = sql(
        db,
        f"""SELECT count(DISTINCT t.id) FROM teachers t JOIN schools s ON s.id = t.school_id
            JOIN enrollments e ON e.teacher_id = t.id AND e.deleted = 0 AND e.status = 'completed'
            JOIN projects p ON p.id = e.project_id
            WHERE t.deleted = 0 AND t.employment_status = 'active' AND s.is_rural AND {POVERTY}
              AND p.program IN {COVERING} AND strftime('%Y', p.end_date) BETWEEN '2026' AND '{YEAR}'""",
    )
    assert 0 < covered < target
    townships = sheet(xlsx, "按乡镇")
    assert townships.freeze_panes == "A3"
    assert [c.value for c in townships[2]] == ["乡镇", "对象人数", "已覆盖", "未覆盖", "覆盖率"]
    assert townships[2][0].font.bold and townships.column_dimensions["A"].width == 16
    totals = [c.value for c in townships[townships.max_row]]
    assert totals == ["合计", target, covered, target - covered, f"{covered / target:.1%}"]
    assert townships[townships.max_row][0].font.bold
    names = sheet(xlsx, "未覆盖人员名单")
    assert names.max_row - 2 == target - covered
    id_cells = [row[4].value for row in names.iter_rows(min_row=3)]
    assert all(len(v) == 18 and "**********" in v for v in id_cells)
    over_time = sheet(xlsx, "覆盖率变化")
    by_year = {row[0]: row for row in over_time.iter_rows(min_row=3, values_only=True)}
    assert list(by_year) == [str(y) for y in range(2021, YEAR + 1)]  # this cycle and the last
    assert by_year["2026"] == ("2026", "2026—2030年周期", covered, target, f"{covered / target:.1%}")
    ((last_cycle,),) = sql(
        db,
        f"""SELECT count(DISTINCT t.id) FROM teachers t JOIN schools s ON s.id = t.school_id
            JOIN enrollments e ON e.teacher_id = t.id AND e.deleted = 0 AND e.status = 'completed'
            JOIN projects p ON p.id = e.project_id
            WHERE t.deleted = 0 AND t.employment_status = 'active' AND s.is_rural AND {POVERTY}
              AND p.program IN {COVERING} AND strftime('%Y', p.end_date) BETWEEN '2021' AND '2025'""",
    )
    assert by_year["2025"][2] == last_cycle > covered
    words = pdf_text(pdf)
    assert (
        flat(f"全县贫困地区乡村教师和校园长共 {target} 人") in words and flat(f"结业 {covered} 人") in words
    )
    assert "实现贫困地区乡村教师、校园长培训全覆盖" in words
    assert "平塘县教师发展中心（盖章）" in words
    # No full ID number anywhere in the document.
    full = {number for (number,) in sql(db, "SELECT id_number FROM teachers")}
    assert not any(number in words for number in full)


def test_statistics_match_sql(built):
    db, made = built
    _report, xlsx, pdf = made["statistics"]
    year_projects = f"SELECT id FROM projects WHERE deleted = 0 AND strftime('%Y', start_date) = '{YEAR}'"
    selected = (
        "('admitted','approved','publicised','attending','completed','not_completed','dismissed','no_show')"
    )
    ((projects, places),) = sql(
        db, f"SELECT count(*), sum(quota) FROM projects WHERE id IN ({year_projects})"
    )
    ((enrolled, completed),) = sql(
        db,
        f"""SELECT count(*), sum(status = 'completed') FROM enrollments
            WHERE deleted = 0 AND project_id IN ({year_projects}) AND status IN {selected}""",
    )
    ((arrived, trained),) = sql(
        db,
        f"""SELECT count(*), count(DISTINCT teacher_id) FROM enrollments e
            WHERE e.deleted = 0 AND e.project_id IN ({year_projects}) AND e.status IN {selected}
              AND EXISTS (SELECT 1 FROM attendance a WHERE a.enrollment_id = e.id AND a.deleted = 0
                          AND a.status IN ('present', 'late', 'left_early'))""",
    )
    ((hours,),) = sql(
        db,
        f"""SELECT sum(a.hours) FROM attendance a JOIN enrollments e ON e.id = a.enrollment_id
            WHERE a.deleted = 0 AND e.deleted = 0 AND e.project_id IN ({year_projects})
              AND e.status IN {selected}""",
    )
    levels = sheet(xlsx, "按层级")
    totals = [c.value for c in levels[levels.max_row]]
    assert totals[:7] == [
        "合计",
        projects,
        places,
        enrolled,
        arrived,
        completed,
        f"{completed / arrived:.1%}",
    ]
    assert totals[7] == pytest.approx(round(hours, 1))
    # Every breakdown adds up to the same totals.
    for title in ("按培训类型", "按学段", "按学科"):
        rows = list(sheet(xlsx, title).iter_rows(min_row=3, values_only=True))
        assert sum(row[3] for row in rows[:-1]) == enrolled == rows[-1][3]
    schools = sheet(xlsx, "按学校")
    assert [c.value for c in schools[schools.max_row]][3] == trained
    words = pdf_text(pdf)
    assert flat(f"参训 {enrolled} 人次，报到 {arrived} 人次，结业 {completed} 人次") in words
    assert flat(f"{trained} 名教师至少参训一次") in words


def test_one_notice_per_sending_school_of_each_finished_project(built):
    db, made = built
    report, xlsx, pdf = made["school-notices"]
    reported = "('attending','completed','not_completed','dismissed','no_show','withdrawn','publicised')"
    pairs = sql(
        db,
        f"""SELECT p.code, s.name, count(*), sum(e.status = 'dismissed') FROM enrollments e
            JOIN projects p ON p.id = e.project_id JOIN schools s ON s.id = e.sending_school_id
            WHERE e.deleted = 0 AND p.deleted = 0 AND e.status IN {reported}
              AND strftime('%Y', p.end_date) = '{YEAR}' AND p.end_date < '{DEMO_TODAY}'
            GROUP BY p.code, s.name""",
    )
    assert len(report.sections) == len(pairs)
    assert {(s.tables[0].title, len(s.tables[0].rows)) for s in report.sections} == {
        (f"{code} {school}", n) for code, school, n, _ in pairs
    }
    rows = list(load_workbook(xlsx).worksheets[0].iter_rows(min_row=3, values_only=True))
    assert rows and all(len(row) == 8 for row in rows)
    words = pdf_text(pdf)
    first = report.sections[0]
    assert f"{flat(first.addressee)}：" in words and "及时向学员选派单位通报参训情况" in words
    # Each school's notice is numbered on its own: as many "第 1 页" as notices.
    assert words.count("第1页") == len(pairs)
    dismissed = sum(d for *_, d in pairs)
    assert sum(row.count("劝退") for s in report.sections for row in s.tables[0].rows) >= dismissed


def test_cycle_credits_match_sql_and_say_who_is_short(built):
    db, made = built
    _report, xlsx, pdf = made["credits"]
    ((teachers,),) = sql(
        db, "SELECT count(*) FROM teachers WHERE deleted = 0 AND employment_status = 'active'"
    )
    ((hours,),) = sql(
        db,
        """SELECT coalesce(sum(c.hours), 0) FROM credit_entries c JOIN teachers t ON t.id = c.teacher_id
           WHERE c.deleted = 0 AND c.status IN ('approved', 'submitted') AND c.year BETWEEN 2026 AND 2030
             AND t.deleted = 0 AND t.employment_status = 'active'""",
    )
    detail = sheet(xlsx, "教师学时明细")
    rows = list(detail.iter_rows(min_row=3, values_only=True))
    assert len(rows) == teachers
    assert sum(row[3] for row in rows) == pytest.approx(hours, abs=0.05 * teachers)
    assert [c.value for c in detail[2]][-3:] == ["师德学时", "信息技术应用能力学时", "尚缺"]
    assert all(row[-1] == "已达标" or "差" in row[-1] for row in rows)
    summary = sheet(xlsx, "按学校汇总")
    assert [c.value for c in summary[summary.max_row]][1] == teachers
    words = pdf_text(pdf)
    assert flat(f"全县在职教师 {teachers} 人") in words and "2026—2030年周期" in words


def test_report_command_writes_each_kind(demo_dir, tmp_path, capsys):
    out = tmp_path / "覆盖.pdf"
    assert (
        desk_cli(["--data-dir", str(demo_dir), "report", "coverage", "--year", str(YEAR), "--out", str(out)])
        == 0
    )
    assert "页）" in capsys.readouterr().out and out.stat().st_size > 10_000
    wrong = tmp_path / "x.doc"
    assert desk_cli(["--data-dir", str(demo_dir), "report", "statistics", "--out", str(wrong)]) == 2
    assert ".xlsx 或 .pdf" in capsys.readouterr().err
