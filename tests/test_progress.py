"""eval.progress on a terminal: the whole message after the bar (the estimate at its end
included), fitted to the terminal's width; piped output stays plain lines."""

from __future__ import annotations

import io

import pytest
from tqdm.utils import disp_len

from eval.progress import MIN_BAR, BarProgress, LineProgress, fit, progress_reporter

#: What `policyqa index build` says while it embeds (index.build): count, rate, estimate.
MESSAGE = "向量 12288/148233 · 45.1 条/秒 · 剩余约 50 分钟"


def last_frame(stream: io.StringIO) -> str:
    """The bar as the terminal shows it now: the last frame after its carriage return,
    without the spaces tqdm writes to blank out a longer previous frame."""
    return stream.getvalue().split("\r")[-1].rstrip(" ")


@pytest.mark.parametrize("columns", [120, 80, 70])
def test_bar_shows_the_whole_message_with_its_estimate(columns):
    stream = io.StringIO()
    bar = BarProgress("index", stream, columns=columns)
    bar(0.083, MESSAGE)
    frame = last_frame(stream)
    bar.close()
    assert frame.startswith("index   8%|") and frame.endswith("| " + MESSAGE), frame
    assert disp_len(frame) <= columns, "never wider than the terminal (a wrapped bar is not redrawn)"
    assert frame.count("#") + frame.count(" ") >= MIN_BAR


def test_bar_fills_the_width_it_is_given():
    for columns in (120, 80):
        stream = io.StringIO()
        bar = BarProgress("index", stream, columns=columns)
        bar(0.5, MESSAGE)
        assert disp_len(last_frame(stream)) == columns
        bar.close()


@pytest.mark.parametrize("columns", [50, 40, 30])
def test_narrow_terminal_drops_the_bar_then_the_middle_but_keeps_the_estimate(columns):
    stream = io.StringIO()
    bar = BarProgress("index", stream, columns=columns)
    bar(0.083, MESSAGE)
    frame = last_frame(stream)
    bar.close()
    assert frame.startswith("index   8% ") and "|" not in frame, frame
    assert frame.endswith("剩余约 50 分钟") and disp_len(frame) <= columns, frame


def test_fit_keeps_what_fits_and_cuts_the_middle_first():
    assert fit(MESSAGE, 80) == MESSAGE
    assert fit(MESSAGE, disp_len(MESSAGE)) == MESSAGE
    assert fit(MESSAGE, 40) == "向量 12288/148233 · … · 剩余约 50 分钟"
    assert fit("a · b · c · d", 9) == "a · … · d"
    assert fit("a · bb · c · d", 13) == "a · … · c · d"
    short = fit(MESSAGE, 20)
    assert short.startswith("…") and short.endswith("剩余约 50 分钟") and disp_len(short) <= 20
    assert fit(MESSAGE, 0) == ""


def test_braces_in_a_message_are_shown_not_formatted():
    stream = io.StringIO()
    bar = BarProgress("eval", stream, columns=80)
    bar(0.5, "plan {percentage} 1/2")
    frame = last_frame(stream)
    bar.close()
    assert frame.endswith("| plan {percentage} 1/2"), frame


def test_piped_output_is_still_whole_plain_lines_every_interval():
    now = [0.0]
    stream = io.StringIO()
    say = LineProgress("index", stream, interval=5.0, clock=lambda: now[0])
    for step in range(1, 21):
        now[0] = float(step)
        say(step / 20, MESSAGE)
    say.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"index 5% {MESSAGE}" and len(lines) == 5, lines
    assert "\r" not in stream.getvalue()
    with progress_reporter("index", stream=io.StringIO()) as reporter:
        assert isinstance(reporter, LineProgress), "a StringIO is not a terminal"
