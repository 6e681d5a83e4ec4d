"""Certificates and transcripts as they come off the printer: every QR code decodes back to exactly its
payload, names with Extension A characters survive, fonts are embedded subsets, a cancelled run leaves
nothing behind, and the transcript's totals add up."""

from __future__ import annotations

import base64
import random
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from desktop.errors import Cancelled
from desktop.printing.certificates import (
    CertificateData,
    TranscriptData,
    TranscriptLine,
    certificate_files,
    certificates_pdf,
    transcript_pdf,
)
from desktop.printing.fonts import MissingGlyph
from guopei_common.certificate_signing import check_code

SAMPLES = Path("/tmp/certificate-samples")
UNPRINTABLE = "\U00030ede"  # 𰻞 (CJK Extension G)
NAMES = ("刘䶮", "王㛃", "张伟", "欧阳明华", "韦秀英")


def payload(rnd: random.Random) -> str:
    claims = base64.urlsafe_b64encode(rnd.randbytes(76)).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(rnd.randbytes(64)).rstrip(b"=").decode()
    return f"GPC1.{claims}.{rnd.randbytes(4).hex()}.{signature}"


def make_items() -> list[CertificateData]:
    rnd = random.Random(7)
    return [
        CertificateData(
            serial=f"522727-2026-{sequence:05d}",
            holder_name=name,
            masked_id_number=f"5227**********{1000 + sequence}",
            project_name="2026年国培计划乡村小学骨干教师能力提升培训（黔南州平塘县送教下乡项目）",
            program_label="国培-中西部项目",
            institution="黔南民族师范学院继续教育学院",
            start_date=date(2026, 7, 5),
            end_date=date(2026, 7, 14),
            hours=48 if sequence % 2 else 31.5,
            credits=4.8,
            issuer="平塘县教育局 平塘县教师发展中心",
            issued_on=date(2026, 7, 20),
            qr_payload=payload(rnd),
            template="guopei" if sequence % 2 else "generic",
        )
        for sequence, name in enumerate(NAMES, start=1)
    ]


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def pdfinfo_pages(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", run("pdfinfo", pdf), re.MULTILINE)
    assert match
    return int(match.group(1))


def assert_fonts_embedded_subsets(pdf: Path) -> None:
    # Columns: name type encoding emb sub uni object-id; the last five are fixed tokens.
    fonts = [line.split() for line in run("pdffonts", pdf).splitlines()[2:] if line.strip()]
    assert fonts
    for columns in fonts:
        assert (columns[-5], columns[-4]) == ("yes", "yes"), columns
        assert re.fullmatch(r"[A-Z]{6}\+WenQuanYiZenHei.*", columns[0]), columns


def decode_qr(png: Path) -> list[str]:
    # zbarimg exits 4 when a page holds no code at all; that is a failure the assertions report better.
    result = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    return result.stdout.splitlines()


def test_one_pdf_one_page_per_certificate_and_every_code_decodes(tmp_path: Path) -> None:
    items = make_items()
    pdf = tmp_path / "certificates.pdf"
    reported: list[tuple[int, int]] = []

    assert certificates_pdf(items, pdf, progress=lambda done, total: reported.append((done, total))) == 5
    assert pdfinfo_pages(pdf) == 5
    assert reported[-1] == (5, 5)
    assert not list(tmp_path.glob("*.part"))
    pages = run("pdftotext", pdf, "-").split("\f")
    for page, item in zip(pages, items, strict=False):
        assert item.holder_name in page, item.holder_name
        assert item.serial in page
        # The check code the province's online check asks for beside the serial, from the QR's signature.
        assert f"核验码：{check_code(item.qr_payload)}" in page
        assert "结业证书" in page
        assert "扫码验证" in page
        assert ("国家级教师培训计划（国培计划）" in page) == (item.template == "guopei")
    assert_fonts_embedded_subsets(pdf)

    run("pdftoppm", "-r", "150", "-png", pdf, tmp_path / "page")
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 5
    # Exactly one code per page, and it is that certificate's payload, byte for byte.
    assert [decode_qr(png) for png in pngs] == [[item.qr_payload] for item in items]


def test_one_file_per_trainee(tmp_path: Path) -> None:
    items = make_items()
    files = certificate_files(items, tmp_path / "out")

    expected = [tmp_path / "out" / f"{item.serial}-{item.holder_name}.pdf" for item in items]
    assert files == expected
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in expected)
    for path, item in zip(files, items, strict=True):
        assert pdfinfo_pages(path) == 1
        text = run("pdftotext", path, "-")
        assert item.holder_name in text and item.serial in text
        assert_fonts_embedded_subsets(path)


