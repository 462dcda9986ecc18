"""Training semantics: determinism, batching, History, dtypes, divergence, weight decay,
plus construction defaults, forward values and target formats."""

from __future__ import annotations

import re

import numpy as np
import pytest

import backprop as bp
from backprop.training import batches


def weights_of(net):
    out = []
    for layer in net.layers:
        out.append(np.array(layer.weights, copy=True))
        out.append(None if layer.bias is None else np.array(layer.bias, copy=True))
    return out


def assert_bit_identical(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            assert x is None and y is None
        else:
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def all_finite(net):
    return all(
        np.all(np.isfinite(layer.weights))
        and (layer.bias is None or np.all(np.isfinite(layer.bias)))
        for layer in net.layers
    )


# --------------------------------------------------------------------------------------
# Construction defaults
# --------------------------------------------------------------------------------------


def test_defaults():
    net = bp.Network([3, 4, 2])
    assert net.sizes == [3, 4, 2]
    assert net.dtype == np.dtype("float64")
    assert [layer.activation.name for layer in net.layers] == ["sigmoid", "sigmoid"]
    assert net.loss.name == "half_squared_error"
    assert [layer.weights.shape for layer in net.layers] == [(3, 4), (4, 2)]
    assert [layer.bias.shape for layer in net.layers] == [(4,), (2,)]
    for layer in net.layers:
        np.testing.assert_array_equal(layer.bias, 0.0)


def test_activation_forms():
    net = bp.Network([3, 4, 5, 2], activation="tanh", output="softmax")
    assert [layer.activation.name for layer in net.layers] == ["tanh", "tanh", "softmax"]
    assert net.loss.name == "cross_entropy"

    net = bp.Network([3, 4, 5, 2], activation=["relu", "tanh", "sigmoid"])
    assert [layer.activation.name for layer in net.layers] == ["relu", "tanh", "sigmoid"]
    assert net.loss.name == "half_squared_error"

    net = bp.Network([3, 4, 5, 2], activation=["relu", "leaky_relu"], output="identity")
    assert [layer.activation.name for layer in net.layers] == ["relu", "leaky_relu", "identity"]

    net = bp.Network([3, 4, 5, 2], activation=["relu", "tanh", "softmax"])
    assert net.loss.name == "cross_entropy"

    net = bp.Network([3, 2], activation="identity", output="softmax", loss="mse")
    assert net.loss.name == "mse"

    net = bp.Network([3, 1], activation="sigmoid", loss="binary_cross_entropy")
    assert net.loss.name == "binary_cross_entropy"


def test_sizes_accepts_numpy_integers_and_tuples():
    net = bp.Network(tuple(np.array([3, 5, 2])))
    assert net.sizes == [3, 5, 2]
    assert net.predict(np.zeros((4, 3))).shape == (4, 2)


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("normal_scaled", lambda n_in, n_out: 1 / np.sqrt(n_in)),
        ("xavier", lambda n_in, n_out: np.sqrt(6 / (n_in + n_out)) / np.sqrt(3)),
        ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
    ],
    ids=["normal_scaled", "xavier", "he"],
)
def test_initialisers(init, std):
    n_in, n_out = 400, 300
    net = bp.Network([n_in, n_out, 5], init=init, seed=0)
    W = net.layers[0].weights
    assert abs(W.mean()) < 0.02 * std(n_in, n_out)
    assert W.std() == pytest.approx(std(n_in, n_out), rel=0.02)
    np.testing.assert_array_equal(net.layers[0].bias, 0.0)
    np.testing.assert_array_equal(net.layers[1].bias, 0.0)
    if init == "xavier":
        bound = np.sqrt(6 / (n_in + n_out))
        assert np.max(np.abs(W)) <= bound
        assert np.max(np.abs(W)) > 0.99 * bound
    else:
        # normal: some entries beyond 3 standard deviations in 120,000 draws
        assert np.max(np.abs(W)) > 3 * std(n_in, n_out)


def test_default_init_is_normal_scaled():
    a = bp.Network([50, 40, 3], seed=5)
    b = bp.Network([50, 40, 3], seed=5, init="normal_scaled")
    assert_bit_identical(weights_of(a), weights_of(b))


