"""What a training run is asked to do: its settings, and the recipe of each built-in data set.

Settings left as None take the data set's recipe: ``RECIPES`` holds settings that work for
each built-in set (the digits recipe is the tutorials' [64, 32, 16, 10] network). The output
layer and the loss follow the engine's one rule (``backprop.engine.defaults``).
"""

from __future__ import annotations

import dataclasses
import enum
import numbers
from dataclasses import dataclass
from typing import Any

from backprop.data.dataset import Dataset
from backprop.engine.backend import BACKENDS
from backprop.engine.defaults import default_loss, default_output, n_outputs, output_for_loss
from backprop.engine.validation import (
    check_choice,
    check_non_negative_float,
    check_positive_float,
    check_seed,
)
from backprop.training import schedule_spec

_TOY = {
    "hidden": [2],
    "activation": "sigmoid",
    "output": "sigmoid",
    "loss": "half_squared_error",
    "optimizer": "sgd",
    "lr": 0.2,
    "epochs": 10_000,
    "batch_size": 1,
    "test_size": 0.0,
}
_PLANE = {
    "hidden": [16, 16],
    "activation": "tanh",
    "init": "xavier",
    "optimizer": "adam",
    "lr": 0.01,
    "epochs": 300,
    "batch_size": 32,
}
#: Settings per built-in data set; "csv" is for the user's own files.
RECIPES: dict[str, dict[str, Any]] = {
    "xor": _TOY,
    "and": _TOY,
    "or": _TOY,
    "digits": {
        "hidden": [32, 16],
        "activation": "tanh",
        "init": "xavier",
        "optimizer": "adam",
        "lr": 0.002,
        "epochs": 80,
        "batch_size": 32,
        "l2": 1e-3,
    },
    "mnist": {
        "hidden": [128],
        "activation": "relu",
        "init": "he",
        "optimizer": "adam",
        "lr": 0.001,
        "epochs": 5,
        "batch_size": 128,
    },
    "moons": _PLANE,
    "circles": _PLANE,
    "spiral": {**_PLANE, "hidden": [32, 32], "epochs": 500},
    "blobs": _PLANE,
    "csv": {
        "hidden": [32],
        "activation": "relu",
        "init": "he",
        "optimizer": "adam",
        "lr": 0.003,
        "epochs": 200,
        "batch_size": 32,
        "scale": True,
    },
}
_GENERAL = {
    "activation": "relu",
    "init": "normal_scaled",
    "optimizer": "sgd",
    "l2": 0.0,
    "test_size": 0.25,
    "validation_split": 0.0,
    "scale": False,
}


def check_fraction(name: str, value: Any) -> None:
    """A share of the samples held out (``test_size``, ``validation_split``): 0 <= value < 1.

    Written so that nan fails too: ``0 <= nan`` is False. 0 holds nothing out.
    """
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not real or not 0 <= float(value) < 1:
        shown = value if real else repr(value)
        raise ValueError(
            f"{name}={shown} is not a fraction of the samples: expected a number between 0 "
            f"and 1 (0 <= {name} < 1), such as 0.25"
        )


