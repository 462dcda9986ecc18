"""A sweep's plots: the metric against each swept setting, and the best candidates' curves.

Drawn with the run plots' canvas (``backprop.run.plots``): PNG files, no pyplot, no display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backprop.run.history_file import read_history
from backprop.run.plots import new_figure, save_png
from backprop.sweeps.folder import SweepFolder
from backprop.sweeps.results import Candidate, shown
from backprop.sweeps.trial import TrialResult

#: Candidates whose learning curves are drawn together.
BEST_CURVES = 5


def plot_by_setting(results: Sequence[TrialResult], setting: str, metric: str, path: Path) -> Path:
    """Each successful trial's metric against its value of ``setting``: a scatter over a number
    line (logarithmic when the values span a decade or more) or over the values' names."""
    ok = [(r.trial.params[setting], r.metric) for r in results if r.metric is not None]
    values = [value for value, _ in ok]
    scores = [score for _, score in ok]
    figure, (ax,) = new_figure(1)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric and values:
        ax.scatter(values, scores, alpha=0.7)
        positive = [v for v in values if v > 0]
        if len(positive) == len(values) and max(values) >= 10 * min(values):
            ax.set_xscale("log")
    else:
        names = sorted({shown(v) for v in values})
        where = {name: i for i, name in enumerate(names)}
        ax.scatter([where[shown(v)] for v in values], scores, alpha=0.7)
        ax.set_xticks(range(len(names)), names, rotation=30 if len(names) > 4 else 0)
    ax.set(xlabel=setting, ylabel=metric, title=f"{metric} by {setting}")
    ax.grid(alpha=0.3)
    return save_png(figure, path)


def plot_learning_curves(
    ranked: Sequence[Candidate], folder: SweepFolder, metric: str, path: Path
) -> Path | None:
    """The metric per epoch of the best candidates (each one's best trial), on one axis."""
    figure, (ax,) = new_figure(1, 7, 4.5)
    drawn = 0
    for place, candidate in enumerate(ranked[:BEST_CURVES], 1):
        best = candidate.best_trial(metric)
        history_file = None if best is None else folder.trial(best.trial.id) / "history.csv"
        if history_file is None or not history_file.is_file():
            continue
        curve = read_history(history_file).history.get(metric)
        if not curve:
            continue
        label = f"#{place} " + ", ".join(f"{k}={shown(v)}" for k, v in candidate.params.items())
        ax.plot(np.arange(1, len(curve) + 1), curve, label=label[:70])
        drawn += 1
    if not drawn:
        return None
    ax.set(xlabel="epoch", ylabel=metric, title=f"{metric} per epoch, best candidates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save_png(figure, path)
