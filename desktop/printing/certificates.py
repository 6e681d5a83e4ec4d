"""Completion certificates (结业证书), A4 landscape with a QR code that verifies them offline, and the
record of a teacher's training hours and credits (学时学分证明), A4 portrait.

A county prints a whole project's certificates at once, often a thousand or more, so certificates are
drawn straight onto the canvas rather than through platypus. Every text is checked against the print
font before a file is opened, because a character the font lacks would print as a blank without any
error (see `desktop.printing.fonts`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from desktop.errors import Cancelled, UserInputError
from desktop.printing.fonts import ensure_printable, register_fonts
from desktop.printing.selection_docs import TEXT_WIDTH, build_document
from guopei_common.certificate_signing import check_code

Progress = Callable[[int, int], None]

# --- 结业证书 --------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
OUTER_INSET = 10 * mm
INNER_INSET = 13.5 * mm
BODY_LEFT = 38 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * BODY_LEFT
# Side of the whole symbol including its 2-module quiet zone: a ~200-character payload is a version-10
# symbol (57 modules + 4 quiet), so the code itself is about 32 mm wide, readable from a phone held away.
QR_SIDE = 34 * mm
QR_LEFT = 24 * mm
QR_QUIET = 2  # modules of quiet zone inside QR_SIDE; the white page around the code adds the rest
# Any of the eight masks decodes everywhere. Letting qrcode pick the best by the standard's penalty
# score builds the symbol eight times, about 25 ms per certificate: more than the whole page budget.
QR_MASK = 0
_QR_VERSIONS: dict[tuple[tuple[int, int], ...], int] = {}  # the segments' (mode, length) -> version
SERIAL_Y = 19 * mm
QR_BOTTOM = SERIAL_Y + 12 * mm
# The body and the facts under it must end above the QR code and the issuer's seal.
BODY_FLOOR = QR_BOTTOM + QR_SIDE + 4 * mm
ISSUER_RIGHT = PAGE_WIDTH - 30 * mm
SEAL_RADIUS = 21 * mm  # a county bureau's round seal is 42 mm across
BAND_SQUARE = 1.3 * mm  # the squares in the band between the outer and the inner rule
CORNER_ARM = 9 * mm
NAME_SIZE = 30
NAME_MIN_SIZE = 24  # the name is what the holder looks for; below this it no longer stands out
BODY_SIZE = 17
BODY_MIN_SIZE = 13
FACT_SIZE = 11.5
FACT_LEADING = FACT_SIZE * 1.8
FACT_GAP = FACT_SIZE * 0.6  # between the body's last line and the facts, beyond the body leading
BATCH = 50  # progress is reported and Cancel honoured every this many certificates
GUOPEI_LINE = "“国家级教师培训计划（国培计划）”"
# Characters a line may not start with, and runs of characters that must not be split between lines.
NO_LINE_START = set("，。、；：？！）》」』”’%．,.;:?!)")
UNBREAKABLE = re.compile(r"[A-Za-z0-9.\-*/%]+|.", re.DOTALL)
# Characters Windows refuses in a file name.
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class _Template:
    title: str
    heading: str | None  # the line above the title, if any
    border: colors.Color
    title_color: colors.Color


TEMPLATES = {
    "guopei": _Template("结业证书", GUOPEI_LINE, colors.HexColor("#8e1b1b"), colors.HexColor("#8e1b1b")),
    "generic": _Template("培训结业证书", None, colors.HexColor("#4d6173"), colors.HexColor("#2c3a47")),
}


@dataclass(frozen=True)
class CertificateData:
    serial: str
    holder_name: str
    masked_id_number: str
    project_name: str
    program_label: str  # e.g. "国培-中西部项目"
    institution: str
    start_date: date
    end_date: date
    hours: float
    credits: float
    issuer: str  # e.g. "平塘县教育局 平塘县教师发展中心"; each whitespace-separated part gets its own line
    issued_on: date
    qr_payload: str  # opaque ASCII, e.g. `guopei_common.certificate_signing.sign_payload(...)`
    template: str  # a key of TEMPLATES


def _tint(color: colors.Color, white: float) -> colors.Color:
    """`color` mixed with `white` parts of white: lighter without transparency (cheap to print)."""
    channels = (color.red, color.green, color.blue)
    return colors.Color(*(channel + (1 - channel) * white for channel in channels))


def _cn_date(day: date) -> str:
    # Built by hand rather than with strftime: on Windows strftime goes through the locale's code page,
    # which cannot always encode 年月日.
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def _number(value: float) -> str:
    # 48.0 prints as "48", 31.5 as "31.5"; rounding first hides float noise such as 0.30000000000000004.
    return f"{round(value, 2):g}"


def _body(item: CertificateData) -> str:
    """The sentence after the name."""
    return (
        f"同志于{_cn_date(item.start_date)}至{_cn_date(item.end_date)}参加{item.project_name}，"
        f"完成规定学习任务，共计 {_number(item.hours)} 学时，获得 {_number(item.credits)} 学分，"
        "考核合格，准予结业。特发此证。"
    )


def _facts(item: CertificateData) -> list[str]:
    return [
        f"身份证号：{item.masked_id_number}    项目类别：{item.program_label}",
        f"承训机构：{item.institution}",
    ]


def _check_certificates(items: Sequence[CertificateData]) -> None:
    """Refuse before a file is opened, so a failed print never leaves half a PDF behind."""
    if not items:
        raise UserInputError("没有可打印的结业证书：请先选择学员")
    for template in TEMPLATES.values():
        ensure_printable(template.title, "证书标题")
        if template.heading:
            ensure_printable(template.heading, "证书标题")
    serials: set[str] = set()
    for item in items:
        ensure_printable(item.holder_name, "学员姓名")
        whose = f"学员“{item.holder_name}”的"
        if item.template not in TEMPLATES:
            raise UserInputError(f"{whose}证书模板“{item.template}”不存在")
        if item.serial in serials:
            raise UserInputError(f"证书编号 {item.serial} 重复：每张证书的编号必须不同")
        serials.add(item.serial)
        if not item.qr_payload or not item.qr_payload.isascii():
            raise UserInputError(f"{whose}结业证书缺少二维码内容，或内容不是 ASCII 文本")
        if item.end_date < item.start_date:
            raise UserInputError(f"{whose}培训结束日期早于开始日期")
        ensure_printable(f"证书编号：{item.serial}", f"{whose}证书编号")
        ensure_printable(item.issuer, f"{whose}发证单位")
        ensure_printable(_cn_date(item.issued_on), f"{whose}发证日期")
        ensure_printable(_body(item), f"{whose}证书正文（项目名称）")
        for fact in _facts(item):
            ensure_printable(fact, f"{whose}证书信息（身份证号、项目类别或承训机构）")


def _draw_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    """The symbol as filled vector rectangles with its lower-left corner at (x, y).

    Like `attendance_docs._draw_qr`, dark runs along a row become one rectangle and all of them one
    path filled once, so anti-aliasing leaves no seams. Unlike it, the mask is fixed (QR_MASK) and the
    rectangles are written in module units under one scaling: whole numbers format quickly and
    compactly, where reportlab's own path formats four floats per rectangle in pure Python, for some
    900 rectangles a symbol."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_QUIET, mask_pattern=QR_MASK)
    qr.add_data(payload)
    # make(fit=True) encodes the data once to find the version and again to build the symbol; the
    # version depends only on the segments' modes and lengths, the same for a whole batch of payloads.
    shape = tuple((segment.mode, len(segment.data)) for segment in qr.data_list)
    if shape not in _QR_VERSIONS:
        qr.make(fit=True)
        _QR_VERSIONS[shape] = qr.version
    else:
        qr.version = _QR_VERSIONS[shape]
        qr.make(fit=False)
    matrix = qr.get_matrix()
    size = len(matrix)
    operators: list[str] = []
    for row_index, row in enumerate(matrix):
        bottom = size - 1 - row_index  # PDF's y axis points up, the matrix's rows run down
        column = 0
        while column < size:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < size and row[column]:
                column += 1
            operators.append(f"{start} {bottom} {column - start} 1 re")
    module = side / size
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.transform(module, 0, 0, module, x, y)
    canvas.addLiteral("\n".join(operators) + "\nf")
    canvas.restoreState()


