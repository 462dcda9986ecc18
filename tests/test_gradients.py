"""Gradient correctness: bp.gradcheck over every allowed pairing, independent finite
differences, a gradcheck that must be able to fail, and numerical stability at huge logits."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

import backprop as bp

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
OUTPUTS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]
SQUARED = ["half_squared_error", "mse"]


def allowed_losses(output: str, n_out: int) -> list[str]:
    losses = list(SQUARED)
    if output == "sigmoid":
        losses.append("binary_cross_entropy")
    if output == "softmax" and n_out >= 2:
        losses.append("cross_entropy")
    return losses


ARCHS = {
    "1hidden": [4, 6],
    "3hidden": [4, 6, 5, 6],
}


def _cases():
    for hidden, output, arch, n_out in itertools.product(HIDDEN, OUTPUTS, ARCHS, [1, 10]):
        if output == "softmax" and n_out == 1:
            continue  # softmax over one output is the constant 1: nothing to check
        for loss in allowed_losses(output, n_out):
            yield pytest.param(
                hidden, output, loss, arch, n_out, id=f"{hidden}-{output}-{loss}-{arch}-out{n_out}"
            )


CASES = list(_cases())


def make_targets(rng: np.random.Generator, loss: str, n: int, n_out: int) -> np.ndarray:
    if loss == "cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, size=n)]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n, n_out)).astype(float)
    return rng.uniform(0.0, 1.0, size=(n, n_out))


def live_network(sizes, hidden, output, loss, X, Y, bias=True, max_tries=30):
    """A network whose gradients are not all zero (a relu output can be dead for a tiny batch).

    Biases are moved off their initial zeros so that bias gradients are checked at a generic point.
    """
    for seed in range(max_tries):
        net = bp.Network(sizes, activation=hidden, output=output, loss=loss, bias=bias, seed=seed)
        if bias:
            brng = np.random.default_rng(1000 + seed)
            for layer in net.layers:
                layer.bias = brng.uniform(-0.3, 0.3, size=layer.bias.shape)
        grads = net.gradients(X, Y)
        if any(np.any(dW != 0) for dW, _ in grads):
            return net
    raise AssertionError("could not find a network with non-zero gradients")  # pragma: no cover


@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize(("hidden", "output", "loss", "arch", "n_out"), CASES)
def test_gradcheck_all_pairings(hidden, output, loss, arch, n_out, batch):
    rng = np.random.default_rng(zlib.crc32(f"{hidden}{output}{loss}{arch}{n_out}{batch}".encode()))
    sizes = [*ARCHS[arch], n_out]
    X = rng.normal(size=(batch, sizes[0]))
    Y = make_targets(rng, loss, batch, n_out)
    net = live_network(sizes, hidden, output, loss, X, Y)
    assert net.loss.name == loss
    assert net.layers[-1].activation.name == output
    assert all(layer.activation.name == hidden for layer in net.layers[:-1])
    err = bp.gradcheck(net, X, Y)
    assert np.isfinite(err)
    assert err < 1e-6, f"gradcheck relative error {err:.3g}"


BIAS_FREE_CASES = [
    ("sigmoid", "sigmoid", "binary_cross_entropy", [3, 5, 1]),
    ("tanh", "softmax", "cross_entropy", [3, 5, 4, 6, 10]),
    ("relu", "identity", "half_squared_error", [3, 5, 4, 6, 2]),
    ("leaky_relu", "tanh", "mse", [3, 5, 10]),
    ("identity", "softmax", "mse", [3, 5, 4]),
    ("sigmoid", "relu", "half_squared_error", [3, 6, 6, 6, 10]),
]


@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize(("hidden", "output", "loss", "sizes"), BIAS_FREE_CASES)
def test_gradcheck_without_bias(hidden, output, loss, sizes, batch):
    rng = np.random.default_rng(sum(sizes) * 31 + batch)
    X = rng.normal(size=(batch, sizes[0]))
    Y = make_targets(rng, loss, batch, sizes[-1])
    net = live_network(sizes, hidden, output, loss, X, Y, bias=False)
    grads = net.gradients(X, Y)
    assert len(grads) == len(sizes) - 1
    for (dW, db), layer in zip(grads, net.layers, strict=True):
        assert db is None
        assert layer.bias is None
        assert dW.shape == layer.weights.shape
    err = bp.gradcheck(net, X, Y)
    assert err < 1e-6, f"gradcheck relative error {err:.3g}"


# --------------------------------------------------------------------------------------
# Independent finite differences, with losses written out here from the specification.
# --------------------------------------------------------------------------------------


def reference_loss(name: str, A: np.ndarray, Y: np.ndarray) -> float:
    if name == "half_squared_error":
        per_sample = 0.5 * np.sum((Y - A) ** 2, axis=1)
    elif name == "mse":
        per_sample = np.mean((Y - A) ** 2, axis=1)
    elif name == "binary_cross_entropy":
        per_sample = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=1)
    elif name == "cross_entropy":
        per_sample = -np.sum(Y * np.log(A), axis=1)
    else:  # pragma: no cover
        raise KeyError(name)
    return float(np.mean(per_sample))


@pytest.mark.parametrize(
    ("output", "loss"),
    [
        ("sigmoid", "half_squared_error"),
        ("tanh", "mse"),
        ("sigmoid", "binary_cross_entropy"),
        ("softmax", "cross_entropy"),
    ],
)
@pytest.mark.parametrize("scale", [1.0, 5.0])
def test_loss_values_match_the_formulas(output, loss, scale):
    """Each loss's per-sample values, their batch total (computed its own faster way) and a
    weighted batch loss, against the formulas written out in reference_loss."""
    rng = np.random.default_rng(3)
    net = bp.Network([4, 5, 3], activation="tanh", output=output, loss=loss, seed=1)
    net.layers[1].weights = scale * net.layers[1].weights  # scale 5: nearly saturated outputs
    X = rng.normal(size=(9, 4))
    Y = make_targets(rng, loss, 9, 3)
    A = net.predict(X)
    net_inputs, outputs = net.forward(X)
    per_sample = net.loss.per_sample(Y, outputs[-1], net_inputs[-1])
    expected = [reference_loss(loss, A[i : i + 1], Y[i : i + 1]) for i in range(9)]
    np.testing.assert_allclose(per_sample, expected, rtol=1e-9, atol=1e-12)
    total = net.loss.total(Y, outputs[-1], net_inputs[-1])
    assert total == pytest.approx(per_sample.sum(), rel=1e-12, abs=1e-12)
    weights = rng.uniform(0.5, 2.0, 9)
    weighted = net.batch_loss(Y, net_inputs, outputs, weights / weights.mean())
    assert weighted == pytest.approx(np.average(expected, weights=weights), rel=1e-9)


def numerical_gradients(net, X, Y, loss, h=1e-6):
    """Central differences of reference_loss(predict) with respect to every parameter."""
    out = []
    for layer in net.layers:
        params = [("weights", layer.weights)]
        if layer.bias is not None:
            params.append(("bias", layer.bias))
        grads = {}
        for attr, value in params:
            base = np.array(value, dtype=np.float64, copy=True)
            g = np.zeros_like(base)
            for idx in np.ndindex(base.shape):
                plus = base.copy()
                plus[idx] += h
                setattr(layer, attr, plus)
                lp = reference_loss(loss, net.predict(X), Y)
                minus = base.copy()
                minus[idx] -= h
                setattr(layer, attr, minus)
                lm = reference_loss(loss, net.predict(X), Y)
                g[idx] = (lp - lm) / (2 * h)
            setattr(layer, attr, base)
            grads[attr] = g
        out.append((grads["weights"], grads.get("bias")))
    return out


INDEPENDENT_CASES = [
    ("sigmoid", "sigmoid", "half_squared_error", [3, 4, 2]),
    ("tanh", "identity", "mse", [3, 4, 5, 3]),
    ("tanh", "sigmoid", "binary_cross_entropy", [3, 4, 3]),
    ("sigmoid", "softmax", "cross_entropy", [3, 5, 4]),
    ("leaky_relu", "softmax", "half_squared_error", [3, 5, 4]),
    ("relu", "tanh", "mse", [3, 6, 2]),
]


@pytest.mark.parametrize(("hidden", "output", "loss", "sizes"), INDEPENDENT_CASES)
def test_gradients_match_independent_finite_differences(hidden, output, loss, sizes):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, sizes[0]))
    Y = make_targets(rng, loss, 6, sizes[-1])
    net = live_network(sizes, hidden, output, loss, X, Y)
    # the network's own loss is the mean over samples of the per-sample loss in the spec
    assert net.evaluate(X, Y)["loss"] == pytest.approx(
        reference_loss(loss, net.predict(X), Y), rel=1e-12
    )
    analytic = net.gradients(X, Y)
    numeric = numerical_gradients(net, X, Y, loss)
    for (dW, db), (nW, nb) in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(dW, nW, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(db, nb, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------------------
# gradcheck must be able to fail
# --------------------------------------------------------------------------------------


def corrupt_backprop(monkeypatch, net, X, Y, corrupt):
    """Make the network's backpropagation return wrong gradients.

    gradcheck works on a float64 copy of the network, so patching one instance's public
    ``gradients`` would not reach it; the seam is the class's backward pass (``backward``,
    returning ``[[dW, db], ...]`` in layer order). The public ``gradients`` is checked to be
    wrong afterwards, so this test cannot pass by patching nothing.
    """
    true = net.gradients(X, Y)
    original = type(net).backward

    def wrong_backward(self, *args, **kwargs):
        grads = original(self, *args, **kwargs)
        out = []
        for i, g in enumerate(grads):
            dW, db = corrupt(i, g[0], g[1] if len(g) > 1 else None)
            out.append([dW] if db is None else [dW, db])
        return out

    monkeypatch.setattr(type(net), "backward", wrong_backward)
    wrong = net.gradients(X, Y)
    assert any(
        not np.array_equal(a, c) or not np.array_equal(b, d)
        for (a, b), (c, d) in zip(true, wrong, strict=True)
    ), "the patch did not change the network's gradients"


@pytest.mark.parametrize(
    "corruption",
    [
        pytest.param(lambda i, dW, db: (dW * 1.01, db), id="scaled-1pct"),
        pytest.param(lambda i, dW, db: (dW, db + (0.01 if i == 0 else 0.0)), id="bias-shift"),
        pytest.param(
            lambda i, dW, db: (dW.T.reshape(dW.shape) if i == 0 else dW, db), id="transposed"
        ),
        pytest.param(lambda i, dW, db: (np.zeros_like(dW), np.zeros_like(db)), id="zeros"),
    ],
)
def test_gradcheck_detects_wrong_gradients(monkeypatch, corruption):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 3))
    Y = rng.uniform(size=(5, 2))
    net = live_network([3, 4, 2], "tanh", "sigmoid", "half_squared_error", X, Y)
    assert bp.gradcheck(net, X, Y) < 1e-6
    corrupt_backprop(monkeypatch, net, X, Y, corruption)
    err = bp.gradcheck(net, X, Y)
    assert err > 1e-3, f"gradcheck missed corrupted gradients (reported {err:.3g})"


def test_gradcheck_returns_largest_error(monkeypatch):
    """Corrupt a single entry by a known factor: the reported error must reflect it."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(5, 3))
    Y = rng.uniform(size=(5, 2))
    net = live_network([3, 4, 2], "sigmoid", "identity", "half_squared_error", X, Y)
    true_dW = net.gradients(X, Y)[1][0]
    idx = np.unravel_index(np.argmax(np.abs(true_dW)), true_dW.shape)

    def corrupt(i, dW, db):
        if i == 1:
            dW = dW.copy()
            dW[idx] *= 2.0  # that entry's relative error: 1/2 by |a-b|/max(|a|,|b|)
        return dW, db

    corrupt_backprop(monkeypatch, net, X, Y, corrupt)
    err = bp.gradcheck(net, X, Y)
    assert 0.05 < err <= 1.0 + 1e-6


