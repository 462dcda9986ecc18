"""The plots a run draws, and drawing them again from a run folder."""

from __future__ import annotations

import os
from pathlib import Path

from backprop.data.registry import load as load_dataset
from backprop.run.config import RunConfig
from backprop.run.folder import RunFolder
from backprop.run.history_file import read_history
from backprop.run.model import Model
from backprop.run.split import Split, split
from backprop.training.history import History


def draw_plots(model: Model, history: History, parts: Split, folder: RunFolder) -> list[Path]:
    """The run's plots: history, confusion matrix, decision boundary, single-sample curves."""
    from backprop.run import plots  # Matplotlib only when a run draws

    drawn = [plots.plot_history(history.history, folder.plot("history"))]
    if "prediction" in history.history:
        drawn.append(
            plots.plot_single_sample(
                history["prediction"], history["error"], folder.plot("single_sample")
            )
        )
    X, y = parts.test if parts.test is not None else parts.train
    if model.task == "classification":
        assert model.classes is not None
        drawn.append(
            plots.plot_confusion_matrix(
                y,
                model.predict_indices(X),
                [str(c) for c in model.classes],
                folder.plot("confusion_matrix"),
            )
        )
        if len(model.feature_names) == 2:
            Xtr, ytr = parts.train
            transform = model.scaler.transform if model.scaler is not None else None
            drawn.append(
                plots.plot_decision_boundary(
                    model.network,
                    Xtr,
                    ytr,
                    folder.plot("decision_boundary"),
                    transform=transform,
                )
            )
    return drawn


def redraw(directory: str | os.PathLike[str]) -> list[Path]:
    """Draw a run folder's plots again from its model, history and data set."""
    folder = RunFolder(directory)
    if not folder.path.is_dir():
        raise FileNotFoundError(
            f"{folder} is not a run folder: "
            + (
                "it is a file (give the folder that holds it)"
                if folder.path.exists()
                else "it does not exist"
            )
        )
    if not folder.model.is_file():
        raise FileNotFoundError(f"{folder} is not a run folder: it has no {folder.model.name}")
    model = Model.load(folder.model)
    history = read_history(folder.history)
    config = RunConfig(**model.info["config"])
    data = load_dataset(
        config.dataset,
        data_dir=config.data_dir,
        target=config.target,
        seed=config.seed,
        task=config.task,  # as the run read it (--task may have overridden the data's own)
    )
    return draw_plots(model, history, split(data, config), folder)
