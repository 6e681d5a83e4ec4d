"""A4 documents whose pages are numbered per section ("第 n 页 共 m 页" within one school's notice or
one session's sheet), shared by every platypus document of the app."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

FOOTER_Y = 11 * mm


class SectionStart(Flowable):
    """Invisible marker: pages from here on are one section. Extra keyword values are set on the
    canvas for the section's pages (a running head, a footer line …)."""

    def __init__(self, key: str, **attributes: str) -> None:
        super().__init__()
        self.key = key
        self.attributes = attributes

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv.section = self.key  # type: ignore[attr-defined]
        for name, value in self.attributes.items():
            setattr(self.canv, name, value)


class SectionCanvas(Canvas):
    """Holds every page back until the end, so each footer can say how many pages its section has."""

    def __init__(self, *args: Any, footer_font: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.footer_font = footer_font
        self.section = ""
        self.held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self.held_pages.append(dict(self.__dict__))
        self._startPage()

    def decorate(self, number: int) -> None:
        """Draw what else a page needs, knowing its number within its section; nothing by default."""

    def save(self) -> None:
        totals = Counter(page["section"] for page in self.held_pages)
        numbered: Counter[str] = Counter()
        for page in self.held_pages:
            self.__dict__.update(page)
            numbered[self.section] += 1
            self.decorate(numbered[self.section])
            self.setFont(self.footer_font, 9)
            # Two spaces: pdftotext (and copy-paste) drops a single space between a CJK character and a
            # digit, which would turn the footer into "第1页共7页".
            self.drawCentredString(
                self._pagesize[0] / 2,
                FOOTER_Y,
                f"第  {numbered[self.section]}  页  共  {totals[self.section]}  页",
            )
            super().showPage()
        super().save()


def build_a4(
    out: Path,
    *,
    title: str,
    story: list[Flowable],
    font: str,
    margins: tuple[float, float, float, float],
    canvas_class: type[SectionCanvas] = SectionCanvas,
    pagesize: tuple[float, float] = A4,
) -> int:
    """Write the story to `out` (margins left, right, top, bottom) and return the pages written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    canvases: list[SectionCanvas] = []

    def make_canvas(*args: Any, **kwargs: Any) -> SectionCanvas:
        canvas = canvas_class(*args, footer_font=font, **kwargs)
        canvases.append(canvas)
        return canvas

    left, right, top, bottom = margins
    doc = SimpleDocTemplate(
        str(out),
        pagesize=pagesize,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        # Otherwise every page names an unembedded Helvetica it never uses.
        initialFontName=font,
    )
    doc.build(story, canvasmaker=make_canvas)
    return len(canvases[-1].held_pages)
