"""The Gradio web app: :func:`build_app` and :func:`launch`.

>>> demo = build_app(Settings())                          # doctest: +SKIP
>>> launch(Settings(), host="127.0.0.1", port=7860)      # doctest: +SKIP

The one import-time environment change of the product is here, before gradio is
imported: no telemetry, no hub, no proxy for our own local URL (GRADIO-OFFLINE.md),
because gradio and huggingface_hub read these variables when they are imported.

The pieces: :mod:`app.render` (HTML, escaping), :mod:`app.auth` (who may do what),
:mod:`app.handlers` (form input → core → output), :mod:`app.layout` (the Blocks),
``app/web.css``. The logic is in :class:`core.Assistant`.
"""

from __future__ import annotations

from corpus.config import offline_environment

offline_environment()

import signal
import sys
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from app.auth import Gate, UploadGuard, is_local, load_credentials
from app.handlers import PolicyWeb
from app.layout import build_blocks
from core import Assistant, PolicyError, clean_stale_scratch
from corpus.config import Settings

CSS = (Path(__file__).with_name("web.css")).read_text(encoding="utf-8")
THEME = gr.themes.Soft(
    primary_hue="red", secondary_hue="slate", neutral_hue="slate",
    font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
          "Source Han Sans SC", "ui-sans-serif", "system-ui", "sans-serif"],
)  # fmt: skip


def build_app(settings: Settings, *, auth: list[tuple[str, str]] | None = None,
              core: Assistant | None = None) -> gr.Blocks:
    """The Blocks over a core (a new one for ``settings`` when none is given). With
    ``auth`` (user, password) pairs, uploads, removals and evaluations ask for them."""
    return build_blocks(PolicyWeb(core or Assistant(settings, build_corpus=True), Gate(auth)))


def guard_middleware(demo: gr.Blocks) -> list[Middleware]:
    """What ``launch`` passes to FastAPI: the upload route needs the same login."""
    return [Middleware(UploadGuard, gate=demo.policyqa.gate)]


def _close_on_signals(core: Assistant) -> None:
    """Remove the core's scratch folder on SIGTERM/SIGINT as well as at a normal exit."""
    import atexit

    atexit.register(core.close)

    def stop(signum, frame):
        core.close()
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)


def launch(settings: Settings, host: str = "127.0.0.1", port: int = 7860, **kwargs) -> gr.Blocks:
    """Serve the app. Off localhost, uploads/removals/evaluations need ``POLICYQA_AUTH``
    credentials; without them this refuses to start. ``kwargs`` go to ``Blocks.launch``
    (for example ``prevent_thread_lock=True, quiet=True``); the Blocks is returned."""
    credentials = load_credentials(settings)
    if not is_local(host) and not credentials:
        raise PolicyError(
            "login_needed", f"refusing to serve on {host}: uploads, removals and evaluations need a "
            "login when the app is reachable from other machines",
            "set POLICYQA_AUTH=user:pass (or POLICYQA_AUTH_FILE=FILE with user:pass lines), or serve on 127.0.0.1")
    clean_stale_scratch()
    core = Assistant(settings, build_corpus=True)
    core.index  # noqa: B018 — open (or build) the index before the first visitor
    if not kwargs.get("prevent_thread_lock"):  # a served process (policyqa serve), not a test
        _close_on_signals(core)
    demo = build_app(settings, auth=credentials if not is_local(host) else None, core=core)
    # A bounded queue turns a flood away ("queue full") instead of letting waits grow.
    demo.queue(default_concurrency_limit=2, max_size=64)
    options: dict[str, Any] = {
        "server_name": host, "server_port": port,
        "max_file_size": f"{settings.max_upload_mb}mb", "theme": THEME, "css": CSS,
        "footer_links": ["api"], "show_error": False,
        "app_kwargs": {"middleware": guard_middleware(demo)},
    }
    options.update(kwargs)
    options["share"] = False
    demo.launch(**options)
    return demo
