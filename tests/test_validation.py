"""Bad input raises ValueError/TypeError whose message names the argument, the value and
what was expected."""

from __future__ import annotations

import re

import numpy as np
import pytest

import backprop as bp

ERRORS = (ValueError, TypeError)

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "identity"]
LOSSES = ["half_squared_error", "mse", "binary_cross_entropy", "cross_entropy"]
INITS = ["normal_scaled", "xavier", "he"]
OPTIMIZERS = ["sgd", "momentum", "adam"]


def check_message(excinfo, *patterns):
    """Every pattern (a regex) must occur in the exception message."""
    message = str(excinfo.value)
    for pattern in patterns:
        assert re.search(pattern, message), f"{pattern!r} not in message: {message!r}"


def value_pattern(value) -> str:
    """The offending value as it would be printed, allowing quotes around strings."""
    return re.escape(str(value))


def net_2_3_2(**kwargs):
    kwargs.setdefault("seed", 0)
    return bp.Network([2, 3, 2], **kwargs)


def call(net, method, X, Y):
    if method == "fit":
        return net.fit(X, Y, epochs=1)
    if method == "train_step":
        return net.train_step(X, Y, 0.1)
    if method == "gradients":
        return net.gradients(X, Y)
    if method == "evaluate":
        return net.evaluate(X, Y)
    raise KeyError(method)  # pragma: no cover


METHODS = ["fit", "train_step", "gradients", "evaluate"]

X_OK = np.array([[0.1, 0.2], [0.3, -0.4], [1.0, 0.0], [0.5, 0.5], [-1.0, 2.0]])
Y_OK = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])


def test_valid_inputs_work():
    net = net_2_3_2()
    for method in METHODS:
        call(net, method, X_OK, Y_OK)
    assert net.predict(X_OK).shape == (5, 2)
    assert net.predict(X_OK.tolist()).shape == (5, 2)  # nested lists are fine


# --------------------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "bad"),
    [
        ([2, 0, 1], "0"),
        ([2, -3, 1], "-3"),
        ([2, 2.5, 1], "2.5"),
        ([0, 2], "0"),
        ([2, "3", 1], "3"),
        ("abc", "abc"),
        (None, "None"),
        (5, "5"),
    ],
)
def test_sizes_not_positive_integers(sizes, bad):
    with pytest.raises(ERRORS) as excinfo:
        bp.Network(sizes)
    check_message(excinfo, r"sizes", value_pattern(bad))


@pytest.mark.parametrize("sizes", [[3], [], (4,)])
def test_sizes_too_short(sizes):
    with pytest.raises(ValueError) as excinfo:
        bp.Network(sizes)
    check_message(excinfo, r"sizes", r"(2|two)")
    check_message(excinfo, re.escape(str(list(sizes))) + "|" + re.escape(str(sizes)))


# --------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "sigmod"},
        {"activation": ["relu", "swish"]},
        {"activation": "tanh", "output": "softplus"},
    ],
)
def test_unknown_activation(kwargs):
    bad = next(
        v
        for v in [kwargs.get("output"), *np.atleast_1d(kwargs["activation"])]
        if v is not None and v not in ACTIVATIONS
    )
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2(**kwargs)
    check_message(excinfo, r"activation|output", value_pattern(bad))
    for name in ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]:
        check_message(excinfo, re.escape(name))


def test_activation_list_wrong_length():
    with pytest.raises(ValueError) as excinfo:
        bp.Network([2, 3, 4, 2], activation=["relu"])
    check_message(excinfo, r"activation")


def test_activation_not_a_string():
    with pytest.raises(ERRORS) as excinfo:
        net_2_3_2(activation=3)
    check_message(excinfo, r"activation", r"3")


def test_unknown_loss():
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2(loss="hinge")
    check_message(excinfo, r"loss", r"hinge")
    for name in LOSSES:
        check_message(excinfo, re.escape(name))


def test_unknown_init():
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2(init="glorot_wrong")
    check_message(excinfo, r"init", r"glorot_wrong")
    for name in INITS:
        check_message(excinfo, re.escape(name))


def test_unknown_optimizer():
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        net.fit(X_OK, Y_OK, optimizer="rmsprop")
    check_message(excinfo, r"optimizer", r"rmsprop")
    for name in OPTIMIZERS:
        check_message(excinfo, re.escape(name))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activation": "softmax"},
        {"activation": ["softmax", "softmax"]},
        {"activation": ["softmax"], "output": "sigmoid"},
        {"activation": ["softmax", "sigmoid"]},
    ],
)
def test_softmax_on_hidden_layer(kwargs):
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2(**kwargs)
    check_message(excinfo, r"softmax", r"(?i)hidden|output")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"activation": "tanh", "output": "sigmoid", "loss": "cross_entropy"}, "softmax"),
        ({"activation": "tanh", "output": "identity", "loss": "cross_entropy"}, "softmax"),
        ({"activation": "tanh", "output": "softmax", "loss": "binary_cross_entropy"}, "sigmoid"),
        ({"activation": "tanh", "output": "tanh", "loss": "binary_cross_entropy"}, "sigmoid"),
    ],
)
def test_loss_does_not_fit_output(kwargs, expected):
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2(**kwargs)
    check_message(excinfo, r"loss", re.escape(kwargs["loss"]), expected)


