"""The exponential output, the Poisson loss and scikit-learn's squared_error: gradients against
finite differences and PyTorch, values against the formulas written out here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import backprop as bp

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "exp"]


def counts(rng: np.random.Generator, n: int, n_out: int) -> np.ndarray:
    """Poisson counts, zeros among them (where 0 log 0 must count as 0)."""
    return rng.poisson(1.5, size=(n, n_out)).astype(float)


def small_network(sizes, hidden, output, loss, seed=0):
    """Small weights, so that an exponential layer stays in a range finite differences like."""
    net = bp.Network(sizes, activation=hidden, output=output, loss=loss, seed=seed)
    rng = np.random.default_rng(100 + seed)
    for layer in net.layers:
        layer.weights = 0.5 * layer.weights
        layer.bias = rng.uniform(-0.3, 0.3, size=layer.bias.shape)
    return net


@pytest.mark.parametrize(
    ("hidden", "output", "loss", "n_out"),
    [
        *[(h, "exp", "poisson", k) for h, k in itertools.product(HIDDEN, [1, 3])],
        *[(h, "exp", "half_squared_error", k) for h, k in itertools.product(HIDDEN, [1, 3])],
        *[
            (h, o, "squared_error", k)
            for h, o, k in [
                ("tanh", "identity", 1),
                ("relu", "identity", 4),
                ("sigmoid", "sigmoid", 3),
                ("exp", "tanh", 2),
            ]
        ],
    ],
)
@pytest.mark.parametrize("batch", [1, 7])
def test_gradcheck(hidden, output, loss, n_out, batch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, 4))
    Y = counts(rng, batch, n_out) if loss == "poisson" else rng.uniform(0, 1, (batch, n_out))
    net = small_network([4, 5, n_out], hidden, output, loss)
    assert bp.gradcheck(net, X, Y) < 1e-6


def reference_loss(name: str, A: np.ndarray, Y: np.ndarray) -> float:
    """The mean over the samples of each loss, written from its definition."""
    if name == "poisson":  # half the Poisson deviance, summed over the outputs
        with np.errstate(divide="ignore", invalid="ignore"):
            y_log_y_over_a = np.where(Y > 0, Y * np.log(Y / A), 0.0)
        per_sample = np.sum(y_log_y_over_a - Y + A, axis=1)
    elif name == "squared_error":  # half the mean squared error over the outputs
        per_sample = 0.5 * np.mean((Y - A) ** 2, axis=1)
    else:  # pragma: no cover
        raise KeyError(name)
    return float(np.mean(per_sample))


@pytest.mark.parametrize(("output", "loss"), [("exp", "poisson"), ("identity", "squared_error")])
def test_loss_values_match_the_formulas_and_scikit_learn(output, loss):
    from sklearn.neural_network._base import poisson_loss, squared_loss

    rng = np.random.default_rng(3)
    net = small_network([4, 5, 3], "tanh", output, loss, seed=1)
    X = rng.normal(size=(9, 4))
    Y = counts(rng, 9, 3)
    Z, A = net.forward(X)
    per_sample = net.loss.per_sample(Y, A[-1], Z[-1])
    expected = [reference_loss(loss, A[-1][i : i + 1], Y[i : i + 1]) for i in range(9)]
    np.testing.assert_allclose(per_sample, expected, rtol=1e-12)
    assert net.loss.total(Y, A[-1], Z[-1]) == pytest.approx(per_sample.sum(), rel=1e-12)
    # scikit-learn's MLP losses, which BackpropRegressor's "poisson" and "squared_error" are.
    sklearn_loss = poisson_loss if loss == "poisson" else squared_loss
    assert per_sample.mean() == pytest.approx(sklearn_loss(Y, A[-1]), rel=1e-12)


def test_squared_error_is_half_squared_error_to_the_bit_for_one_output():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    nets = [bp.Network([3, 4, 1], "tanh", "identity", loss=name, seed=2) for name in
            ("half_squared_error", "squared_error")]  # fmt: skip
    for net in nets:
        net.fit(X, Y, epochs=3, lr=0.1, batch_size=5)
    np.testing.assert_array_equal(nets[0].parameter_vector, nets[1].parameter_vector)


@pytest.mark.parametrize("n", [1, 8])
def test_poisson_gradients_match_torch_poisson_nll_loss(n):
    """torch's poisson_nll_loss(log_input=True) is e^z - y z, our loss less its terms of y
    alone, which leave the gradients as they are."""
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: the cross-checks against torch are skipped"
    )
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(n, 3)), counts(rng, n, 2)
    net = small_network([3, 4, 2], "tanh", "exp", "poisson")
    W1, b1, W2, b2 = (torch.tensor(p, requires_grad=True) for p in net.parameters)
    z = torch.tanh(torch.tensor(X) @ W1 + b1) @ W2 + b2
    y = torch.tensor(Y)
    # Summed over the outputs, averaged over the samples, as ours is.
    loss = torch.nn.functional.poisson_nll_loss(z, y, log_input=True, reduction="sum") / n
    loss.backward()
    ours = [g for pair in net.gradients(X, Y) for g in pair]
    for mine, theirs in zip(ours, (W1, b1, W2, b2), strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    constant = float(np.sum(np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1)), 0.0) - Y)) / n
    assert net.evaluate(X, Y)["loss"] == pytest.approx(loss.item() + constant, rel=1e-12)


def test_exp_activation_is_complete():
    exp = bp.ACTIVATIONS["exp"]()
    z = np.array([-2.0, 0.0, 1.5])
    np.testing.assert_allclose(exp(z), np.exp(z))
    np.testing.assert_allclose(exp.derivative(exp(z)), np.exp(z))
    assert exp.scalar(1.5) == pytest.approx(np.exp(1.5))
    assert exp.scalar(1000.0) == float("inf")  # as np.exp, not an OverflowError
    assert exp.scalar_slope(exp.scalar(0.3)) == pytest.approx(np.exp(0.3))
    assert exp.formula == "e^(net)" and exp.derivative_formula == "out"


def test_poisson_needs_counts_and_an_exponential_output():
    with pytest.raises(ValueError, match="counts"):
        bp.Network([2, 1], loss="poisson").fit([[0.0, 1.0]], [[-1.0]])
    with pytest.raises(ValueError, match="loss='poisson' needs output='exp'"):
        bp.Network([2, 1], output="identity", loss="poisson")


def test_explain_writes_out_a_poisson_step():
    from backprop.explain.render import to_text

    net = bp.Network([2, 2, 1], activation="tanh", output="exp", loss="poisson", seed=0)
    text = to_text(bp.explain(net, [[0.5, -0.2]], [[2.0]], lr=0.1))
    assert "e^(net_o1)" in text  # the output's formula
    assert "out_o1 - target_o1 (fused)" in text  # the delta the exponential and poisson share


def test_counts_of_0_and_1_are_not_scored_as_classes():
    """A bug hunt: evaluate gave a Poisson network an 'accuracy' of its 0/1 counts."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(10, 3)), rng.integers(0, 2, (10, 3)).astype(float)
    net = bp.Network([3, 3], output="exp", loss="poisson", seed=0)
    assert set(net.evaluate(X, Y)) == {"loss"}
    assert set(net.fit(X, Y, epochs=1).history) == {"loss"}


def test_poisson_targets_are_never_read_as_class_labels():
    """A bug hunt: 1-D integer Y on a [2, 3, 2] Poisson network was made one-hot rows."""
    X = np.random.default_rng(0).normal(size=(6, 2))
    net = bp.Network([2, 3, 2], output="exp", loss="poisson", seed=0)
    with pytest.raises(
        ValueError, match=r"Y is 1-D.*poisson loss takes quantities.*\(n_samples, 2\)"
    ):
        net.evaluate(X, np.array([0, 1, 1, 0, 1, 1]))
    with pytest.raises(ValueError, match=r"Y is 1-D"):
        net.fit(X, np.array([0, 1, 1, 0, 1, 2]))
