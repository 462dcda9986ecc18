"""The neuron-level model trains exactly as the matrix engine does, and learns XOR."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.engine.activations import LeakyReLU
from backprop.explain import explain
from backprop.explain.neuron import Neuron, NeuronLayer, NeuronNetwork

RANDOM_NETWORKS = [
    ([2, 2, 1], "sigmoid", "sigmoid", True),
    ([3, 4, 2], "sigmoid", "sigmoid", False),
    ([2, 3, 3, 1], "tanh", "sigmoid", True),
    ([4, 5, 3], "relu", "identity", True),
    ([3, 3, 2, 2], "leaky_relu", "tanh", True),
]


@pytest.mark.parametrize(("sizes", "activation", "output", "bias"), RANDOM_NETWORKS)
def test_neuron_model_matches_the_matrix_engine_after_100_steps(sizes, activation, output, bias):
    rng = np.random.default_rng(len(sizes) * 10 + sizes[0])
    net = bp.Network(sizes, activation=activation, output=output, bias=bias, seed=sizes[1])
    if bias:
        for layer in net.layers:
            layer.bias = rng.normal(scale=0.5, size=layer.n_out)
    neurons = NeuronNetwork.from_network(net)
    X = rng.normal(size=(7, sizes[0]))
    Y = rng.uniform(size=(7, sizes[-1]))
    for step in range(100):
        x, y = X[step % len(X)], Y[step % len(Y)]
        engine_loss = net.train_step(x[None, :], y[None, :], lr=0.1)
        neuron_loss = neurons.train_step(x.tolist(), y.tolist(), lr=0.1)
        assert neuron_loss == pytest.approx(engine_loss, rel=1e-12, abs=1e-15)
    for twin, engine in zip(neurons.to_network().parameters, net.parameters, strict=True):
        np.testing.assert_allclose(twin, engine, rtol=0, atol=1e-12)
    assert net.parameters[0].dtype == np.float64


def test_neurons_hold_the_same_error_and_delta_as_explain():
    net = bp.Network([3, 4, 2], activation="tanh", output="sigmoid", seed=5)
    x, y = [0.5, -1.0, 2.0], [0.0, 1.0]
    step = explain(net, x, y, lr=0.5).steps[0]
    neurons = NeuronNetwork.from_network(net)
    neurons.train_step(x, y, lr=0.5)
    for index, layer in enumerate(neurons.layers):
        outputs = [n.output for n in layer.neurons]
        deltas = [n.delta for n in layer.neurons]
        errors = [n.error for n in layer.neurons]
        np.testing.assert_allclose(outputs, step.outputs[index + 1], rtol=1e-12)
        np.testing.assert_allclose(deltas, step.deltas[index], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(errors, step.errors[index], rtol=1e-12, atol=1e-15)
        for j, neuron in enumerate(layer.neurons):
            np.testing.assert_allclose(neuron.weights, step.weights_after[index][:, j], rtol=1e-12)


def test_round_trip_keeps_every_weight():
    net = bp.Network([3, 4, 2], activation="tanh", seed=2)
    back = NeuronNetwork.from_network(net).to_network()
    assert back.sizes == net.sizes and back.loss.name == "half_squared_error"
    assert [layer.activation.name for layer in back.layers] == ["tanh", "tanh"]
    for a, b in zip(back.parameters, net.parameters, strict=True):
        np.testing.assert_array_equal(a, b)
    no_bias = NeuronNetwork.from_network(bp.Network([2, 2, 1], bias=False, seed=0))
    assert no_bias.layers[0].neurons[0].bias is None
    assert no_bias.to_network().layers[0].bias is None


def test_xor_with_neurons_as_the_tutorial_trains_it(xor_data):
    X, Y = xor_data
    neurons = NeuronNetwork.from_network(bp.Network([2, 2, 1], activation="sigmoid", seed=1))
    losses = neurons.train(X.tolist(), Y.tolist(), epochs=10_000, lr=0.2)
    assert len(losses) == 10_000 and losses[-1] < 0.01 < losses[0]
    predictions = [neurons.predict(x)[0] for x in X.tolist()]
    assert np.array_equal(np.round(predictions), Y[:, 0])


def test_a_neuron_by_hand():
    neuron = Neuron([0.5, -0.25], bias=0.1, activation="identity")
    assert neuron.activate([2.0, 4.0]) == pytest.approx(0.1)  # 1 - 1 + 0.1
    network = NeuronNetwork([NeuronLayer([neuron])])
    loss = network.train_step([2.0, 4.0], [1.0], lr=0.5)
    assert loss == pytest.approx(0.5 * 0.9**2)
    assert neuron.error == pytest.approx(-0.9) and neuron.delta == pytest.approx(-0.9)
    assert neuron.weights == pytest.approx([0.5 + 0.5 * 0.9 * 2, -0.25 + 0.5 * 0.9 * 4])
    assert neuron.bias == pytest.approx(0.1 + 0.5 * 0.9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(output="softmax"), "half_squared_error"),
        (dict(loss="binary_cross_entropy"), "half_squared_error"),
    ],
)
def test_from_network_rejects_what_neurons_cannot_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NeuronNetwork.from_network(bp.Network([2, 3, 2], seed=0, **kwargs))
    with pytest.raises(ValueError, match="not supported by Neuron"):
        Neuron([1.0], activation="softmax")


def test_a_leaky_relu_keeps_its_own_slope():
    """The neuron asks its activation object for its scalar forms, so any slope works."""
    net = bp.Network([2, 3, 1], activation=[LeakyReLU(0.2), LeakyReLU(0.05)], seed=6)
    neurons = NeuronNetwork.from_network(net)
    x, y = [1.5, -2.0], [0.3]
    assert neurons.train_step(x, y, lr=0.1) == pytest.approx(
        net.train_step([x], [y], lr=0.1), rel=1e-12
    )
    back = neurons.to_network()
    assert [layer.activation.slope for layer in back.layers] == [0.2, 0.05]
    for twin, engine in zip(back.parameters, net.parameters, strict=True):
        np.testing.assert_allclose(twin, engine, rtol=0, atol=1e-12)