def test_weights_are_assignable_copied_and_cast():
    net = bp.Network([2, 3], dtype="float32")
    src = np.arange(6, dtype=np.float64).reshape(2, 3)
    net.layers[0].weights = src
    src[0, 0] = 99.0
    assert net.layers[0].weights[0, 0] == 0.0
    assert net.layers[0].weights.dtype == np.float32
    net.layers[0].weights = [[1, 2, 3], [4, 5, 6]]  # nested lists of ints
    assert net.layers[0].weights.dtype == np.float32
    np.testing.assert_array_equal(net.layers[0].weights, [[1, 2, 3], [4, 5, 6]])
    b = np.array([0.5, -0.5, 1.0])
    net.layers[0].bias = b
    b[0] = 7.0
    np.testing.assert_array_equal(net.layers[0].bias, [0.5, -0.5, 1.0])
    assert net.layers[0].bias.dtype == np.float32


# --------------------------------------------------------------------------------------
# Forward values by hand
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", np.tanh),
        ("relu", lambda z: np.maximum(z, 0)),
        ("leaky_relu", lambda z: np.where(z > 0, z, 0.01 * z)),
        ("identity", lambda z: z),
    ],
    ids=["sigmoid", "tanh", "relu", "leaky_relu", "identity"],
)
def test_activation_values(name, expected):
    net = bp.Network([2, 2], activation=name)
    net.layers[0].weights = [[1.0, 0.0], [0.5, -2.0]]
    net.layers[0].bias = [0.25, -0.75]
    X = np.array([[-3.0, 1.0], [0.0, 0.0], [2.0, -1.5], [0.3, 0.2]])
    Z = X @ np.array([[1.0, 0.0], [0.5, -2.0]]) + np.array([0.25, -0.75])
    np.testing.assert_allclose(net.predict(X), expected(Z), rtol=1e-14, atol=1e-15)


def test_softmax_values():
    net = bp.Network([2, 3], activation="identity", output="softmax")
    net.layers[0].weights = [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]
    X = np.array([[0.5, -1.0], [2.0, 3.0]])
    Z = X @ np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    E = np.exp(Z)
    P = net.predict(X)
    np.testing.assert_allclose(P, E / E.sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)


# --------------------------------------------------------------------------------------
# Target formats and metrics
# --------------------------------------------------------------------------------------


def test_one_dimensional_targets(rng):
    X = rng.normal(size=(6, 3))
    net = bp.Network([3, 4, 1], seed=0)
    y = rng.uniform(size=6)
    for (a, b), (c, d) in zip(net.gradients(X, y), net.gradients(X, y[:, None]), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)

    net = bp.Network([3, 4, 4], activation="tanh", output="softmax", seed=0)
    labels = np.array([0, 3, 1, 1, 2, 3])
    onehot = np.eye(4)[labels]
    for (a, b), (c, d) in zip(net.gradients(X, labels), net.gradients(X, onehot), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert net.evaluate(X, labels) == pytest.approx(net.evaluate(X, onehot))
    # labels as a list of ints work too
    assert net.evaluate(X, labels.tolist())["loss"] == pytest.approx(
        net.evaluate(X, onehot)["loss"]
    )


def test_accuracy_multi_output_argmax():
    net = bp.Network([3, 3], activation="identity", output="softmax")
    net.layers[0].weights = np.eye(3)
    X = np.array([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0], [3.0, 0, 0]])  # predicted 0,1,2,0
    labels = np.array([0, 1, 0, 2])  # right, right, wrong, wrong
    result = net.evaluate(X, labels)
    assert result["accuracy"] == pytest.approx(0.5)
    assert result["loss"] == pytest.approx(
        -np.mean(np.log(net.predict(X)[np.arange(4), labels])), rel=1e-12
    )
    assert net.evaluate(X, np.eye(3)[labels])["accuracy"] == pytest.approx(0.5)


def test_accuracy_single_output_threshold():
    net = bp.Network([1, 1], activation="identity")
    net.layers[0].weights = [[1.0]]
    X = np.array([[0.7], [0.3], [0.5], [0.2], [0.9]])
    Y = np.array([1.0, 1.0, 1.0, 0.0, 0.0])  # 0.7->1 ok, 0.3->0 no, 0.5->1 ok, 0.2->0 ok, 0.9 no
    assert net.evaluate(X, Y)["accuracy"] == pytest.approx(0.6)
    assert net.evaluate(X, Y[:, None])["accuracy"] == pytest.approx(0.6)
    assert net.evaluate(X, Y)["loss"] == pytest.approx(np.mean(0.5 * (Y - X[:, 0]) ** 2), rel=1e-12)


