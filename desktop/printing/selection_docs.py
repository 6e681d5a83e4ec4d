"""The two documents that close two-way selection (双向选择): the public list of admitted trainees
(公示名单) and one participation notice per sending school (参训通知), as A4 PDF and as xlsx.

Every text is checked against the print font before anything is written, because a character the font
lacks would print as a blank without any error (see `desktop.printing.fonts`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from desktop.errors import UserInputError
from desktop.io.xlsx_writer import write_xlsx
from desktop.printing.fonts import ensure_printable, register_fonts
from desktop.printing.layout import SectionStart, build_a4

MARGIN = 20 * mm
# SimpleDocTemplate's frame keeps reportlab's default 6 pt padding inside the margins on each side.
TEXT_WIDTH = A4[0] - 2 * MARGIN - 2 * 6
PUBLICITY_HEADERS = ("序号", "姓名", "性别", "学校/单位", "学段", "学科", "职称")
# Relative column widths, scaled to the text width.
PUBLICITY_WIDTHS = (12, 20, 13, 55, 18, 22, 30)
NOTICE_HEADERS = ("序号", "姓名", "性别", "学段", "学科", "职称")
NOTICE_WIDTHS = (14, 28, 14, 30, 38, 46)


@dataclass(frozen=True)
class SelectedTrainee:
    name: str
    gender: str  # "男" / "女"
    school: str
    stage: str
    subject: str
    title: str


@dataclass(frozen=True)
class SelectionDocument:
    county_name: str
    issuer: str  # e.g. "平塘县教育局"
    project_code: str
    project_name: str
    program: str  # e.g. "国培-中西部项目"
    institution: str
    start_date: date
    end_date: date
    hours: float
    venue: str
    publicity_start: date
    publicity_end: date
    contact: str  # e.g. "县教师发展中心 0854-7221234"
    trainees: tuple[SelectedTrainee, ...]


# --- shared pieces -------------------------------------------------------------------------------


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _hours(hours: float) -> str:
    # 48.0 prints as "48", 31.5 as "31.5": nobody writes "48.0学时".
    return f"{hours:g}"


def _check_printable(doc: SelectionDocument) -> None:
    """Refuse before a file is opened, so a failed print never leaves half a PDF behind."""
    if not doc.trainees:
        raise UserInputError(f"“{doc.project_name}”还没有入选学员，无法生成公示名单或参训通知")
    fields = {
        "发文单位": doc.issuer,
        "项目名称": doc.project_name,
        "项目编号": doc.project_code,
        "计划层级": doc.program,
        "承训机构": doc.institution,
        "培训地点": doc.venue,
        "联系方式": doc.contact,
    }
    for who, text in fields.items():
        ensure_printable(text, who)
    for trainee in doc.trainees:
        ensure_printable(trainee.name, "学员姓名")
        ensure_printable(trainee.school, f"学员“{trainee.name}”的学校/单位")
        for who, text in (
            ("性别", trainee.gender),
            ("学段", trainee.stage),
            ("学科", trainee.subject),
            ("职称", trainee.title),
        ):
            ensure_printable(text, f"学员“{trainee.name}”的{who}")


class _Styles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "wordWrap": "CJK"}
        self.title = ParagraphStyle(
            "title", fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=12, **base
        )
        self.body = ParagraphStyle("body", fontSize=10.5, leading=17, firstLineIndent=21, **base)
        self.addressee = ParagraphStyle("addressee", fontSize=10.5, leading=17, spaceBefore=4, **base)
        self.signature = ParagraphStyle("signature", fontSize=10.5, leading=17, alignment=TA_RIGHT, **base)
        self.cell = ParagraphStyle("cell", fontSize=9.5, leading=12, **base)
        self.head = ParagraphStyle("head", fontSize=9.5, leading=12, alignment=TA_CENTER, **base)
        self.number = ParagraphStyle("number", fontSize=9.5, leading=12, alignment=TA_CENTER, **base)


def _title(text: str, styles: _Styles) -> Paragraph:
    """The title on one line if shrinking it a little allows, so a long project name does not leave one
    orphaned character on a second line; otherwise it wraps at 13 pt."""
    size = styles.title.fontSize
    while size > 13 and stringWidth(text, styles.title.fontName, size) > TEXT_WIDTH:
        size -= 0.5
    return _p(text, ParagraphStyle("fitted-title", parent=styles.title, fontSize=size, leading=size * 1.5))


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph parses a small XML markup; a school called "A&B" must not break it.
    return Paragraph(escape(text), style)


def _signature(issuer: str, day: date, styles: _Styles) -> Paragraph:
    """Issuer above date, right-aligned: one two-line paragraph, which reportlab never splits."""
    return Paragraph(f"{escape(issuer)}<br/>{escape(_cn_date(day))}", styles.signature)


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    styles: _Styles,
    signature: Paragraph | None = None,
) -> Table:
    """A ruled table whose header repeats on every page; `signature`, if given, closes it as a borderless
    last row tied to the last two trainees, so the issuer never stands alone on a page of its own."""
    data: list[list[Flowable | str]] = [[_p(h, styles.head) for h in headers]]
    for row in rows:
        data.append([_p(row[0], styles.number), *(_p(cell, styles.cell) for cell in row[1:])])
    last_ruled = len(data) - 1
    commands: list[tuple[Any, ...]] = [
        # Cells hold Paragraphs, yet Table still sets its own font (Helvetica, never embedded).
        ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
        ("GRID", (0, 0), (-1, last_ruled), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if signature is not None:
        data.append([signature, *[""] * (len(headers) - 1)])
        commands += [
            ("SPAN", (0, -1), (-1, -1)),
            ("TOPPADDING", (0, -1), (-1, -1), 6 * mm),
            ("NOSPLIT", (0, max(1, last_ruled - 1)), (-1, -1)),
        ]
    # repeatRows=1 reprints the header on every page the table runs onto.
    table = Table(data, colWidths=[TEXT_WIDTH * w / sum(widths) for w in widths], repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def build_document(out: Path, title: str, story: list[Flowable], font: str) -> int:
    """Write the story to `out` as A4 and return the number of pages written."""
    return build_a4(
        out, title=title, story=story, font=font, margins=(MARGIN, MARGIN, MARGIN, MARGIN + 2 * mm)
    )


def _by_school(trainees: Sequence[SelectedTrainee]) -> dict[str, list[SelectedTrainee]]:
    """Trainees grouped by school, schools in the order they first appear (a dict keeps that order)."""
    groups: dict[str, list[SelectedTrainee]] = {}
    for trainee in trainees:
        groups.setdefault(trainee.school, []).append(trainee)
    return groups


# --- 公示名单 -------------------------------------------------------------------------------------


def _publicity_rows(doc: SelectionDocument) -> list[list[str]]:
    return [
        [str(i), t.name, t.gender, t.school, t.stage, t.subject, t.title]
        for i, t in enumerate(doc.trainees, start=1)
    ]


def publicity_pdf(doc: SelectionDocument, out: Path) -> int:
    """The public list of admitted trainees. Returns the page count."""
    _check_printable(doc)
    font = register_fonts()
    styles = _Styles(font)
    title = f"{doc.project_name}参训学员名单公示"
    story: list[Flowable] = [
        _title(title, styles),
        _p(
            f"根据{doc.program}工作安排，经教师本人自愿报名、{doc.institution}择优遴选、{doc.issuer}审核，"
            f"拟确定以下{len(doc.trainees)}名教师参加“{doc.project_name}”（项目编号：{doc.project_code}；"
            f"培训时间：{_cn_date(doc.start_date)}至{_cn_date(doc.end_date)}；培训地点：{doc.venue}），"
            "现予以公示。",
            styles.body,
        ),
        # The period stands in its own paragraph so it is never split over two lines.
        _p(f"公示期：{_cn_date(doc.publicity_start)}至{_cn_date(doc.publicity_end)}。", styles.body),
        _p(
            f"公示期间如有异议，请以书面或电话形式向{doc.contact}反映。反映情况应实事求是，"
            "并提供真实姓名和联系方式。",
            styles.body,
        ),
        Spacer(1, 4 * mm),
        _table(
            PUBLICITY_HEADERS,
            _publicity_rows(doc),
            PUBLICITY_WIDTHS,
            styles,
            # Dated the first day of publicity: that is the day the list goes up.
            signature=_signature(doc.issuer, doc.publicity_start, styles),
        ),
    ]
    return build_document(out, title, story, font)


def publicity_xlsx(doc: SelectionDocument, out: Path) -> int:
    """The public list as a sheet. Returns the number of trainee rows."""
    return write_xlsx(
        out,
        sheet_title="公示名单",
        headers=PUBLICITY_HEADERS,
        rows=_publicity_rows(doc),
        widths=(6, 12, 6, 36, 10, 12, 16),
    )


# --- 参训通知 -------------------------------------------------------------------------------------


def _notice(
    doc: SelectionDocument, school: str, trainees: list[SelectedTrainee], styles: _Styles
) -> list[Flowable]:
    rows = [[str(i), t.name, t.gender, t.stage, t.subject, t.title] for i, t in enumerate(trainees, start=1)]
    return [
        SectionStart(school),
        _title(f"关于{doc.project_name}参训人员的通知", styles),
        _p(f"{school}：", styles.addressee),
        _p(
            f"经教师本人自愿报名、承训机构择优遴选、{doc.issuer}审核并公示（公示期："
            f"{_cn_date(doc.publicity_start)}至{_cn_date(doc.publicity_end)}），你单位以下{len(trainees)}名"
            f"教师入选{doc.program}“{doc.project_name}”（项目编号：{doc.project_code}）。"
            "现将有关事项通知如下：",
            styles.body,
        ),
        _p(
            f"一、培训时间：{_cn_date(doc.start_date)}至{_cn_date(doc.end_date)}，共{_hours(doc.hours)}学时。",
            styles.body,
        ),
        _p(f"二、培训地点：{doc.venue}。", styles.body),
        _p(f"三、承训机构：{doc.institution}。", styles.body),
        _p("四、参训人员：", styles.body),
        _table(NOTICE_HEADERS, rows, NOTICE_WIDTHS, styles),
        Spacer(1, 3 * mm),
        # The closing items travel with the issuer, so the issuer never stands alone on a page.
        KeepTogether(
            [
                _p(
                    "五、报到须知：请参训教师按时报到，携带本人居民身份证、教师资格证及本通知，"
                    "自备笔记本电脑和个人生活用品。请学校提前安排好参训教师的课务，保证其全程参训。",
                    styles.body,
                ),
                _p(
                    "六、纪律要求：参训教师无特殊原因不得缺席。根据教师厅〔2020〕1号文件要求，"
                    "无特殊原因未参训的，记入教师培训诚信档案，三年内不得参加国培计划项目。"
                    f"确因特殊原因不能参训的，请于开班前以书面形式向{doc.issuer}说明。",
                    styles.body,
                ),
                _p(f"七、联系方式：{doc.contact}。", styles.body),
                Spacer(1, 6 * mm),
                # Dated the last day of publicity: the list is final only once publicity has closed.
                _signature(doc.issuer, doc.publicity_end, styles),
            ]
        ),
    ]


def school_notices_pdf(doc: SelectionDocument, out: Path) -> int:
    """One notice per sending school, each starting on a new page and numbered on its own.
    Returns the total page count."""
    _check_printable(doc)
    font = register_fonts()
    styles = _Styles(font)
    story: list[Flowable] = []
    for school, trainees in _by_school(doc.trainees).items():
        if story:
            story.append(PageBreak())
        story.extend(_notice(doc, school, trainees, styles))
    return build_document(out, f"关于{doc.project_name}参训人员的通知", story, font)


def school_notices_xlsx(doc: SelectionDocument, out: Path) -> int:
    """Every school's trainees on one sheet, with the school first so it filters and sorts. Returns rows."""
    rows: list[list[str]] = []
    for school, trainees in _by_school(doc.trainees).items():
        rows.extend(
            [school, str(i), t.name, t.gender, t.stage, t.subject, t.title]
            for i, t in enumerate(trainees, start=1)
        )
    return write_xlsx(
        out,
        sheet_title="参训通知名单",
        headers=("学校", *NOTICE_HEADERS),
        rows=rows,
        widths=(36, 6, 12, 6, 10, 12, 16),
    )
