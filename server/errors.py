"""The server's branch of the error tree (guopei_common.errors): what its services refuse, as types.

Services raise these and never an HTTP status; one handler in `server.app` answers each with the status
of the nearest class in `HTTP_STATUS` and the error's message as `detail`."""

from __future__ import annotations

from guopei_common.errors import GuopeiError, PermissionDenied, RuleViolation, UserError


class RegistrationRefused(PermissionDenied):
    """A wrong, used or expired registration code, or another county's: one answer for all of them, so
    that a guesser never learns that a code is valid."""

    def __init__(self) -> None:
        super().__init__("注册码无效、已使用或已过期")


class Conflict(UserError):
    """The request clashes with what the server already holds."""


class DeviceAlreadyRegistered(Conflict):
    def __init__(self) -> None:
        super().__init__("该设备已注册")


HTTP_STATUS: dict[type[GuopeiError], int] = {
    PermissionDenied: 403,
    Conflict: 409,
    RuleViolation: 422,
    UserError: 400,
}


def http_status(error: GuopeiError) -> int:
    """The status of the nearest class of `error` in HTTP_STATUS; 500 for an error no class covers."""
    return next((HTTP_STATUS[kind] for kind in type(error).__mro__ if kind in HTTP_STATUS), 500)
