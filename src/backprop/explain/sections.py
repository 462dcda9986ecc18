"""The rows of each stage of a step: forward pass, error, deltas, gradients, update.

A :class:`Section` is one table of the explanation; each of its :class:`Row` objects is one
number with its name, its place in the matrices, its formula and the formula with numbers. The
numbers are the engine's, recorded in a :class:`~backprop.explain.step.Step`; the formulas of
activations and losses are asked of the objects themselves (``activation.formula``,
``loss.term``, ...), so that this module knows no activation or loss by name. Each stage takes
the step and what else it shows: the tutorials' names, the activations, the loss, the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from backprop.engine.activations import Activation, with_numbers
from backprop.engine.losses import Loss
from backprop.explain.names import Names, named, output_name
from backprop.explain.step import Step, delta_rule

if TYPE_CHECKING:
    import numpy as np

#: Fan-in above which a sum is written with an ellipsis: w1 × i1 + w2 × i2 + … + w64 × i64.
MAX_TERMS = 6


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


def shortened(items: list[Any]) -> list[Any]:
    """A long list as its first two items, None (written …) and its last; a short one whole."""
    return [*items[:2], None, items[-1]] if len(items) > MAX_TERMS else items


def _terms(pairs: list[tuple[str, str, float, float]]) -> tuple[str, str, tuple[float, ...]]:
    """A sum of products 'w1 × i1 + w2 × i2 + ...', shortened with '…' for a long sum."""
    formula, arithmetic, operands = [], [], []
    for pair in shortened(pairs):
        if pair is None:
            formula.append("…")
            arithmetic.append("…")
            continue
        a, b, u, v = pair
        formula.append(f"{a} × {b}")
        arithmetic.append("{} × {}")
        operands += [u, v]
    return " + ".join(formula), " + ".join(arithmetic), tuple(operands)


# -- forward pass --------------------------------------------------------------------------------


def forward_section(step: Step, names: Names, activations: list[Activation]) -> Section:
    """Inputs, then each layer's net inputs and outputs."""
    rows = [
        Row("input", name, (i,), name, "{}", (float(v),), float(v))
        for i, (name, v) in enumerate(zip(names.neurons[0], step.outputs[0], strict=True))
    ]
    for layer, activation in enumerate(activations):
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
            # out = f(net): the activation writes itself, with the layer's net inputs at hand
            # for one that mixes them (softmax).
            arithmetic, operands = activation.arithmetic(float(z[j]), shortened(z.tolist()))
            out = float(step.outputs[layer + 1][j])
            formula = named(activation.formula, neuron)
            rows.append(Row("out", f"out_{neuron}", index, formula, arithmetic, operands, out))
    return Section(
        "forward",
        "Forward pass",
        "Each neuron adds up its inputs times their weights (plus its bias): its net input. "
        "Its activation function turns that into its output, which feeds the next layer.",
        rows,
    )


# -- error ---------------------------------------------------------------------------------------


def error_section(step: Step, names: Names, loss: Loss, y: np.ndarray) -> Section:
    """The targets, the loss and the error at each output."""
    outputs, a = names.neurons[-1], step.outputs[-1]
    last = len(step.deltas) - 1
    rows = [
        Row("target", f"target_{o}", (k,), f"target_{o}", "{}", (float(y[k]),), float(y[k]))
        for k, o in enumerate(outputs)
    ]
    rows.append(_loss_row(loss, a, y, step.loss))
    error = step.errors[-1]
    for k, o in enumerate(outputs):
        out, target = float(a[k]), float(y[k])
        if error is None:  # fused: the loss gives dE/dnet outright
            rows.append(_fused_delta_row(loss, o, (last, k), out, target, step.deltas[-1][k]))
            continue
        written = loss.error_formula(len(outputs))
        arithmetic, operands = with_numbers(written, {"out": out, "target": target})
        formula, value = named(written, o), float(error[k])
        rows.append(Row("error", f"dE/dout_{o}", (last, k), formula, arithmetic, operands, value))
    note = "The loss E measures how far the outputs are from the targets. "
    if error is None:
        note += (
            f"With a {loss.requires_output} output and {loss.name}, dE/dout × dout/dnet "
            f"collapses to {_fused_delta(loss)}: the engine computes this fused delta directly "
            "(it is exact, and never divides by a tiny output), so the two factors are not shown."
        )
    else:
        note += "Its derivative at each output, the output error dE/dout, starts the backward pass."
    return Section("error", "Error", note, rows)


def _loss_row(loss: Loss, a: np.ndarray, y: np.ndarray, value: float) -> Row:
    """E written out over the output neurons: the loss's term once per output, with numbers."""
    n = len(a)
    terms: list[str] = []
    operands: list[float] = []
    for pair in shortened(list(zip(y.tolist(), a.tolist(), strict=True))):
        if pair is None:
            terms.append("…")
            continue
        term, numbers = with_numbers(loss.term, {"target": pair[0], "out": pair[1]})
        terms.append(term)
        operands += numbers
    arithmetic = loss.arithmetic(" + ".join(terms), n)
    return Row("loss", "E", (), loss.formula(n), arithmetic, tuple(operands), value)