def test_cancel_leaves_no_file(tmp_path: Path) -> None:
    items = make_items()
    pdf = tmp_path / "certificates.pdf"
    with pytest.raises(Cancelled):
        certificates_pdf(items, pdf, cancelled=lambda: True)
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(Cancelled):
        certificate_files(items, tmp_path / "out", cancelled=lambda: True)
    assert list((tmp_path / "out").iterdir()) == []


def test_cancel_part_way_removes_what_was_written(tmp_path: Path) -> None:
    # 120 certificates: Cancel is checked before the 1st, 51st and 101st, and is pressed by the third check,
    # when 100 files are already written.
    items = [
        replace(item, serial=f"522727-2026-{n:05d}") for n, item in enumerate(make_items() * 24, start=1)
    ]
    checks = iter([False, False, True])
    with pytest.raises(Cancelled):
        certificate_files(items, tmp_path / "out", cancelled=lambda: next(checks))
    assert list((tmp_path / "out").iterdir()) == []

    earlier = tmp_path / "certificates.pdf"
    earlier.write_bytes(b"an earlier print")
    checks = iter([False, True])
    with pytest.raises(Cancelled):
        certificates_pdf(items, earlier, cancelled=lambda: next(checks))
    assert earlier.read_bytes() == b"an earlier print"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["certificates.pdf"]


