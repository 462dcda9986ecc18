"""The built-in data sets: logic gates, scikit-learn's 8x8 digits, and random 2-D sets."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from backprop.data.dataset import Dataset, Label
from backprop.data.mnist import MNIST_DESCRIPTION, load_mnist

_GATES = {
    "xor": [0, 1, 1, 0],
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
}

#: Every built-in name, with the line ``backprop datasets`` shows for it.
DESCRIPTIONS = {
    "xor": "XOR truth table: 4 rows, 2 binary inputs, 2 classes (not linearly separable)",
    "and": "AND truth table: 4 rows, 2 binary inputs, 2 classes",
    "or": "OR truth table: 4 rows, 2 binary inputs, 2 classes",
    "digits": "scikit-learn's 8x8 handwritten digits: 1797 x 64 pixels in [0, 1], 10 classes",
    "moons": "two interleaving half circles: 500 x 2, noise 0.2, 2 classes",
    "circles": "a circle inside a circle: 500 x 2, noise 0.1, factor 0.5, 2 classes",
    "spiral": "three-armed spiral (CS231n): 300 x 2, 3 classes",
    "blobs": "three Gaussian blobs: 500 x 2, 3 classes",
    "ripple": "a rippled surface over the plane: 500 x 2, noise 0.1, regression",
    "mnist": MNIST_DESCRIPTION,
}


def _logic_gate(name: str) -> Dataset:
    """The four rows of a two-input truth table: the smallest problems worth training on."""
    classes: list[Label] = [0, 1]
    return Dataset(
        name=name,
        X=np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64),
        y=np.array(_GATES[name], dtype=np.int64),
        task="classification",
        classes=classes,
        feature_names=["x1", "x2"],
        target_name=name,
        description=DESCRIPTIONS[name],
    )


def _digits() -> Dataset:
    """scikit-learn's bundled 8x8 digits, pixels 0..16 divided by 16 as the tutorials do."""
    from sklearn.datasets import load_digits  # imported here: sklearn takes a second to import

    bunch = load_digits()
    classes: list[Label] = list(range(10))
    return Dataset(
        name="digits",
        X=np.asarray(bunch.data, dtype=np.float64) / 16.0,
        y=np.asarray(bunch.target, dtype=np.int64),
        task="classification",
        classes=classes,
        feature_names=[str(f) for f in bunch.feature_names],
        target_name="digit",
        description=DESCRIPTIONS["digits"],
    )


def _make_moons(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=500, noise=0.2, random_state=seed)
    return X, y


def _make_circles(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's concentric circles."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=500, noise=0.1, factor=0.5, random_state=seed)
    return X, y


def _make_blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's isotropic Gaussian blobs, three centres in the plane."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=500, centers=3, n_features=2, random_state=seed)
    return X, y


def make_spiral(
    seed: int = 0, n_per_class: int = 100, n_classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: arms of growing radius whose angle is jittered by Gaussian noise.

    No straight line separates the arms, so a softmax classifier fails and a small hidden layer
    succeeds: the point of the example.
    """
    rng = np.random.default_rng(seed)
    X = np.zeros((n_per_class * n_classes, 2))
    y = np.zeros(n_per_class * n_classes, dtype=np.int64)
    for j in range(n_classes):
        rows = slice(n_per_class * j, n_per_class * (j + 1))
        radius = np.linspace(0.0, 1.0, n_per_class)
        theta = (
            np.linspace(j * 4, (j + 1) * 4, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        )
        X[rows] = np.column_stack([radius * np.sin(theta), radius * np.cos(theta)])
        y[rows] = j
    return X, y


def make_ripple(
    seed: int = 0, n_samples: int = 500, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D regression set: y = sin(2 x1) cos(2 x2) + x1 / 2 plus Gaussian noise, x uniform
    in [-2, 2]^2. A smooth surface with hills and valleys that a straight plane cannot fit."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(n_samples, 2))
    y = np.sin(2 * X[:, 0]) * np.cos(2 * X[:, 1]) + X[:, 0] / 2
    return X, y + noise * rng.standard_normal(n_samples)


def load_builtin(name: str, *, data_dir: str | os.PathLike[str] | None, seed: int) -> Dataset:
    """Dispatch a built-in name to its loader."""
    if name in _GATES:
        return _logic_gate(name)
    if name == "digits":
        return _digits()
    if name == "mnist":
        return load_mnist(data_dir)
    if name == "ripple":
        X, y = make_ripple(seed)
        return Dataset(
            name=name,
            X=X,
            y=y,
            task="regression",
            classes=None,
            feature_names=["x1", "x2"],
            target_name="y",
            description=f"{DESCRIPTIONS[name]} (seed {seed})",
        )
    makers: dict[str, Callable[[int], tuple[np.ndarray, np.ndarray]]] = {
        "moons": _make_moons,
        "circles": _make_circles,
        "spiral": make_spiral,
        "blobs": _make_blobs,
    }
    X, y = makers[name](seed)
    classes: list[Label] = [int(c) for c in np.unique(y)]
    return Dataset(
        name=name,
        X=X.astype(np.float64),
        y=y.astype(np.int64),
        task="classification",
        classes=classes,
        feature_names=["x1", "x2"],
        target_name="class",
        description=f"{DESCRIPTIONS[name]} (seed {seed})",
    )
