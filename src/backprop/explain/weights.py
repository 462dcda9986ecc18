"""Networks for explain: the worked example, and weights given by hand or in a JSON file.

Weights are numbered as the explanation names them (w1, w2, ... layer by layer, neuron by
neuron, each neuron's incoming weights in input order; see :mod:`backprop.explain.names`), so a
tutorial's numbers can be typed in as they are printed: :func:`weights_from_numbering` turns
them into the engine's matrices, :func:`set_weights` puts those into a network, and a weights
file (:func:`read_weights`) holds either form.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import reprlib
from pathlib import Path
from typing import Any

import numpy as np

from backprop.engine.network import Network
from backprop.explain.names import tutorial_names

#: Tutorial 001's weights w1..w6 of its linear 2-2-1 network without biases.
WORKED_EXAMPLE_WEIGHTS = (0.11, 0.21, 0.12, 0.08, 0.14, 0.15)


def worked_example() -> tuple[Network, list[float], list[float], float]:
    """The 2-2-1 worked example of tutorial 001: (network, input, target, learning rate)."""
    net = Network([2, 2, 1], activation="identity", bias=False)
    set_weights(net, weights_from_numbering(net.sizes, list(WORKED_EXAMPLE_WEIGHTS), None))
    return net, [2.0, 3.0], [1.0], 0.05


Layers = list[tuple[np.ndarray, np.ndarray | None]]


def weights_from_numbering(sizes: list[int], w: list[float], b: list[float] | None) -> Layers:
    """Weight matrices and bias vectors from w1..wN and b1..bM in the tutorials' numbering."""
    n_weights = sum(n_in * n_out for n_in, n_out in itertools.pairwise(sizes))
    n_biases = sum(sizes[1:])
    if len(w) != n_weights:
        raise ValueError(f"sizes {sizes} have {n_weights} weights (w1..w{n_weights}), got {len(w)}")
    if b is not None and len(b) != n_biases:
        raise ValueError(f"sizes {sizes} have {n_biases} biases (b1..b{n_biases}), got {len(b)}")
    names = tutorial_names(sizes, b is not None)  # after the counts: a name for every weight
    layers: Layers = []
    for layer, grid in enumerate(names.weights):
        W = np.array([[w[int(name[1:]) - 1] for name in row] for row in grid], dtype=float)
        bias_names = names.biases[layer]
        bias = (
            None
            if b is None or bias_names is None
            else np.array([b[int(n[1:]) - 1] for n in bias_names])
        )
        layers.append((W, bias))
    return layers


def set_weights(net: Network, layers: Layers) -> Network:
    """Copy the given weights and biases into ``net``, checking every shape against its sizes."""
    if len(layers) != len(net.layers):
        raise ValueError(
            f"{len(layers)} layer(s) of weights given, but sizes {net.sizes} have "
            f"{len(net.layers)} weight layer(s)"
        )
    for index, (layer, (W, bias)) in enumerate(zip(net.layers, layers, strict=True)):
        expected = (layer.n_in, layer.n_out)
        if np.shape(W) != expected:
            raise ValueError(
                f"layers[{index}].weights has shape {np.shape(W)} but sizes {net.sizes} need "
                f"{expected} ({layer.n_in} inputs x {layer.n_out} neurons)"
            )
        layer.weights = W
        if (bias is None) != (layer.bias is None):
            raise ValueError(
                f"layers[{index}] {'has no' if bias is None else 'has a'} bias but the network "
                f"{'has' if bias is None else 'has no'} biases: give a bias for every layer or none"
            )
        if bias is not None:
            if np.shape(bias) != (layer.n_out,):
                raise ValueError(
                    f"layers[{index}].bias has shape {np.shape(bias)} but sizes {net.sizes} "
                    f"need ({layer.n_out},), one per neuron"
                )
            layer.bias = bias
    return net


