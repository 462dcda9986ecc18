"""One training step with every number shown: what the engine computes, named as the tutorials do.

>>> trace = bp.explain(net, x=[2, 3], y=[1], lr=0.05)   # a Trace of one step on one sample
>>> print(render.to_text(trace))                          # or to_markdown, to_html

Names (the same for any network):

* inputs ``i1, i2, ...``; outputs ``o1, o2, ...``;
* hidden neurons ``h1, h2, ...`` when there is one hidden layer, and ``h1_1, h1_2, ...`` (first
  hidden layer), ``h2_1, ...`` (second), ... when there are several;
* weights ``w1, w2, ...`` numbered as the worked example numbers them: layer by layer, neuron by
  neuron, each neuron's incoming weights in input order (w1: i1->h1, w2: i2->h1, w3: i1->h2, ...);
* biases ``b1, b2, ...``, layer by layer, one per neuron.

Each name is shown beside its place in the matrices: weight ``(layer, i, j)`` is
``net.layers[layer].weights[i, j]``, bias ``(layer, j)`` is ``net.layers[layer].bias[j]`` and
neuron ``(layer, j)`` is column j of that layer's net input and output.

Where the numbers come from: all of them are the engine's. The forward pass is ``net.forward``,
the loss ``net.batch_loss``, the gradients ``net.backward`` and the update ``net.train_step``.
The delta of every neuron is read off the engine's backward pass too: a neuron's delta is dE/db
for its bias, so it is the bias gradient, and a network without biases is asked through a copy
whose biases are zero (which computes the same numbers). Only the two factors the engine
multiplies in one go, dE/dout and dout/dnet, are computed here for display, from the loss and
the activation's own derivative; the tests check that their product is the engine's delta.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backprop.engine.activations import Identity
from backprop.engine.network import Network
from backprop.engine.validation import check_positive_float, check_positive_int

#: Fan-in above which a sum is written with an ellipsis: w1 × i1 + w2 × i2 + … + w64 × i64.
MAX_TERMS = 6

# -- names ---------------------------------------------------------------------------------------


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


# -- what one step computed ----------------------------------------------------------------------


@dataclass
class Step:
    """Every number of one training step on one sample; arrays are per layer, 1-D per neuron."""

    number: int
    net_inputs: list[np.ndarray]  # net of each layer's neurons
    outputs: list[np.ndarray]  # [x, out of layer 0, ..., out of the output layer]
    loss: float
    #: dE/dout per layer; None for the output layer when the loss fuses it into the delta.
    errors: list[np.ndarray | None]
    #: dout/dnet per layer; None where there is no element-wise derivative (softmax, fused).
    derivatives: list[np.ndarray | None]
    deltas: list[np.ndarray]  # dE/dnet per layer, the engine's
    weight_gradients: list[np.ndarray]
    bias_gradients: list[np.ndarray | None]
    weights_before: list[np.ndarray]
    biases_before: list[np.ndarray | None]
    weights_after: list[np.ndarray]
    biases_after: list[np.ndarray | None]
    outputs_after: list[np.ndarray]  # the forward pass again, with the new weights
    loss_after: float


@dataclass(frozen=True)
class Row:
    """One displayed number: its name, its place in the matrices, the formula and the arithmetic.

    ``arithmetic`` holds one ``{}`` per operand; a renderer fills them in at its precision.
    """

    quantity: str  # input, target, net, out, loss, error, derivative, delta, sum, dw, db, w, b
    symbol: str  # e.g. dE/dw5
    index: tuple[int, ...]  # (layer, i, j) for weights, (layer, j) for neurons and biases
    formula: str
    arithmetic: str
    operands: tuple[float, ...]
    value: float

    def numbers(self, fmt: Any = repr) -> str:
        """The arithmetic with the operands written by ``fmt``, negative ones in parentheses."""
        texts = [fmt(v) for v in self.operands]
        if self.arithmetic != "{}":
            texts = [f"({t})" if t.startswith("-") else t for t in texts]
        return self.arithmetic.format(*texts)

    @property
    def where(self) -> str:
        """The index as it is displayed: ``(1, 0, 0)``, or ``x[0]`` for an input."""
        if self.quantity in ("input", "target"):
            return f"{'x' if self.quantity == 'input' else 'y'}[{self.index[0]}]"
        return "(" + ", ".join(map(str, self.index)) + ")" if self.index else ""


@dataclass(frozen=True)
class Section:
    """A stage of the step (forward, error, backward, update) as a table of rows."""

    stage: str
    title: str
    note: str
    rows: list[Row]


@dataclass
class Trace:
    """Training steps on one sample, every number recorded; see :func:`explain`."""

    sizes: list[int]
    activations: list[str]  # one per layer
    loss_name: str
    lr: float
    x: np.ndarray
    y: np.ndarray
    names: Names
    steps: list[Step]
    #: The network after the steps (a copy: the network given to explain is left as it was).
    network: Network = field(repr=False)

    @property
    def delta_rule(self) -> str:
        """How the output delta is formed: "chain", "fused" or "jacobian" (see ``sections``)."""
        if self.loss_name in ("cross_entropy", "binary_cross_entropy"):
            return "fused"
        return "jacobian" if self.activations[-1] == "softmax" else "chain"

    @property
    def has_bias(self) -> bool:
        return self.names.biases[0] is not None

    def sections(self, step: Step) -> list[Section]:
        """The step as five tables: forward, error, backward (deltas, gradients), update."""
        return [
            _forward_section(self, step),
            _error_section(self, step),
            _delta_section(self, step),
            _gradient_section(self, step),
            _update_section(self, step),
        ]

    def describe(self) -> str:
        """One line naming the network, the loss and the learning rate."""
        acts = self.activations
        shown = acts[0] if len(set(acts)) == 1 else "/".join(acts)
        bias = "with biases" if self.has_bias else "no biases"
        sizes = "-".join(map(str, self.sizes))
        return (
            f"network {sizes} ({shown}, {bias}), loss {self.loss_name}, learning rate {self.lr:g}"
        )


# -- explain -------------------------------------------------------------------------------------


def explain(net: Network, x: Any, y: Any, lr: float, steps: int = 1) -> Trace:
    """Take ``steps`` gradient-descent steps on the one sample (x, y) and record every number.

    ``x`` holds one value per input; ``y`` one target per output (or, for several outputs, a
    class label). ``net`` is left unchanged: the steps are taken on a copy, ``trace.network``.
    """
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps)
    X, Y = _one_sample(net, x, y)
    work = net.copy()
    trace = Trace(
        sizes=list(net.sizes),
        activations=[layer.activation.name for layer in net.layers],
        loss_name=net.loss.name,
        lr=lr,
        x=X[0].astype(np.float64),
        y=Y[0].astype(np.float64),
        names=tutorial_names(net.sizes, net.layers[0].bias is not None),
        steps=[],
        network=work,
    )
    for number in range(1, steps + 1):
        trace.steps.append(_step(work, X, Y, lr, number))
    return trace


def _one_sample(net: Network, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """x and y as one-row arrays the engine accepts, or a ValueError saying what was expected."""
    n_in, n_out = net.sizes[0], net.sizes[-1]
    x_flat = np.asarray(x, dtype=object).ravel()
    if x_flat.size != n_in:
        raise ValueError(
            f"x has {x_flat.size} value(s) but the network has {n_in} input(s) "
            f"(sizes[0]={n_in}): give one value per input"
        )
    y_flat = np.asarray(y, dtype=object).ravel()
    if y_flat.size == 1 and n_out > 1:
        Y: Any = y_flat  # a class label, one-hot encoded by the engine
    elif y_flat.size == n_out:
        Y = y_flat.reshape(1, n_out)
    else:
        raise ValueError(
            f"y has {y_flat.size} value(s) but the network has {n_out} output(s) "
            f"(sizes[-1]={n_out}): give one target per output"
            + (", or one class label" if n_out > 1 else "")
        )
    return net.check_data(x_flat.reshape(1, n_in).tolist(), np.asarray(Y).tolist())


def _step(net: Network, X: np.ndarray, Y: np.ndarray, lr: float, number: int) -> Step:
    """One step on ``net`` (which it updates), every number read off the engine."""
    net_inputs, outputs = net.forward(X)
    loss = net.batch_loss(Y, net_inputs, outputs)
    grads = net.backward(Y, net_inputs, outputs)
    deltas = _engine_deltas(net, X, Y)
    errors, derivatives = _delta_factors(net, Y, net_inputs, outputs, deltas)
    weights_before = [layer.weights.copy() for layer in net.layers]
    biases_before = [None if layer.bias is None else layer.bias.copy() for layer in net.layers]

    net.train_step(X, Y, lr)  # the update, through the engine

    new_net_inputs, new_outputs = net.forward(X)
    return Step(
        number=number,
        net_inputs=[z[0] for z in net_inputs],
        outputs=[a[0] for a in outputs],
        loss=loss,
        errors=errors,
        derivatives=derivatives,
        deltas=deltas,
        weight_gradients=[g[0] for g in grads],
        bias_gradients=[g[1] if len(g) > 1 else None for g in grads],
        weights_before=weights_before,
        biases_before=biases_before,
        weights_after=[layer.weights.copy() for layer in net.layers],
        biases_after=[None if layer.bias is None else layer.bias.copy() for layer in net.layers],
        outputs_after=[a[0] for a in new_outputs],
        loss_after=net.batch_loss(Y, new_net_inputs, new_outputs),
    )


def _engine_deltas(net: Network, X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    """Every neuron's delta dE/dnet for the one sample, read off the engine's backward pass."""
    deltas: list[np.ndarray] = []
    net.backward(Y, *net.forward(X), deltas=deltas)
    return [delta[0] for delta in deltas]


def _delta_factors(
    net: Network,
    Y: np.ndarray,
    net_inputs: list[np.ndarray],
    outputs: list[np.ndarray],
    deltas: list[np.ndarray],
) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
    """dE/dout and dout/dnet of every layer, the two factors the engine multiplies into delta.

    At the output layer dE/dout is the loss's delta through an identity activation (whose
    backward passes the error through unchanged); at a hidden layer it is the next layer's
    deltas sent back through the weights. dout/dnet is the activation's derivative.
    """
    errors: list[np.ndarray | None] = []
    derivatives: list[np.ndarray | None] = []
    last = len(net.layers) - 1
    for index, layer in enumerate(net.layers):
        a = outputs[index + 1]
        if index == last:
            fused = net.loss.requires_output is not None
            error = None if fused else net.loss.delta(Y, a, net_inputs[index], Identity())[0]
        else:
            error = deltas[index + 1] @ net.layers[index + 1].weights.T
        elementwise = layer.activation.name != "softmax" and error is not None
        errors.append(error)
        derivatives.append(layer.activation.derivative(a)[0] if elementwise else None)
    return errors, derivatives


# -- the rows of each stage ----------------------------------------------------------------------


def _terms(pairs: list[tuple[str, str, float, float]]) -> tuple[str, str, tuple[float, ...]]:
    """A sum of products 'w1 × i1 + w2 × i2 + ...', shortened with '…' for a long sum."""
    if len(pairs) > MAX_TERMS:
        pairs = [*pairs[:2], ("…", "", math.nan, math.nan), pairs[-1]]
    formula, arithmetic, operands = [], [], []
    for a, b, u, v in pairs:
        if a == "…":
            formula.append("…")
            arithmetic.append("…")
            continue
        formula.append(f"{a} × {b}")
        arithmetic.append("{} × {}")
        operands += [u, v]
    return " + ".join(formula), " + ".join(arithmetic), tuple(operands)


def _forward_section(trace: Trace, step: Step) -> Section:
    """Inputs, then each layer's net inputs and outputs."""
    names = trace.names
    rows = [
        Row("input", name, (i,), name, "{}", (float(v),), float(v))
        for i, (name, v) in enumerate(zip(names.neurons[0], step.outputs[0], strict=True))
    ]
    for layer, activation in enumerate(trace.activations):
        sources = names.neurons[layer]
        a_in, z = step.outputs[layer], step.net_inputs[layer]
        for j, neuron in enumerate(names.neurons[layer + 1]):
            pairs = [
                (names.weights[layer][i][j], output_name(s), float(W), float(a_in[i]))
                for i, (s, W) in enumerate(
                    zip(sources, step.weights_before[layer][:, j], strict=True)
                )
            ]
            formula, arithmetic, operands = _terms(pairs)
            bias = step.biases_before[layer]
            if bias is not None:
                formula += f" + {names.biases[layer][j]}"  # type: ignore[index]
                arithmetic += " + {}"
                operands += (float(bias[j]),)
            index = (layer, j)
            rows.append(
                Row("net", f"net_{neuron}", index, formula, arithmetic, operands, float(z[j]))
            )
            out = float(step.outputs[layer + 1][j])
            slope = _slope(trace, layer)
            f, arith, ops = _activation_text(activation, f"net_{neuron}", j, z, slope)
            rows.append(Row("out", f"out_{neuron}", index, f, arith, ops, out))
    return Section(
        "forward",
        "Forward pass",
        "Each neuron adds up its inputs times their weights (plus its bias): its net input. "
        "Its activation function turns that into its output, which feeds the next layer.",
        rows,
    )


