"""What a page has set: the data, the features, the network and its training, as one value.

A :class:`Config` is what the URL's hash holds and what the exported script rebuilds. A page
sends changes as JSON (``{"lr": 0.1, "hidden": [4, 4]}``); :meth:`Config.updated` checks each
one against the engine's names and the bounds of :mod:`.limits` and answers a wrong one with a
ValueError or TypeError that names the setting, the value and what was expected, before
anything changes.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from backprop.engine.activations import ACTIVATIONS
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.validation import check_choice
from backprop.playground import limits
from backprop.playground.datasets import FEATURES, PLANE_SETS
from backprop.training.optimizers import OPTIMIZERS

#: Activations of a hidden layer: those that act on each neuron alone (not softmax).
HIDDEN_ACTIVATIONS = tuple(name for name, act in ACTIVATIONS.items() if act.elementwise)
#: Losses a page may choose; "auto" is the engine's default for the data's task.
LOSSES = ("auto", "cross_entropy", "binary_cross_entropy", "half_squared_error", "mse")
#: The data a page may train on: a generated 2-D set, or the CSV file it uploaded.
DATASETS = (*PLANE_SETS, "csv")


@dataclass(frozen=True)
class Config:
    """Every setting of the page; the defaults are TensorFlow Playground's first screen."""

    dataset: str = "circles"
    noise: float = 0.1  # 0: clean; 1: the classes overlap
    test_ratio: float = 0.5  # the share of the rows held out as the test part
    data_seed: int = 0
    #: The CSV file's columns: the two drawn as x1 and x2, and the target.
    columns: tuple[str, str, str] | None = None
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activations: tuple[str, ...] = ("tanh", "tanh")  # one per hidden layer
    loss: str = "auto"
    init: str = "xavier"
    optimizer: str = "sgd"
    lr: float = 0.03
    batch_size: int = 10
    l2: float = 0.0
    seed: int = 0
    grid: int = 50

    def updated(self, changes: Any) -> Config:
        """A copy with ``changes`` (a JSON object of settings) applied, every one checked."""
        if not isinstance(changes, Mapping):
            raise TypeError(f"config must be a JSON object of settings, got {changes!r:.80}")
        unknown = sorted(set(changes) - set(CHECKS))
        if unknown:
            raise ValueError(
                f"unknown setting {unknown[0]!r:.40}: expected one of {', '.join(CHECKS)}"
            )
        checked = {name: CHECKS[name](name, value) for name, value in changes.items()}
        config = dataclasses.replace(self, **checked)
        hidden, acts = config.hidden, config.activations
        if len(acts) != len(hidden):
            # A layer added or removed: the activations follow, the new layers taking the
            # last one's (or tanh for the first).
            last = acts[-1] if acts else "tanh"
            acts = (*acts[: len(hidden)], *[last] * (len(hidden) - len(acts)))
            config = dataclasses.replace(config, activations=acts)
        return config

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON, as a page sends them back (and the URL's hash holds them)."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(self).items()
            if name in CHECKS
        }


# -- one check per kind of setting -----------------------------------------------------------


def _number(low: float, high: float, *, open_low: bool = False) -> Callable[[str, Any], float]:
    """A check for a finite number in [low, high] ((low, high] with ``open_low``)."""
    where = f"{'(' if open_low else '['}{low:g}, {high:g}]"

    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be a number in {where}, got {value!r:.40}")
        value = float(value)
        inside = (low < value if open_low else low <= value) and value <= high
        if not (math.isfinite(value) and inside):
            raise ValueError(f"{name}={value!r} is out of range: expected a number in {where}")
        return value

    return check


def _integer(low: int, high: int) -> Callable[[str, Any], int]:
    """A check for an integer in [low, high]."""

    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer from {low} to {high}, got {value!r:.40}")
        if not low <= int(value) <= high:
            raise ValueError(
                f"{name}={value!r} is out of range: expected an integer from {low} to {high}"
            )
        return int(value)

    return check


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        return check_choice(name, value, choices)

    return check


def _list(name: str, value: Any, most: int) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list, got {value!r:.40}")
    if len(value) > most:
        raise ValueError(f"{name} has {len(value)} entries: at most {most} are allowed")
    return value


def _hidden(name: str, value: Any) -> tuple[int, ...]:
    """Neurons per hidden layer: at most MAX_HIDDEN_LAYERS layers of 1 to MAX_NEURONS."""
    sizes = _list(name, value, limits.MAX_HIDDEN_LAYERS)
    neurons = _integer(1, limits.MAX_NEURONS)
    return tuple(neurons(f"{name}[{i}]", size) for i, size in enumerate(sizes))


def _activations(name: str, value: Any) -> tuple[str, ...]:
    names = _list(name, value, limits.MAX_HIDDEN_LAYERS)
    return tuple(check_choice(f"{name}[{i}]", a, HIDDEN_ACTIVATIONS) for i, a in enumerate(names))


def _features(name: str, value: Any) -> tuple[str, ...]:
    """A non-empty set of the input features, in the page's order."""
    chosen = {check_choice(name, f, FEATURES) for f in _list(name, value, len(FEATURES))}
    if not chosen:
        raise ValueError(f"{name} is empty: choose at least one input feature")
    return tuple(f for f in FEATURES if f in chosen)


def _columns(name: str, value: Any) -> tuple[str, str, str] | None:
    """The uploaded file's columns [x1, x2, target], or None for its first two and last."""
    if value is None:
        return None
    columns = _list(name, value, 3)
    if len(columns) != 3 or not all(isinstance(c, str) and len(c) < 256 for c in columns):
        raise ValueError(f"{name} must name three columns [x1, x2, target], got {value!r:.80}")
    return (columns[0], columns[1], columns[2])


CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "dataset": _choice(DATASETS),
    "noise": _number(0.0, 1.0),
    "test_ratio": _number(0.1, 0.9),
    "data_seed": _integer(0, 2**31 - 1),
    "columns": _columns,
    "features": _features,
    "hidden": _hidden,
    "activations": _activations,
    "loss": _choice(LOSSES),
    "init": _choice(tuple(INITIALIZERS)),
    "optimizer": _choice(tuple(OPTIMIZERS)),
    "lr": _number(0.0, limits.MAX_LR, open_low=True),
    "batch_size": _integer(1, limits.MAX_BATCH),
    "l2": _number(0.0, limits.MAX_L2),
    "seed": _integer(0, 2**31 - 1),
    "grid": _integer(limits.MIN_GRID, limits.MAX_GRID),
}