def test_no_accuracy_for_regression_targets(regression_data):
    X, Y = regression_data
    net = bp.Network([3, 4, 2], seed=0)
    result = net.evaluate(X, Y)
    assert set(result) == {"loss"}
    history = net.fit(X, Y, epochs=3, validation_data=(X[:10], Y[:10]))
    assert set(history.history) == {"loss", "val_loss"}


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_same_seed_is_bit_identical(classification_data, dtype, optimizer):
    X, labels = classification_data

    def run(seed):
        net = bp.Network([4, 8, 3], activation="tanh", output="softmax", seed=seed, dtype=dtype)
        history = net.fit(X, labels, epochs=5, batch_size=7, optimizer=optimizer, shuffle=True)
        return net, history

    a, ha = run(123)
    b, hb = run(123)
    c, hc = run(124)
    assert_bit_identical(weights_of(a), weights_of(b))
    assert ha.history["loss"] == hb.history["loss"]
    for w in weights_of(a):
        assert w.dtype == np.dtype(dtype)
    assert not np.array_equal(a.layers[0].weights, c.layers[0].weights)
    assert ha.history["loss"] != hc.history["loss"]


def test_shuffle_depends_on_seed_not_only_init(classification_data):
    """Two nets with equal initial weights but different seeds shuffle differently."""
    X, labels = classification_data
    a = bp.Network([4, 8, 3], activation="tanh", output="softmax", seed=1)
    b = bp.Network([4, 8, 3], activation="tanh", output="softmax", seed=2)
    for la, lb in zip(a.layers, b.layers, strict=True):
        lb.weights = la.weights
        lb.bias = la.bias
    a.fit(X, labels, epochs=2, batch_size=5)
    b.fit(X, labels, epochs=2, batch_size=5)
    assert not np.array_equal(a.layers[0].weights, b.layers[0].weights)


def test_shuffle_true_differs_from_shuffle_false(classification_data):
    X, labels = classification_data
    a = bp.Network([4, 8, 3], activation="tanh", output="softmax", seed=1)
    b = bp.Network([4, 8, 3], activation="tanh", output="softmax", seed=1)
    a.fit(X, labels, epochs=2, batch_size=5, shuffle=True)
    b.fit(X, labels, epochs=2, batch_size=5, shuffle=False)
    assert not np.array_equal(a.layers[0].weights, b.layers[0].weights)


def test_predict_does_not_touch_state(regression_data):
    X, Y = regression_data
    net = bp.Network([3, 4, 2], seed=0)
    before = weights_of(net)
    net.predict(X)
    net.evaluate(X, Y)
    net.gradients(X, Y)
    assert_bit_identical(before, weights_of(net))


# --------------------------------------------------------------------------------------
# Batch-size semantics
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shuffle", [True, False])
def test_full_batch_fit_equals_train_step_loop(regression_data, dtype, shuffle):
    X, Y = regression_data
    a = bp.Network([3, 5, 2], activation="tanh", seed=7, dtype=dtype)
    b = bp.Network([3, 5, 2], activation="tanh", seed=7, dtype=dtype)
    history = a.fit(X, Y, epochs=6, lr=0.3, shuffle=shuffle)
    losses = [b.train_step(X, Y, 0.3) for _ in range(6)]
    assert_bit_identical(weights_of(a), weights_of(b))
    assert history.history["loss"] == pytest.approx(
        losses, rel=1e-12 if dtype == "float64" else 1e-6
    )


def test_batch_size_n_equals_full_batch(regression_data):
    X, Y = regression_data
    a = bp.Network([3, 5, 2], activation="tanh", seed=7)
    b = bp.Network([3, 5, 2], activation="tanh", seed=7)
    c = bp.Network([3, 5, 2], activation="tanh", seed=7)
    a.fit(X, Y, epochs=4, lr=0.3, batch_size=None)
    b.fit(X, Y, epochs=4, lr=0.3, batch_size=len(X))  # shuffle=True, but nothing to shuffle
    c.fit(X, Y, epochs=4, lr=0.3, batch_size=10 * len(X))
    assert_bit_identical(weights_of(a), weights_of(b))
    assert_bit_identical(weights_of(a), weights_of(c))


