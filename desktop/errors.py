"""The exception tree of Guopei Desk. The UI turns these into plain Chinese messages in one place
(`desktop.ui.errors.show_error`); code below the UI raises them and never shows anything itself."""

from __future__ import annotations

from pathlib import Path


class GuopeiError(Exception):
    """Base of every error the application expects; its message is meant for the user."""


class UserInputError(GuopeiError):
    """Bad input from a person or a file; says what is wrong and where."""


class EnvironmentFailure(GuopeiError):
    """The machine let us down (disk full, database locked, server unreachable), not the code."""


class DatabaseCorrupt(EnvironmentFailure):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"数据库文件已损坏，为防止数据进一步丢失，程序没有打开它。\n文件：{path}\n检查结果：{detail}\n"
            "请联系技术支持，或从最近的备份恢复。"
        )
        self.path = path
        self.detail = detail


class DatabaseNotInitialised(GuopeiError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"数据目录 {path.parent} 中还没有县区数据。请打开国培桌面端，按首次使用页的提示开始"
            "（连接省级平台、离线开始或从备份恢复），或运行 `guopei-desk init --county 区县代码`；"
            "只想看看演示县，请运行 `guopei-desk demo`。"
        )
        self.path = path


class Cancelled(GuopeiError):
    """The user pressed Cancel; nothing was changed, and nothing needs to be said."""

    def __init__(self) -> None:
        super().__init__("已取消")
