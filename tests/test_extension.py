"""A new activation is one class: explain, gradcheck and the neuron model all ask it.

Softsign, f(net) = net / (1 + |net|), is defined here and nowhere in the package. Registered
under its name, it trains, explains itself (formulas and numbers), passes the gradient check
and runs in the neuron-level model, without a line of the package knowing it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop as bp
from backprop.engine.activations import ACTIVATIONS, Activation
from backprop.explain import render
from backprop.explain.neuron import NeuronNetwork


class Softsign(Activation):
    """f(net) = net / (1 + |net|); f' = 1 / (1 + |net|)² = (1 - |out|)²."""

    name = "softsign"
    formula = "net / (1 + abs(net))"
    derivative_formula = "(1 - abs(out))²"

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return z / (1.0 + np.abs(z))

    def derivative(self, a: np.ndarray) -> np.ndarray:
        return np.square(1.0 - np.abs(a))

    def scalar(self, net: float) -> float:
        return net / (1.0 + abs(net))

    def scalar_slope(self, out: float) -> float:
        return (1.0 - abs(out)) ** 2


@pytest.fixture
def softsign(monkeypatch: pytest.MonkeyPatch) -> str:
    """Softsign registered under its name for one test."""
    monkeypatch.setitem(ACTIVATIONS, Softsign.name, Softsign)
    return Softsign.name


X = np.array([[0.5, -1.5], [2.0, 0.25], [-0.75, 1.0]])
Y = np.array([[0.2], [0.9], [0.6]])


def evaluate(arithmetic: str) -> float:
    """A row's arithmetic, written with full-precision numbers, as Python computes it."""
    python = arithmetic.replace("×", "*").replace("²", "**2").replace("½", "0.5")
    return eval(python, {"abs": abs, "exp": math.exp, "log": math.log})  # our own strings


def test_explain_asks_the_new_activation_for_its_formulas_and_numbers(softsign):
    net = bp.Network([2, 3, 1], activation=softsign, seed=0)
    assert [layer.activation.name for layer in net.layers] == ["softsign", "softsign"]
    x, y, lr = X[0], Y[0], 0.5
    trace = bp.explain(net, x, y, lr)
    step = trace.steps[0]

    # The trace's numbers are the engine's.
    net_inputs, outputs = net.forward(x[None, :])
    for layer, (dW, db) in enumerate(net.gradients(x[None, :], y[None, :])):
        np.testing.assert_array_equal(step.net_inputs[layer], net_inputs[layer][0])
        np.testing.assert_array_equal(step.outputs[layer + 1], outputs[layer + 1][0])
        np.testing.assert_array_equal(step.weight_gradients[layer], dW)
        np.testing.assert_array_equal(step.bias_gradients[layer], db)

    # Its rows show the new formulas, and their arithmetic computes the displayed value.
    rows = {row.symbol: row for section in trace.sections(step) for row in section.rows}
    assert rows["out_h2"].formula == "net_h2 / (1 + abs(net_h2))"
    assert rows["out_o1"].arithmetic == "{} / (1 + abs({}))"
    assert rows["dout_h1/dnet_h1"].formula == "(1 - abs(out_h1))²"
    assert rows["dout_o1/dnet_o1"].operands == (step.outputs[-1][0],)
    for symbol in ("out_h1", "out_h2", "out_o1", "dout_h3/dnet_h3", "dout_o1/dnet_o1"):
        row = rows[symbol]
        assert evaluate(row.numbers(repr)) == pytest.approx(row.value, rel=1e-12), symbol
    assert rows["δ_o1"].value == pytest.approx(
        rows["dE/dout_o1"].value * rows["dout_o1/dnet_o1"].value, rel=1e-12
    )

    # Every renderer shows them.
    text = render.to_text(trace, width=200)
    assert "net_h1 / (1 + abs(net_h1))" in text and "(1 - abs(out_o1))²" in text
    assert "net_o1 / (1 + abs(net_o1))" in render.to_markdown(trace)
    page = render.to_html(trace)
    assert "net_h3 / (1 + abs(net_h3))" in page and "(1 - abs(out_h2))²" in page


def test_the_new_activation_passes_the_gradient_check(softsign):
    net = bp.Network([2, 3, 1], activation=softsign, seed=1)
    assert bp.gradcheck(net, X, Y) < 1e-7
    hidden = bp.Network([2, 4, 3], activation=softsign, output="softmax", seed=2)
    assert bp.gradcheck(hidden, X, [0, 2, 1]) < 1e-7


def test_the_neuron_model_trains_the_new_activation_as_the_engine_does(softsign):
    net = bp.Network([2, 3, 1], activation=softsign, seed=3)
    neurons = NeuronNetwork.from_network(net)
    assert neurons.layers[0].neurons[0].activation.name == "softsign"
    for x, y in zip(X, Y, strict=True):
        engine_loss = net.train_step(x[None, :], y[None, :], lr=0.5)
        neuron_loss = neurons.train_step(x.tolist(), y.tolist(), lr=0.5)
        assert neuron_loss == pytest.approx(engine_loss, rel=1e-12)
    for twin, engine in zip(neurons.to_network().parameters, net.parameters, strict=True):
        np.testing.assert_allclose(twin, engine, rtol=0, atol=1e-12)


def test_a_hidden_softsign_layer_explains_a_fused_softmax_output(softsign):
    net = bp.Network([2, 3, 2], activation=softsign, output="softmax", seed=4)
    trace = bp.explain(net, X[1], [0.0, 1.0], 0.1)
    assert trace.delta_rule == "fused"
    text = render.to_text(trace, width=200)
    assert "net_h2 / (1 + abs(net_h2))" in text and "e^(net_o1) / Σ_k e^(net_ok)" in text
