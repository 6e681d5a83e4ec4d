"""Badges and sign-in sheets as they come off the printer: every QR code decodes back to its
enrollment, names with Extension A characters survive, and the paper sheet keeps the numbering that
marks are later entered back by."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest

from desktop.domain.badge import badge_text, parse_badge
from desktop.errors import UserInputError
from desktop.printing.attendance_docs import (
    Badge,
    SheetLine,
    SignInSheet,
    badges_pdf,
    sign_in_sheets_pdf,
)
from desktop.printing.fonts import MissingGlyph

SAMPLES = Path("/tmp/attendance-samples")
PROJECT_ID = str(uuid.uuid4())
PROJECT_NAME = "2026年国培计划乡村小学骨干教师能力提升培训（黔南州平塘县送教下乡项目）"
SCHOOLS = ["平塘县第一小学", "平塘县通州镇中心幼儿园", "平塘县民族中学", "平塘县克度镇甲青村小学"]
SURNAMES = "张王李赵陈杨黄周吴徐孙马朱胡郭何高林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"
RARE_NAMES = ("刘䶮", "王㛃")
UNPRINTABLE = "\U00030ede"  # 𰻞 (CJK Extension G)


def names(count: int) -> list[str]:
    people = [
        SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 3) % len(GIVEN)]
        for i in range(count - len(RARE_NAMES))
    ]
    people[3:3] = [RARE_NAMES[0]]
    people[-2:-2] = [RARE_NAMES[1]]
    return people


def make_badges(count: int = 19) -> list[Badge]:
    return [
        Badge(
            name=name,
            school=SCHOOLS[i % len(SCHOOLS)],
            class_name=f"小学数学{i % 2 + 1}班",
            project_name=PROJECT_NAME,
            payload=badge_text(str(uuid.uuid4()), PROJECT_ID),
        )
        for i, name in enumerate(names(count))
    ]


def make_sheet(count: int = 45, requires_sign_out: bool = True) -> SignInSheet:
    return SignInSheet(
        project_name=PROJECT_NAME,
        class_name="小学数学1班",
        session_title="专题讲座：新课标下的单元整体教学设计",
        date=date(2026, 12, 15),
        start=time(8, 30),
        end=time(11, 40),
        venue="黔南民族师范学院继续教育学院 3 号楼 201 教室",
        class_teacher="罗晓梅",
        requires_sign_out=requires_sign_out,
        trainees=tuple(
            SheetLine(number=i, name=name, school=SCHOOLS[i % len(SCHOOLS)])
            for i, name in enumerate(names(count), start=1)
        ),
    )


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def pdfinfo_pages(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", run("pdfinfo", pdf), re.MULTILINE)
    assert match
    return int(match.group(1))


def rasterise(pdf: Path, out_dir: Path, dpi: int = 300) -> list[Path]:
    run("pdftoppm", "-r", str(dpi), "-png", pdf, out_dir / pdf.stem)
    return sorted(out_dir.glob(f"{pdf.stem}-*.png"))


def decode_qr(png: Path) -> list[str]:
    # zbarimg exits 4 when a page holds no code at all; that is a failure the assertions report better.
    result = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True)
    return result.stdout.splitlines()


def assert_fonts_embedded_subsets(pdf: Path) -> None:
    # Columns: name type encoding emb sub uni object-id; the last five are fixed tokens.
    fonts = [line.split() for line in run("pdffonts", pdf).splitlines()[2:] if line.strip()]
    assert fonts
    for columns in fonts:
        assert (columns[-5], columns[-4]) == ("yes", "yes"), columns
        assert "WenQuanYiZenHei" in columns[0], columns


def test_badges_print_eight_to_a_sheet_and_every_code_decodes(tmp_path: Path) -> None:
    badges = make_badges(19)
    pdf = tmp_path / "badges.pdf"

    assert badges_pdf(badges, pdf) == 3
    assert pdfinfo_pages(pdf) == 3
    text = run("pdftotext", pdf, "-")
    for badge in badges:
        assert badge.name in text, badge.name
    assert "刘䶮" in text and "王㛃" in text
    assert_fonts_embedded_subsets(pdf)

    pngs = rasterise(pdf, tmp_path)
    assert len(pngs) == 3
    per_page = [decode_qr(png) for png in pngs]
    assert [len(codes) for codes in per_page] == [8, 8, 3]
    decoded = [code for codes in per_page for code in codes]
    assert sorted(decoded) == sorted(b.payload for b in badges)
    for code in decoded:
        assert parse_badge(code).matches(PROJECT_ID)


def test_no_badges_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "none.pdf"
    with pytest.raises(UserInputError):
        badges_pdf([], out)
    assert not out.exists()


def test_a_badge_name_the_font_cannot_draw_is_refused(tmp_path: Path) -> None:
    badges = make_badges(3)
    bad = Badge(f"刘{UNPRINTABLE}", SCHOOLS[0], "小学数学1班", PROJECT_NAME, badge_text("x", PROJECT_ID))
    out = tmp_path / "refused.pdf"
    with pytest.raises(MissingGlyph):
        badges_pdf([*badges, bad], out)
    assert not out.exists()


def test_sign_in_sheet_with_sign_out_columns(tmp_path: Path) -> None:
    sheet = make_sheet(45)
    pdf = tmp_path / "signin.pdf"
    pages = sign_in_sheets_pdf([sheet], pdf)

    assert pages == pdfinfo_pages(pdf)
    assert pages >= 2
    text = run("pdftotext", "-layout", pdf, "-")
    assert "签到表" in text
    assert text.count("签退时间") == pages  # the header row repeats on every page
    assert "签退签名" in text
    assert "班主任签字：" in text
    assert "共  45  人" in text or "共 45 人" in text
    assert f"第 {pages} 页 共 {pages} 页" in text
    for line in sheet.trainees:
        assert line.name in text, line.name
    assert_fonts_embedded_subsets(pdf)

    # Each table row starts with its 序号 followed by the name; they must come out 1..45 in order.
    rows = re.findall(r"^\s*(\d+)\s+(\S+)", text, re.MULTILINE)
    numbered = [(int(n), name) for n, name in rows if name in {t.name for t in sheet.trainees}]
    assert numbered == [(t.number, t.name) for t in sheet.trainees]
    assert [n for n, _ in numbered] == list(range(1, 46))


def test_sign_in_sheet_without_sign_out_has_no_sign_out_columns(tmp_path: Path) -> None:
    pdf = tmp_path / "signin-only.pdf"
    sign_in_sheets_pdf([make_sheet(10, requires_sign_out=False)], pdf)
    text = run("pdftotext", pdf, "-")
    assert "签到时间" in text
    assert "签退" not in text


def test_each_sheet_starts_a_page_and_is_numbered_on_its_own(tmp_path: Path) -> None:
    pdf = tmp_path / "two.pdf"
    pages = sign_in_sheets_pdf([make_sheet(45), make_sheet(5, requires_sign_out=False)], pdf)
    text = run("pdftotext", "-layout", pdf, "-")
    per_page = text.split("\f")
    assert "第 1 页 共 1 页" in per_page[pages - 1]


def test_no_sheets_or_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserInputError):
        sign_in_sheets_pdf([], tmp_path / "none.pdf")
    with pytest.raises(UserInputError):
        sign_in_sheets_pdf([replace(make_sheet(5), trainees=())], tmp_path / "empty.pdf")


def test_write_samples_for_review() -> None:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for old in SAMPLES.glob("*.png"):
        old.unlink()
    badges_pdf(make_badges(19), SAMPLES / "badges.pdf")
    sign_in_sheets_pdf([make_sheet(45)], SAMPLES / "signin.pdf")
    for pdf in (SAMPLES / "badges.pdf", SAMPLES / "signin.pdf"):
        run("pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", pdf, SAMPLES / pdf.stem)
    assert len(list(SAMPLES.glob("*.png"))) == 2
