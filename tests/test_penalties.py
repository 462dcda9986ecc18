"""L1 and gradient clipping by norm (issue 14): the gradient each step hands the optimizer."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp


class Recorder(bp.Optimizer):
    """Records the gradient of each step and takes none: the step's gradient at the start."""

    name = "recorder"

    def __init__(self) -> None:
        super().__init__(lr=1.0)
        self.seen: dict[str, list[np.ndarray]] = {"gradients": []}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.seen["gradients"].append(grads[0].copy())


def step_gradient(net: bp.Network, X: np.ndarray, y: np.ndarray, **settings: float) -> np.ndarray:
    """The gradient one full-batch step of fit hands the optimizer, with ``settings``."""
    recorder = Recorder()
    net.fit(X, y, epochs=1, optimizer=recorder, **settings)
    (gradient,) = recorder.seen["gradients"]
    return gradient


@pytest.fixture
def problem(rng: np.random.Generator) -> tuple[bp.Network, np.ndarray, np.ndarray]:
    net = bp.Network([3, 5, 4, 2], activation="tanh", output="softmax", seed=0)
    return net, rng.normal(size=(10, 3)), rng.integers(0, 2, 10)


def loss_gradient(net: bp.Network, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.concatenate([g.ravel() for g in _flat(net, net.gradients(X, y))])


def _flat(net: bp.Network, grads: list) -> list[np.ndarray]:
    """The gradients laid out like the parameter vector: every weight, then every bias."""
    return [dW for dW, _ in grads] + [db for _, db in grads]


def test_l1_and_l2_gradient_matches_finite_differences_of_the_penalised_loss(
    problem: tuple[bp.Network, np.ndarray, np.ndarray],
) -> None:
    """E + l1 * sum|W| + weight_decay/2 * sum W^2, differentiated by central differences in
    float64 at weights away from 0 (|W| has no derivative at 0): the step's gradient is its
    gradient, for the weights and (unpenalised) the biases."""
    net, X, y = problem
    l1, decay = 0.03, 0.02
    for layer in net.layers:  # biases away from 0 too, to see that they are not penalised
        layer.bias = np.linspace(0.1, 0.5, layer.n_out)
    assert np.abs(net.parameter_vector).min() > 1e-3
    gradient = step_gradient(net.copy(), X, y, l1=l1, weight_decay=decay)

    checked = net.copy("float64")
    Xc, Yc = checked.check_data(X, y)
    vector, n_weights = checked.parameter_vector, checked.n_weights

    def penalised() -> float:
        net_inputs, outputs = checked.forward(Xc)
        W = vector[:n_weights]
        return (
            checked.batch_loss(Yc, net_inputs, outputs)
            + l1 * np.abs(W).sum()
            + (decay / 2 * np.dot(W, W))
        )

    h = 1e-6
    numeric = np.empty_like(vector)
    for i in range(len(vector)):
        original = vector[i]
        vector[i] = original + h
        up = penalised()
        vector[i] = original - h
        down = penalised()
        vector[i] = original
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)
    # The test can fail: without the L1 term the weights' gradient is off by l1 * sign(W).
    unpenalised = step_gradient(net.copy(), X, y, weight_decay=decay)
    assert np.abs(unpenalised - numeric)[:n_weights].min() > 0.9 * l1


def test_l1_adds_l1_sign_w_to_the_weights_only(
    problem: tuple[bp.Network, np.ndarray, np.ndarray],
) -> None:
    net, X, y = problem
    plain = step_gradient(net.copy(), X, y)
    np.testing.assert_array_equal(plain, loss_gradient(net, X, y))
    with_l1 = step_gradient(net.copy(), X, y, l1=0.5)
    n = net.n_weights
    np.testing.assert_array_equal(with_l1[n:], plain[n:])
    np.testing.assert_allclose(
        with_l1[:n], plain[:n] + 0.5 * np.sign(net.parameter_vector[:n]), rtol=1e-15
    )


def test_clipping_shortens_a_long_gradient_to_clip_norm(
    problem: tuple[bp.Network, np.ndarray, np.ndarray],
) -> None:
    net, X, y = problem
    plain = step_gradient(net.copy(), X, y)
    norm = np.linalg.norm(plain)
    clipped = step_gradient(net.copy(), X, y, clip_norm=norm / 4)
    np.testing.assert_allclose(clipped, plain / 4, rtol=1e-14)
    assert np.linalg.norm(clipped) == pytest.approx(norm / 4, rel=1e-14)
    # The step taken with it: w - lr * the clipped gradient.
    stepped = net.copy()
    stepped.fit(X, y, epochs=1, lr=0.1, clip_norm=norm / 4)
    np.testing.assert_allclose(
        stepped.parameter_vector, net.parameter_vector - 0.1 * clipped, rtol=1e-14, atol=1e-16
    )


def test_clipping_leaves_a_short_gradient_alone(
    problem: tuple[bp.Network, np.ndarray, np.ndarray],
) -> None:
    net, X, y = problem
    plain = step_gradient(net.copy(), X, y)
    norm = float(np.linalg.norm(plain))
    np.testing.assert_array_equal(step_gradient(net.copy(), X, y, clip_norm=norm * 1.01), plain)
    reference, clipped = net.copy(), net.copy()
    reference.fit(X, y, epochs=5, lr=0.1, batch_size=3)
    clipped.fit(X, y, epochs=5, lr=0.1, batch_size=3, clip_norm=1e6)
    np.testing.assert_array_equal(clipped.parameter_vector, reference.parameter_vector)


def test_clipping_includes_the_penalties(
    problem: tuple[bp.Network, np.ndarray, np.ndarray],
) -> None:
    net, X, y = problem
    penalised = step_gradient(net.copy(), X, y, l1=0.1)
    clipped = step_gradient(net.copy(), X, y, l1=0.1, clip_norm=0.01)
    np.testing.assert_allclose(clipped, penalised * 0.01 / np.linalg.norm(penalised), rtol=1e-14)


@pytest.mark.parametrize(
    ("settings", "error", "words"),
    [
        ({"l1": -0.1}, ValueError, "l1 must be a finite number >= 0, got -0.1"),
        ({"l1": "0.1"}, TypeError, "l1 must be a finite number >= 0, got '0.1'"),
        ({"clip_norm": 0}, ValueError, "clip_norm must be a positive finite number, got 0"),
        ({"clip_norm": -1.0}, ValueError, "clip_norm must be a positive finite number"),
        ({"clip_norm": np.inf}, ValueError, "clip_norm must be a positive finite number"),
    ],
)
def test_bad_values_are_refused(
    problem: tuple[bp.Network, np.ndarray, np.ndarray],
    settings: dict,
    error: type,
    words: str,
) -> None:
    net, X, y = problem
    before = net.parameter_vector.copy()
    with pytest.raises(error, match=words):
        net.fit(X, y, **settings)
    np.testing.assert_array_equal(net.parameter_vector, before)
