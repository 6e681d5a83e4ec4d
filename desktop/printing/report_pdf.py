"""A report (desktop.domain.report) as an A4 PDF ready to stamp and send: title, paragraphs, ruled
tables whose header repeats on every page, the 合计 row bold, and the issuer with the date and room for
the seal at the end. A section of its own pages (one school's notice) starts on a new page and is
numbered on its own; wide reports are landscape.

Every text is checked against the print font first: a character it lacks would print as a blank."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from desktop.domain.report import Cell, Report, Section
from desktop.domain.report import Table as ReportTable
from desktop.printing.fonts import ensure_printable, register_fonts
from desktop.printing.layout import SectionStart, build_a4

if TYPE_CHECKING:
    from pathlib import Path

MARGIN = 15 * mm
PADDING = 3  # points, left and right inside a table cell


class _Styles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "wordWrap": "CJK"}
        self.title = ParagraphStyle(
            "title", fontSize=15, leading=22, alignment=TA_CENTER, spaceAfter=8, **base
        )
        self.heading = ParagraphStyle(
            "heading", fontSize=11.5, leading=17, spaceBefore=6, spaceAfter=3, **base
        )
        self.body = ParagraphStyle("body", fontSize=10, leading=16, firstLineIndent=20, **base)
        self.addressee = ParagraphStyle("addressee", fontSize=10.5, leading=17, **base)
        self.signature = ParagraphStyle("signature", fontSize=10.5, leading=18, alignment=TA_RIGHT, **base)
        self.cell = ParagraphStyle("cell", fontSize=8.5, leading=10.5, **base)
        self.head = ParagraphStyle("head", fontSize=8.5, leading=10.5, alignment=TA_CENTER, **base)


def _text(value: Cell) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(table: ReportTable, styles: _Styles, width: float) -> Table:
    widths = [width * w / sum(table.widths) for w in table.widths]
    font, size = styles.cell.fontName, styles.cell.fontSize

    def cell(value: Cell, column: int) -> Any:
        # A plain string where it fits its column: thousands of Paragraphs would make a long report slow.
        text = _text(value)
        fits = stringWidth(text, font, size) <= widths[column] - 2 * PADDING
        return text if fits else _p(text, styles.cell)

    data: list[list[Any]] = [[_p(h, styles.head) for h in table.headers]]
    data += [[cell(value, column) for column, value in enumerate(row)] for row in table.rows]
    if table.totals is not None:
        data.append([cell(value, column) for column, value in enumerate(table.totals)])
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
    ]
    if table.totals is not None:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
    result = Table(data, colWidths=widths, repeatRows=1)
    result.setStyle(TableStyle(commands))
    return result


def _check_printable(report: Report) -> None:
    ensure_printable(report.title, "报表标题")
    ensure_printable(report.issuer, "落款单位")
    for section in report.sections:
        for text in (section.heading, section.addressee, *section.paragraphs):
            ensure_printable(text, f"“{section.heading}”中的文字")
        for table in section.tables:
            for row in table.rows:
                for cell in row:
                    if isinstance(cell, str):
                        ensure_printable(cell, f"“{table.title}”中的内容")


def _section(
    report: Report, section: Section, styles: _Styles, width: float, *, number: int, last: bool
) -> list[Flowable]:
    story: list[Flowable] = []
    if section.own_pages:
        # Numbered by position: one school gets a notice for each project it sent trainees to.
        story += [SectionStart(f"section-{number}"), _p(report.title, styles.title)]
    if section.addressee:
        story.append(_p(f"{section.addressee}：", styles.addressee))
    if section.heading:
        story.append(_p(section.heading, styles.heading))
    story += [_p(text, styles.body) for text in section.paragraphs]
    for table in section.tables:
        if len(section.tables) > 1 or not section.heading:
            story.append(_p(table.title, styles.heading))
        story.append(_table(table, styles, width))
        story.append(Spacer(1, 3 * mm))
    if section.own_pages or last:
        # The seal goes over the issuer's name: room above it, issuer and date kept together.
        signature = Paragraph(
            f"<br/><br/>{escape(report.issuer)}（盖章）<br/>{report.date.year}年{report.date.month}月{report.date.day}日",
            styles.signature,
        )
        story.append(KeepTogether([Spacer(1, 8 * mm), signature]))
    return story


def write_report_pdf(report: Report, out: Path) -> int:
    """Write the report; returns the number of pages."""
    _check_printable(report)
    font = register_fonts()
    styles = _Styles(font)
    pagesize = landscape(A4) if report.landscape else A4
    width = pagesize[0] - 2 * MARGIN - 12
    story: list[Flowable] = []
    own = any(section.own_pages for section in report.sections)
    if not own:
        story += [SectionStart("report"), _p(report.title, styles.title)]
    for index, section in enumerate(report.sections):
        if section.own_pages and story:
            story.append(PageBreak())
        story += _section(
            report, section, styles, width, number=index, last=index == len(report.sections) - 1
        )
    return build_a4(
        out,
        title=report.title,
        story=story,
        font=font,
        margins=(MARGIN, MARGIN, MARGIN, MARGIN + 2 * mm),
        pagesize=pagesize,
    )
