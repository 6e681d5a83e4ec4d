"""The one font every printed document uses, and the check that it can draw a given text.

reportlab draws a character the font lacks as a blank and says nothing, so a teacher called 刘𰻞 would
get a certificate for “刘”. Documents therefore call `ensure_printable` on every name before drawing."""

from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from desktop.errors import UserInputError
from desktop.paths import CJK_FONT

FONT_NAME = "WQYZenHei"


def register_fonts() -> str:
    """Register the bundled WenQuanYi Zen Hei (TrueType, so reportlab embeds it as a subset) once."""
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        # Subfont 0 of the TTC is the proportional "WenQuanYi Zen Hei"; it covers CJK Extension A (䶮, 㛃).
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(CJK_FONT), subfontIndex=0))
    return FONT_NAME


def missing_glyphs(text: str, font_name: str = FONT_NAME) -> list[str]:
    """The distinct characters of `text` the font cannot draw, in order of first appearance."""
    if font_name == FONT_NAME:
        register_fonts()
    font = pdfmetrics.getFont(font_name)
    char_to_glyph = font.face.charToGlyph
    missing: list[str] = []
    for char in text:
        # Whitespace is laid out as space, never drawn as a glyph, so its absence does not matter.
        if char.isspace() or char in missing:
            continue
        if ord(char) not in char_to_glyph:
            missing.append(char)
    return missing


class MissingGlyph(UserInputError):
    """A text holds characters the print font cannot draw; printing it would silently drop them."""

    def __init__(self, text: str, who: str, missing: list[str]) -> None:
        chars = "”“".join(missing)
        super().__init__(f"{who}“{text}”中的“{chars}”在打印字体中没有字形，无法打印：请联系技术支持")
        self.text = text
        self.who = who
        self.missing = missing


def ensure_printable(text: str, who: str, font_name: str = FONT_NAME) -> str:
    """Return `text` unchanged if every character can be drawn; otherwise raise MissingGlyph.

    `who` says whose text it is (e.g. "学员姓名") so the message points at the record to fix."""
    missing = missing_glyphs(text, font_name)
    if missing:
        raise MissingGlyph(text, who, missing)
    return text
