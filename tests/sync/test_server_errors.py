"""The server answers what its services refuse by the error's type, never by guessing from a status."""

from __future__ import annotations

from guopei_common.errors import GuopeiError, PermissionDenied, RuleViolation, UserError
from server.errors import DeviceAlreadyRegistered, RegistrationRefused, http_status


def test_each_kind_of_refusal_has_its_status() -> None:
    assert http_status(RegistrationRefused()) == 403
    assert http_status(PermissionDenied("无权操作")) == 403
    assert http_status(DeviceAlreadyRegistered()) == 409
    assert http_status(RuleViolation("不符合规则")) == 422
    assert http_status(UserError("请求有误")) == 400
    assert http_status(GuopeiError("未分类")) == 500


def test_a_refused_registration_says_nothing_about_the_code() -> None:
    assert str(RegistrationRefused()) == "注册码无效、已使用或已过期"
