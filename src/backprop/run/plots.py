"""Plots of training, as PNG files: history, confusion matrix, decision boundary, one sample.

Every function takes data and a path, writes a PNG there (creating its folder) and returns the
path. Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so nothing here
needs a display or changes matplotlib's global state.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from backprop.engine.metrics import predicted_classes
from backprop.engine.network import Network

PathLike = str | os.PathLike[str]
#: Classes a confusion matrix shows, each cell with its count written in it: a class more is a
#: row, a column and a text per cell more to draw. Past it, the most often confused are shown.
CONFUSION_CLASSES = 30
#: Runs of up to this many epochs draw each epoch's point, not only the line between them.
FEW_EPOCHS = 20
#: Grid points the decision boundary plot predicts at once.
GRID_BLOCK = 4096
#: Colours of up to ten classes (matplotlib's tab10), used by the boundary plot.
CLASS_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def new_figure(panels: int, width: float = 5.0, height: float = 4.0) -> tuple[Figure, list[Axes]]:
    """A figure of ``panels`` side-by-side axes on an Agg canvas."""
    figure = Figure(figsize=(width * panels, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    return figure, list(axes)


def save_png(figure: Figure, path: PathLike) -> Path:
    """Write the figure as a PNG, making the folder if needed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, format="png", dpi=100)
    return target


def plot_history(history: Mapping[str, Sequence[float]] | Any, path: PathLike) -> Path:
    """Loss and accuracy per epoch, training and validation: two panels (one without accuracy).

    ``history`` is ``History.history`` (or the History itself): lists under "loss",
    "val_loss", "accuracy" and "val_accuracy", one value per epoch.
    """
    return save_png(history_figure(history), path)


def history_png(history: Mapping[str, Sequence[float]] | Any) -> bytes:
    """``plot_history``'s picture as PNG bytes, made in memory (a History in Jupyter)."""
    buffer = io.BytesIO()
    history_figure(history).savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def history_figure(history: Mapping[str, Sequence[float]] | Any) -> Figure:
    """The figure of ``plot_history``."""
    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if "loss" not in logs:
        raise ValueError(f"history has no 'loss' to plot, only {', '.join(logs) or 'nothing'}")
    metrics = ["loss"] + (["accuracy"] if "accuracy" in logs else [])
    figure, axes = new_figure(len(metrics))
    for ax, metric in zip(axes, metrics, strict=True):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            if key in logs:
                values = logs[key]
                # A line needs two points: a short run shows each epoch as a dot as well.
                marker = "o" if len(values) <= FEW_EPOCHS else None
                ax.plot(range(1, len(values) + 1), values, label=label, marker=marker)
        ax.set(xlabel="epoch", ylabel=metric, title=f"{metric} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    return figure


def plot_confusion_matrix(
    y_true: Any, y_pred: Any, class_names: Sequence[Any], path: PathLike
) -> Path:
    """How often each true class (rows) was predicted as each class (columns), with counts.

    ``y_true`` and ``y_pred`` hold class indices 0..len(class_names)-1. Past
    ``CONFUSION_CLASSES`` classes the matrix shows only that many: the classes of the most
    frequent confusions. The figure, its texts, the memory and the time to draw it stay bounded
    whatever the number of classes: drawn whole, with a text per cell on a canvas 50 pixels a
    class wide, 200 classes took a minute and 3.3 GB, and 1,000 ran out of 6 GB after 4 minutes.
    """
    names = [str(name) for name in class_names]
    y_true, y_pred = _class_index_array(y_true, names), _class_index_array(y_pred, names)
    shown = _most_confused(y_true, y_pred, len(names), CONFUSION_CLASSES)
    counts = _confusion_counts(y_true, y_pred, shown, len(names))
    size = max(4.0, 0.5 * len(shown) + 2)
    figure, (ax,) = new_figure(1, size + 1, size)
    image = ax.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=ax)
    title = "confusion matrix"
    if len(shown) < len(names):
        title += f": the {len(shown)} of {len(names)} classes most often confused"
    ax.set(
        xticks=range(len(shown)),
        yticks=range(len(shown)),
        xticklabels=[names[k] for k in shown],
        yticklabels=[names[k] for k in shown],
        xlabel="predicted class",
        ylabel="true class",
        title=title,
    )
    if len(shown) > 10:
        ax.tick_params(axis="x", labelrotation=90)
    middle = counts.max() / 2
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if count > middle else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=9)
    return save_png(figure, path)


def _class_index_array(y: Any, names: Sequence[str]) -> np.ndarray:
    """``y`` as an array of class indices, checked to lie in 0..len(names)-1."""
    indices = np.asarray(y).astype(np.int64).ravel()
    if len(indices) and (indices.min() < 0 or indices.max() >= len(names)):
        raise ValueError(
            f"class indices must lie in 0..{len(names) - 1} for {len(names)} class names, "
            f"got {indices.min()}..{indices.max()}"
        )
    return indices