def _tokens(text: str) -> Iterator[str]:
    """Pieces a line may break between: each CJK character alone, numbers and Latin words whole, and
    closing punctuation glued to what precedes it (a line never starts with "，")."""
    pending = ""
    for match in UNBREAKABLE.finditer(text):
        token = match.group()
        if pending and token[0] not in NO_LINE_START:
            yield pending
            pending = ""
        pending += token
    if pending:
        yield pending


def _wrap(text: str, font: str, size: float, first_width: float, width: float) -> list[str]:
    """`text` broken into lines no wider than `width` (the first line: `first_width`)."""
    lines: list[str] = []
    line = ""
    used = 0.0
    limit = first_width
    for token in _tokens(text):
        token_width = pdfmetrics.stringWidth(token, font, size)
        if line and used + token_width > limit:
            lines.append(line.rstrip())
            line, used, limit = "", 0.0, width
            token = token.lstrip()
            token_width = pdfmetrics.stringWidth(token, font, size)
        line += token
        used += token_width
    lines.append(line)
    return lines


@dataclass(frozen=True)
class _BodyLayout:
    name_size: float
    size: float
    leading: float
    lines: list[str]  # the first one continues the name on its baseline


class _CertificatePainter:
    """Draws certificates onto a canvas, one page each."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.canvas = canvas
        self.font = font

    def _layout(self, item: CertificateData, top: float) -> _BodyLayout:
        """The largest body size (down to BODY_MIN_SIZE) at which name, body and facts end above the
        QR code; the name shrinks only when it alone would not leave room on its line."""
        name_size = NAME_SIZE
        while (
            name_size > NAME_MIN_SIZE
            and pdfmetrics.stringWidth(item.holder_name, self.font, name_size) > BODY_WIDTH / 2
        ):
            name_size -= 1
        indent = 2 * BODY_SIZE  # a Chinese paragraph is indented by two characters
        name_width = pdfmetrics.stringWidth(item.holder_name, self.font, name_size)
        size = float(BODY_SIZE)
        while True:
            leading = size * 2.1
            lines = _wrap(_body(item), self.font, size, BODY_WIDTH - indent - name_width, BODY_WIDTH)
            last_fact = top - len(lines) * leading - FACT_GAP - (len(_facts(item)) - 1) * FACT_LEADING
            if last_fact >= BODY_FLOOR or size <= BODY_MIN_SIZE:
                return _BodyLayout(name_size, size, leading, lines)
            size -= 0.5

    def draw(self, item: CertificateData) -> None:
        canvas = self.canvas
        template = TEMPLATES[item.template]
        self._border(template)

        title_y = PAGE_HEIGHT - 55 * mm
        if template.heading:
            canvas.setFillColor(template.title_color)
            canvas.setFont(self.font, 16)
            canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 33 * mm, template.heading)
        else:
            title_y = PAGE_HEIGHT - 48 * mm
        canvas.setFillColor(template.title_color)
        canvas.setFont(self.font, 40)
        # Letter-spaced as certificates are; the spacing follows the last character too, so shift back.
        spacing = 12
        canvas.drawCentredString(PAGE_WIDTH / 2 + spacing / 2, title_y, template.title, charSpace=spacing)

        top = title_y - 30 * mm
        layout = self._layout(item, top)
        canvas.setFillColor(colors.black)
        x = BODY_LEFT + 2 * BODY_SIZE
        canvas.setFont(self.font, layout.name_size)
        canvas.drawString(x, top, item.holder_name)
        x += pdfmetrics.stringWidth(item.holder_name, self.font, layout.name_size)
        canvas.setFont(self.font, layout.size)
        y = top
        for index, line in enumerate(layout.lines):
            canvas.drawString(x if index == 0 else BODY_LEFT, y, line)
            y -= layout.leading

        canvas.setFont(self.font, FACT_SIZE)
        canvas.setFillColor(colors.HexColor("#333333"))
        y -= FACT_GAP
        for fact in _facts(item):
            canvas.drawString(BODY_LEFT, y, fact)
            y -= FACT_LEADING

        self._verification(item)
        self._issuer(item)

    def _border(self, template: _Template) -> None:
        """A strong outer rule, a band of small squares, a fine inner rule and an ornament in each
        corner, as printed certificates have; a few path operators, so a page stays cheap to draw."""
        canvas = self.canvas
        canvas.setStrokeColor(template.border)
        canvas.setLineWidth(2.4)
        canvas.rect(OUTER_INSET, OUTER_INSET, PAGE_WIDTH - 2 * OUTER_INSET, PAGE_HEIGHT - 2 * OUTER_INSET)
        canvas.setLineWidth(0.9)
        canvas.rect(INNER_INSET, INNER_INSET, PAGE_WIDTH - 2 * INNER_INSET, PAGE_HEIGHT - 2 * INNER_INSET)
        # The band: one dashed stroke per side, its dashes as long as the stroke is wide (squares).
        band = (OUTER_INSET + INNER_INSET) / 2
        canvas.setStrokeColor(_tint(template.border, 0.45))
        canvas.setLineWidth(BAND_SQUARE)
        canvas.setDash([BAND_SQUARE, BAND_SQUARE * 1.6], 0)
        left, right, bottom, top = band, PAGE_WIDTH - band, band, PAGE_HEIGHT - band
        for x1, y1, x2, y2 in ((left, bottom, right, bottom), (left, top, right, top)):
            canvas.line(x1 + BAND_SQUARE, y1, x2 - BAND_SQUARE, y2)
        for x1, y1, x2, y2 in ((left, bottom, left, top), (right, bottom, right, top)):
            canvas.line(x1, y1 + BAND_SQUARE, x2, y2 - BAND_SQUARE)
        canvas.setDash([], 0)
        canvas.setFillColor(template.border)
        arm, width, inset = CORNER_ARM, 0.6 * mm, INNER_INSET + 1.8 * mm
        for x, y, dx, dy in (
            (inset, inset, 1, 1),
            (PAGE_WIDTH - inset, inset, -1, 1),
            (inset, PAGE_HEIGHT - inset, 1, -1),
            (PAGE_WIDTH - inset, PAGE_HEIGHT - inset, -1, -1),
        ):
            # An L along both sides of the corner and a small square at its point.
            canvas.rect(min(x, x + dx * arm), min(y, y + dy * width), arm, width, stroke=0, fill=1)
            canvas.rect(min(x, x + dx * width), min(y, y + dy * arm), width, arm, stroke=0, fill=1)
            side = 2 * mm
            sx, sy = x + dx * 2 * width, y + dy * 2 * width
            canvas.rect(min(sx, sx + dx * side), min(sy, sy + dy * side), side, side, stroke=0, fill=1)

    def _verification(self, item: CertificateData) -> None:
        """QR code bottom left with what it is for underneath, then the serial."""
        canvas = self.canvas
        _draw_qr(canvas, item.qr_payload, QR_LEFT, QR_BOTTOM, QR_SIDE)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.setFont(self.font, 9)
        canvas.drawCentredString(QR_LEFT + QR_SIDE / 2, QR_BOTTOM - 3 * mm, "扫码验证")
        canvas.setFillColor(colors.black)
        canvas.setFont(self.font, 10.5)
        # The quiet zone is two modules wide; start the serial at the code, not at the white margin.
        # With it the check code: the province's online check answers a serial only with its code, so
        # that a person without a scanner can type both (the QR carries the code in its signature).
        code = check_code(item.qr_payload)
        canvas.drawString(
            QR_LEFT + 1 * mm, SERIAL_Y, f"证书编号：{item.serial}" + (f"　核验码：{code}" if code else "")
        )

    def _issuer(self, item: CertificateData) -> None:
        """Issuer above date, right-aligned and centred on each other, where the seal goes."""
        canvas = self.canvas
        canvas.setFillColor(colors.black)
        size = 14
        canvas.setFont(self.font, size)
        lines = [*item.issuer.split(), _cn_date(item.issued_on)]
        block_width = max(pdfmetrics.stringWidth(line, self.font, size) for line in lines)
        centre = ISSUER_RIGHT - block_width / 2
        # High enough that the seal's circle stays inside the inner rule.
        date_y = SERIAL_Y + 14 * mm
        # Where the issuing body's seal goes: over the issuer's name and the date's year and month
        # (骑年盖月), marked by a faint dashed circle of an official seal's size that the stamp covers.
        canvas.setStrokeColor(_tint(TEMPLATES[item.template].border, 0.75))
        canvas.setLineWidth(0.8)
        canvas.setDash([3, 2.5], 0)
        canvas.circle(centre, date_y + size * 1.7 * 0.6, SEAL_RADIUS, stroke=1, fill=0)
        canvas.setDash([], 0)
        y = date_y + (len(lines) - 1) * size * 1.7
        for line in lines:
            canvas.drawCentredString(centre, y, line)
            y -= size * 1.7


def _new_canvas(path: Path, font: str, title: str) -> Canvas:
    canvas = Canvas(str(path), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), initialFontName=font, pageCompression=1)
    canvas.setTitle(title)
    return canvas


def _partial(out: Path) -> Path:
    """Where the PDF is written before it is renamed to `out` in one step, so an earlier file at `out`
    survives a cancelled or failed run and nobody opens a half-written one."""
    return out.with_name(f"{out.name}.part")


def certificates_pdf(
    items: Sequence[CertificateData],
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """All certificates in one PDF, one page each, in the given order. Returns the page count.

    Raises Cancelled, leaving nothing at `out` but what was there before, if `cancelled()` says so."""
    _check_certificates(items)
    font = register_fonts()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(out)
    try:
        canvas = _new_canvas(partial, font, f"{items[0].project_name}结业证书")
        painter = _CertificatePainter(canvas, font)
        for done, item in enumerate(items):
            if done % BATCH == 0:
                if cancelled is not None and cancelled():
                    raise Cancelled
                if progress is not None:
                    progress(done, len(items))
            painter.draw(item)
            canvas.showPage()
        canvas.save()
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(len(items), len(items))
    return len(items)


def certificate_filename(item: CertificateData) -> str:
    """ "{serial}-{holder_name}.pdf", with characters Windows refuses in a file name replaced by "_"."""
    return UNSAFE_IN_FILENAME.sub("_", f"{item.serial}-{item.holder_name}") + ".pdf"


def batch_filename(project_name: str, moment: datetime) -> str:
    """结业证书-{project}-{20261104-093015}.pdf: each printed batch gets its own file, so a second batch
    is never saved over the first one's PDF (which the printer may not have finished)."""
    return UNSAFE_IN_FILENAME.sub("_", f"结业证书-{project_name[:40]}-{moment:%Y%m%d-%H%M%S}") + ".pdf"