def _slope(trace: Trace, layer: int) -> float:
    """The negative slope of a leaky ReLU layer (read off its activation), else 0."""
    return float(getattr(trace.network.layers[layer].activation, "slope", 0.0))


def _activation_text(
    name: str, net: str, j: int, z: np.ndarray, slope: float = 0.0
) -> tuple[str, str, tuple[float, ...]]:
    """Formula, arithmetic and operands of out = f(net) for one neuron."""
    zj = float(z[j])
    if name == "sigmoid":
        return f"1 / (1 + e^(-{net}))", "1 / (1 + e^(-{}))", (zj,)
    if name == "tanh":
        return f"tanh({net})", "tanh({})", (zj,)
    if name == "relu":
        return f"max(0, {net})", "max(0, {})", (zj,)
    if name == "leaky_relu":
        return f"max({slope:g} × {net}, {net})", f"max({slope:g} × {{}}, {{}})", (zj, zj)
    if name == "identity":
        return net, "{}", (zj,)
    # softmax: e^net_j over the sum of e^net_k of the layer
    terms = [float(v) for v in z]
    shown = terms if len(terms) <= MAX_TERMS else [*terms[:2], math.nan, terms[-1]]
    denominator = " + ".join("…" if math.isnan(v) else "e^({})" for v in shown)
    return (
        f"e^({net}) / Σ_k e^(net_ok)",
        "e^({}) / (" + denominator + ")",
        (zj, *[v for v in shown if not math.isnan(v)]),
    )


