"""The playground's data: points in a plane, split, scaled, and turned into the network's inputs.

A :class:`Plane` is a data set with two drawn columns (x1, x2) and a target, split into a
training and a test part; its :class:`~backprop.data.Scaler`, fitted on the training points,
standardises both columns, and the chosen :data:`FEATURES` of the standardised point are the
network's inputs. The page draws the points in their own units; the network sees the features.

The generated sets are the built-in 2-D sets of :mod:`backprop.data.builtin` with a noise knob,
as TensorFlow Playground offers them; a CSV file comes through :func:`backprop.data.load_csv`.
The exported script calls these same functions, so it rebuilds exactly the page's data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from backprop.data import Dataset, Scaler, load_csv, train_test_split
from backprop.data.builtin import make_ripple, make_spiral
from backprop.playground import limits

#: Points of each generated set.
N_POINTS = 500


def _circles(noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles

    return make_circles(n_samples=N_POINTS, noise=noise / 2, factor=0.5, random_state=seed)


def _xor(noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TensorFlow Playground's XOR: points in the four quadrants, the class the sign of
    x1 * x2, kept a little off the axes, then jittered by the noise."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.1, 1.0, size=(N_POINTS, 2)) * rng.choice([-1.0, 1.0], size=(N_POINTS, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X + noise / 2 * rng.standard_normal(X.shape), y


def _moons(noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    return make_moons(n_samples=N_POINTS, noise=noise, random_state=seed)


def _spiral(noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral (its arms already jittered), the points jittered by the noise too."""
    X, y = make_spiral(seed)
    rng = np.random.default_rng(seed + 1)
    return X + noise / 5 * rng.standard_normal(X.shape), y