def _most_confused(y_true: np.ndarray, y_pred: np.ndarray, n: int, limit: int) -> np.ndarray:
    """All ``n`` classes when there are at most ``limit``; else ``limit`` classes, in class
    order: those of the most frequent confusions (true class, predicted class) first, then
    those in the most mistakes either way."""
    if n <= limit:
        return np.arange(n)
    wrong = y_true != y_pred
    pairs, times = np.unique(y_true[wrong] * n + y_pred[wrong], return_counts=True)
    pairs = pairs[np.argsort(-times, kind="stable")]
    mistakes = np.bincount(y_true[wrong], minlength=n) + np.bincount(y_pred[wrong], minlength=n)
    ranked = np.concatenate(
        [np.column_stack([pairs // n, pairs % n]).ravel(), np.argsort(-mistakes, kind="stable")]
    )
    _, first = np.unique(ranked, return_index=True)  # each class where it first appears
    return np.sort(ranked[np.sort(first)][:limit])


def _confusion_counts(
    y_true: np.ndarray, y_pred: np.ndarray, shown: np.ndarray, n: int
) -> np.ndarray:
    """The confusion matrix among the ``shown`` classes only: never an n-by-n array."""
    position = np.full(n, -1)
    position[shown] = np.arange(len(shown))
    rows, columns = position[y_true], position[y_pred]
    both = (rows >= 0) & (columns >= 0)
    cells = rows[both] * len(shown) + columns[both]
    return np.bincount(cells, minlength=len(shown) ** 2).reshape(len(shown), len(shown))


def plot_decision_boundary(
    net: Network,
    X: Any,
    y: Any,
    path: PathLike,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    resolution: int = 200,
) -> Path:
    """The class the network predicts at every point of the plane, with the samples on top.

    X has two features (in the units to show); ``transform`` maps them to the network's
    inputs (e.g. a fitted Scaler's transform) when it was trained on scaled data. y holds class
    indices (or one-hot rows). One output predicts class 1 where it is 0.5 or more; several
    outputs predict the largest.
    """
    X = np.asarray(X, dtype=float)
    labels = _class_indices(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs X with two features, got shape {X.shape}")
    low, high = X.min(axis=0), X.max(axis=0)
    # A tenth of the range around the data, computed from half-ranges and clipped: features
    # near +-1e308 (which the scaler handles) must not overflow here, nor in Matplotlib's
    # ticks, which take differences of the axis limits.
    biggest = np.finfo(np.float64).max / 8
    with np.errstate(over="ignore"):
        pad = 0.2 * np.maximum(high / 2 - low / 2, 5e-10)
        start = np.maximum(low - pad, -biggest)
        stop = np.minimum(high + pad, biggest)
    t = np.linspace(0.0, 1.0, resolution)
    xs = start[0] * (1 - t) + stop[0] * t
    ys = start[1] * (1 - t) + stop[1] * t
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    inputs = transform(grid) if transform else grid
    # The grid's outputs a block of rows at a time: with many classes all of them at once
    # would take resolution**2 * n_classes numbers.
    blocks = range(0, len(inputs), GRID_BLOCK)
    predicted = np.concatenate(
        [predicted_classes(net.predict(inputs[b : b + GRID_BLOCK])) for b in blocks]
    )

    n_classes = max(int(labels.max()) + 1, net.sizes[-1], 2)
    colours = ListedColormap([CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(n_classes)])
    figure, (ax,) = new_figure(1, 6, 5)
    ax.contourf(
        grid_x,
        grid_y,
        predicted.reshape(grid_x.shape).astype(float),
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=colours,
        alpha=0.3,
    )
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=labels,
        cmap=colours,
        vmin=-0.5,
        vmax=n_classes - 0.5,
        s=18,
        edgecolors="white",
        linewidths=0.3,
    )
    ax.set(xlabel="feature 1", ylabel="feature 2", title="decision boundary")
    # Matplotlib's autoscaling subtracts limits near +-1e308 for such data: the figure is right,
    # and the overflow warning it would print says nothing to the user.
    with np.errstate(over="ignore"):
        return save_png(figure, path)


def _class_indices(y: Any) -> np.ndarray:
    """Class indices from labels, a column of 0/1 targets or one-hot rows."""
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    return np.round(y).astype(int)


def plot_single_sample(
    predictions: Sequence[float], errors: Sequence[float], path: PathLike
) -> Path:
    """The prediction and the error per epoch when training on one sample (tutorial 004)."""
    figure, (left, right) = new_figure(2)
    epochs = range(1, len(predictions) + 1)
    left.plot(epochs, predictions)
    left.set(xlabel="epoch", ylabel="prediction", title="prediction per epoch")
    right.plot(range(1, len(errors) + 1), errors, color="#d62728")
    right.set(xlabel="epoch", ylabel="error", title="error per epoch")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return save_png(figure, path)