def certificate_files(
    items: Sequence[CertificateData],
    out_dir: Path,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[Path]:
    """One PDF per certificate in `out_dir`, named by `certificate_filename`. Returns the files written.

    Raises Cancelled after deleting every file this call wrote, if `cancelled()` says so."""
    _check_certificates(items)
    font = register_fonts()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for done, item in enumerate(items):
            if done % BATCH == 0:
                if cancelled is not None and cancelled():
                    raise Cancelled
                if progress is not None:
                    progress(done, len(items))
            path = out_dir / certificate_filename(item)
            canvas = _new_canvas(path, font, f"{item.holder_name}结业证书")
            _CertificatePainter(canvas, font).draw(item)
            canvas.showPage()
            # Recorded before saving: a save that fails half-way may still leave a file to remove.
            written.append(path)
            canvas.save()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(len(items), len(items))
    return written


# --- 学时学分证明 ----------------------------------------------------------------------------------

LEVEL_ORDER = ("国家级", "省级", "地市级", "县级", "校级")
TRANSCRIPT_HEADERS = ("序号", "培训层级", "培训项目", "学时", "学分", "结果")
TRANSCRIPT_WIDTHS = (11, 15, 70, 11, 11, 12)
SUBTOTAL_BACKGROUND = colors.HexColor("#f2f2f2")
YEAR_BACKGROUND = colors.HexColor("#dde3ea")


@dataclass(frozen=True)
class TranscriptLine:
    year: int
    level_label: str  # one of LEVEL_ORDER, as a rule
    project_name: str
    hours: float  # as credited: the caller decides what a failed or unfinished project counts for
    credits: float
    status_label: str  # e.g. "合格"


@dataclass(frozen=True)
class TranscriptData:
    holder_name: str
    masked_id_number: str
    school: str
    county_name: str  # e.g. "平塘县"; the issuer is this county's teacher development centre
    issued_on: date
    lines: tuple[TranscriptLine, ...]


def transcript_issuer(data: TranscriptData) -> str:
    return f"{data.county_name}教师发展中心"


def _check_transcript(data: TranscriptData) -> None:
    """Refuse before a file is opened, so a failed print never leaves half a PDF behind."""
    if not data.lines:
        raise UserInputError(f"“{data.holder_name}”没有培训记录，无法出具学时学分证明")
    ensure_printable(data.holder_name, "学员姓名")
    whose = f"学员“{data.holder_name}”的"
    ensure_printable(data.masked_id_number, f"{whose}身份证号")
    ensure_printable(data.school, f"{whose}学校/单位")
    ensure_printable(transcript_issuer(data), "县区名称")
    for line in data.lines:
        ensure_printable(line.project_name, f"{whose}培训项目名称")
        ensure_printable(line.level_label, f"{whose}培训层级")
        ensure_printable(line.status_label, f"{whose}培训结果")


def _level_rank(level: str) -> int:
    # Unknown levels go after the five known ones, in order of first appearance (sorted() is stable).
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def _totals(lines: Sequence[TranscriptLine]) -> list[tuple[str, float, float]]:
    """(level, hours, credits) per level present, in LEVEL_ORDER."""
    sums: dict[str, list[float]] = {}
    for line in sorted(lines, key=lambda line: _level_rank(line.level_label)):
        total = sums.setdefault(line.level_label, [0.0, 0.0])
        total[0] += line.hours
        total[1] += line.credits
    return [(level, hours, credits) for level, (hours, credits) in sums.items()]


class _TranscriptStyles:
    def __init__(self, font: str) -> None:
        base = {"fontName": font, "wordWrap": "CJK"}
        self.title = ParagraphStyle(
            "title", fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=8, **base
        )
        self.body = ParagraphStyle("body", fontSize=10.5, leading=17, firstLineIndent=21, **base)
        self.fact = ParagraphStyle("fact", fontSize=10.5, leading=16, **base)
        self.cell = ParagraphStyle("cell", fontSize=9.5, leading=12, **base)
        self.centred = ParagraphStyle("centred", fontSize=9.5, leading=12, alignment=TA_CENTER, **base)
        self.signature = ParagraphStyle("signature", fontSize=10.5, leading=17, alignment=TA_RIGHT, **base)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph parses a small XML markup; a project called "A&B" must not break it.
    return Paragraph(escape(text), style)


def _holder_facts(data: TranscriptData, styles: _TranscriptStyles) -> Table:
    """The holder's facts as a borderless two-column block."""
    half = TEXT_WIDTH / 2
    rows = [
        [_p(f"姓名：{data.holder_name}", styles.fact), _p(f"身份证号：{data.masked_id_number}", styles.fact)],
        [_p(f"学校/单位：{data.school}", styles.fact), _p(f"所属县区：{data.county_name}", styles.fact)],
    ]
    table = Table(rows, colWidths=[half * 1.1, half * 0.9])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), styles.fact.fontName),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _record_table(data: TranscriptData, styles: _TranscriptStyles) -> Table:
    """One block per year (heading row, its projects, a subtotal per level and the year's total), then
    the totals over all years and the issuer. The header row repeats on every page."""
    signature = Paragraph(
        f"{escape(transcript_issuer(data))}（盖章）<br/>{escape(_cn_date(data.issued_on))}", styles.signature
    )
    rows: list[list[Flowable | str]] = [[_p(h, styles.centred) for h in TRANSCRIPT_HEADERS]]
    commands: list[tuple[Any, ...]] = []

    def total_row(label: str, hours: float, credits: float) -> None:
        commands.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), SUBTOTAL_BACKGROUND))
        commands.append(("SPAN", (0, len(rows)), (2, len(rows))))
        rows.append(
            [
                _p(label, styles.cell),
                "",
                "",
                _p(_number(hours), styles.centred),
                _p(_number(credits), styles.centred),
                "",
            ]
        )

    number = 0
    years = sorted({line.year for line in data.lines})
    for year in years:
        in_year = sorted(
            (line for line in data.lines if line.year == year), key=lambda line: _level_rank(line.level_label)
        )
        commands.append(("SPAN", (0, len(rows)), (-1, len(rows))))
        commands.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), YEAR_BACKGROUND))
        rows.append([_p(f"{year}年度", styles.cell), "", "", "", "", ""])
        for line in in_year:
            number += 1
            rows.append(
                [
                    _p(str(number), styles.centred),
                    _p(line.level_label, styles.centred),
                    _p(line.project_name, styles.cell),
                    _p(_number(line.hours), styles.centred),
                    _p(_number(line.credits), styles.centred),
                    _p(line.status_label, styles.centred),
                ]
            )
        for level, hours, credits in _totals(in_year):
            total_row(f"{year}年度  {level}小计", hours, credits)
        total_row(
            f"{year}年度  合计", sum(line.hours for line in in_year), sum(line.credits for line in in_year)
        )

    first_total = len(rows)
    span = f"{years[0]}—{years[-1]}年度" if len(years) > 1 else f"{years[0]}年度"
    for level, hours, credits in _totals(data.lines):
        total_row(f"{span}  {level}合计", hours, credits)
    total_row(
        f"{span}  总计", sum(line.hours for line in data.lines), sum(line.credits for line in data.lines)
    )
    last_ruled = len(rows) - 1
    rows.append([signature, "", "", "", "", ""])

    table = Table(
        rows, colWidths=[TEXT_WIDTH * w / sum(TRANSCRIPT_WIDTHS) for w in TRANSCRIPT_WIDTHS], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                # Cells hold Paragraphs, yet Table still sets its own font (Helvetica, never embedded).
                ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
                ("GRID", (0, 0), (-1, last_ruled), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                *commands,
                # The issuer closes the table borderless and travels with the totals, so it never
                # stands alone on a page of its own.
                ("SPAN", (0, -1), (-1, -1)),
                ("TOPPADDING", (0, -1), (-1, -1), 8 * mm),
                ("NOSPLIT", (0, first_total), (-1, -1)),
            ]
        )
    )
    return table


def transcript_pdf(data: TranscriptData, out: Path) -> int:
    """The teacher's training record by year, with per-level subtotals and totals. Returns the page
    count."""
    _check_transcript(data)
    font = register_fonts()
    styles = _TranscriptStyles(font)
    years = sorted({line.year for line in data.lines})
    period = f"{years[0]}年至{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
    story: list[Flowable] = [
        _p("学时学分证明", styles.title),
        _holder_facts(data, styles),
        Spacer(1, 3 * mm),
        _p(
            f"兹证明{data.holder_name}同志{period}参加教师培训并获得学时学分情况如下，"
            "学时学分以教师培训管理系统登记为准。",
            styles.body,
        ),
        Spacer(1, 3 * mm),
        _record_table(data, styles),
    ]
    return build_document(out, f"{data.holder_name}学时学分证明", story, font)


def draw_certificate(canvas: Any, item: CertificateData) -> str:
    """Draw one certificate with reportlab's drawing calls on `canvas`: the PDF's, or the adapter the
    app's preview paints through (`desktop.ui.certificate_preview`). Returns the font name used."""
    _check_certificates([item])
    font = register_fonts()
    _CertificatePainter(canvas, font).draw(item)
    return font