def read_weights(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a weights file (JSON) into ``{"sizes": [...], "layers": [(W, b), ...]}``.

    Two forms are accepted. The matrix form, one entry per layer, ``weights[i][j]`` joining
    input i to neuron j (the shape of ``net.layers[k].weights``); leave out ``bias`` (or give
    null) for a network without biases::

        {"layers": [{"weights": [[0.11, 0.12], [0.21, 0.08]], "bias": [0.0, 0.0]},
                    {"weights": [[0.14], [0.15]], "bias": [0.0]}]}

    The tutorials' numbering: the layer sizes, then w1..wN and (optionally) b1..bM in the order
    the explanation names them::

        {"sizes": [2, 2, 1], "w": [0.11, 0.21, 0.12, 0.08, 0.14, 0.15]}

    Either form may also give "sizes", "activation", "output" and "loss" (names as for Network).
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"weights file '{path}' does not exist")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except RecursionError:  # the parser recurses once per [ or {: [[[[...]]]] exhausts the stack
        raise ValueError(
            f"weights file '{path}' is nested too deeply to read: a weights file is an object "
            "holding lists of numbers, nested a few levels deep"
        ) from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, a number too long to read
        raise ValueError(f"weights file '{path}' is not valid JSON: {error}") from None
    if not isinstance(data, dict) or ("layers" in data) == ("w" in data):
        raise ValueError(
            f"weights file '{path}' must be a JSON object with either \"layers\" (a list of "
            '{"weights": [[...]], "bias": [...]}) or "sizes" and "w" (w1..wN in order)'
        )
    sizes = data.get("sizes")
    if sizes is not None and not (
        isinstance(sizes, list)
        and len(sizes) >= 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
    ):
        raise ValueError(
            f"weights file '{path}': \"sizes\" must be a list of positive integers, input layer "
            f"to output layer, such as [2, 2, 1]; got {reprlib.repr(sizes)}"
        )
    try:
        if "w" in data:
            if sizes is None:
                raise ValueError('"w" needs "sizes" to say how the weights are numbered')
            layers = weights_from_numbering(sizes, _numbers(data["w"], "w"), _maybe(data, "b"))
        else:
            if not isinstance(data["layers"], list) or not data["layers"]:
                raise ValueError(
                    '"layers" must be a list with one {"weights": [[...]], "bias": [...]} '
                    f"per layer, got {reprlib.repr(data['layers'])}"
                )
            layers = [_layer(entry, index) for index, entry in enumerate(data["layers"])]
    except (ValueError, TypeError) as error:
        raise ValueError(f"weights file '{path}': {error}") from None
    held = [layers[0][0].shape[0], *[W.shape[1] for W, _ in layers]]
    if sizes is None:
        sizes = held
    elif sizes != held:  # checked before a network of those sizes is made
        raise ValueError(
            f"weights file '{path}': \"sizes\" {reprlib.repr(sizes)} do not fit its "
            f"layers, which hold a {'-'.join(map(str, held))} network"
        )
    settings = {key: data[key] for key in ("activation", "output", "loss") if key in data}
    return {"sizes": sizes, "layers": layers, **settings}


def _numbers(value: Any, name: str) -> list[float]:
    """A flat list of finite numbers from JSON, or a ValueError naming the field.

    Python's JSON reader takes NaN, Infinity and 1e999 (inf): a weight like that would make
    every number of the trace nan, so it is refused here.
    """
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f'"{name}" must be a list of numbers, got {reprlib.repr(value)}')
    numbers = [_float(v) for v in value]
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError(f'"{name}" must be a list of finite numbers, got {reprlib.repr(value)}')
    return numbers


def _float(value: float) -> float:
    """``value`` as a float; inf for an integer too large for one (``float(10**400)`` raises)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _maybe(data: dict[str, Any], key: str, name: str | None = None) -> list[float] | None:
    """The list of numbers under ``key``, or None when it is missing or null."""
    return None if data.get(key) is None else _numbers(data[key], name or key)


def _layer(entry: Any, index: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One layer of the matrix form: (weights, bias or None)."""
    if not isinstance(entry, dict) or "weights" not in entry:
        raise ValueError(f'layers[{index}] must be an object with "weights" (and "bias")')
    rows = entry["weights"]
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"layers[{index}].weights must be a list of rows, one per input")
    matrix = [_numbers(row, f"layers[{index}].weights[{i}]") for i, row in enumerate(rows)]
    if len({len(row) for row in matrix}) != 1:
        raise ValueError(f"layers[{index}].weights has rows of different lengths")
    bias = _maybe(entry, "bias", f"layers[{index}].bias")
    return np.array(matrix), None if bias is None else np.array(bias)


def network_from_weights(
    path: str | os.PathLike[str],
    sizes: list[int] | None = None,
    activation: str | None = None,
    output: str | None = None,
    loss: str | None = None,
) -> Network:
    """A Network with the weights of a weights file (see :func:`read_weights`).

    Arguments given here win over the file's; ``sizes``, when given, must fit the weights.
    """
    data = read_weights(path)
    if sizes is not None and data["sizes"] and list(sizes) != list(data["sizes"]):
        raise ValueError(
            f"weights file '{path}' holds a {'-'.join(map(str, data['sizes']))} network, but "
            f"sizes {list(sizes)} were asked for"
        )
    layers: Layers = data["layers"]
    net = Network(
        sizes or data["sizes"],
        activation=activation or data.get("activation", "sigmoid"),
        output=output or data.get("output"),
        loss=loss or data.get("loss"),
        bias=layers[0][1] is not None if layers else True,
    )
    try:
        return set_weights(net, layers)
    except ValueError as error:
        raise ValueError(f"weights file '{path}': {error}") from None


__all__ = [
    "WORKED_EXAMPLE_WEIGHTS",
    "network_from_weights",
    "read_weights",
    "set_weights",
    "weights_from_numbering",
    "worked_example",
]
