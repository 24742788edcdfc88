"""Progress for long evaluations: a tqdm bar on a terminal, plain lines elsewhere.

>>> with progress_reporter("eval") as say:        # doctest: +SKIP
...     run(questions, index, progress=say)

``say(fraction, message)`` is the :data:`eval.run.Progress` callback. When the stream
is a terminal it redraws a tqdm bar; otherwise (a pipe, a log file, CI) it writes one
line such as ``eval 40% hybrid 120/300 plan-120`` at most every ``interval`` seconds,
plus a last ``eval 100% …`` line, so a piped run's log stays a few lines long instead of
hundreds of kilobytes of bar frames.
"""

from __future__ import annotations

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


class BarProgress:
    """A tqdm bar (0–1000 ‰) with the message as its postfix."""

    def __init__(self, desc: str, stream: TextIO):
        from tqdm import tqdm

        self.bar = tqdm(total=1000, desc=desc, file=stream, leave=False)

    def __call__(self, fraction: float, message: str) -> None:
        self.bar.set_postfix_str(message[:30])
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