def test_online_fit_equals_train_step_per_sample(regression_data):
    X, Y = regression_data
    X, Y = X[:9], Y[:9]
    a = bp.Network([3, 5, 2], activation="sigmoid", seed=3)
    b = bp.Network([3, 5, 2], activation="sigmoid", seed=3)
    history = a.fit(X, Y, epochs=2, lr=0.5, batch_size=1, shuffle=False)
    epoch_means = []
    for _ in range(2):
        losses = [b.train_step(X[i : i + 1], Y[i : i + 1], 0.5) for i in range(len(X))]
        epoch_means.append(np.mean(losses))
    assert_bit_identical(weights_of(a), weights_of(b))
    assert history.history["loss"] == pytest.approx(epoch_means, rel=1e-12)


def test_minibatch_last_batch_smaller_and_epoch_loss_is_sample_mean(regression_data):
    X, Y = regression_data
    X, Y = X[:10], Y[:10]
    a = bp.Network([3, 5, 2], activation="tanh", seed=3)
    b = bp.Network([3, 5, 2], activation="tanh", seed=3)
    history = a.fit(X, Y, epochs=3, lr=0.4, batch_size=4, shuffle=False)
    expected = []
    for _ in range(3):
        l1 = b.train_step(X[0:4], Y[0:4], 0.4)
        l2 = b.train_step(X[4:8], Y[4:8], 0.4)
        l3 = b.train_step(X[8:10], Y[8:10], 0.4)
        expected.append((4 * l1 + 4 * l2 + 2 * l3) / 10)
    assert_bit_identical(weights_of(a), weights_of(b))
    assert history.history["loss"] == pytest.approx(expected, rel=1e-12)


def test_shuffled_minibatches_are_a_permutation(regression_data):
    """With batch_size=1 and shuffling, one epoch of a net with a tiny lr ~ visits each sample once:
    the epoch loss equals the mean per-sample loss at the start (up to the tiny lr's drift)."""
    X, Y = regression_data
    net = bp.Network([3, 5, 2], activation="tanh", seed=3)
    start_losses = [net.evaluate(X[i : i + 1], Y[i : i + 1])["loss"] for i in range(len(X))]
    history = net.fit(X, Y, epochs=1, lr=1e-9, batch_size=1, shuffle=True)
    assert history.history["loss"][0] == pytest.approx(np.mean(start_losses), rel=1e-6)