def _error_section(trace: Trace, step: Step) -> Section:
    """The targets, the loss and the error at each output."""
    names = trace.names.neurons[-1]
    a, y = step.outputs[-1], trace.y
    last = len(trace.sizes) - 2
    rows = [
        Row("target", f"target_{o}", (k,), f"target_{o}", "{}", (float(y[k]),), float(y[k]))
        for k, o in enumerate(names)
    ]
    rows.append(_loss_row(trace.loss_name, names, a, y, step.loss))
    error = step.errors[-1]
    for k, o in enumerate(names):
        out, target = float(a[k]), float(y[k])
        if error is None:
            rows.append(
                Row(
                    "delta",
                    f"δ_{o}",
                    (last, k),
                    f"dE/dnet_{o} = out_{o} - target_{o}",
                    "{} - {}",
                    (out, target),
                    float(step.deltas[-1][k]),
                )
            )
        elif trace.loss_name == "mse":
            n = len(names)
            rows.append(
                Row(
                    "error",
                    f"dE/dout_{o}",
                    (last, k),
                    f"2/{n} × (out_{o} - target_{o})",
                    f"2/{n} × ({{}} - {{}})",
                    (out, target),
                    float(error[k]),
                )
            )
        else:
            rows.append(
                Row(
                    "error",
                    f"dE/dout_{o}",
                    (last, k),
                    f"out_{o} - target_{o}",
                    "{} - {}",
                    (out, target),
                    float(error[k]),
                )
            )
    note = "The loss E measures how far the outputs are from the targets. "
    if trace.delta_rule == "fused":
        output = "softmax" if trace.loss_name == "cross_entropy" else "sigmoid"
        note += (
            f"With a {output} output and {trace.loss_name}, dE/dout × dout/dnet collapses to "
            "out - target: the engine computes this fused delta directly (it is exact, and "
            "never divides by a tiny output), so the two factors are not shown."
        )
    else:
        note += "Its derivative at each output, the output error dE/dout, starts the backward pass."
    return Section("error", "Error", note, rows)