def check_fold(folds: Any, fold: Any, validation_split: Any) -> None:
    """Fold ``fold`` of ``folds`` (2 <= folds, 0 <= fold < folds) as the validation part,
    instead of a ``validation_split``."""
    if not _is_int(folds) or folds < 2:
        raise ValueError(f"folds={folds!r}: expected an integer of at least 2, such as 5")
    if not _is_int(fold) or not 0 <= fold < folds:
        raise ValueError(
            f"fold={fold!r}: expected an integer from 0 to {folds - 1} (folds={folds})"
        )
    if validation_split:
        raise ValueError(
            f"validation_split={validation_split} and folds={folds}: the validation part is "
            "either a fraction held out or a fold, not both"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Recipe(enum.Enum):
    """A setting left to the data set's recipe, where None has a meaning of its own."""

    RECIPE = "recipe"


@dataclass
class RunConfig:
    """The settings of a training run; None means the data set's recipe (for ``batch_size``,
    ``Recipe.RECIPE`` does: None is the full batch there, as everywhere)."""

    dataset: str
    layers: list[int] | None = None
    activation: str | None = None
    output: str | None = None
    loss: str | None = None
    init: str | None = None
    lr: float | None = None
    epochs: int | None = None
    batch_size: int | Recipe | None = Recipe.RECIPE  # None: the full batch, as for fit
    optimizer: str | None = None
    l2: float | None = None
    #: Dropout rate of every hidden layer, or a list of one per hidden layer (None: none).
    dropout: float | list[float] | None = None
    l1: float | None = None
    clip_norm: float | None = None
    #: A learning rate schedule as text, e.g. "cosine" or "step:10:0.5" (schedule_spec.py).
    schedule: str | None = None
    seed: int = 0
    test_size: float | None = None
    validation_split: float | None = None
    patience: int | None = None
    scale: bool | None = None
    target: str | None = None
    #: "classification" or "regression"; None: the built-in's, or inferred from a CSV target.
    task: str | None = None
    data_dir: str | None = None
    checkpoint_every: int | None = None
    #: Cross-validation: the validation part is fold ``fold`` (counted from 0) of ``folds``
    #: equal parts of the training part (see split.py): the same parts for every run with
    #: the same seed, which also draws the test part and a generated data set's samples.
    folds: int | None = None
    fold: int | None = None
    #: The array library the network computes with, and its device (``Network``'s
    #: ``backend`` and ``device``): a run trains on NumPy unless told otherwise.
    backend: str = "numpy"
    device: str | None = None

    def __post_init__(self) -> None:
        check_choice("backend", self.backend, BACKENDS)  # the library itself is asked later
        if self.batch_size == 0:
            self.batch_size = None  # run folders of backprop 0.1 stored the full batch as 0
        for name in ("test_size", "validation_split"):
            if getattr(self, name) is not None:
                check_fraction(name, getattr(self, name))
        check_seed(self.seed)  # here, before a data set's generator names random_state
        if self.scale is not None and not isinstance(self.scale, bool):
            raise ValueError(f"scale={self.scale!r:.40}: expected true or false")
        for name in ("l1", "l2"):
            if getattr(self, name) is not None:
                check_non_negative_float(name, getattr(self, name))
        if self.patience is not None and self.validation_split == 0 and self.folds is None:
            raise ValueError(
                f"patience={self.patience} watches val_loss, which needs a validation part: "
                "validation_split > 0 (0.1 when it is left out), or folds"
            )
        if self.clip_norm is not None:
            check_positive_float("clip_norm", self.clip_norm)
        if self.schedule is not None:
            schedule_spec.parse(self.schedule)  # one clear error before any data is read
        if self.folds is not None or self.fold is not None:
            check_fold(self.folds, self.fold, self.validation_split)

    def resolved(self, data: Dataset) -> RunConfig:
        """Every setting filled in, from the recipe and the data's shape."""
        recipe = {**_GENERAL, **RECIPES.get(data.name, RECIPES["csv"])}
        values: dict[str, Any] = {
            k: recipe.get(k) if v is None or v is Recipe.RECIPE else v
            for k, v in dataclasses.asdict(self).items()
        }
        if self.batch_size is None:
            values["batch_size"] = None  # the full batch, which no recipe overrides
        if values["output"] is None:
            # A cross-entropy names its output: --loss cross_entropy alone gives a softmax over
            # one neuron per class, also for two classes.
            values["output"] = output_for_loss(values["loss"])
        n_out = data.n_outputs
        if data.n_classes is not None:
            n_out = n_outputs(data.n_classes, values["output"])
        if values["layers"] is None:
            values["layers"] = [data.n_features, *recipe["hidden"], n_out]
        if values["output"] is None:
            values["output"] = default_output(data.task, values["layers"][-1])
        if values["loss"] is None:
            values["loss"] = default_loss(values["output"], data.task)
        values["task"] = data.task  # as given, or as the data set says: the summary states it
        if self.patience is not None and self.validation_split is None and self.folds is None:
            values["validation_split"] = 0.1
        values.pop("hidden", None)
        return RunConfig(**values)