def test_cross_entropy_needs_two_outputs():
    # the engine may reject softmax over a single output already; either way the message
    # must say what is wrong with the output layer
    with pytest.raises(ValueError) as excinfo:
        bp.Network([2, 3, 1], activation="tanh", output="softmax", loss="cross_entropy")
    check_message(excinfo, r"cross_entropy|softmax", r"(?i)two|2")


# --------------------------------------------------------------------------------------
# X and Y
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_rows_mismatch(method):
    with pytest.raises(ValueError) as excinfo:
        call(net_2_3_2(), method, X_OK, Y_OK[:4])
    check_message(excinfo, r"X|Y", r"5", r"4")


@pytest.mark.parametrize("method", [*METHODS, "predict"])
def test_x_width(method):
    X = np.ones((5, 3))
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        if method == "predict":
            net.predict(X)
        else:
            call(net, method, X, Y_OK)
    check_message(excinfo, r"X", r"3", r"2")


@pytest.mark.parametrize("method", METHODS)
def test_y_width(method):
    Y = np.ones((5, 3))
    with pytest.raises(ValueError) as excinfo:
        call(net_2_3_2(), method, X_OK, Y)
    check_message(excinfo, r"Y", r"3", r"2")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", [*METHODS, "predict"])
def test_non_finite_x(method, bad):
    X = X_OK.copy()
    X[2, 1] = bad
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        if method == "predict":
            net.predict(X)
        else:
            call(net, method, X, Y_OK)
    check_message(excinfo, r"X", r"(?i)nan|inf|finite")


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_non_finite_x_found_in_any_memory_layout(layout):
    """The quick check sums rows with one BLAS product; every layout still finds the bad
    entry, and huge finite values that overflow a float32 sum are not mistaken for it."""
    net = bp.Network([3, 2], dtype="float32")
    X = np.full((9000, 6), 1e38, np.float32)  # its sums overflow float32
    views = {"C": X[:, :3], "F": np.asfortranarray(X[:, :3]), "strided": X[:, ::2]}
    view = views[layout]
    if layout == "C":
        view = np.ascontiguousarray(view)
    assert net.predict(view).shape == (9000, 2)
    view[8765, 2] = -np.inf
    with pytest.raises(ValueError, match=r"X contains -inf at index \(8765, 2\)"):
        net.predict(view)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("method", METHODS)
def test_non_finite_y(method, bad):
    Y = Y_OK.copy()
    Y[0, 0] = bad
    with pytest.raises(ValueError) as excinfo:
        call(net_2_3_2(), method, X_OK, Y)
    check_message(excinfo, r"Y", r"(?i)nan|inf|finite")


@pytest.mark.parametrize("method", [*METHODS, "predict"])
def test_non_numeric_x(method):
    X = np.array([["a", "b"]] * 5)
    net = net_2_3_2()
    with pytest.raises(ERRORS) as excinfo:
        if method == "predict":
            net.predict(X)
        else:
            call(net, method, X, Y_OK)
    check_message(excinfo, r"X")


@pytest.mark.parametrize("method", [*METHODS, "predict"])
def test_empty_x(method):
    X = np.empty((0, 2))
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        if method == "predict":
            net.predict(X)
        else:
            call(net, method, X, np.empty((0, 2)))
    check_message(excinfo, r"X", r"(?i)empty|0 rows|no rows|no samples|0 samples|at least one")


@pytest.mark.parametrize("label", [10, -1, 12])
@pytest.mark.parametrize("method", METHODS)
def test_label_out_of_range(method, label):
    net = bp.Network([2, 4, 10], activation="tanh", output="softmax", seed=0)
    labels = np.array([0, 3, 9, label, 1])
    with pytest.raises(ValueError) as excinfo:
        call(net, method, X_OK, labels)
    check_message(excinfo, r"(?i)label|Y", re.escape(str(label)), r"9|10")


def test_non_integer_labels():
    net = bp.Network([2, 4, 3], activation="tanh", output="softmax", seed=0)
    with pytest.raises(ValueError) as excinfo:
        net.evaluate(X_OK, np.array([0, 1.5, 2, 0, 1]))
    check_message(excinfo, r"(?i)label|Y", r"1\.5")


