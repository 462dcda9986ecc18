"""Dropout (issue 14): inverted dropout on the hidden layers, in training only.

Its gradients are checked with the masks held fixed, against central finite differences in
float64 and against PyTorch's autograd; its expected output against the deterministic
network's; its masks against the network's seeded generator.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import backprop as bp
from backprop.training.dropout import Dropout, check_dropout


def draw_masks(net: bp.Network, rates: list[float], n: int, seed: int = 1) -> list:
    """Masks as fit draws them (0 or 1/(1-p)), from a generator of the test's own."""
    return Dropout(rates, net.sizes[1:-1], net.dtype).masks(np.random.default_rng(seed), n)


@pytest.fixture
def data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=(7, 4)), rng.integers(0, 3, 7)


# -- gradients with the masks fixed -----------------------------------------------------------

NETWORKS = [
    ({"activation": "tanh", "output": "softmax"}, "cross_entropy"),
    ({"activation": "sigmoid", "output": "sigmoid"}, "half_squared_error"),
    ({"activation": ["relu", "leaky_relu"], "output": "identity"}, "mse"),
    ({"activation": "sigmoid", "output": "sigmoid", "bias": False}, "binary_cross_entropy"),
]


@pytest.mark.parametrize(("settings", "loss"), NETWORKS)
def test_gradients_with_fixed_masks_match_finite_differences(
    settings: dict, loss: str, data: tuple[np.ndarray, np.ndarray]
) -> None:
    X, labels = data
    net = bp.Network([4, 6, 5, 3], loss=loss, seed=3, **settings)
    Y = labels if loss == "cross_entropy" else np.eye(3)[labels]
    masks = draw_masks(net, [0.5, 0.3], len(X))
    assert 0 < sum(int((m == 0).sum()) for m in masks) < sum(m.size for m in masks)
    assert bp.gradcheck(net, X, Y, masks=masks) < 1e-7
    # The check can fail: the gradients of the deterministic network are not these.
    with_masks = net.gradients(X, Y, masks=masks)
    without = net.gradients(X, Y)
    assert not np.allclose(with_masks[0][0], without[0][0])


