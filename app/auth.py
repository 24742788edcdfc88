"""Who may do what in the web app.

On localhost everything is open. Served on any other host, anonymous users can ask,
search and browse; everything that writes or costs (upload, remove, evaluate — and
Gradio's own file-upload route, which every upload passes first) needs a login from
``POLICYQA_AUTH=user:pass`` or ``POLICYQA_AUTH_FILE`` (``user:pass`` lines), checked in
constant time: HTTP Basic on the request (the browser asks once; ``gradio_client`` sends
``headers={"Authorization": …}``), or the admin fields of the page. Failed logins are
slowed per client with a growing delay (1, 2, 4 … up to 30 s), and credentials are
never echoed or logged. Basic credentials travel in clear text: put TLS in front.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
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

    def check_request(self, headers, user: str | None, password: str | None, client: str = "") -> None:
        """Accept HTTP Basic credentials on the request, else the page's admin fields."""
        if not self.required:
            return
        basic = basic_credentials(headers.get("authorization", "") if headers is not None else "")
        if basic is not None:
            user, password = basic
        self.check(user, password, client)

    def check(self, user: str | None, password: str | None, client: str = "") -> None:
        """Raise a PolicyError unless the login is right (or none is required)."""
        if not self.required:
            return
        now = self._clock()
        with self._lock:
            count, until = self._failures.get(client, (0, 0.0))
        if now < until:
            raise PolicyError("login_throttled", f"登录失败次数过多，请 {math.ceil(until - now)} 秒后再试",
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


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic …`` header, or None."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


#: Gradio routes that store files on the server: guarded like the costly handlers.
GUARDED_SUFFIXES = ("/gradio_api/upload", "/upload")


class UploadGuard:
    """ASGI middleware: Gradio's file-upload route needs the login (HTTP Basic) when one is
    required — the handlers check theirs, but the raw upload happens before any handler."""

    def __init__(self, app, gate: Gate):
        self.app, self.gate = app, gate

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.gate.required and scope["path"].rstrip("/").endswith(GUARDED_SUFFIXES):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
            client = (scope.get("client") or ("", 0))[0]
            credentials = basic_credentials(headers.get("authorization", ""))
            try:
                if credentials is None:
                    raise PolicyError("login_required", "需要管理员登录", "上传文件前请登录（HTTP Basic）")
                self.gate.check(*credentials, client=client)
            except PolicyError as exc:
                body = exc.message.encode("utf-8")
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"www-authenticate", b'Basic realm="policyqa admin", charset="UTF-8"'),
                    (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