def _loss_row(loss: str, outputs: list[str], a: np.ndarray, y: np.ndarray, value: float) -> Row:
    """E written out over the output neurons, for each of the engine's losses."""
    pairs = [(float(t), float(o)) for t, o in zip(y, a, strict=True)]
    if len(pairs) > MAX_TERMS:
        pairs = [*pairs[:2], (math.nan, math.nan), pairs[-1]]

    def terms(template: str, repeat: int = 1) -> tuple[str, tuple[float, ...]]:
        """The template once per output ('…' for the ones left out) and its operands."""
        parts = ["…" if math.isnan(t) else template for t, _ in pairs]
        operands = tuple(v for t, o in pairs if not math.isnan(t) for v in (t, o) * repeat)
        return " + ".join(parts), operands

    n = len(outputs)
    if loss in ("half_squared_error", "mse"):
        sums, ops = terms("({} - {})²")
        factor = "½" if loss == "half_squared_error" else f"1/{n}"
        formula = f"{factor} Σ_k (target_k - out_k)²"
        return Row("loss", "E", (), formula, f"{factor} × ({sums})", ops, value)
    if loss == "cross_entropy":
        sums, ops = terms("{} × log({})")
        return Row("loss", "E", (), "-Σ_k target_k × log(out_k)", f"-({sums})", ops, value)
    sums, ops = terms("{} × log({}) + (1 - {}) × log(1 - {})", repeat=2)
    formula = "-Σ_k [target_k × log(out_k) + (1 - target_k) × log(1 - out_k)]"
    return Row("loss", "E", (), formula, f"-({sums})", ops, value)


