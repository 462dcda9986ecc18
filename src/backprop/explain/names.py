"""The tutorials' names for every neuron, weight and bias of a network.

* inputs ``i1, i2, ...``; outputs ``o1, o2, ...``;
* hidden neurons ``h1, h2, ...`` when there is one hidden layer, and ``h1_1, h1_2, ...`` (first
  hidden layer), ``h2_1, ...`` (second), ... when there are several;
* weights ``w1, w2, ...`` numbered as the worked example numbers them: layer by layer, neuron by
  neuron, each neuron's incoming weights in input order (w1: i1->h1, w2: i2->h1, w3: i1->h2, ...);
* biases ``b1, b2, ...``, layer by layer, one per neuron.

Formulas of activations and losses are written with the words ``net``, ``out`` and ``target``;
:func:`named` gives them a neuron's names (net_h1, out_h1, target_o1).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    """The tutorials' names for every neuron, weight and bias of a network."""

    neurons: list[list[str]]  # [inputs, layer 0's neurons, layer 1's, ...]
    weights: list[list[list[str]]]  # weights[layer][i][j]
    biases: list[list[str] | None]  # biases[layer][j], None for a layer without biases


def tutorial_names(sizes: list[int], has_bias: bool) -> Names:
    """Names for a network of ``sizes``: i1.., h1.. (or h1_1.. for several hidden layers), o1.."""
    hidden = len(sizes) - 2
    neurons = [[f"i{j + 1}" for j in range(sizes[0])]]
    for layer, n in enumerate(sizes[1:-1], start=1):
        prefix = "h" if hidden == 1 else f"h{layer}_"
        neurons.append([f"{prefix}{j + 1}" for j in range(n)])
    neurons.append([f"o{j + 1}" for j in range(sizes[-1])])

    weights, biases, w, b = [], [], 0, 0
    for n_in, n_out in itertools.pairwise(sizes):
        grid = [[""] * n_out for _ in range(n_in)]
        for j in range(n_out):  # neuron by neuron ...
            for i in range(n_in):  # ... each neuron's incoming weights in input order
                w += 1
                grid[i][j] = f"w{w}"
        weights.append(grid)
        biases.append([f"b{b + j + 1}" for j in range(n_out)] if has_bias else None)
        b += n_out if has_bias else 0
    return Names(neurons, weights, biases)


def output_name(name: str) -> str:
    """What a neuron sends on: an input is its own value (i1), a neuron's is out_h1."""
    return name if name.startswith("i") else f"out_{name}"


#: The words a formula is written with, each a quantity of one neuron.
# ASCII word boundaries: in out² the word ends at ², which Unicode counts as a digit.
WORDS = re.compile(r"\b(net|out|target)\b", re.ASCII)


def named(formula: str, neuron: str) -> str:
    """A formula written with net, out and target, for one neuron: net_h1, out_h1, target_h1."""
    return WORDS.sub(lambda word: f"{word[0]}_{neuron}", formula)
