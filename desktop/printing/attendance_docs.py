"""Paper for attendance: trainee badges (学员证) whose QR code the check-in scanner reads, and per-session
sign-in sheets (签到表) to fall back on when the check-in laptop fails.

Every text is checked against the print font before anything is written, because a character the font
lacks would print as a blank without any error (see `desktop.printing.fonts`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer, Table, TableStyle

from desktop.errors import UserInputError
from desktop.printing.fonts import ensure_printable, register_fonts
from desktop.printing.layout import FOOTER_Y, SectionCanvas, SectionStart, build_a4

WEEKDAYS = "一二三四五六日"

# --- 学员证 ----------------------------------------------------------------------------------------

BADGE_WIDTH = 90 * mm
BADGE_HEIGHT = 60 * mm
BADGE_COLUMNS = 2
BADGE_ROWS = 4
BADGES_PER_PAGE = BADGE_COLUMNS * BADGE_ROWS
# The grid is centred on the sheet: 15 mm left and right, 28.5 mm top and bottom.
GRID_LEFT = (A4[0] - BADGE_COLUMNS * BADGE_WIDTH) / 2
GRID_TOP = A4[1] - (A4[1] - BADGE_ROWS * BADGE_HEIGHT) / 2
BADGE_PADDING = 4 * mm
# Side of the whole symbol including its 2-module quiet zone; a GPB1 payload is a version-4 symbol
# (33 modules + 4 quiet), so the code itself is about 28.5 mm wide.
QR_SIDE = 32 * mm
PROJECT_BAND = 9 * mm  # two lines of the project name at most
NAME_SIZE = 22
NAME_MIN_SIZE = 20  # below this the name stops being readable across a classroom; wrap instead


@dataclass(frozen=True)
class Badge:
    name: str
    school: str
    class_name: str
    project_name: str
    payload: str  # `desktop.domain.badge.badge_text(...)`


def _check_badges(badges: Sequence[Badge]) -> None:
    """Refuse before a file is opened, so a failed print never leaves half a PDF behind."""
    if not badges:
        raise UserInputError("没有可打印的学员证：请先选择学员")
    for badge in badges:
        ensure_printable(badge.project_name, "项目名称")
        ensure_printable(badge.class_name, "班级名称")
        ensure_printable(badge.name, "学员姓名")
        ensure_printable(badge.school, f"学员“{badge.name}”的学校/单位")
        if not badge.payload:
            raise UserInputError(f"学员“{badge.name}”的学员证缺少二维码内容")


def _qr_matrix(payload: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.get_matrix()


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    """The symbol as filled vector rectangles with its lower-left corner at (x, y).

    Dark runs along a row become one rectangle, and all of them one path filled once: separately filled
    squares leave hairline seams between neighbours when a viewer or printer anti-aliases."""
    matrix = _qr_matrix(payload)
    module = side / len(matrix)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + side - (row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(x + start * module, top, (column - start) * module, module)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)


def _fitted(text: str, style: ParagraphStyle, width: float, height: float, min_size: float) -> Paragraph:
    """`text` shrunk from the style's size until it fits `width` x `height`, but never below `min_size`."""
    size = style.fontSize
    while True:
        fitted = ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=size * 1.25)
        paragraph = Paragraph(escape(text), fitted)
        _, needed = paragraph.wrap(width, height)
        if needed <= height or size <= min_size:
            return paragraph
        size -= 0.5


class _BadgeStyles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "wordWrap": "CJK"}
        self.project = ParagraphStyle("badge-project", fontSize=8.5, leading=10.5, **base)
        self.name = ParagraphStyle("badge-name", fontSize=NAME_SIZE, leading=NAME_SIZE * 1.2, **base)
        self.detail = ParagraphStyle("badge-detail", fontSize=9.5, leading=12.5, **base)
        self.caption = ParagraphStyle(
            "badge-caption", fontSize=7, leading=9, alignment=TA_CENTER, textColor=colors.grey, **base
        )