def test_validation_data_is_checked():
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        net.fit(X_OK, Y_OK, validation_data=(np.ones((3, 5)), np.ones((3, 2))))
    check_message(excinfo, r"5")


# --------------------------------------------------------------------------------------
# lr, epochs, batch_size, optimizer instance
# --------------------------------------------------------------------------------------

BAD_LRS = [0, 0.0, -0.1, np.nan, np.inf, "fast", None]


@pytest.mark.parametrize("lr", [lr for lr in BAD_LRS if lr is not None])
def test_bad_lr_fit(lr):
    with pytest.raises(ERRORS) as excinfo:
        net_2_3_2().fit(X_OK, Y_OK, lr=lr)
    check_message(excinfo, r"lr|learning rate", value_pattern(lr))


@pytest.mark.parametrize("lr", BAD_LRS)
def test_bad_lr_train_step(lr):
    with pytest.raises(ERRORS) as excinfo:
        net_2_3_2().train_step(X_OK, Y_OK, lr)
    check_message(excinfo, r"lr|learning rate", value_pattern(lr))


@pytest.mark.parametrize("opt", ["SGD", "Momentum", "Adam"])
@pytest.mark.parametrize("lr", [0, -0.1, np.nan, np.inf, "fast"])
def test_bad_lr_optimizer_instance(opt, lr):
    with pytest.raises(ERRORS) as excinfo:
        optimizer = getattr(bp, opt)(lr=lr)
        net_2_3_2().fit(X_OK, Y_OK, optimizer=optimizer)
    check_message(excinfo, r"lr|learning rate", value_pattern(lr))


def test_optimizer_instance_and_lr():
    with pytest.raises(TypeError) as excinfo:
        net_2_3_2().fit(X_OK, Y_OK, optimizer=bp.Adam(), lr=0.01)
    check_message(excinfo, r"lr", r"(?i)optimizer")


@pytest.mark.parametrize("epochs", [0, -1])
def test_bad_epochs(epochs):
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2().fit(X_OK, Y_OK, epochs=epochs)
    check_message(excinfo, r"epochs", value_pattern(epochs))


@pytest.mark.parametrize("epochs", [2.5, "10"])
def test_non_integer_epochs(epochs):
    with pytest.raises(ERRORS) as excinfo:
        net_2_3_2().fit(X_OK, Y_OK, epochs=epochs)
    check_message(excinfo, r"epochs", value_pattern(epochs))


@pytest.mark.parametrize("batch_size", [0, -5])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError) as excinfo:
        net_2_3_2().fit(X_OK, Y_OK, batch_size=batch_size)
    check_message(excinfo, r"batch_size", value_pattern(batch_size))


# --------------------------------------------------------------------------------------
# weights assignment
# --------------------------------------------------------------------------------------


def test_weights_wrong_shape():
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        net.layers[0].weights = np.ones((3, 2))
    check_message(excinfo, r"(?i)shape|weights", r"3", r"2")
    np.testing.assert_array_equal(net.layers[0].weights.shape, (2, 3))


def test_bias_wrong_shape():
    net = net_2_3_2()
    with pytest.raises(ValueError) as excinfo:
        net.layers[0].bias = np.ones(2)
    check_message(excinfo, r"(?i)shape|bias")


# -- mistakes a user made in a bug hunt: each was a raw error from deep inside -------------------


def test_a_single_number_is_not_an_array_of_samples():
    with pytest.raises(ValueError, match=r"X must be an array, got the single number 1.0"):
        bp.Network([1, 1]).predict(1.0)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_a_seed_is_a_non_negative_integer(seed):
    with pytest.raises(ValueError, match=rf"seed must be an integer >= 0 or None, got {seed!r}"):
        bp.Network([2, 1], seed=seed)


def test_callbacks_are_a_list_of_callbacks():
    net, X, Y = bp.Network([2, 1], seed=0), np.ones((4, 2)), np.ones((4, 1))
    with pytest.raises(TypeError, match=r"callbacks must be a list .* got EarlyStopping"):
        net.fit(X, Y, callbacks=bp.EarlyStopping(patience=1))
    with pytest.raises(TypeError, match=r"callbacks\[1\] is function .* not a Callback"):
        net.fit(X, Y, callbacks=[bp.History(), lambda *a: None])


def test_explain_names_a_network_that_is_not_one():
    with pytest.raises(TypeError, match=r"net must be a backprop Network, got str"):
        bp.explain("net", [1.0, 2.0], [1.0], 0.1)


