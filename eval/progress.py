"""Progress for long evaluations: a tqdm bar on a terminal, plain lines elsewhere.

>>> with progress_reporter("eval") as say:        # doctest: +SKIP
...     run(questions, index, progress=say)

``say(fraction, message)`` is the :data:`eval.run.Progress` callback. When the stream
is a terminal it redraws a tqdm bar followed by the whole message (``向量 12288/148233 ·
45.1 条/秒 · 剩余约 50 分钟``), fitted to the terminal's width; otherwise (a pipe, a log
file, CI) it writes one line such as ``eval 40% hybrid 120/300 plan-120`` at most every
``interval`` seconds, plus a last ``eval 100% …`` line, so a piped run's log stays a few
lines long instead of hundreds of kilobytes of bar frames.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: Seconds between two plain progress lines.
INTERVAL_S = 5.0


def _is_tty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


class LineProgress:
    """Writes ``{desc} {percent}% {message}`` lines, at most one per ``interval`` seconds
    (the first call always writes); :meth:`close` writes the last state if it is new."""

    def __init__(self, desc: str, stream: TextIO, interval: float = INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic):
        self.desc = desc
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.lines = 0
        self._last_time: float | None = None
        self._last_line: str | None = None
        self._pending: str | None = None

    def _line(self, fraction: float, message: str) -> str:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        return f"{self.desc} {percent}% {message}".rstrip()

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
        self.lines += 1
        self._last_line = line
        self._pending = None

    def __call__(self, fraction: float, message: str) -> None:
        line = self._line(fraction, message)
        now = self.clock()
        if self._last_time is None or now - self._last_time >= self.interval:
            self._last_time = now
            self._write(line)
        else:
            self._pending = line

    def close(self) -> None:
        if self._pending is not None and self._pending != self._last_line:
            self._write(self._pending)


#: Fewest columns worth drawing a bar in; narrower, the line is the percentage and the message.
MIN_BAR = 10
#: Columns assumed when the stream does not say (not a real terminal).
DEFAULT_COLUMNS = 80
#: Between the parts of a message (``向量 12288/148233 · 45.1 条/秒 · 剩余约 50 分钟``).
PART_SEP = " · "


def fit(message: str, columns: int) -> str:
    """``message`` in at most ``columns`` display columns (a Chinese character takes two).

    Whole when it fits; else its middle parts give way to ``…`` (the first part says what
    runs, the last the estimate: ``向量 12288/148233 · … · 剩余约 50 分钟``); else it is cut
    from the left, so the end — the estimate — stays.
    """
    from tqdm.utils import disp_len, disp_trim

    if disp_len(message) <= columns:
        return message
    parts = message.split(PART_SEP)
    for dropped in range(1, len(parts) - 1):  # the middle parts, one by one from the left
        short = PART_SEP.join([parts[0], "…", *parts[1 + dropped:]])
        if disp_len(short) <= columns:
            return short
    if columns <= 1:
        return disp_trim(message, max(columns, 0))
    tail = message
    while disp_len(tail) > columns - 1:
        tail = tail[1:]
    return "…" + tail


class BarProgress:
    """A tqdm bar (0–1000 ‰) followed by the whole message, fitted to the terminal's width
    (read again at every call, so a resized window is followed): the bar gives way first,
    down to :data:`MIN_BAR` columns and then altogether, before the message is shortened
    (see :func:`fit`). ``columns`` fixes the width (tests)."""

    def __init__(self, desc: str, stream: TextIO, columns: int | None = None):
        from tqdm import tqdm

        self.desc = desc
        self.stream = stream
        self.columns = columns
        self.bar = tqdm(total=1000, desc=desc, file=stream, leave=False, ncols=self._columns(),
                        bar_format="{desc} {percentage:3.0f}%|{bar}|")

    def _columns(self) -> int:
        if self.columns is not None:
            return self.columns
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or DEFAULT_COLUMNS
        except (AttributeError, OSError, ValueError):  # not a real terminal (or a closed one)
            return shutil.get_terminal_size((DEFAULT_COLUMNS, 24)).columns

    def bar_format(self, message: str, columns: int) -> str:
        """The tqdm ``bar_format`` showing ``message`` within ``columns``."""
        from tqdm.utils import disp_len

        if not message:
            return "{desc} {percentage:3.0f}%|{bar}|"
        head = f"{self.desc} 100%"  # as wide as "{desc} {percentage:3.0f}%" ever is
        escaped = fit(message, max(0, columns - disp_len(head) - 1)).replace("{", "{{").replace("}", "}}")
        if columns - disp_len(f"{head}|| {message}") >= MIN_BAR:
            return "{desc} {percentage:3.0f}%|{bar}| " + escaped
        return "{desc} {percentage:3.0f}% " + escaped

    def __call__(self, fraction: float, message: str) -> None:
        columns = self._columns()
        self.bar.ncols = columns
        self.bar.bar_format = self.bar_format(message, columns)
        self.bar.n = int(max(0.0, min(1.0, fraction)) * 1000)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


@contextmanager
def progress_reporter(desc: str = "eval", stream: TextIO | None = None, disable: bool = False,
                      interval: float = INTERVAL_S, tty: bool | None = None
                      ) -> Iterator[Callable[[float, str], None]]:
    """A ``(fraction, message)`` callback for the duration of the block.

    ``stream`` defaults to ``sys.stderr``; ``tty`` (default: ``stream.isatty()``) picks the
    tqdm bar (True) or plain lines every ``interval`` seconds (False); ``disable`` gives
    a callback that prints nothing.
    """
    stream = stream if stream is not None else sys.stderr
    if disable:
        yield lambda fraction, message: None
        return
    use_bar = _is_tty(stream) if tty is None else tty
    reporter: LineProgress | BarProgress = (BarProgress(desc, stream) if use_bar
                                            else LineProgress(desc, stream, interval))
    try:
        yield reporter
    finally:
        reporter.close()
