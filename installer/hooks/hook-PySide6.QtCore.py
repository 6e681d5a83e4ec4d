"""PySide6.QtCore as PyInstaller's own hook collects it, without the plugins and translations that
installer/bundle_rules.py leaves out."""

from bundle_rules import keep_qt_file
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, dest) for source, dest in binaries if keep_qt_file(source, dest)]
datas = [(source, dest) for source, dest in datas if keep_qt_file(source, dest)]
