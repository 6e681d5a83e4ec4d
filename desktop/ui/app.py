"""Creating the QApplication: the bundled Chinese font, translations, the application style."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from desktop.paths import CJK_FONT

log = logging.getLogger(__name__)

STYLE_SHEET = """
QWidget { font-size: 10.5pt; }
#navigation { background: #24415f; color: #eef3f8; border: none; font-size: 12pt; }
#navigation::item { padding: 10px 18px; }
#navigation::item:selected { background: #3d6a96; color: white; }
#pageTitle { font-size: 16pt; font-weight: bold; color: #24415f; }
#card { background: white; border: 1px solid #d5dde6; border-radius: 6px; }
#cardValue { font-size: 26pt; font-weight: bold; color: #24415f; }
#cardCaption { color: #5b6b7c; }
#emptyNote { color: #5b6b7c; font-size: 11pt; padding: 12px; }
#sectionTitle { font-size: 12pt; font-weight: bold; }
#scanInput { font-size: 20pt; padding: 4px; }
#checkinHeadline { font-size: 44pt; font-weight: bold; }
#checkinDetail { font-size: 22pt; }
#checkinChoices { font-size: 16pt; }
#rollValue { font-size: 26pt; font-weight: bold; color: #24415f; }
"""


@cache
def register_cjk_font() -> str:
    """Register the bundled WenQuanYi Zen Hei (covers CJK Extension A, e.g. 䶮 㛃) and return its
    family; county PCs and CI machines may have no Chinese font at all. Once per process: the file
    is 16 MB, and the certificate preview asks for the family on every render."""
    font_id = QFontDatabase.addApplicationFont(str(CJK_FONT))
    if font_id < 0:
        raise RuntimeError(f"无法加载字体文件 {CJK_FONT}")
    return QFontDatabase.applicationFontFamilies(font_id)[0]


def create_application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("国培桌面端")
    app.setOrganizationName("GuopeiDesk")
    family = register_cjk_font()
    app.setFont(QFont(family, 10))
    # Source strings are Chinese; Qt's own dialogs (buttons such as OK/Cancel) are translated here,
    # and a translation of our strings into another language would be installed beside it.
    qt_translator = QTranslator(app)
    if qt_translator.load(
        QLocale("zh_CN"), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ):
        app.installTranslator(qt_translator)
    app.setStyleSheet(STYLE_SHEET)
    return app
