"""The one error type users see: a stable code, a message and the fix.

Every layer raises :class:`PolicyError` (or a subclass that keeps a familiar name, such
as ``SourceError`` or ``IndexProblem``) for problems a user can fix; both faces turn it
into one JSON shape, :meth:`PolicyError.to_dict`. Anything else is a bug and is not
caught as a user error.

>>> PolicyError("unknown_department", "未找到部门“xx”", "请从列表中选择").to_dict()["code"]
'unknown_department'
"""

from __future__ import annotations


class PolicyError(ValueError):
    """A problem the user can fix. ``code`` is stable (for programs), ``message`` says
    what is wrong (Chinese for end users is fine), ``fix`` says what to do."""

    code: str = "error"

    def __init__(self, code: str, message: str, fix: str = ""):
        self.code, self.message, self.fix = code, message, fix
        super().__init__(message + (f" — {fix}" if fix else ""))

    def to_dict(self) -> dict:
        """The error shape of every face: ``{"error": {"code", "message", "fix"}}``."""
        return {"error": {"code": self.code, "message": self.message, "fix": self.fix}}