def _draw_badge(canvas: Canvas, badge: Badge, left: float, bottom: float, styles: _BadgeStyles) -> None:
    inner_left = left + BADGE_PADDING
    inner_top = bottom + BADGE_HEIGHT - BADGE_PADDING
    inner_width = BADGE_WIDTH - 2 * BADGE_PADDING

    project = _fitted(badge.project_name, styles.project, inner_width, PROJECT_BAND, min_size=6)
    _, height = project.wrap(inner_width, PROJECT_BAND)
    project.drawOn(canvas, inner_left, inner_top - height)
    rule_y = inner_top - PROJECT_BAND - 1.5 * mm
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(0.6)
    canvas.line(inner_left, rule_y, inner_left + inner_width, rule_y)

    # QR code on the right, hanging from the rule, with its purpose underneath for whoever holds it.
    qr_left = left + BADGE_WIDTH - BADGE_PADDING - QR_SIDE + 2 * mm  # the quiet zone may eat the padding
    qr_bottom = rule_y - 1 * mm - QR_SIDE
    _draw_qr(canvas, badge.payload, qr_left, qr_bottom, QR_SIDE)
    caption = Paragraph("签到请出示此码", styles.caption)
    _, caption_height = caption.wrap(QR_SIDE, 20)
    caption.drawOn(canvas, qr_left, qr_bottom - caption_height + 1 * mm)

    # Name, school and class stacked in the column left of the code.
    text_width = qr_left - inner_left - 2 * mm
    y = rule_y - 2.5 * mm
    name_size = NAME_SIZE
    while name_size > NAME_MIN_SIZE and stringWidth(badge.name, styles.name.fontName, name_size) > text_width:
        name_size -= 0.5
    name_style = ParagraphStyle(
        "badge-name-fitted", parent=styles.name, fontSize=name_size, leading=name_size * 1.2
    )
    for paragraph in (
        Paragraph(escape(badge.name), name_style),
        Paragraph(escape(badge.school), styles.detail),
        Paragraph(f"班级：{escape(badge.class_name)}", styles.detail),
    ):
        _, height = paragraph.wrap(text_width, y - bottom)
        y -= height
        paragraph.drawOn(canvas, inner_left, y)
        y -= 1.5 * mm


def _draw_cut_lines(canvas: Canvas, used: int) -> None:
    """Thin grey lines around the badges actually on this sheet, so a half-empty last sheet is not cut
    into blank cards."""
    canvas.setStrokeColor(colors.HexColor("#9a9a9a"))
    canvas.setLineWidth(0.3)
    for slot in range(used):
        row, column = divmod(slot, BADGE_COLUMNS)
        left = GRID_LEFT + column * BADGE_WIDTH
        bottom = GRID_TOP - (row + 1) * BADGE_HEIGHT
        canvas.rect(left, bottom, BADGE_WIDTH, BADGE_HEIGHT, stroke=1, fill=0)