#: dout/dnet of each element-wise activation: formula, arithmetic, how many operands.
DERIVATIVES = {
    "sigmoid": ("out × (1 - out)", "{} × (1 - {})", 2),
    "tanh": ("1 - out²", "1 - {}²", 1),
    "relu": ("1 if net > 0 else 0", "1 if {} > 0 else 0", 1),
    "leaky_relu": ("1 if net > 0 else SLOPE", "1 if {} > 0 else SLOPE", 1),
    "identity": ("1", "1", 0),
}


def _derivative_row(trace: Trace, neuron: str, index: tuple[int, int], step: Step) -> Row:
    """dout/dnet of one neuron, from the activation's derivative (written with its output)."""
    layer, j = index
    formula, arithmetic, count = DERIVATIVES[trace.activations[layer]]
    slope = f"{_slope(trace, layer):g}"
    formula, arithmetic = formula.replace("SLOPE", slope), arithmetic.replace("SLOPE", slope)
    uses_net = "net" in formula
    operand = float((step.net_inputs if uses_net else step.outputs[1:])[layer][j])
    word = "net" if uses_net else "out"
    formula = formula.replace(word, f"{word}_{neuron}")
    derivative = step.derivatives[layer]
    assert derivative is not None
    return Row(
        "derivative",
        f"dout_{neuron}/dnet_{neuron}",
        index,
        formula,
        arithmetic,
        (operand,) * count,
        float(derivative[j]),
    )


def _delta_section(trace: Trace, step: Step) -> Section:
    """Each neuron's delta, from the output layer back to the first hidden layer."""
    names = trace.names
    rows: list[Row] = []
    last = len(trace.activations) - 1
    for layer in range(last, -1, -1):
        delta = step.deltas[layer]
        error = step.errors[layer]
        neurons = names.neurons[layer + 1]
        if layer == last and trace.delta_rule == "jacobian":
            rows += _jacobian_rows(trace, step)
            continue
        for j, neuron in enumerate(neurons):
            index = (layer, j)
            if error is None:  # fused output delta
                a, y = float(step.outputs[-1][j]), float(trace.y[j])
                rows.append(
                    Row(
                        "delta",
                        f"δ_{neuron}",
                        index,
                        f"dE/dnet_{neuron} = out_{neuron} - target_{neuron} (fused)",
                        "{} - {}",
                        (a, y),
                        float(delta[j]),
                    )
                )
                continue
            if layer < last:
                pairs = [
                    (
                        f"δ_{k}",
                        names.weights[layer + 1][j][n],
                        float(step.deltas[layer + 1][n]),
                        float(W),
                    )
                    for n, (k, W) in enumerate(
                        zip(
                            names.neurons[layer + 2], step.weights_before[layer + 1][j], strict=True
                        )
                    )
                ]
                formula, arithmetic, operands = _terms(pairs)
                rows.append(
                    Row(
                        "error",
                        f"dE/dout_{neuron}",
                        index,
                        formula,
                        arithmetic,
                        operands,
                        float(error[j]),
                    )
                )
            rows.append(_derivative_row(trace, neuron, index, step))
            derivative = step.derivatives[layer]
            assert derivative is not None
            rows.append(
                Row(
                    "delta",
                    f"δ_{neuron}",
                    index,
                    f"dE/dout_{neuron} × dout_{neuron}/dnet_{neuron}",
                    "{} × {}",
                    (float(error[j]), float(derivative[j])),
                    float(delta[j]),
                )
            )
    notes = {
        "chain": "",
        "fused": " The output layer's delta is the fused out - target (see Error).",
        "jacobian": (
            " Softmax mixes its outputs (each out depends on every net of its layer), so the "
            "output deltas are the Jacobian product: δ_k = Σ_j dE/dout_j × dout_j/dnet_k = "
            "out_k × (dE/dout_k - s), with s = Σ_j dE/dout_j × out_j."
        ),
    }
    return Section(
        "backward",
        "Backward pass: deltas",
        "δ = dE/dnet, how much the loss changes with a neuron's net input: its error dE/dout "
        "times the slope of its activation dout/dnet. A hidden neuron's error is the deltas of "
        "the neurons it feeds, each times the weight between them." + notes[trace.delta_rule],
        rows,
    )


