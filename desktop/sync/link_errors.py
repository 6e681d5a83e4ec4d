"""Why the province could not be reached, in words a county administrator can act on.

requests names its failures in English class names ("ConnectionError", "MissingSchema"); shown as they
are, they tell nobody what to do. Each kind gets a cause and a next step."""

from __future__ import annotations

import ssl

import requests

CAPTIVE_PORTAL = (
    "收到的不是省级平台的回答：本机可能需要先在浏览器中登录上网认证页面（宾馆、学校的无线网常见）"
)


def link_problem(error: BaseException) -> str:
    """The plain-Chinese reason for a failed request (the caller adds "未连接到省级平台")."""
    if isinstance(error, requests.exceptions.MissingSchema | requests.exceptions.InvalidSchema):
        return "服务器地址应以 https:// 开头，请按省级平台发的地址填写"
    if isinstance(error, requests.exceptions.InvalidURL):
        return "服务器地址写法有误，请核对省级平台发的地址"
    if isinstance(error, requests.exceptions.SSLError) or _caused_by(error, ssl.SSLError):
        return (
            "与省级平台的加密连接没有建立（证书无效、电脑时间不对，或网络中有设备拦截），"
            "请核对电脑日期时间后再试"
        )
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "连接省级平台超时：网络太慢或不通，稍后会自动重试"
    if isinstance(error, requests.exceptions.Timeout):
        return "省级平台长时间没有回应：网络太慢或中断，稍后会自动重试"
    if _caused_by(error, ConnectionRefusedError):
        return "省级平台拒绝连接：服务器未运行，或地址、端口有误"
    if _names_resolution(error):
        return "找不到省级平台的地址：本机可能没有联网，或服务器地址有误"
    if isinstance(error, requests.exceptions.ConnectionError | OSError):
        return "网络中断或不通，稍后会自动重试"
    return "网络出现问题，稍后会自动重试"


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is in the chain of causes (requests wraps urllib3, which wraps the socket's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = next(
            (
                inner
                for inner in (getattr(current, "reason", None), *current.args[:1], current.__cause__)
                if isinstance(inner, BaseException)
            ),
            current.__context__,
        )
    return False


def _names_resolution(error: BaseException) -> bool:
    import socket

    return _caused_by(error, socket.gaierror) or "NameResolution" in repr(error)