def _fused_delta(loss: Loss) -> str:
    """The output delta of a loss that fuses it with its output's derivative (out - target)."""
    delta = loss.fused_delta
    assert delta is not None, "only a fused loss has a fused delta"
    return delta


def _fused_delta_row(
    loss: Loss,
    neuron: str,
    index: tuple[int, int],
    out: float,
    target: float,
    delta: float,
    remark: str = "",
) -> Row:
    """δ of an output neuron whose loss gives dE/dnet outright, as the loss writes it."""
    written = _fused_delta(loss)
    arithmetic, operands = with_numbers(written, {"out": out, "target": target})
    formula = f"dE/dnet_{neuron} = {named(written, neuron)}{remark}"
    return Row("delta", f"δ_{neuron}", index, formula, arithmetic, operands, float(delta))


# -- backward pass: deltas -----------------------------------------------------------------------


def _derivative_row(step: Step, activation: Activation, neuron: str, index: tuple[int, int]) -> Row:
    """dout/dnet of one neuron, from the activation's derivative (written with net or out)."""
    layer, j = index
    formula = activation.derivative_formula
    values = {"net": float(step.net_inputs[layer][j]), "out": float(step.outputs[layer + 1][j])}
    arithmetic, operands = with_numbers(formula, values)
    derivative = step.derivatives[layer]
    assert derivative is not None
    return Row(
        "derivative",
        f"dout_{neuron}/dnet_{neuron}",
        index,
        named(formula, neuron),
        arithmetic,
        operands,
        float(derivative[j]),
    )


def delta_section(
    step: Step, names: Names, activations: list[Activation], loss: Loss, y: np.ndarray
) -> Section:
    """Each neuron's delta, from the output layer back to the first hidden layer."""
    rule = delta_rule(loss, activations[-1])
    rows: list[Row] = []
    last = len(activations) - 1
    for layer in range(last, -1, -1):
        delta = step.deltas[layer]
        error = step.errors[layer]
        neurons = names.neurons[layer + 1]
        if layer == last and rule == "jacobian":
            rows += _jacobian_rows(step, names)
            continue
        for j, neuron in enumerate(neurons):
            index = (layer, j)
            if error is None:  # fused output delta
                out, target = float(step.outputs[-1][j]), float(y[j])
                rows.append(
                    _fused_delta_row(loss, neuron, index, out, target, delta[j], " (fused)")
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
            rows.append(_derivative_row(step, activations[layer], neuron, index))
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
    note = (
        "δ = dE/dnet, how much the loss changes with a neuron's net input: its error dE/dout "
        "times the slope of its activation dout/dnet. A hidden neuron's error is the deltas of "
        "the neurons it feeds, each times the weight between them."
    )
    if rule == "fused":
        note += f" The output layer's delta is the fused {_fused_delta(loss)} (see Error)."
    elif rule == "jacobian":
        note += (
            " Softmax mixes its outputs (each out depends on every net of its layer), so the "
            "output deltas are the Jacobian product: δ_k = Σ_j dE/dout_j × dout_j/dnet_k = "
            "out_k × (dE/dout_k - s), with s = Σ_j dE/dout_j × out_j."
        )
    return Section("backward", "Backward pass: deltas", note, rows)


def _jacobian_rows(step: Step, names: Names) -> list[Row]:
    """Softmax output with a squared error: δ_k = out_k × (dE/dout_k - Σ_j dE/dout_j out_j)."""
    layer = len(step.deltas) - 1
    outputs = names.neurons[-1]
    a, error = step.outputs[-1], step.errors[-1]
    assert error is not None
    pairs = [
        (f"dE/dout_{o}", f"out_{o}", float(e), float(v))
        for o, e, v in zip(outputs, error, a, strict=True)
    ]
    formula, arithmetic, operands = _terms(pairs)
    s = float(error @ a)
    rows = [Row("sum", "s", (), formula, arithmetic, operands, s)]
    for k, o in enumerate(outputs):
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


# -- backward pass: gradients --------------------------------------------------------------------


def gradient_section(step: Step, names: Names) -> Section:
    """dE/dw and dE/db of every weight and bias, as the products the chain rule gives."""
    rows: list[Row] = []
    last = len(step.deltas) - 1
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


# -- update --------------------------------------------------------------------------------------


def update_section(step: Step, names: Names, lr: float) -> Section:
    """Every new weight and bias, then the output and loss with them."""
    rows: list[Row] = []
    for layer in range(len(step.weights_before)):
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
                            lr,
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
                    (float(before[j]), lr, float(gradient[j])),
                    float(after[j]),
                )
            )
    last = len(step.weights_before) - 1
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
        f"Gradient descent with learning rate lr = {lr:g}: each weight and bias takes a "
        "step against its gradient (the engine's train_step made these updates). The last rows "
        "run the forward pass again with the new weights.",
        rows,
    )