def _jacobian_rows(trace: Trace, step: Step) -> list[Row]:
    """Softmax output with a squared error: δ_k = out_k × (dE/dout_k - Σ_j dE/dout_j out_j)."""
    layer = len(trace.activations) - 1
    names = trace.names.neurons[-1]
    a, error = step.outputs[-1], step.errors[-1]
    assert error is not None
    pairs = [
        (f"dE/dout_{o}", f"out_{o}", float(e), float(v))
        for o, e, v in zip(names, error, a, strict=True)
    ]
    formula, arithmetic, operands = _terms(pairs)
    s = float(error @ a)
    rows = [Row("sum", "s", (), formula, arithmetic, operands, s)]
    for k, o in enumerate(names):
        rows.append(
            Row(
                "delta",
                f"δ_{o}",
                (layer, k),
                f"out_{o} × (dE/dout_{o} - s)",
                "{} × ({} - {})",
                (float(a[k]), float(error[k]), s),
                float(step.deltas[layer][k]),
            )
        )
    return rows


def _gradient_section(trace: Trace, step: Step) -> Section:
    """dE/dw and dE/db of every weight and bias, as the products the chain rule gives."""
    names = trace.names
    rows: list[Row] = []
    last = len(trace.activations) - 1
    for layer in range(last, -1, -1):
        split = step.errors[layer] is not None and step.derivatives[layer] is not None
        for j, neuron in enumerate(names.neurons[layer + 1]):
            chain = (
                f"dE/dout_{neuron} × dout_{neuron}/dnet_{neuron}" if split else f"dE/dnet_{neuron}"
            )
            delta = float(step.deltas[layer][j])
            for i, source in enumerate(names.neurons[layer]):
                w = names.weights[layer][i][j]
                rows.append(
                    Row(
                        "dw",
                        f"dE/d{w}",
                        (layer, i, j),
                        f"{chain} × dnet_{neuron}/d{w} = δ_{neuron} × {output_name(source)}",
                        "{} × {}",
                        (delta, float(step.outputs[layer][i])),
                        float(step.weight_gradients[layer][i, j]),
                    )
                )
            gradient = step.bias_gradients[layer]
            if gradient is not None:
                b = names.biases[layer][j]  # type: ignore[index]
                rows.append(
                    Row(
                        "db",
                        f"dE/d{b}",
                        (layer, j),
                        f"{chain} × dnet_{neuron}/d{b} = δ_{neuron} × 1",
                        "{} × 1",
                        (delta,),
                        float(gradient[j]),
                    )
                )
    return Section(
        "backward",
        "Backward pass: gradients",
        "The chain rule: a weight changes the loss only through the net input of the neuron it "
        "feeds, and dnet/dw is the input it carries, so dE/dw = δ of that neuron × that input. "
        "For a bias dnet/db = 1, so dE/db = δ.",
        rows,
    )


