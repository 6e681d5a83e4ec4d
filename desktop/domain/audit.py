"""What the audit log records (issue 14): access to personal data and every change a person must
answer for. The codes travel to the province; the labels are what the 审计 page shows."""

from __future__ import annotations

from guopei_common.audit import AUDIT_ENTITY
from guopei_common.vocab import Labelled

__all__ = ["AUDIT_ENTITY", "AuditAction"]  # the entity name on the wire, from the shared module


class AuditAction(Labelled):
    # Access to personal data (个人信息保护法: records of processing).
    VIEW_PERSONAL = ("view_personal", "查看完整身份证号/手机号")
    EXPORT_FULL = ("export_full_id_numbers", "导出完整身份证号")
    EXCHANGE_EXPORT = ("exchange_export", "导出交换文件（含完整个人信息）")
    EXCHANGE_IMPORT = ("exchange_import", "导入交换文件")
    REFUSED_ROWS = ("refused_rows", "保存拒收行报告（含完整身份证号）")
    BACKUP = ("backup", "备份")
    RESTORE = ("restore", "恢复备份")
    # Accounts.
    LOGIN = ("login", "登录")
    LOGIN_FAILED = ("login_failed", "登录失败")
    ACCOUNT_ADD = ("account_add", "新建账户")
    ACCOUNT_REMOVE = ("account_remove", "删除账户")
    PASSWORD_CHANGE = ("password_change", "修改密码")
    PASSWORD_RESET = ("password_reset", "重置他人密码")
    # Changes to the county's records.
    ENROLL = ("enroll", "报名")
    OVERRIDE = ("override", "破格报名")
    STATUS = ("status", "学员状态变更")
    COMPLETION = ("completion", "结业认定")
    COMPLETION_UNDO = ("completion_undo", "撤销结业认定")
    INTEGRITY = ("integrity", "记入诚信档案")
    INTEGRITY_CORRECT = ("integrity_correct", "更正诚信档案")
    INTEGRITY_ANNUL = ("integrity_annul", "撤销诚信档案")
    CREDIT = ("credit", "学分登记")
    CREDIT_SUBMIT = ("credit_submit", "学分上报")
    CERTIFICATE_ISSUE = ("certificate_issue", "发放证书")
    CERTIFICATE_PRINT = ("certificate_print", "打印/补打证书")
    CERTIFICATE_REVOKE = ("certificate_revoke", "撤销证书")
    ROSTER_EDIT = ("roster_edit", "编辑教师信息")
    ROSTER_IMPORT = ("roster_import", "导入花名册")
    POLICY = ("policy", "修改政策开关")
