"""Who may do what in the web app.

On localhost everything is open. Served on any other host, anonymous users can ask,
search and browse; everything that writes or costs (upload, remove, evaluate) needs a
login from ``POLICYQA_AUTH=user:pass`` or ``POLICYQA_AUTH_FILE`` (``user:pass`` lines),
checked in constant time. Failed logins are slowed per client with a growing delay
(1, 2, 4 … up to 30 s), and credentials are never echoed or logged.
"""

from __future__ import annotations

import hmac
import threading
import time
from pathlib import Path

from corpus.config import Settings
from corpus.errors import PolicyError

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_DELAY_S = 30.0


def _parse_pairs(text: str, source: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise PolicyError("bad_credentials", f"{source}: expected user:pass, got a line without both parts",
                              "write one user:pass a line")
        pairs.append((user.strip(), password))
    return pairs


def load_credentials(settings: Settings) -> list[tuple[str, str]]:
    """(user, password) pairs from ``settings.auth`` and/or the file ``settings.auth_file``."""
    pairs: list[tuple[str, str]] = []
    if settings.auth.strip():
        pairs += _parse_pairs(settings.auth, "POLICYQA_AUTH")
    if settings.auth_file.strip():
        path = Path(settings.auth_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError("bad_credentials", f"POLICYQA_AUTH_FILE={path}: cannot be read ({exc.strerror})",
                              "point POLICYQA_AUTH_FILE at a readable file of user:pass lines") from exc
        pairs += _parse_pairs(text, str(path))
    return pairs


def is_local(host: str) -> bool:
    return host.strip().lower().strip("[]") in LOCAL_HOSTS


class Gate:
    """The login check for costly actions, with a per-client growing delay after failures."""

    def __init__(self, credentials: list[tuple[str, str]] | None = None, clock=time.monotonic):
        self.credentials = list(credentials or [])
        self._failures: dict[str, tuple[int, float]] = {}  # client → (count, blocked until)
        self._lock = threading.Lock()
        self._clock = clock

    @property
    def required(self) -> bool:
        return bool(self.credentials)

    def check(self, user: str | None, password: str | None, client: str = "") -> None:
        """Raise a PolicyError unless the login is right (or none is required)."""
        if not self.required:
            return
        now = self._clock()
        with self._lock:
            count, until = self._failures.get(client, (0, 0.0))
        if now < until:
            raise PolicyError("login_throttled", f"登录失败次数过多，请 {until - now:.0f} 秒后再试",
                              "稍后再试；确认用户名和密码")
        ok = any(hmac.compare_digest((user or "").encode(), u.encode())
                 & hmac.compare_digest((password or "").encode(), p.encode())
                 for u, p in self.credentials)
        with self._lock:
            if ok:
                self._failures.pop(client, None)
                return
            count += 1
            self._failures[client] = (count, now + min(MAX_DELAY_S, 2.0 ** (count - 1)))
        raise PolicyError("login_required", "需要管理员登录", "请填写正确的用户名和密码后再上传、删除或评测")