def badges_pdf(badges: Sequence[Badge], out: Path) -> int:
    """Badges eight to an A4 sheet (2 x 4, 90 x 60 mm each), in the given order. Returns the page count."""
    _check_badges(badges)
    font = register_fonts()
    styles = _BadgeStyles(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    pages = (len(badges) + BADGES_PER_PAGE - 1) // BADGES_PER_PAGE
    canvas = Canvas(str(out), pagesize=A4, initialFontName=font)
    canvas.setTitle(f"{badges[0].project_name}学员证")
    for page in range(pages):
        sheet = badges[page * BADGES_PER_PAGE : (page + 1) * BADGES_PER_PAGE]
        _draw_cut_lines(canvas, len(sheet))
        for slot, badge in enumerate(sheet):
            row, column = divmod(slot, BADGE_COLUMNS)
            _draw_badge(
                canvas,
                badge,
                GRID_LEFT + column * BADGE_WIDTH,
                GRID_TOP - (row + 1) * BADGE_HEIGHT,
                styles,
            )
        canvas.setFont(font, 9)
        canvas.setFillColor(colors.black)
        # Two spaces: pdftotext drops a single space between a CJK character and a digit.
        canvas.drawCentredString(A4[0] / 2, FOOTER_Y, f"学员证  第  {page + 1}  页  共  {pages}  页")
        canvas.showPage()
    canvas.save()
    return pages


# --- 签到表 ----------------------------------------------------------------------------------------

SHEET_MARGIN = 18 * mm
# SimpleDocTemplate's frame keeps reportlab's default 6 pt padding inside the margins on each side.
TEXT_WIDTH = A4[0] - 2 * SHEET_MARGIN - 2 * 6
SIGN_FOOTER_Y = 19 * mm
ROW_HEIGHT = 10 * mm  # room for a handwritten signature
CELL_SIZE = 10
CELL_LEADING = 12.5
SIGN_IN_HEADERS = ("序号", "姓名", "学校/单位", "签到时间", "签名")
SIGN_IN_WIDTHS = (10, 22, 52, 20, 32)
SIGN_OUT_HEADERS = (*SIGN_IN_HEADERS, "签退时间", "签退签名")
SIGN_OUT_WIDTHS = (9, 18, 40, 16, 24, 16, 24)


@dataclass(frozen=True)
class SheetLine:
    number: int  # the 序号 marks are entered back by, so it must stay as given
    name: str
    school: str


@dataclass(frozen=True)
class SignInSheet:
    project_name: str
    class_name: str
    session_title: str
    date: date
    start: time
    end: time
    venue: str
    class_teacher: str
    requires_sign_out: bool
    trainees: tuple[SheetLine, ...]


def _check_sheets(sheets: Sequence[SignInSheet]) -> None:
    """Refuse before a file is opened, so a failed print never leaves half a PDF behind."""
    if not sheets:
        raise UserInputError("没有可打印的签到表：请先选择培训场次")
    for sheet in sheets:
        if not sheet.trainees:
            raise UserInputError(f"“{sheet.class_name}”的“{sheet.session_title}”没有学员，无法生成签到表")
        for who, text in (
            ("项目名称", sheet.project_name),
            ("班级名称", sheet.class_name),
            ("场次名称", sheet.session_title),
            ("培训地点", sheet.venue),
            ("班主任", sheet.class_teacher),
        ):
            ensure_printable(text, who)
        for line in sheet.trainees:
            ensure_printable(line.name, "学员姓名")
            ensure_printable(line.school, f"学员“{line.name}”的学校/单位")


def _session_time(sheet: SignInSheet) -> str:
    day = sheet.date
    return (
        f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"
        f"{sheet.start:%H:%M}–{sheet.end:%H:%M}"
    )


class _SheetStyles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "wordWrap": "CJK"}
        self.title = ParagraphStyle("title", fontSize=18, leading=26, alignment=TA_CENTER, **base)
        self.subtitle = ParagraphStyle(
            "subtitle", fontSize=11, leading=16, alignment=TA_CENTER, spaceAfter=6, **base
        )
        self.fact = ParagraphStyle("fact", fontSize=10, leading=15, **base)
        self.cell = ParagraphStyle("cell", fontSize=CELL_SIZE, leading=CELL_LEADING, **base)
        self.head = ParagraphStyle(
            "head", fontSize=CELL_SIZE, leading=CELL_LEADING, alignment=TA_CENTER, **base
        )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph parses a small XML markup; a school called "A&B" must not break it.
    return Paragraph(escape(text), style)