@pytest.mark.parametrize("chunk_bytes", [1, 700, 1 << 20])
@pytest.mark.parametrize("weighted", [False, True])
def test_shuffled_fit_equals_a_loop_over_permuted_batches(monkeypatch, chunk_bytes, weighted):
    """fit gathers shuffled rows a chunk of batches at a time (CHUNK_BYTES), and computes the
    chunk's losses and accuracy after its steps: one batch per chunk, a few (the last chunk
    and batch short), or the whole data set. Each way trains exactly as batches cut from
    rng.permutation(n), one epoch after another, and reports the same epoch losses."""
    monkeypatch.setattr(batches, "CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(23, 3))
    labels = rng.integers(0, 3, 23)
    weights = rng.uniform(0.5, 2.0, 23) if weighted else None
    net = bp.Network([3, 4, 3], activation="tanh", output="softmax", seed=5)
    reference = net.copy()
    history = net.fit(X, labels, epochs=3, lr=0.3, batch_size=5, sample_weight=weights)

    Y = np.eye(3)[labels]
    w = None if weights is None else weights * (23 / weights.sum())  # as fit rescales them
    gradient = np.empty_like(reference.parameter_vector)
    losses, accuracies = [], []
    for _ in range(3):
        order = reference.rng.permutation(23)
        total = correct = 0.0
        for start in range(0, 23, 5):
            rows = order[start : start + 5]
            loss, _, output = reference.loss_and_gradients(
                X[rows], Y[rows], None if w is None else w[rows], out=reference.views(gradient)
            )
            reference.parameter_vector -= 0.3 * gradient
            total += loss * len(rows)
            correct += np.count_nonzero(output.argmax(axis=1) == labels[rows])
        losses.append(total / 23)
        accuracies.append(correct / 23)
    assert_bit_identical(weights_of(net), weights_of(reference))
    assert history["loss"] == pytest.approx(losses, rel=1e-12)  # summed in another order
    assert history["accuracy"] == accuracies


def test_default_lr_is_optimizer_default(regression_data):
    X, Y = regression_data
    a = bp.Network([3, 5, 2], seed=1)
    b = bp.Network([3, 5, 2], seed=1)
    c = bp.Network([3, 5, 2], seed=1)
    a.fit(X, Y, epochs=3)
    b.fit(X, Y, epochs=3, lr=0.1)
    c.fit(X, Y, epochs=3, optimizer=bp.SGD())
    assert_bit_identical(weights_of(a), weights_of(b))
    assert_bit_identical(weights_of(a), weights_of(c))


def test_fit_continues_from_current_weights(regression_data):
    X, Y = regression_data
    a = bp.Network([3, 5, 2], seed=1)
    b = bp.Network([3, 5, 2], seed=1)
    a.fit(X, Y, epochs=2, lr=0.2)
    a.fit(X, Y, epochs=3, lr=0.2)
    b.fit(X, Y, epochs=5, lr=0.2)
    assert_bit_identical(weights_of(a), weights_of(b))


# --------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------


def _check_epochs(history, epochs):
    assert isinstance(history, bp.History)
    assert len(history.epoch) == epochs
    assert list(history.epoch) in (list(range(epochs)), list(range(1, epochs + 1)))


def test_history_regression(regression_data):
    X, Y = regression_data
    net = bp.Network([3, 5, 2], seed=0)
    history = net.fit(X, Y, epochs=4, batch_size=8)
    _check_epochs(history, 4)
    assert set(history.history) == {"loss"}
    assert len(history.history["loss"]) == 4
    assert all(isinstance(v, float) for v in history.history["loss"])


def test_history_classification_with_validation(classification_data):
    X, labels = classification_data
    Xt, yt, Xv, yv = X[:45], labels[:45], X[45:], labels[45:]
    net = bp.Network([4, 8, 3], activation="tanh", output="softmax", seed=0)
    history = net.fit(
        Xt, yt, epochs=5, batch_size=9, optimizer="adam", lr=0.01, validation_data=(Xv, yv)
    )
    _check_epochs(history, 5)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key in history.history:
        assert len(history.history[key]) == 5
    for key in ("accuracy", "val_accuracy"):
        assert all(0.0 <= v <= 1.0 for v in history.history[key])
    final = net.evaluate(Xv, yv)
    assert history.history["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-12)
    assert history.history["val_accuracy"][-1] == pytest.approx(final["accuracy"])
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_history_binary_classification(xor_data):
    X, Y = xor_data
    net = bp.Network([2, 3, 1], seed=0)
    history = net.fit(X, Y, epochs=3, validation_data=(X, Y))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


# --------------------------------------------------------------------------------------
# dtype
# --------------------------------------------------------------------------------------


def test_float32_network_stays_float32(classification_data):
    X, labels = classification_data
    net = bp.Network([4, 8, 3], activation="relu", output="softmax", seed=0, dtype="float32")
    assert net.dtype == np.dtype("float32")
    for layer in net.layers:
        assert layer.weights.dtype == np.float32
        assert layer.bias.dtype == np.float32
    for optimizer in ("sgd", "momentum", "adam"):
        net.fit(X, labels, epochs=2, batch_size=16, optimizer=optimizer)
        for layer in net.layers:
            assert layer.weights.dtype == np.float32
            assert layer.bias.dtype == np.float32
    net.train_step(X, labels, 0.1)
    for layer in net.layers:
        assert layer.weights.dtype == np.float32
    assert net.predict(X).dtype == np.float32  # float64 input, float32 output
    assert net.predict(X.astype(np.float32)).dtype == np.float32
    for dW, db in net.gradients(X, labels):
        assert dW.dtype == np.float32 and db.dtype == np.float32
    assert isinstance(net.evaluate(X, labels)["loss"], float)


def test_float64_network_with_float32_input():
    net = bp.Network([2, 3, 1], seed=0)
    assert net.predict(np.ones((2, 2), dtype=np.float32)).dtype == np.float64


# --------------------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------------------


def _divergent_setup():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 3)) * 10
    Y = (X @ np.array([[3.0], [-2.0], [1.0]])) * 100

    def make():
        return bp.Network([3, 16, 1], activation="relu", output="identity", seed=0)

    return X, Y, make


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(
    ("batch_size", "optimizer"),
    [(None, "sgd"), (8, "sgd"), (1, "sgd"), (8, "momentum"), (None, "momentum")],
)
def test_divergence_raises_and_restores_start_of_epoch(batch_size, optimizer):
    X, Y, make = _divergent_setup()
    kwargs = dict(lr=1e6, batch_size=batch_size, optimizer=optimizer)
    net = make()
    with pytest.raises(bp.DivergenceError) as excinfo:
        net.fit(X, Y, epochs=200, **kwargs)
    message = str(excinfo.value)
    assert re.search(r"epoch", message, re.IGNORECASE)
    assert re.search(r"learning rate", message, re.IGNORECASE)
    assert all_finite(net)
    assert np.all(np.isfinite(net.predict(X)))  # still usable

    # Find the first epoch count that raises: the network must be restored to the
    # weights it had at the start of that epoch, i.e. after k-1 successful epochs
    # (with the same seed, the first k-1 epochs shuffle identically).
    k = None
    for epochs in range(1, 201):
        probe = make()
        try:
            probe.fit(X, Y, epochs=epochs, **kwargs)
        except bp.DivergenceError:
            k = epochs
            break
    assert k is not None
    assert_bit_identical(weights_of(net), weights_of(probe))
    reference = make()
    if k > 1:
        reference.fit(X, Y, epochs=k - 1, **kwargs)
    assert all_finite(reference)
    assert_bit_identical(weights_of(net), weights_of(reference))
    # the message names that epoch (1-based k, or 0-based k-1)
    numbers = {int(m) for m in re.findall(r"\d+", message)}
    assert k in numbers or (k - 1) in numbers, message


