"""A clicked point's backpropagation step, as the page shows it: ``bp.explain``'s tables, each
gradient beside its finite-difference estimate, and the neurons that cannot learn flagged.

The numbers are the trace's own (the rows of :meth:`Trace.sections`); the estimates are
:func:`backprop.engine.gradcheck.numerical_gradient`'s, on a float64 copy of the network, so a
learner sees the chain rule agree with nudging the weight and watching the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop.engine.gradcheck import numerical_gradient
from backprop.engine.network import Network
from backprop.explain.render import format_number
from backprop.explain.sections import Row
from backprop.explain.trace import Trace, explain

#: A sigmoid output this close to 0 or 1 (a tanh output to -1 or 1) is saturated: its slope,
#: and so every gradient through it, is nearly zero.
SATURATION = 0.01


def explained(
    net: Network, x: np.ndarray, y: Any, lr: float, X_train: np.ndarray
) -> tuple[dict[str, Any], Trace]:
    """The page's view of one step on the sample (x, y), and the Trace it was read from."""
    trace = explain(net, x, y, lr)
    step = trace.steps[0]
    estimates = _finite_differences(net, trace)
    sections = [
        {
            "stage": section.stage,
            "title": section.title,
            "note": section.note,
            "rows": [_row(row, estimates) for row in section.rows],
        }
        for section in trace.sections(step)
    ]
    reply = {
        "describe": trace.describe(),
        "sections": sections,
        "flags": neuron_flags(net, trace, X_train),
        "loss": format_number(step.loss),
        "loss_after": format_number(step.loss_after),
    }
    return reply, trace


def _row(row: Row, estimates: dict[tuple[int, ...], tuple[float, bool]]) -> dict[str, Any]:
    """One number of the trace, with its estimate when it is a gradient."""
    shown = {
        "quantity": row.quantity,
        "symbol": row.symbol,
        "where": row.where,
        "formula": row.formula,
        "numbers": row.numbers(format_number),
        "value": row.value,
        "text": format_number(row.value),
    }
    if row.quantity in ("dw", "db"):
        estimate, smooth = estimates[row.index]
        shown.update(estimate=estimate, estimate_text=format_number(estimate), smooth=smooth)
    return shown


def _finite_differences(net: Network, trace: Trace) -> dict[tuple[int, ...], tuple[float, bool]]:
    """dE/dw of every weight (index (layer, i, j)) and bias ((layer, j)) by central finite
    differences of the sample's loss, and whether the loss is smooth there (no ReLU kink)."""
    work = net.copy("float64")
    X, Y = trace.x[None, :], trace.y[None, :]
    estimates: dict[tuple[int, ...], tuple[float, bool]] = {}
    for layer, dense in enumerate(work.layers):
        for i, j in np.ndindex(dense.weights.shape):
            estimates[(layer, i, j)] = numerical_gradient(work, X, Y, dense.weights, (i, j))
        if dense.bias is not None:
            for j in range(len(dense.bias)):
                estimates[(layer, j)] = numerical_gradient(work, X, Y, dense.bias, (j,))
    return estimates


def neuron_flags(net: Network, trace: Trace, X_train: np.ndarray) -> list[dict[str, Any]]:
    """Neurons that pass (almost) no gradient back: a sigmoid or tanh saturated on this
    sample, a ReLU dead (its net input at most 0 on every training sample)."""
    step = trace.steps[0]
    net_inputs, _ = net.forward(X_train)
    flags = []
    for layer, dense in enumerate(net.layers):
        name = dense.activation.name
        for j, neuron in enumerate(trace.names.neurons[layer + 1]):
            out = float(step.outputs[layer + 1][j])
            low = -1.0 if name == "tanh" else 0.0
            if name in ("sigmoid", "tanh") and min(out - low, 1.0 - out) < SATURATION:
                text = (
                    f"{neuron} is saturated: its {name} output {format_number(out)} is near "
                    f"{format_number(low if out - low < 0.5 else 1.0)}, so dout/dnet is nearly 0"
                )
                flags.append({"layer": layer, "j": j, "flag": "saturated", "text": text})
            if name == "relu" and bool((net_inputs[layer][:, j] <= 0).all()):
                text = (
                    f"{neuron} is dead: its net input is at most 0 on every training sample, so "
                    "it outputs 0 and its weights get no gradient"
                )
                flags.append({"layer": layer, "j": j, "flag": "dead", "text": text})
    return flags
