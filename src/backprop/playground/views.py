"""What the page draws, computed from a session's network: the JSON of its replies.

* ``state``: the settings, the points, and the names the page labels things with;
* ``frame``: what changes as the network learns: its weights, the output over a grid of the
  plane (the decision boundary, or the regression surface), each input feature and each
  hidden neuron over the same grid (the small heat maps), the History's new epochs and the
  loss now.

The grid's outputs travel as float64 bytes (base64), exactly the network's numbers; a heat map
travels as one byte per point, scaled between its least and greatest value, as it is only
coloured. Both are one forward pass of the engine over the grid.
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

import numpy as np

from backprop.engine.network import Network
from backprop.explain.names import tutorial_names
from backprop.playground import limits
from backprop.playground.config import Config
from backprop.playground.datasets import Plane
from backprop.run.reports import regression
from backprop.training.history import History


class Session(Protocol):
    """What the views read of a :class:`~backprop.playground.session.Session`."""

    config: Config
    plane: Plane
    net: Network
    history: History
    epoch: int
    steps: int
    edited: bool
    epochs_sent: int
    csv_columns: list[str]
    X_train: np.ndarray
    X_test: np.ndarray
    Y_train: np.ndarray
    Y_test: np.ndarray


def grid_points(box: tuple[float, float, float, float], n: int) -> np.ndarray:
    """The n x n points of the grid over ``box``, row by row from the top (largest x2) down,
    each row from the left: pixel (row, column) of the page's picture."""
    x_min, x_max, y_min, y_max = box
    xs = np.linspace(x_min, x_max, n)
    ys = np.linspace(y_max, y_min, n)
    X1, X2 = np.meshgrid(xs, ys)
    return np.column_stack([X1.ravel(), X2.ravel()])


def encode(array: np.ndarray, dtype: str = "<f8") -> str:
    """The array's bytes (little-endian), as base64 text."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def state(session: Session) -> dict[str, Any]:
    """The settings and the data: sent when they change (the frame after it starts over)."""
    session.epochs_sent = 0
    plane, net = session.plane, session.net
    names = tutorial_names(net.sizes, net.has_bias)
    return {
        "config": session.config.to_json(),
        "limits": limits.as_dict(),
        "csv_columns": session.csv_columns,
        "data": {
            "name": plane.name,
            "task": plane.task,
            "classes": None if plane.classes is None else [str(c) for c in plane.classes],
            "axes": list(plane.axes),
            "box": list(plane.box()),
            "train": {"x": plane.P_train.tolist(), "y": plane.y_train.tolist()},
            "test": {"x": plane.P_test.tolist(), "y": plane.y_test.tolist()},
        },
        "network": {
            "sizes": net.sizes,
            "activations": [layer.activation.name for layer in net.layers],
            "loss": net.loss.name,
            "inputs": list(session.config.features),
            "neurons": names.neurons,
            "weight_names": names.weights,
            "bias_names": names.biases,
        },
    }


def frame(session: Session) -> dict[str, Any]:
    """What changes as the network learns, after an epoch, a step or an edit."""
    net, plane, config = session.net, session.plane, session.config
    P = grid_points(plane.box(), config.grid)
    _, outputs = net.forward(plane.inputs(config.features, P))
    heat_maps = []
    for layer_outputs in outputs[:-1]:  # the input features, then each hidden layer
        for column in layer_outputs.T:
            low, high = float(column.min()), float(column.max())
            scaled = (column - low) / (high - low) * 255 if high > low else np.zeros_like(column)
            heat_maps.append({"low": low, "high": high, "bytes": encode(np.rint(scaled), "u1")})
    # The History's epochs the page has not had yet (a state sends them all again).
    history, start = session.history, session.epochs_sent
    session.epochs_sent = len(history.epoch)
    return {
        "epoch": session.epoch,
        "steps": session.steps,
        "edited": session.edited,
        "weights": [layer.weights.tolist() for layer in net.layers],
        "biases": [None if layer.bias is None else layer.bias.tolist() for layer in net.layers],
        "grid": {
            "n": config.grid,
            "box": list(plane.box()),
            "outputs": encode(outputs[-1]),
            "k": net.sizes[-1],
            "maps": heat_maps,  # the input features', then the hidden neurons'
        },
        "history": {
            "start": start,
            "epochs": history.epoch[start:],
            "metrics": {key: values[start:] for key, values in history.history.items()},
        },
        "now": {
            "train": _scores_now(session, net, session.X_train, session.Y_train),
            "test": _scores_now(session, net, session.X_test, session.Y_test),
        },
    }


def _scores_now(session: Any, net: Network, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """The loss at the weights shown, with the accuracy, or for regression the library's R²
    (after a step or an edit, the epoch's History no longer describes these weights)."""
    scores = net.evaluate(X, Y)
    if session.plane.task == "regression":
        scores["r2"] = regression(Y, net.predict(X)).scores["r2"]
    return scores
