"""Creating the QApplication: the bundled Chinese font, translations, the application style (style.py)."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from desktop.paths import CJK_FONT
from desktop.ui import style

log = logging.getLogger(__name__)


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
    style.apply(app)
    return app