def _blobs(noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_blobs

    return make_blobs(
        n_samples=N_POINTS, centers=3, n_features=2, cluster_std=0.5 + 5 * noise, random_state=seed
    )


def _ripple(noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return make_ripple(seed, N_POINTS, noise)


#: The generated sets: name -> (task, generator(noise, seed) -> (X, y)).
PLANE_SETS: dict[str, tuple[str, Callable[[float, int], tuple[np.ndarray, np.ndarray]]]] = {
    "circles": ("classification", _circles),
    "xor": ("classification", _xor),
    "moons": ("classification", _moons),
    "spiral": ("classification", _spiral),
    "blobs": ("classification", _blobs),
    "ripple": ("regression", _ripple),
}

#: The input features a page may give the network, of the standardised point P = (x1, x2).
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda P: P[:, 0],
    "x2": lambda P: P[:, 1],
    "x1^2": lambda P: P[:, 0] ** 2,
    "x2^2": lambda P: P[:, 1] ** 2,
    "x1*x2": lambda P: P[:, 0] * P[:, 1],
    "sin(x1)": lambda P: np.sin(P[:, 0]),
    "sin(x2)": lambda P: np.sin(P[:, 1]),
}


@dataclass
class Plane:
    """A 2-D data set split and scaled: what the page draws and the network trains on."""

    name: str
    task: str  # "classification" or "regression"
    classes: list[str | int | float] | None
    axes: tuple[str, str]  # the names of the drawn columns
    P_train: np.ndarray  # (n, 2) points in their own units
    P_test: np.ndarray
    y_train: np.ndarray  # class indices 0..k-1, or target values
    y_test: np.ndarray
    scaler: Scaler  # fitted on P_train

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    def inputs(self, features: Sequence[str], P: np.ndarray) -> np.ndarray:
        """The network's inputs for points P: the features of the standardised points."""
        Z = self.scaler.transform(P)
        return np.column_stack([FEATURES[name](Z) for name in features])

    def box(self) -> tuple[float, float, float, float]:
        """The part of the plane drawn: every point, with a margin (x_min, x_max, y_min, y_max)."""
        P = np.vstack([self.P_train, self.P_test])
        low, high = P.min(axis=0), P.max(axis=0)
        margin = np.maximum((high - low) * 0.08, 1e-3)
        low, high = low - margin, high + margin
        return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def generated_plane(name: str, noise: float, test_ratio: float, seed: int) -> Plane:
    """One of :data:`PLANE_SETS`, generated from ``seed`` with ``noise``, split and scaled."""
    task, generate = PLANE_SETS[name]
    X, y = generate(noise, seed)
    if task == "classification":
        y = np.asarray(y, dtype=np.int64)
        classes: list[str | int | float] | None = [int(c) for c in np.unique(y)]
    else:
        y, classes = np.asarray(y, dtype=np.float64), None
    return _split(name, task, classes, ("x1", "x2"), np.asarray(X, float), y, test_ratio, seed)


def csv_plane(
    path: str | os.PathLike[str], columns: Sequence[str] | None, test_ratio: float, seed: int
) -> Plane:
    """The CSV file at ``path`` as a plane: ``columns`` names [x1, x2, target] (by default the
    first two columns and the last), checked by :func:`check_drawable`."""
    target = None if columns is None else columns[2]
    data = check_drawable(load_csv(path, target=target))
    drawn = data.feature_names[:2] if columns is None else list(columns[:2])
    return _csv_split(data, drawn, test_ratio, seed)


def check_drawable(data: Dataset) -> Dataset:
    """``data`` itself, when it has the two feature columns a plane draws, at most
    ``limits.MAX_ROWS`` rows and ``limits.MAX_CLASSES`` classes; else a ValueError saying
    which."""
    if data.n_features < 2:
        raise ValueError(
            f"the CSV file has {data.n_features} feature column(s) besides the target "
            f"{data.target_name!r}: the playground draws two columns, x1 and x2"
        )
    if len(data.X) > limits.MAX_ROWS:
        raise ValueError(
            f"the CSV file has {len(data.X)} rows: the playground trains on at most "
            f"{limits.MAX_ROWS} (limits.MAX_ROWS); use `backprop train` for larger files"
        )
    if data.n_classes is not None and data.n_classes > limits.MAX_CLASSES:
        raise ValueError(
            f"the CSV file's target {data.target_name!r} has {data.n_classes} classes: the "
            f"playground draws at most {limits.MAX_CLASSES} (limits.MAX_CLASSES); use "
            "`backprop train` for more"
        )
    return data


def _csv_split(data: Dataset, drawn: list[str], test_ratio: float, seed: int) -> Plane:
    """The two ``drawn`` columns of a CSV data set against its target, split and scaled."""
    for name in drawn:
        if name not in data.feature_names:
            raise ValueError(
                f"columns names {name!r:.60}, which is not a feature column of the file: "
                f"expected one of {', '.join(data.feature_names)[:300]}"
            )
    if drawn[0] == drawn[1]:
        raise ValueError(f"columns draws {drawn[0]!r} as both x1 and x2: choose two columns")
    X = data.X[:, [data.feature_names.index(name) for name in drawn]].astype(np.float64)
    y = data.y if data.y.ndim == 1 else data.y[:, 0]
    axes = (drawn[0], drawn[1])
    return _split("csv", data.task, data.classes, axes, X, y, test_ratio, seed)


def _split(
    name: str,
    task: str,
    classes: list[str | int | float] | None,
    axes: tuple[str, str],
    X: np.ndarray,
    y: np.ndarray,
    test_ratio: float,
    seed: int,
) -> Plane:
    """Split (stratified by class) and fit the scaler on the training points."""
    P_train, P_test, y_train, y_test = train_test_split(X, y, test_size=test_ratio, seed=seed)
    scaler = Scaler().fit(P_train)
    return Plane(name, task, classes, axes, P_train, P_test, y_train, y_test, scaler)


def targets(plane: Plane, y: np.ndarray, n_outputs: int) -> np.ndarray:
    """Targets as the network's fit takes them: class indices (one-hot encoded by the engine
    for several outputs), a 0/1 column for one output neuron, or the values for regression."""
    if plane.task == "classification" and n_outputs > 1:
        return y
    return np.asarray(y, dtype=np.float64).reshape(-1, 1)
