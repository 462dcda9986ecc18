"""Plots of training, as PNG files: history, confusion matrix, decision boundary, one sample.

Every function takes data and a path, writes a PNG there (creating its folder) and returns the
path. Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so nothing here
needs a display or changes matplotlib's global state.
"""

from __future__ import annotations

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


def _figure(panels: int, width: float = 5.0, height: float = 4.0) -> tuple[Figure, list[Axes]]:
    """A figure of ``panels`` side-by-side axes on an Agg canvas."""
    figure = Figure(figsize=(width * panels, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    return figure, list(axes)


def _save(figure: Figure, path: PathLike) -> Path:
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
    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if "loss" not in logs:
        raise ValueError(f"history has no 'loss' to plot, only {', '.join(logs) or 'nothing'}")
    metrics = ["loss"] + (["accuracy"] if "accuracy" in logs else [])
    figure, axes = _figure(len(metrics))
    for ax, metric in zip(axes, metrics, strict=True):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            if key in logs:
                values = logs[key]
                ax.plot(range(1, len(values) + 1), values, label=label)
        ax.set(xlabel="epoch", ylabel=metric, title=f"{metric} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(figure, path)


def plot_confusion_matrix(
    y_true: Any, y_pred: Any, class_names: Sequence[Any], path: PathLike
) -> Path:
    """How often each true class (rows) was predicted as each class (columns), with counts.

    ``y_true`` and ``y_pred`` hold class indices 0..len(class_names)-1.
    """
    from sklearn.metrics import confusion_matrix  # sklearn takes a second to import

    names = [str(name) for name in class_names]
    counts = confusion_matrix(y_true, y_pred, labels=range(len(names)))
    size = max(4.0, 0.5 * len(names) + 2)
    figure, (ax,) = _figure(1, size + 1, size)
    image = ax.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=ax)
    ax.set(
        xticks=range(len(names)),
        yticks=range(len(names)),
        xticklabels=names,
        yticklabels=names,
        xlabel="predicted class",
        ylabel="true class",
        title="confusion matrix",
    )
    middle = counts.max() / 2
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if count > middle else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=9)
    return _save(figure, path)


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
    pad = 0.1 * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    outputs = net.predict(transform(grid) if transform else grid)
    predicted = predicted_classes(outputs)

    n_classes = max(int(labels.max()) + 1, outputs.shape[1], 2)
    colours = ListedColormap([CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(n_classes)])
    figure, (ax,) = _figure(1, 6, 5)
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
    return _save(figure, path)


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
    figure, (left, right) = _figure(2)
    epochs = range(1, len(predictions) + 1)
    left.plot(epochs, predictions)
    left.set(xlabel="epoch", ylabel="prediction", title="prediction per epoch")
    right.plot(range(1, len(errors) + 1), errors, color="#d62728")
    right.set(xlabel="epoch", ylabel="error", title="error per epoch")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    return _save(figure, path)
