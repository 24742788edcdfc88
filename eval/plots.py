"""The evaluation plots (matplotlib's Agg backend, imported only when a plot is drawn):
Recall@k per mode (:func:`plot_recall_curves`) and a metric per group, one bar per mode
(:func:`plot_mrr_by_type`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.tables import METRIC_LABELS


def _figure(width: float = 6.4, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_recall_curves(curves: dict[str, Sequence[float]], path: Path) -> Path:
    """Recall@k against k, one line per mode (Agg, no display needed)."""
    fig = _figure()
    ax = fig.add_subplot()
    for mode, values in curves.items():
        if values:
            ax.plot(range(1, len(values) + 1), values, marker="o", label=mode)
    if any(curves.values()):
        ax.legend(loc="lower right")
        ax.set_xticks(range(1, max(len(v) for v in curves.values()) + 1))
    else:
        ax.text(0.5, 0.5, "no in-scope questions", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xlabel("k")
    ax.set_ylabel("Recall@k")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title("Recall@k per mode")
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def plot_mrr_by_type(by_type: dict[str, dict[str, dict[str, float]]], path: Path,
                     metric: str = "mrr@10", title: str | None = None) -> Path:
    """Grouped bars: ``metric`` per question type (any group: ``{mode: {group: {metric}}}``),
    one bar per mode."""
    modes = list(by_type)
    types = sorted({t for per_type in by_type.values() for t in per_type})
    fig = _figure(max(6.4, 1.0 + 0.9 * len(types)), 4.0)
    ax = fig.add_subplot()
    width = 0.8 / max(len(modes), 1)
    for i, mode in enumerate(modes):
        values = [_num(by_type[mode].get(t, {}).get(metric)) for t in types]
        xs = [j + (i - (len(modes) - 1) / 2) * width for j in range(len(types))]
        ax.bar(xs, values, width=width, label=mode)
    if types:
        ax.set_xticks(range(len(types)))
        ax.set_xticklabels(types, rotation=20, ha="right")
        ax.legend(loc="upper center", ncol=max(len(modes), 1), frameon=False)
    else:
        ax.set_xticks([])
        ax.text(0.5, 0.5, "no in-scope questions", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_ylim(0, 1.15)  # room for the legend above the bars
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel(METRIC_LABELS.get(metric, metric))
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title or f"{METRIC_LABELS.get(metric, metric)} per question type")
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _num(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else value