def test_a_name_the_font_cannot_draw_is_refused(tmp_path: Path) -> None:
    items = make_items()
    items[2] = replace(items[2], holder_name=f"刘{UNPRINTABLE}")
    pdf = tmp_path / "refused.pdf"
    with pytest.raises(MissingGlyph) as refused:
        certificates_pdf(items, pdf)
    assert refused.value.missing == [UNPRINTABLE]
    assert f"刘{UNPRINTABLE}" in str(refused.value) and "学员姓名" in str(refused.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(MissingGlyph):
        certificate_files(items, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_an_unprintable_project_name_names_the_trainee(tmp_path: Path) -> None:
    items = make_items()
    items[1] = replace(items[1], project_name=f"{UNPRINTABLE}乡教师培训")
    with pytest.raises(MissingGlyph) as refused:
        certificates_pdf(items, tmp_path / "refused.pdf")
    assert items[1].holder_name in str(refused.value)


TRANSCRIPT_LINES = (
    TranscriptLine(2024, "县级", "平塘县2024年小学数学教师新课标专题培训", 24, 2.4, "合格"),
    TranscriptLine(2024, "国家级", "2024年国培计划中西部项目小学数学骨干教师培训", 48, 4.8, "合格"),
    TranscriptLine(2024, "校级", "平塘县第一小学2024年校本研修", 12, 1.2, "合格"),
    TranscriptLine(2024, "县级", "平塘县2024年班主任能力提升培训", 16, 1.6, "合格"),
    TranscriptLine(2025, "省级", "贵州省2025年乡村教师信息技术应用能力提升培训", 36, 3.6, "合格"),
    TranscriptLine(2025, "校级", "平塘县第一小学2025年校本研修", 10.5, 1.05, "合格"),
    TranscriptLine(2026, "地市级", "黔南州2026年小学数学学科带头人研修", 30, 3, "合格"),
    TranscriptLine(2026, "国家级", "2026年国培计划乡村小学骨干教师能力提升培训", 50, 5, "合格"),
    TranscriptLine(2026, "县级", "平塘县2026年师德师风专题培训", 6, 0.6, "合格"),
)


def make_transcript(lines: tuple[TranscriptLine, ...] = TRANSCRIPT_LINES) -> TranscriptData:
    return TranscriptData(
        holder_name="刘䶮",
        masked_id_number="5227**********1234",
        school="平塘县第一小学",
        county_name="平塘县",
        issued_on=date(2026, 12, 20),
        lines=lines,
    )


def number(value: float) -> str:
    return f"{round(value, 2):g}"


def test_transcript_groups_by_year_with_totals(tmp_path: Path) -> None:
    pdf = tmp_path / "transcript.pdf"
    pages = transcript_pdf(make_transcript(), pdf)
    assert pages == pdfinfo_pages(pdf) == 1
    # -layout keeps each table row on one line, so a total's label and its figures can be matched.
    text = run("pdftotext", "-layout", pdf, "-")
    rows = [" ".join(line.split()) for line in text.splitlines()]

    assert "学时学分证明" in text and "刘䶮" in text
    for year in (2024, 2025, 2026):
        in_year = [line for line in TRANSCRIPT_LINES if line.year == year]
        hours = sum(line.hours for line in in_year)
        credits = sum(line.credits for line in in_year)
        assert f"{year}年度 合计 {number(hours)} {number(credits)}" in rows, year
        for level in {line.level_label for line in in_year}:
            at_level = [line for line in in_year if line.level_label == level]
            expected = (
                f"{year}年度 {level}小计 {number(sum(line.hours for line in at_level))} "
                f"{number(sum(line.credits for line in at_level))}"
            )
            assert expected in rows, expected
    assert "2024年度 县级小计 40 4" in rows
    assert "2025年度 合计 46.5 4.65" in rows
    assert "2024—2026年度 国家级合计 98 9.8" in rows
    assert "2024—2026年度 总计 232.5 23.25" in rows
    assert "平塘县教师发展中心（盖章）" in text
    assert "2026年12月20日" in text
    assert "第 1 页 共 1 页" in text
    assert_fonts_embedded_subsets(pdf)


def test_a_long_transcript_repeats_its_header_and_is_numbered(tmp_path: Path) -> None:
    lines = tuple(
        replace(line, year=line.year - 3 * round_, project_name=f"{line.project_name}（第{round_ + 1}期）")
        for round_ in range(6)
        for line in TRANSCRIPT_LINES
    )
    pdf = tmp_path / "long.pdf"
    pages = transcript_pdf(make_transcript(lines), pdf)
    assert pages == pdfinfo_pages(pdf) >= 2
    per_page = run("pdftotext", "-layout", pdf, "-").split("\f")[:pages]
    for index, page in enumerate(per_page, start=1):
        assert "培训层级" in page, index  # the header row repeats
        assert f"第 {index} 页 共 {pages} 页" in page
    assert "总计" in per_page[-1] and "平塘县教师发展中心（盖章）" in per_page[-1]


def test_write_samples_for_review() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for old in SAMPLES.glob("*.png"):
        old.unlink()
    items = make_items()
    certificates_pdf([items[0]], SAMPLES / "guopei.pdf")
    certificates_pdf([items[1]], SAMPLES / "generic.pdf")
    transcript_pdf(make_transcript(), SAMPLES / "transcript.pdf")
    for name in ("guopei", "generic", "transcript"):
        run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", SAMPLES / f"{name}.pdf", SAMPLES / name)
    assert len(list(SAMPLES.glob("*.png"))) == 3


class RecordingCanvas:
    """Takes the painter's drawing calls and keeps the ones this test measures."""

    def __init__(self) -> None:
        self.circles: list[tuple[float, float, float]] = []
        self.texts: list[tuple[float, float, str]] = []
        self.rects: list[tuple[float, float, float, float]] = []

    def circle(self, x: float, y: float, r: float, **_style: int) -> None:
        self.circles.append((x, y, r))

    def rect(self, x: float, y: float, width: float, height: float, **_style: int) -> None:
        self.rects.append((x, y, width, height))

    def drawCentredString(self, x: float, y: float, text: str, **_spacing: float) -> None:
        self.texts.append((x, y, text))

    drawString = drawRightString = drawCentredString

    def __getattr__(self, _name: str):  # colours, fonts, lines, the QR code's operators
        return lambda *args, **kwargs: None


def test_the_seal_goes_over_issuer_and_full_date_inside_the_border() -> None:
    from reportlab.lib.units import mm

    from desktop.printing.certificates import (
        INNER_INSET,
        PAGE_HEIGHT,
        PAGE_WIDTH,
        SEAL_RADIUS,
        draw_certificate,
    )

    item = replace(make_items()[0], issued_on=date(2026, 11, 4))
    canvas = RecordingCanvas()
    draw_certificate(canvas, item)
    (x, y, r), *_ = canvas.circles
    assert r == SEAL_RADIUS == 21 * mm  # an official seal, 42 mm across
    assert INNER_INSET < x - r < x + r < PAGE_WIDTH - INNER_INSET  # inside the inner rule
    assert INNER_INSET < y - r < y + r < PAGE_HEIGHT - INNER_INSET
    date_x, date_y, _ = next(t for t in canvas.texts if t[2] == "2026年11月04日")  # the date in full
    issuer = [t for t in canvas.texts if t[2] in ("平塘县教育局", "平塘县教师发展中心")]
    assert len(issuer) == 2
    for tx, ty, _ in [(date_x, date_y, ""), *issuer]:
        assert (tx - x) ** 2 + (ty - y) ** 2 < r**2  # the seal covers the issuer and the date (骑年盖月)
    # Both rules and an ornament in each corner (an L and a square: three filled rectangles).
    assert len(canvas.rects) >= 2 + 4 * 3
