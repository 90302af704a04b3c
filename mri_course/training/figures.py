"""Figures and tables of training: learning curves, and models side by side."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def history_chart(history: dict, metrics: Sequence[str] = ("loss", "accuracy")) -> Figure:
    """Training and validation curves per epoch; a dotted line where a new phase starts."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.4), squeeze=False)
    phases = history.get("phase", [])
    epochs = range(1, len(phases) + 1)
    for axis, metric in zip(axes[0], metrics, strict=True):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            values = history.get(key)
            if values:
                points = [(e, v) for e, v in zip(epochs, values, strict=False) if v is not None]
                axis.plot(*zip(*points, strict=True), marker="o", markersize=3, label=label)
        for k in range(1, len(phases)):
            if phases[k] != phases[k - 1]:
                axis.axvline(k + 0.5, color="gray", linestyle=":")
                axis.text(k + 0.6, axis.get_ylim()[1], phases[k], fontsize=7, va="top")
        axis.set(xlabel="epoch", ylabel=metric, title=metric)
        axis.legend()
    figure.tight_layout()
    return figure


def comparison_table(rows: Sequence[dict]) -> str:
    """A text table of models side by side; missing values show as a dash.

    Each row may hold: ``name``, ``parameters``, ``gflops``, ``seconds_per_epoch``,
    ``val``, ``test``, ``clean_test`` (accuracies) and ``note``.
    """
    columns = [
        ("name", "model", "{}", 22),
        ("parameters", "parameters", "{:,}", 12),
        ("gflops", "GFLOPs/img", "{:.2f}", 11),
        ("seconds_per_epoch", "s/epoch", "{:.0f}", 9),
        ("val", "val acc", "{:.2%}", 9),
        ("test", "test acc", "{:.2%}", 9),
        ("clean_test", "clean acc", "{:.2%}", 10),
    ]
    lines = [
        "".join(
            f"{title:>{width}}" if k else f"{title:<{width}}"
            for k, (_, title, _, width) in enumerate(columns)
        )
        + "  note"
    ]
    for row in rows:
        cells = []
        for k, (key, _, form, width) in enumerate(columns):
            value = row.get(key)
            text = "-" if value is None else form.format(value)
            cells.append(f"{text:>{width}}" if k else f"{text:<{width}}")
        lines.append("".join(cells) + f"  {row.get('note', '')}")
    return "\n".join(lines)


def card_row(card: dict, note: str = "") -> dict:
    """The accuracy and timing columns of :func:`comparison_table` from a model card."""
    metrics = card.get("metrics", {})
    return {
        "name": card.get("name"),
        "parameters": card.get("parameters"),
        "seconds_per_epoch": card.get("training", {}).get("seconds_per_epoch"),
        **{
            subset: metrics.get(subset, {}).get("accuracy")
            for subset in ("val", "test", "clean_test")
        },
        "note": note,
    }