# --------------------------------------------------------------------------------------
# Numerical stability with logits of +-1000
# --------------------------------------------------------------------------------------


def test_softmax_cross_entropy_huge_logits_finite():
    # hidden layer copies the two inputs; output logits = 1000 * (h1 - h2) etc.
    net = bp.Network([2, 2, 3], activation="identity", output="softmax", loss="cross_entropy")
    net.layers[0].weights = np.eye(2)
    net.layers[0].bias = np.zeros(2)
    net.layers[1].weights = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    net.layers[1].bias = np.zeros(3)
    X = np.array([[1.0, 0.0], [0.0, 1.0]])  # logits [1000, -1000, 0] and [-1000, 1000, 0]
    Y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # wrong class for both: loss 2000 and 1000

    P = net.predict(X)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P, [[1, 0, 0], [0, 1, 0]], atol=1e-12)

    loss = net.evaluate(X, Y)["loss"]
    assert np.isfinite(loss)
    # The spec's loss is -log softmax: exactly (2000 + 1000) / 2 here. Clipping the
    # probabilities (log(1e-12) ~ -27.6) would give a finite but wrong loss.
    assert loss == pytest.approx(1500.0, rel=1e-12)

    grads = net.gradients(X, Y)
    for dW, db in grads:
        assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
    # dL/dlogits = (softmax - Y) / n = [[1, -1, 0], [0, 1, -1]] / 2
    dZ = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]]) / 2
    np.testing.assert_allclose(grads[1][0], X.T @ dZ, atol=1e-9)
    np.testing.assert_allclose(grads[1][1], dZ.sum(axis=0), atol=1e-9)

    # and the right classes give a (near) zero loss, not NaN
    Y_right = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert net.evaluate(X, Y_right)["loss"] == pytest.approx(0.0, abs=1e-9)
    assert net.evaluate(X, Y_right)["accuracy"] == 1.0
    for dW, db in net.gradients(X, Y_right):
        assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))

    loss_before = net.train_step(X, Y, 0.01)
    assert np.isfinite(loss_before)
    assert all(np.all(np.isfinite(layer.weights)) for layer in net.layers)