def test_a_mask_of_ones_is_the_deterministic_network(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    net = bp.Network([4, 6, 5, 3], activation="relu", output="softmax", seed=0)
    ones = [np.ones((len(X), 6)), np.ones((len(X), 5))]
    for (a, b), (c, d) in zip(net.gradients(X, y, masks=ones), net.gradients(X, y), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_gradients_with_fixed_masks_match_torch(data: tuple[np.ndarray, np.ndarray]) -> None:
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: the cross-checks against torch are skipped"
    )
    X, y = data
    net = bp.Network([4, 6, 5, 3], activation="tanh", output="softmax", seed=2)
    masks = draw_masks(net, [0.4, 0.25], len(X))
    h = torch.tensor(X)
    parameters = []
    for index, layer in enumerate(net.layers):
        W = torch.tensor(layer.weights, requires_grad=True)
        b = torch.tensor(layer.bias, requires_grad=True)
        parameters.append((W, b))
        z = h @ W + b
        if index < len(masks):
            h = torch.tanh(z) * torch.tensor(masks[index])
    loss = torch.nn.functional.cross_entropy(z, torch.tensor(y))
    loss.backward()
    for (dW, db), (W, b) in zip(net.gradients(X, y, masks=masks), parameters, strict=True):
        np.testing.assert_allclose(dW, W.grad.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db, b.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_masks_of_the_wrong_shape_are_refused(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    net = bp.Network([4, 6, 5, 3], output="softmax", seed=0)
    with pytest.raises(ValueError, match=r"masks\[1\] has shape \(7, 6\): expected \(7, 5\)"):
        net.gradients(X, y, masks=[None, np.ones((7, 6))])
    with pytest.raises(ValueError, match="masks has 1 entries but the network has 2 hidden"):
        net.gradients(X, y, masks=[None])


# -- the expected output ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "rates"), [([5, 8, 3], [0.3]), ([5, 8, 6, 3], [0.0, 0.5])], ids=["one", "last"]
)
def test_expected_output_equals_the_deterministic_network(
    sizes: list[int], rates: list[float], rng: np.random.Generator
) -> None:
    """A linear output layer reads the last hidden layer's outputs a times masks m/(1-p): its
    output z = sum_j a_j m_j/(1-p) W_jk + b_k is linear in the masks, whose mean is 1, so its
    mean over masks is the deterministic network's output, exactly. Over K masks the average
    has the standard deviation sqrt(p/(1-p) sum_j (a_j W_jk)^2 / K): it must lie within five of
    them (for the 4 x 3 outputs here, a chance of about 1e-5 to fail on correct code; the
    generators are seeded, so it does not)."""
    net = bp.Network(sizes, activation="tanh", output="identity", seed=0)
    X = rng.normal(size=(4, sizes[0]))
    K = 20_000
    many = np.repeat(X, K, axis=0)  # K training-mode passes of every sample, in one
    masks = Dropout(rates, net.sizes[1:-1], net.dtype).masks(rng, len(many))
    _, outputs = net.forward(many, masks)
    average = outputs[-1].reshape(len(X), K, -1).mean(axis=1)

    _, exact = net.forward(X)
    p = rates[-1]
    last_hidden, W = exact[-2], net.layers[-1].weights
    sd = np.sqrt(p / (1 - p) * (last_hidden**2) @ (W**2) / K)
    assert np.all(np.abs(average - exact[-1]) <= 5 * sd)
    # The test can fail: without the 1/(1-p) (plain dropout) the mean is off by many sd.
    unscaled = (average - net.layers[-1].bias) * (1 - p) + net.layers[-1].bias
    assert np.max(np.abs(unscaled - exact[-1]) / sd) > 20


# -- training ---------------------------------------------------------------------------------


def test_one_step_is_backprop_through_the_drawn_masks(xor_data: tuple) -> None:
    """fit draws each step's masks from the network's generator, trains the thinned network
    and leaves the network whole."""
    X, Y = xor_data
    net = bp.Network([2, 5, 4, 1], activation="tanh", seed=4)
    by_hand = net.copy()
    net.fit(X, Y, epochs=1, lr=0.5, shuffle=False, dropout=[0.5, 0.25])

    masks = Dropout([0.5, 0.25], [5, 4], by_hand.dtype).masks(by_hand.rng, len(X))
    grads = by_hand.gradients(X, Y, masks=masks)
    for layer, (dW, db) in zip(by_hand.layers, grads, strict=True):
        layer.weights = layer.weights - 0.5 * dW
        layer.bias = layer.bias - 0.5 * db
    np.testing.assert_array_equal(net.parameter_vector, by_hand.parameter_vector)
    assert net.rng.bit_generator.state == by_hand.rng.bit_generator.state


def test_same_seed_same_weights_and_prediction_is_deterministic(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = data
    nets = [bp.Network([4, 6, 5, 3], output="softmax", seed=7) for _ in range(3)]
    for net in nets[:2]:
        net.fit(X, y, epochs=5, lr=0.5, batch_size=3, dropout=0.3)
    nets[2].fit(X, y, epochs=5, lr=0.5, batch_size=3)
    np.testing.assert_array_equal(nets[0].parameter_vector, nets[1].parameter_vector)
    assert not np.array_equal(nets[0].parameter_vector, nets[2].parameter_vector)
    net = nets[0]
    state = net.rng.bit_generator.state
    first = net.predict(X)
    np.testing.assert_array_equal(first, net.predict(X))
    np.testing.assert_array_equal(first, net.forward(X)[1][-1])
    net.evaluate(X, y)
    assert net.rng.bit_generator.state == state  # prediction draws nothing


def test_no_dropout_is_the_default_path_bit_for_bit(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    weights = []
    for dropout in (None, 0.0, [0.0, 0.0]):
        net = bp.Network([4, 6, 5, 3], output="softmax", seed=7)
        extra = {} if dropout is None else {"dropout": dropout}
        net.fit(X, y, epochs=3, lr=0.5, batch_size=3, **extra)
        weights.append(net.parameter_vector)
    for w in weights[1:]:
        np.testing.assert_array_equal(w, weights[0])


def test_a_rollback_puts_the_generator_back(data: tuple[np.ndarray, np.ndarray]) -> None:
    """Ctrl-C in the middle of an epoch goes back to its start, generator included, so that
    training continued from there draws the same masks as training that never stopped."""
    X, y = data

    class CtrlC(bp.Callback):
        def __init__(self) -> None:
            self.steps = 0

        def on_batch_end(self, seen: int, n_samples: int, loss: float = math.nan) -> None:
            self.steps += 1
            if self.steps == 8:  # the second step of epoch 4 (3 steps of 3, 3 and 1 per epoch)
                raise KeyboardInterrupt

    settings = {"epochs": 6, "batch_size": 3, "dropout": 0.4, "shuffle": False}
    reference = bp.Network([4, 6, 5, 3], output="softmax", seed=5)
    reference.fit(X, y, optimizer=bp.Adam(lr=0.01), **settings)

    net = bp.Network([4, 6, 5, 3], output="softmax", seed=5)
    optimizer = bp.Adam(lr=0.01)
    history = net.fit(X, y, optimizer=optimizer, callbacks=[CtrlC()], **settings)
    assert history.interrupted and len(history.epoch) == 2
    net.fit(X, y, optimizer=optimizer, initial_epoch=2, **settings)
    np.testing.assert_array_equal(net.parameter_vector, reference.parameter_vector)


@pytest.mark.parametrize(
    ("dropout", "words"),
    [
        (1.5, "dropout=1.5"),
        (-0.1, "dropout=-0.1"),
        (1.0, "dropout=1.0"),
        (math.nan, "dropout=nan"),
        ("0.2", "dropout='0.2'"),
        (True, "dropout=True"),
        ([0.2], "dropout=[0.2] has 1 rates but the network has 2 hidden layers"),
        ([0.2, 0.1, 0.1], "has 3 rates"),
        ([0.2, 2], "2 is not a rate"),
    ],
)
def test_bad_dropout_gets_one_clear_error(
    dropout: object, words: str, data: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = data
    net = bp.Network([4, 6, 5, 3], output="softmax", seed=0)
    before = net.parameter_vector.copy()
    with pytest.raises(ValueError, match=re.escape(words)) as error:
        net.fit(X, y, dropout=dropout)
    assert str(error.value).startswith(f"dropout={dropout!r}")
    np.testing.assert_array_equal(net.parameter_vector, before)


def test_dropout_needs_a_hidden_layer(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    with pytest.raises(ValueError, match="no hidden layer"):
        bp.Network([4, 3], output="softmax").fit(X, y, dropout=0.2)
    bp.Network([4, 3], output="softmax").fit(X, y, dropout=[])  # none to drop: nothing asked


def test_check_dropout_spreads_one_rate() -> None:
    assert check_dropout(0.25, 3) == [0.25, 0.25, 0.25]
    assert check_dropout(np.array([0.1, 0.0]), 2) == [0.1, 0.0]


def test_float32_masks_keep_the_dtype(data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = data
    net = bp.Network([4, 6, 5, 3], output="softmax", seed=0, dtype="float32")
    net.fit(X, y, epochs=2, batch_size=3, dropout=0.5)
    assert net.parameter_vector.dtype == np.float32
    masks = draw_masks(net, [0.5, 0.5], 3)
    assert all(m.dtype == np.float32 for m in masks)
    assert set(np.unique(masks[0])) <= {0.0, 2.0}
