"""The selection documents as a person receives them: text extractable by pdftotext, fonts embedded as
subsets, pages that render, names with Extension A characters intact, and unprintable names refused."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop.printing.fonts import MissingGlyph, missing_glyphs
from desktop.printing.selection_docs import (
    SelectedTrainee,
    SelectionDocument,
    publicity_pdf,
    publicity_xlsx,
    school_notices_pdf,
    school_notices_xlsx,
)

SAMPLES = Path("/tmp/selection-samples")
SCHOOLS = [f"平塘县第{n}小学" for n in "一二三四五六七八九十"] + ["平塘县民族中学", "平塘县通州镇中心幼儿园"]
SURNAMES = "张王李赵陈杨黄周吴徐孙马朱胡郭何高林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"
SUBJECTS = ["语文", "数学", "英语", "科学", "音乐", "体育", "美术", "道德与法治"]
TITLES = ["二级教师", "一级教师", "高级教师", "三级教师"]
RARE_NAMES = ("刘䶮", "王㛃")
UNPRINTABLE = "\U00030ede"  # 𰻞 (CJK Extension G), as in biáng


def make_document(trainees: int = 250) -> SelectionDocument:
    people = [
        SelectedTrainee(
            name=SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 3) % len(GIVEN)],
            gender="女" if (i // len(SCHOOLS)) % 3 else "男",
            school=SCHOOLS[i % len(SCHOOLS)],
            stage="学前" if SCHOOLS[i % len(SCHOOLS)].endswith("幼儿园") else "小学",
            subject=SUBJECTS[i % len(SUBJECTS)],
            title=TITLES[i % len(TITLES)],
        )
        for i in range(trainees - len(RARE_NAMES))
    ]
    people[5:5] = [SelectedTrainee(RARE_NAMES[0], "男", SCHOOLS[0], "小学", "数学", "一级教师")]
    people[130:130] = [SelectedTrainee(RARE_NAMES[1], "女", SCHOOLS[7], "小学", "语文", "高级教师")]
    return SelectionDocument(
        county_name="平塘县",
        issuer="平塘县教育局",
        project_code="GP2026-ZXB-0417",
        project_name="2026年国培计划乡村小学骨干教师能力提升培训",
        program="国培-中西部项目",
        institution="黔南民族师范学院",
        start_date=date(2026, 12, 14),
        end_date=date(2026, 12, 23),
        hours=80.0,
        venue="黔南民族师范学院继续教育学院（都匀市经济开发区）",
        publicity_start=date(2026, 12, 1),
        publicity_end=date(2026, 12, 7),
        contact="县教师发展中心 0854-7221234",
        trainees=tuple(people),
    )


def pdftotext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdfinfo_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def assert_fonts_embedded_subsets(pdf: Path) -> None:
    lines = subprocess.run(
        ["pdffonts", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    # Columns: name type encoding emb sub uni object-id; the last five are fixed tokens.
    fonts = [line.split() for line in lines[2:] if line.strip()]
    assert fonts, lines
    for columns in fonts:
        emb, sub = columns[-5], columns[-4]
        assert (emb, sub) == ("yes", "yes"), columns
        assert "WenQuanYiZenHei" in columns[0], columns


def render_first_page(pdf: Path, out_dir: Path) -> Path:
    prefix = out_dir / pdf.stem
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
        check=True,
    )
    png = prefix.with_suffix(".png")
    assert png.exists()
    assert png.stat().st_size > 5_000
    return png


def compact(text: str) -> str:
    # pdftotext -layout pads columns and wraps lines; compare content without the whitespace.
    return re.sub(r"\s+", "", text)


def test_the_rare_names_are_in_the_font_and_the_unprintable_one_is_not() -> None:
    assert missing_glyphs("".join(RARE_NAMES)) == []
    assert missing_glyphs(f"刘 {UNPRINTABLE}") == [UNPRINTABLE]


def test_publicity_pdf(tmp_path: Path) -> None:
    doc = make_document()
    pdf = tmp_path / "publicity.pdf"
    pages = publicity_pdf(doc, pdf)

    assert pages == pdfinfo_pages(pdf)
    assert pages > 1  # 250 rows must break across pages
    text = pdftotext(pdf)
    flat = compact(text)
    assert f"{doc.project_name}参训学员名单公示" in flat
    assert "公示期：2026年12月1日至2026年12月7日" in flat
    assert "第 1 页 共" in text
    assert f"第 {pages} 页 共 {pages} 页" in text
    for trainee in doc.trainees:
        assert trainee.name in text, trainee.name
    assert "刘䶮" in text and "王㛃" in text
    # The header row is repeated on every page the table runs onto.
    assert text.count("学校/单位") == pages
    assert_fonts_embedded_subsets(pdf)
    render_first_page(pdf, tmp_path)


def test_school_notices_pdf(tmp_path: Path) -> None:
    doc = make_document()
    pdf = tmp_path / "notices.pdf"
    pages = school_notices_pdf(doc, pdf)

    assert pages == pdfinfo_pages(pdf)
    assert pages >= len(SCHOOLS)
    text = pdftotext(pdf)
    flat = compact(text)
    assert flat.count(f"关于{doc.project_name}参训人员的通知") == len(SCHOOLS)
    for school in SCHOOLS:
        assert f"{school}：" in flat, school
    for trainee in doc.trainees:
        assert trainee.name in text, trainee.name
    assert "教师厅〔2020〕1号" in flat
    assert "第 1 页" in text
    assert_fonts_embedded_subsets(pdf)
    render_first_page(pdf, tmp_path)

    # Each notice starts on its own page: the first school's title opens page 1, the second's page 2+.
    per_page = text.split("\f")
    starts = [i for i, page in enumerate(per_page) if "参训人员的通知" in compact(page)]
    assert len(starts) == len(SCHOOLS)
    assert f"{SCHOOLS[0]}：" in compact(per_page[0])


def test_xlsx_files_hold_every_name(tmp_path: Path) -> None:
    doc = make_document()
    assert publicity_xlsx(doc, tmp_path / "publicity.xlsx") == len(doc.trainees)
    assert school_notices_xlsx(doc, tmp_path / "notices.xlsx") == len(doc.trainees)

    publicity = list(load_workbook(tmp_path / "publicity.xlsx").active.iter_rows(values_only=True))
    assert publicity[0] == ("序号", "姓名", "性别", "学校/单位", "学段", "学科", "职称")
    assert [row[1] for row in publicity[1:]] == [t.name for t in doc.trainees]

    notices = list(load_workbook(tmp_path / "notices.xlsx").active.iter_rows(values_only=True))
    assert notices[0][:3] == ("学校", "序号", "姓名")
    assert {row[2] for row in notices[1:]} == {t.name for t in doc.trainees}
    schools = [row[0] for row in notices[1:]]
    assert schools.index(SCHOOLS[1]) > schools.index(SCHOOLS[0])
    assert {"刘䶮", "王㛃"} <= {row[2] for row in notices[1:]}


@pytest.mark.parametrize("write", [publicity_pdf, school_notices_pdf])
def test_a_name_the_font_cannot_draw_is_refused(tmp_path: Path, write) -> None:
    doc = make_document(20)
    bad = f"刘{UNPRINTABLE}"
    doc = replace(
        doc, trainees=(*doc.trainees, SelectedTrainee(bad, "男", SCHOOLS[0], "小学", "数学", "一级教师"))
    )
    out = tmp_path / "refused.pdf"
    with pytest.raises(MissingGlyph) as raised:
        write(doc, out)
    assert f"“{bad}”中的“{UNPRINTABLE}”" in str(raised.value)
    assert raised.value.missing == [UNPRINTABLE]
    assert not out.exists()  # refused before a half-written file could be left behind


def test_write_samples_for_review() -> None:
    doc = make_document()
    SAMPLES.mkdir(parents=True, exist_ok=True)
    assert publicity_pdf(doc, SAMPLES / "publicity.pdf") == pdfinfo_pages(SAMPLES / "publicity.pdf")
    assert school_notices_pdf(doc, SAMPLES / "notices.pdf") == pdfinfo_pages(SAMPLES / "notices.pdf")
    publicity_xlsx(doc, SAMPLES / "publicity.xlsx")
    school_notices_xlsx(doc, SAMPLES / "notices.xlsx")


def test_each_notice_is_numbered_on_its_own(tmp_path: Path) -> None:
    """A school that sends many teachers gets a multi-page notice numbered 1..n; the next school starts
    again at page 1, because each school receives only its own pages."""
    doc = make_document(60)
    big, small = SCHOOLS[0], SCHOOLS[1]
    trainees = tuple(replace(t, school=big) for t in doc.trainees[:-2]) + tuple(
        replace(t, school=small) for t in doc.trainees[-2:]
    )
    pdf = tmp_path / "notices.pdf"
    pages = school_notices_pdf(replace(doc, trainees=trainees), pdf)

    footers = [re.findall(r"第 (\d+) 页 共 (\d+) 页", page) for page in pdftotext(pdf).split("\f")[:pages]]
    big_pages = pages - 1
    assert big_pages >= 2
    assert footers == [[(str(n), str(big_pages))] for n in range(1, big_pages + 1)] + [[("1", "1")]]
