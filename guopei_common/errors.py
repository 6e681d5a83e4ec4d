"""The one error tree of Guopei Desk, shared by the county app and the provincial server.

Two kinds of failure, and only two: a `UserError` is the user's to fix (bad input, a rule that refuses,
a permission the operator lacks) and is shown as a warning with its message; anything else that is not
a `GuopeiError` is a bug, shown with the crash dialog and the log. Messages are plain Chinese.
"""

from __future__ import annotations


class GuopeiError(Exception):
    """Base of every error the application expects; its message is meant for the user."""


class UserError(GuopeiError):
    """The user can fix it: bad input, a rule refused, a missing permission."""


class RuleViolation(UserError):
    """A rule of the domain (the Ministry's notice, the enrollment flow, a teacher's record) refused."""


class PermissionDenied(UserError):
    """The logged-in operator's role does not allow this; the message names the missing permission."""