def _facts(sheet: SignInSheet, styles: _SheetStyles) -> Table:
    """The session's facts as a borderless two-column block."""
    half = TEXT_WIDTH / 2
    rows = [
        [_p(f"场次：{sheet.session_title}", styles.fact), ""],
        [_p(f"班级：{sheet.class_name}", styles.fact), _p(f"班主任：{sheet.class_teacher}", styles.fact)],
        [_p(f"时间：{_session_time(sheet)}", styles.fact), _p(f"地点：{sheet.venue}", styles.fact)],
    ]
    table = Table(rows, colWidths=[half * 1.15, half * 0.85])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.fact.fontName),
                # A session title can be long; it gets the whole width.
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _register(sheet: SignInSheet, styles: _SheetStyles) -> Table:
    """The ruled table people sign in; its header repeats on every page it runs onto."""
    headers, widths = (
        (SIGN_OUT_HEADERS, SIGN_OUT_WIDTHS) if sheet.requires_sign_out else (SIGN_IN_HEADERS, SIGN_IN_WIDTHS)
    )
    blanks = [""] * (len(headers) - 3)
    data: list[list[Flowable | str]] = [[_p(h, styles.head) for h in headers]]
    data += [
        [_p(str(line.number), styles.head), _p(line.name, styles.cell), _p(line.school, styles.cell), *blanks]
        for line in sheet.trainees
    ]
    # Padding rather than fixed row heights: a one-line row comes out at ROW_HEIGHT, and a school name
    # that wraps makes its row taller instead of spilling over the ruling.
    pad = (ROW_HEIGHT - CELL_LEADING) / 2
    table = Table(data, colWidths=[TEXT_WIDTH * w / sum(widths) for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                # Cells hold Paragraphs, yet Table still sets its own font (Helvetica, never embedded).
                ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, 0), 3),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 4),
                ("TOPPADDING", (0, 1), (-1, -1), pad),
                ("BOTTOMPADDING", (0, 1), (-1, -1), pad),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


class _SheetCanvas(SectionCanvas):
    """A sign-in sheet's pages: the class teacher's line on each, a running head from the second on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.running_head = ""
        self.footer = ""

    def decorate(self, number: int) -> None:
        self.setFont(self.footer_font, 9)
        if number > 1:
            # A page that comes loose from its sheet still says which session it records.
            self.drawString(SHEET_MARGIN + 6, A4[1] - SHEET_MARGIN + 4 * mm, f"{self.running_head}（续）")
        self.setFont(self.footer_font, 10.5)
        self.drawString(SHEET_MARGIN + 6, SIGN_FOOTER_Y, self.footer)


def _sheet_story(index: int, sheet: SignInSheet, styles: _SheetStyles) -> list[Flowable]:
    return [
        SectionStart(
            key=str(index),
            running_head=f"签到表  {sheet.class_name}  {sheet.session_title}  {_session_time(sheet)}",
            footer=f"班主任签字：______________      共  {len(sheet.trainees)}  人，实到  ________  人",
        ),
        _p("签到表", styles.title),
        _p(sheet.project_name, styles.subtitle),
        _facts(sheet, styles),
        Spacer(1, 3 * mm),
        _register(sheet, styles),
    ]


def sign_in_sheets_pdf(sheets: Sequence[SignInSheet], out: Path) -> int:
    """One sign-in sheet per session, each starting on a new page and numbered on its own, trainees in
    the given order. Returns the total page count."""
    _check_sheets(sheets)
    font = register_fonts()
    styles = _SheetStyles(font)
    story: list[Flowable] = []
    for index, sheet in enumerate(sheets):
        if story:
            story.append(PageBreak())
        story.extend(_sheet_story(index, sheet, styles))

    return build_a4(
        out,
        title=f"{sheets[0].project_name}签到表",
        story=story,
        font=font,
        # The bottom margin leaves room for the class teacher's signature line above the page number.
        margins=(SHEET_MARGIN, SHEET_MARGIN, SHEET_MARGIN, SIGN_FOOTER_Y + 6 * mm),
        canvas_class=_SheetCanvas,
    )