def test_an_optimizer_of_another_network_is_refused_by_name():
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 3
    adam = bp.Adam(lr=0.01)
    bp.Network([3, 5, 3], loss="cross_entropy", seed=0).fit(X, y, optimizer=adam)
    other = bp.Network([3, 4, 3], loss="cross_entropy", seed=0)
    before = other.parameter_vector.copy()
    with pytest.raises(ValueError, match=r"holds buffers \(m\) of shapes \[\(38,\)\].*\[\(31,\)\]"):
        other.fit(X, y, optimizer=adam)
    np.testing.assert_array_equal(other.parameter_vector, before)


def test_nullable_pandas_columns_are_numbers():
    pd = pytest.importorskip("pandas", reason="pandas is not installed (a test extra)")
    net = bp.Network([2, 3, 1], seed=0)
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    np.testing.assert_array_equal(net.predict(frame.astype("Float64")), net.predict(frame))
    with pytest.raises(ValueError, match=r"X contains nan at index \(1, 0\)"):
        net.predict(pd.DataFrame({"a": [1.0, None], "b": [3.0, 4.0]}).astype("Float64"))


@pytest.mark.parametrize("slope", [-0.5, float("nan")])
def test_a_leaky_relu_slope_is_not_negative(slope):
    """A bug hunt: slope -0.5 gave wrong gradients (gradcheck 1.86): the derivative is read
    from the output's sign, which a negative slope flips."""
    from backprop.engine.activations import LeakyReLU

    with pytest.raises(ValueError, match=r"slope must be a finite number >= 0"):
        LeakyReLU(slope)


# -- fit's arguments and the optimizers' settings (a bug hunt) -------------------------------------


def _fit_data():
    X = np.random.default_rng(0).normal(size=(20, 3))
    return X, (X[:, 0] > 0).astype(int)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"shuffle": "False"}, TypeError, "shuffle must be True or False, got 'False'"),
        ({"verbose": "quiet"}, ValueError, "verbose must be 0 (silent) or 1 or 2"),
        ({"initial_epoch": True}, ValueError, "initial_epoch must be an integer"),
        ({"validation_data": "X_val"}, TypeError, "validation_data must be a pair"),
        (
            {"validation_data": (np.ones((5, 2)), np.ones(5))},
            ValueError,
            "validation_data: X has 2",
        ),
        (
            {"validation_data": (np.ones((5, 3)), np.ones(20))},
            ValueError,
            "validation_data: X has 5",
        ),
    ],
    ids=["shuffle", "verbose", "initial-epoch", "pair", "val-width", "val-rows"],
)
def test_fit_names_what_it_refuses(kwargs, error, words):
    """shuffle="False" shuffled, verbose="quiet" showed a bar, initial_epoch=True meant 1, and
    validation data's mistakes were said of X and Y."""
    X, y = _fit_data()
    net = bp.Network([3, 4, 1], seed=0)
    before = net.parameter_vector.copy()
    with pytest.raises(error, match=re.escape(words)):
        net.fit(X, y, epochs=2, **kwargs)
    np.testing.assert_array_equal(net.parameter_vector, before)


def test_fit_takes_numpys_integers_for_epochs_alike():
    X, y = _fit_data()
    history = bp.Network([3, 4, 1], seed=0).fit(X, y, epochs=np.int64(3), initial_epoch=np.int64(1))
    assert history.epoch == [1, 2]


def test_huge_sample_weights_weigh_as_their_ratios():
    """Their sum overflowed to inf and every weight became 0: nothing trained."""
    X, y = _fit_data()
    huge = np.ones(20)
    huge[:2] = 1e308
    trained = bp.Network([3, 4, 1], seed=0).fit(X, y, epochs=2, sample_weight=huge)
    assert trained.history["loss"][0] > 0


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: bp.SGD(lr=0.1, momentum=0.9), TypeError, "momentum"),  # ignored, silently
        (lambda: bp.Momentum(nesterov="False"), TypeError, "nesterov must be True or False"),
        (lambda: bp.Momentum(momentum="x"), TypeError, "momentum must be a number in [0, 1]"),
        (lambda: bp.Adam(beta2=1.0), ValueError, "beta2 must be in [0, 1)"),
        (lambda: bp.SGD(lr=0.0), ValueError, "lr must be a positive finite number"),
    ],
)
def test_optimizer_settings_are_checked(make, error, words):
    with pytest.raises(error, match=re.escape(words)):
        make()


def test_set_state_checks_the_settings_and_changes_nothing_it_refuses():
    """An lr of -0.5 trained by gradient ascent."""
    sgd = bp.SGD(0.5)
    for state, error in (({"lr": -0.5}, ValueError), ({"lr": "0.5"}, TypeError)):
        with pytest.raises(error, match="lr must be a"):
            sgd.set_state(state)
        assert sgd.lr == 0.5
    sgd.set_state({"lr": 0.0})  # where a schedule may bring it
    assert sgd.lr == 0.0
