"""The data a saved model is scored on: its own test part, or any data set in its classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from backprop.data.registry import load as load_dataset
from backprop.run.config import RunConfig
from backprop.run.model import Model
from backprop.run.split import split

SPLITS = ("auto", "test", "train", "all")


def evaluation_data(
    model: Model,
    dataset: str,
    part: str = "auto",
    *,
    data_dir: str | None = None,
    target: str | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Features, targets in the model's class indices, and a description of the part used.

    ``part="auto"`` takes the test part when ``dataset`` is the one the model was trained on
    (the split is recreated from the run's seed), and all of it otherwise.
    """
    if part not in SPLITS:
        raise ValueError(f"split={part!r} is not supported: expected one of {', '.join(SPLITS)}")
    config = model.info.get("config")
    own = config is not None and model.info.get("dataset") == Path(dataset).stem
    data = load_dataset(
        dataset,
        data_dir=data_dir,
        target=target if target is not None else (config or {}).get("target") if own else None,
        seed=config["seed"] if own and config else 0,
        task=model.task,  # a CSV target is read as the model reads it (--task may have said)
    )
    if data.n_features != len(model.feature_names):
        # One short: most likely a file of inputs alone, its last column taken as the target.
        hint = (
            f" (besides its target column {data.target_name!r}: evaluate needs the targets "
            "too; backprop predict takes inputs alone)"
            if data.n_features == len(model.feature_names) - 1
            and data.target_name in model.feature_names
            else ""
        )
        raise ValueError(
            f"{dataset} has {data.n_features} features{hint} but the model was trained on "
            f"{len(model.feature_names)}"
        )
    if data.task != model.task:
        raise ValueError(f"{dataset} is a {data.task} data set but the model does {model.task}")
    columns = _model_columns(dataset, data.feature_names, model.feature_names)
    if part == "auto":
        part = "test" if own or data.X_test is not None else "all"
    if part == "all":
        X, y = data.X, data.y
    else:
        parts = split(data, RunConfig(**config)) if own and config else split(data, _PLAIN)
        chosen = parts.test if part == "test" else parts.train
        if chosen is None:
            raise ValueError(f"{dataset} has no {part} part: use --split all")
        X, y = chosen
    if columns is not None:
        X = X[:, columns]
    if data.classes is not None:
        y = _to_model_classes(y, data.classes, model.classes or [])
    return X, y, f"{data.name} ({part}, {len(X)} samples)"


def _model_columns(dataset: str, names: list[str], model_names: list[str]) -> list[int] | None:
    """The data's columns in the model's feature order, matched by name as ``backprop
    predict`` matches a CSV's (None: they are in that order already). Data without names of
    its own (a CSV without a header: x1, x2, ...) is taken in training order."""
    if names == model_names or names == [f"x{i + 1}" for i in range(len(names))]:
        return None
    if sorted(names) != sorted(model_names):
        raise ValueError(
            f"{dataset}'s feature columns {names[:8]} are not the ones the model was trained on "
            f"{model_names[:8]}: give the same columns (in any order)"
        )
    return [names.index(name) for name in model_names]


_PLAIN = RunConfig("", test_size=0.25, validation_split=0.0)


def _to_model_classes(y: np.ndarray, labels: list[Any], classes: list[Any]) -> np.ndarray:
    """Class indices of one data set re-expressed in the model's own class order."""
    index = {label: i for i, label in enumerate(classes)}
    unknown = [label for label in labels if label not in index]
    if unknown:
        raise ValueError(
            f"the data holds class labels {unknown[:5]} the model does not know "
            f"(it was trained on {classes[:10]})"
        )
    return np.array([index[label] for label in labels])[y]
