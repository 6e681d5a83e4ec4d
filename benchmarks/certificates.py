"""Certificate benchmark: 1,000 结业证书 (both templates, names with Extension A characters, ~200-character
QR payloads) into one PDF and into one PDF per trainee, each beside its floor measured in the same run:
reportlab writing the same number of pages with the same strings in the same font and a QR symbol
encoded once (no layout, no checks, no QR encoding per page). Prints pages per second, the ratio of
times (figure / floor) and bytes per page; asserts nothing. Goals (quiet machine): ≥ 800 pages/s into
one PDF, ≥ 300 files/s.

    PYTHONPATH=. python benchmarks/certificates.py [--count 1000] [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import random
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from reportlab.lib import rl_accel
from reportlab.pdfgen.canvas import Canvas

from desktop.printing import certificates as printing
from desktop.printing.certificates import CertificateData, certificate_files, certificates_pdf
from desktop.printing.fonts import register_fonts

SURNAMES = "张王李赵陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐韦蒙石龙杨吴"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华晓红玉兰建国志远"
RARE_NAMES = ("刘䶮", "王㛃", "石玥", "韦昇")
PROJECTS = (
    "2026年国培计划乡村小学骨干教师能力提升培训（黔南州平塘县送教下乡项目）",
    "2026年国培计划中西部项目初中数学教师工作坊研修",
    "平塘县2026年中小学教师信息技术应用能力提升工程2.0整校推进培训",
)


def names(count: int, rnd: random.Random) -> list[str]:
    people = [
        rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
        for _ in range(count)
    ]
    # The rare names are spread through the batch, as they would be in a real roster.
    for index, name in enumerate(RARE_NAMES):
        people[(index + 1) * count // (len(RARE_NAMES) + 1)] = name
    return people


def payload(rnd: random.Random) -> str:
    """About 200 ASCII characters shaped like a signed GPC1 text: claims, key id, signature."""
    claims = base64.urlsafe_b64encode(rnd.randbytes(76)).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(rnd.randbytes(64)).rstrip(b"=").decode()
    return f"GPC1.{claims}.{rnd.randbytes(4).hex()}.{signature}"


def make_items(count: int) -> list[CertificateData]:
    rnd = random.Random(1)
    return [
        CertificateData(
            serial=f"522727-2026-{sequence:05d}",
            holder_name=name,
            masked_id_number=f"5227**********{rnd.randrange(10_000):04d}",
            project_name=PROJECTS[sequence % len(PROJECTS)],
            program_label="国培-中西部项目",
            institution="黔南民族师范学院继续教育学院",
            start_date=date(2026, 7, 5),
            end_date=date(2026, 7, 14),
            hours=rnd.choice((24, 36, 48, 31.5)),
            credits=rnd.choice((2.4, 3.6, 4.8)),
            issuer="平塘县教育局 平塘县教师发展中心",
            issued_on=date(2026, 7, 20),
            qr_payload=payload(rnd),
            template="guopei" if sequence % 3 else "generic",
        )
        for sequence, name in enumerate(names(count, rnd), start=1)
    ]


def floor_pages(items: list[CertificateData], out: Path, *, separate: bool) -> float:
    """Seconds reportlab takes to write the pages' strings and one pre-encoded QR symbol, nothing else."""
    font = register_fonts()
    qr = Canvas(str(out / "qr.pdf"))
    printing._draw_qr(qr, items[0].qr_payload, printing.QR_LEFT, printing.QR_BOTTOM, printing.QR_SIDE)
    symbol = qr._code[-1 - [*reversed(qr._code)].index("q") :]  # the symbol's operators, as drawn
    started = time.perf_counter()
    canvas = None
    for index, item in enumerate(items):
        if canvas is None or separate:
            canvas = Canvas(str(out / f"floor-{index if separate else 0}.pdf"), pageCompression=1)
        canvas.setFont(font, 17)
        for line_number, text in enumerate(
            (item.holder_name, printing._body(item), *printing._facts(item), item.serial, item.issuer)
        ):
            canvas.drawString(40, 800 - 30 * line_number, text)
        canvas._code.extend(symbol)
        canvas.showPage()
        if separate:
            canvas.save()
    if not separate and canvas is not None:
        canvas.save()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--out", type=Path, help="keep the PDFs here (default: a temporary folder)")
    args = parser.parse_args()

    items = make_items(args.count)
    accelerated = "C (rl_accel)" if "asciiBase85Encode" in rl_accel._c_funcs else "pure Python"
    print(
        f"{len(items)} certificates, QR payloads of {min(len(i.qr_payload) for i in items)}–"
        f"{max(len(i.qr_payload) for i in items)} characters; reportlab's accelerator: {accelerated}"
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="guopei-certificates-"))
    try:
        (out / "floor").mkdir(parents=True, exist_ok=True)
        one = out / "certificates.pdf"
        started = time.perf_counter()
        pages = certificates_pdf(items, one)
        seconds = time.perf_counter() - started
        floor = floor_pages(items, out / "floor", separate=False)
        print(
            f"one PDF:        {pages} pages in {seconds:.2f} s = {pages / seconds:.0f} pages/s"
            f"  | floor {pages / floor:.0f} pages/s  ratio {seconds / floor:.1f}×  [goal: ≥ 800 pages/s]"
            f"  {one.stat().st_size / pages / 1024:.1f} KiB per page"
        )

        started = time.perf_counter()
        files = certificate_files(items, out / "separate")
        seconds = time.perf_counter() - started
        floor = floor_pages(items, out / "floor", separate=True)
        size = sum(path.stat().st_size for path in files)
        print(
            f"separate files: {len(files)} files in {seconds:.2f} s = {len(files) / seconds:.0f} files/s"
            f"  | floor {len(files) / floor:.0f} files/s  ratio {seconds / floor:.1f}×  [goal: ≥ 300 files/s]"
            f"  {size / len(files) / 1024:.1f} KiB per file"
        )
    finally:
        if args.out is None:
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