def _update_section(trace: Trace, step: Step) -> Section:
    """Every new weight and bias, then the output and loss with them."""
    names = trace.names
    rows: list[Row] = []
    for layer in range(len(trace.activations)):
        n_in, n_out = step.weights_before[layer].shape
        for j in range(n_out):
            for i in range(n_in):
                w = names.weights[layer][i][j]
                rows.append(
                    Row(
                        "w",
                        f"{w} (new)",
                        (layer, i, j),
                        f"{w} - lr × dE/d{w}",
                        "{} - {} × {}",
                        (
                            float(step.weights_before[layer][i, j]),
                            trace.lr,
                            float(step.weight_gradients[layer][i, j]),
                        ),
                        float(step.weights_after[layer][i, j]),
                    )
                )
        before, after = step.biases_before[layer], step.biases_after[layer]
        gradient = step.bias_gradients[layer]
        if before is None or after is None or gradient is None:
            continue
        for j in range(n_out):
            b = names.biases[layer][j]  # type: ignore[index]
            rows.append(
                Row(
                    "b",
                    f"{b} (new)",
                    (layer, j),
                    f"{b} - lr × dE/d{b}",
                    "{} - {} × {}",
                    (float(before[j]), trace.lr, float(gradient[j])),
                    float(after[j]),
                )
            )
    last = len(trace.activations) - 1
    for k, o in enumerate(names.neurons[-1]):
        value = float(step.outputs_after[-1][k])
        rows.append(
            Row(
                "out_after", f"out_{o} (new)", (last, k), "forward pass, new weights", "", (), value
            )
        )
    rows.append(
        Row("loss_after", "E (new)", (), "loss with the new weights", "", (), step.loss_after)
    )
    return Section(
        "update",
        "Update",
        f"Gradient descent with learning rate lr = {trace.lr:g}: each weight and bias takes a "
        "step against its gradient (the engine's train_step made these updates). The last rows "
        "run the forward pass again with the new weights.",
        rows,
    )


# -- networks for explain: the worked example and weights files ----------------------------------

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
    names = tutorial_names(sizes, b is not None)
    n_weights = sum(n_in * n_out for n_in, n_out in itertools.pairwise(sizes))
    n_biases = sum(sizes[1:])
    if len(w) != n_weights:
        raise ValueError(f"sizes {sizes} have {n_weights} weights (w1..w{n_weights}), got {len(w)}")
    if b is not None and len(b) != n_biases:
        raise ValueError(f"sizes {sizes} have {n_biases} biases (b1..b{n_biases}), got {len(b)}")
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
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"weights file '{path}' is not valid JSON: {error}") from None
    if not isinstance(data, dict) or ("layers" in data) == ("w" in data):
        raise ValueError(
            f"weights file '{path}' must be a JSON object with either \"layers\" (a list of "
            '{"weights": [[...]], "bias": [...]}) or "sizes" and "w" (w1..wN in order)'
        )
    sizes = data.get("sizes")
    if sizes is not None and not (
        isinstance(sizes, list) and sizes and all(isinstance(n, int) for n in sizes)
    ):
        raise ValueError(
            f"weights file '{path}': \"sizes\" must be a list of integers, got {sizes!r}"
        )
    try:
        if "w" in data:
            if sizes is None:
                raise ValueError('"w" needs "sizes" to say how the weights are numbered')
            layers = weights_from_numbering(sizes, _numbers(data["w"], "w"), _maybe(data, "b"))
        else:
            layers = [_layer(entry, index) for index, entry in enumerate(data["layers"])]
    except (ValueError, TypeError) as error:
        raise ValueError(f"weights file '{path}': {error}") from None
    if sizes is None:
        sizes = [layers[0][0].shape[0], *[W.shape[1] for W, _ in layers]] if layers else []
    settings = {key: data[key] for key in ("activation", "output", "loss") if key in data}
    return {"sizes": sizes, "layers": layers, **settings}


def _numbers(value: Any, name: str) -> list[float]:
    """A flat list of numbers from JSON, or a ValueError naming the field."""
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f'"{name}" must be a list of numbers, got {value!r}')
    return [float(v) for v in value]


def _maybe(data: dict[str, Any], key: str) -> list[float] | None:
    return None if data.get(key) is None else _numbers(data[key], key)


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
    bias = _maybe(entry, "bias")
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
    "Names",
    "Row",
    "Section",
    "Step",
    "Trace",
    "explain",
    "network_from_weights",
    "read_weights",
    "set_weights",
    "tutorial_names",
    "weights_from_numbering",
    "worked_example",
]
