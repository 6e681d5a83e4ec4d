"""The desktop's branch of the error tree (guopei_common.errors). The UI turns these into plain
Chinese messages in one place (`desktop.ui.errors.show_error`); code below the UI raises them and never
shows anything itself."""

from __future__ import annotations

from pathlib import Path

from guopei_common.errors import GuopeiError, PermissionDenied, RuleViolation, UserError

__all__ = ["GuopeiError", "PermissionDenied", "RuleViolation", "UserError"]  # the shared tree, re-exported


class UserInputError(UserError):
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


class StorageFailure(EnvironmentFailure):
    """Writing to this PC's disk failed: full, read-only, or held by another program. `cause` is one
    of "disk_full", "read_only", "locked", "missing", "other" (desktop.db.storage_errors)."""

    def __init__(self, folder: Path, cause: str, message: str) -> None:
        super().__init__(message)
        self.folder = folder
        self.cause = cause


class BackupStorageFailure(StorageFailure):
    """A backup, copy or restore could not be written; nothing half-written was left behind."""

    def __init__(self, folder: Path, cause: str, detail: str) -> None:
        super().__init__(folder, cause, f"{detail}\n文件夹：{folder}\n没有留下不完整的文件。")


class BackupDamaged(GuopeiError):
    """A backup file that is not a backup, was cut short, or was changed after it was written."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"备份文件无法使用：{detail}\n文件：{path}\n当前数据库没有任何改动。")
        self.path = path


class BackupPasswordError(UserInputError):
    """A backup password that is too short, or wrong, or missing where the current one is required."""


class BackupNotConfigured(UserInputError):
    def __init__(self) -> None:
        super().__init__(
            "还没有设置备份密码，无法生成加密备份。请管理员先设置备份密码"
            "（命令行：guopei-desk backup-password）。"
        )