def test_sigmoid_binary_cross_entropy_huge_logits_finite():
    net = bp.Network([1, 1], activation="sigmoid", loss="binary_cross_entropy")
    net.layers[0].weights = [[1000.0]]
    net.layers[0].bias = [0.0]
    X = np.array([[1.0], [-1.0]])  # logits +1000 and -1000
    Y_wrong = np.array([[0.0], [1.0]])  # per-sample loss 1000 each (exactly)

    P = net.predict(X)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P, [[1.0], [0.0]], atol=1e-12)

    loss = net.evaluate(X, Y_wrong)["loss"]
    assert np.isfinite(loss)
    assert loss == pytest.approx(1000.0, rel=1e-12)  # softplus(1000) per sample, no clipping

    ((dW, db),) = net.gradients(X, Y_wrong)
    assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
    # dL/dz = (sigmoid(z) - y) / n = [1, -1] / 2  ->  dW = X^T dZ = 1, db = 0
    np.testing.assert_allclose(dW, [[1.0]], atol=1e-9)
    np.testing.assert_allclose(db, [0.0], atol=1e-9)

    Y_right = np.array([[1.0], [0.0]])
    assert net.evaluate(X, Y_right)["loss"] == pytest.approx(0.0, abs=1e-9)
    ((dW, db),) = net.gradients(X, Y_right)
    assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))

    assert np.isfinite(net.train_step(X, Y_wrong, 0.01))
    assert np.all(np.isfinite(net.layers[0].weights))


def test_sigmoid_binary_cross_entropy_huge_logits_deep():
    """Same through a hidden layer and several outputs."""
    net = bp.Network([2, 2, 3], activation="tanh", output="sigmoid", loss="binary_cross_entropy")
    net.layers[0].weights = np.eye(2)
    net.layers[0].bias = np.zeros(2)
    # tanh(20) == 1.0 in float64, so the output net input is +-1000 * 1
    net.layers[1].weights = np.array([[1000.0, -1000.0, 1000.0], [0.0, 0.0, 0.0]])
    net.layers[1].bias = np.zeros(3)
    X = np.array([[20.0, 0.0]])
    Y = np.array([[0.0, 1.0, 1.0]])
    loss = net.evaluate(X, Y)["loss"]
    assert np.isfinite(loss)
    assert loss == pytest.approx(2000.0, rel=1e-12)  # 1000 + 1000 + 0
    for dW, db in net.gradients(X, Y):
        assert np.all(np.isfinite(dW)) and np.all(np.isfinite(db))
