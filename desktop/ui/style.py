"""The app's one look: a palette, one style sheet, and the table density every list shares.

Fusion everywhere, so a county PC on Windows 10 and one on UOS/Kylin show the same buttons and tables
(the native Windows style ignores much of a style sheet and falls back to Windows 95 looks). Colours
are the sidebar's navy and blue; red, amber and green mean the same on every page as at the door."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QStyleFactory

NAVY = "#24415f"
BLUE = "#3d6a96"
BACKGROUND = "#f3f5f8"
SURFACE = "#ffffff"
BORDER = "#d5dde6"
CONTROL_BORDER = "#b4c0cc"
TEXT = "#1f2d3a"
MUTED = "#5b6b7c"
DANGER = "#c0392b"
ROW_HEIGHT = 28  # px per table row: dense enough for a roster, tall enough for CJK at 125 %

STYLE_SHEET = f"""
QWidget {{ font-size: 10.5pt; }}
QMainWindow, QDialog, #lockScreen {{ background: {BACKGROUND}; }}
QStatusBar {{ background: #e8edf2; border-top: 1px solid {BORDER}; }}
QToolTip {{ background: #fffbe6; color: {TEXT}; border: 1px solid #d9c98a; padding: 4px; }}

#navigation {{ background: {NAVY}; color: #eef3f8; border: none; font-size: 12pt; }}
#navigation {{ outline: none; }}  /* no focus box inside the selected area */
#navigation::item {{ padding: 7px 18px; }}  /* thirteen areas fit 512 px (1366×768 at 150 %) */
#navigation::item:selected {{ background: {BLUE}; color: white; }}

QPushButton {{
    background: {SURFACE}; color: {TEXT}; border: 1px solid {CONTROL_BORDER}; border-radius: 4px;
    padding: 5px 12px; min-height: 20px;
}}
QPushButton:hover {{ background: #eaf1f8; border-color: {BLUE}; }}
QPushButton:pressed {{ background: #d8e4f0; }}
QPushButton:focus {{ border-color: {BLUE}; }}
QPushButton:default, QPushButton[primary="true"] {{
    background: {BLUE}; color: white; border-color: #2f5678;
}}
QPushButton:default:hover, QPushButton[primary="true"]:hover {{ background: #35608a; }}
QPushButton:disabled {{ background: #eef1f4; color: #9aa7b4; border-color: {BORDER}; }}
QStatusBar QPushButton {{ padding: 2px 8px; min-height: 16px; }}
QLineEdit {{
    background: {SURFACE}; border: 1px solid {CONTROL_BORDER}; border-radius: 3px; padding: 3px 6px;
    min-height: 20px; selection-background-color: {BLUE};
}}
QLineEdit:focus {{ border-color: {BLUE}; }}

QTableView, QListView, QTreeView {{
    background: {SURFACE}; alternate-background-color: #f6f8fb; gridline-color: #e4e9ef;
    border: 1px solid {BORDER}; selection-background-color: #cfe0f1; selection-color: {TEXT};
}}
#navigation {{ selection-background-color: {BLUE}; selection-color: white; }}
QHeaderView::section {{
    background: #edf1f5; color: #33475b; border: none; border-right: 1px solid #dde3ea;
    border-bottom: 1px solid #cdd6df; padding: 4px 6px; font-weight: bold;
}}
QTabWidget::pane {{ border: 1px solid {BORDER}; background: {SURFACE}; top: -1px; }}
QTabBar::tab {{
    background: #e6ebf0; border: 1px solid {BORDER}; padding: 6px 14px; margin-right: 2px;
    border-top-left-radius: 4px; border-top-right-radius: 4px;
}}
QTabBar::tab:selected {{
    background: {SURFACE}; border-bottom-color: {SURFACE}; color: {NAVY}; font-weight: bold;
}}
/* Windows order on every system: the action, then 取消, at the right. */
QDialogButtonBox {{ button-layout: 0; }}

#pageTitle {{ font-size: 16pt; font-weight: bold; color: {NAVY}; }}
#sectionTitle {{ font-size: 12pt; font-weight: bold; }}
#card {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px; }}
#cardValue {{ font-size: 26pt; font-weight: bold; color: {NAVY}; }}
#cardCaption {{ color: {MUTED}; }}
#emptyNote {{ color: {MUTED}; font-size: 11pt; padding: 12px; }}
#emptyState {{ background: {SURFACE}; border: 1px dashed {CONTROL_BORDER}; border-radius: 8px; }}
#emptyTitle {{ font-size: 14pt; font-weight: bold; color: {NAVY}; }}
#emptyHint {{ color: {MUTED}; font-size: 11pt; }}
#fieldError {{ color: {DANGER}; }}
#formNote {{ color: {MUTED}; }}
#scanInput {{ font-size: 20pt; padding: 4px; }}
#checkinHeadline {{ font-size: 44pt; font-weight: bold; }}
#checkinDetail {{ font-size: 22pt; }}
#checkinChoices {{ font-size: 16pt; }}
#rollValue {{ font-size: 26pt; font-weight: bold; color: {NAVY}; }}
"""


def apply(app: QApplication) -> None:
    """Give the application its style, palette and style sheet."""
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    palette = app.palette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND),
        (QPalette.ColorRole.Base, SURFACE),
        (QPalette.ColorRole.AlternateBase, "#f6f8fb"),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Highlight, BLUE),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, "#8795a3"),
    ):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)


def dense(table: QAbstractItemView) -> None:
    """The density every list of the app shares: one row height, alternating rows, whole-row focus."""
    table.setAlternatingRowColors(True)
    header = getattr(table, "verticalHeader", None)
    if header is not None:
        header().setDefaultSectionSize(ROW_HEIGHT)
        header().setMinimumSectionSize(ROW_HEIGHT - 4)