def test_no_divergence_error_at_sane_lr():
    X, Y, make = _divergent_setup()
    net = make()
    net.fit(X / 10, Y / 1000, epochs=20, lr=1e-3)
    assert all_finite(net)


# --------------------------------------------------------------------------------------
# Weight decay
# --------------------------------------------------------------------------------------


def test_weight_decay_shrinks_weights(regression_data):
    X, Y = regression_data
    a = bp.Network([3, 8, 2], activation="tanh", seed=0)
    b = bp.Network([3, 8, 2], activation="tanh", seed=0)
    a.fit(X, Y, epochs=50, batch_size=8, lr=0.1)
    b.fit(X, Y, epochs=50, batch_size=8, lr=0.1, weight_decay=0.05)
    norm = lambda n: sum(float(np.sum(layer.weights**2)) for layer in n.layers)  # noqa: E731
    assert norm(b) < 0.9 * norm(a)


def test_weight_decay_exact_sgd_step_weights_only(regression_data):
    X, Y = regression_data
    net = bp.Network([3, 4, 2], activation="tanh", seed=0)
    rng = np.random.default_rng(1)
    for layer in net.layers:
        layer.bias = rng.uniform(-1, 1, size=layer.bias.shape)
    before = [(layer.weights.copy(), layer.bias.copy()) for layer in net.layers]
    grads = net.gradients(X, Y)
    lr, wd = 0.3, 0.2
    net.fit(X, Y, epochs=1, lr=lr, weight_decay=wd)
    for layer, (W, b), (dW, db) in zip(net.layers, before, grads, strict=True):
        np.testing.assert_allclose(layer.weights, W - lr * (dW + wd * W), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(layer.bias, b - lr * db, rtol=1e-13, atol=1e-15)


def test_zero_weight_decay_is_bit_identical_to_default(regression_data):
    X, Y = regression_data
    a = bp.Network([3, 8, 2], seed=0)
    b = bp.Network([3, 8, 2], seed=0)
    a.fit(X, Y, epochs=3, batch_size=8, optimizer="adam", lr=0.01)
    b.fit(X, Y, epochs=3, batch_size=8, optimizer="adam", lr=0.01, weight_decay=0.0)
    assert_bit_identical(weights_of(a), weights_of(b))
