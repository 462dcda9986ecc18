"""Worked examples: the 2-2-1 linear network by hand, XOR, and scikit-learn digits."""

from __future__ import annotations

import time

import numpy as np
import pytest

import backprop as bp

# --------------------------------------------------------------------------------------
# The worked example: linear 2-2-1, no biases, one gradient-descent step by hand.
# w1: i1->h1, w2: i2->h1, w3: i1->h2, w4: i2->h2, w5: h1->o1, w6: h2->o1
# --------------------------------------------------------------------------------------

W1, W2, W3, W4, W5, W6 = 0.11, 0.21, 0.12, 0.08, 0.14, 0.15
I1, I2 = 2.0, 3.0
TARGET = 1.0
LR = 0.05


def hand_step():
    """Forward pass, half squared error, chain rule and update, written out term by term."""
    h1 = I1 * W1 + I2 * W2  # 0.85
    h2 = I1 * W3 + I2 * W4  # 0.48
    out = h1 * W5 + h2 * W6  # 0.191
    loss = 0.5 * (TARGET - out) ** 2  # 0.3272405
    d_out = out - TARGET  # dE/d(out) = -(target - out) = -0.809
    grads = {
        "w5": d_out * h1,
        "w6": d_out * h2,
        "w1": d_out * W5 * I1,
        "w2": d_out * W5 * I2,
        "w3": d_out * W6 * I1,
        "w4": d_out * W6 * I2,
    }
    old = {"w1": W1, "w2": W2, "w3": W3, "w4": W4, "w5": W5, "w6": W6}
    new = {k: old[k] - LR * grads[k] for k in old}
    h1n = I1 * new["w1"] + I2 * new["w2"]
    h2n = I1 * new["w3"] + I2 * new["w4"]
    out_new = h1n * new["w5"] + h2n * new["w6"]
    return out, loss, grads, new, out_new


def worked_network():
    net = bp.Network([2, 2, 1], activation="identity", bias=False)
    net.layers[0].weights = [[W1, W3], [W2, W4]]
    net.layers[1].weights = [[W5], [W6]]
    return net


def test_worked_example_hand_values_are_the_tutorial_numbers():
    out, loss, _, new, out_new = hand_step()
    assert out == pytest.approx(0.191)
    assert loss == pytest.approx(0.3272405)
    assert round(loss, 3) == 0.327
    assert new["w6"] == pytest.approx(0.169416)
    assert new["w5"] == pytest.approx(0.1743825)
    assert new["w2"] == pytest.approx(0.226989)
    assert new["w1"] == pytest.approx(0.121326)
    assert new["w4"] == pytest.approx(0.0982025)
    assert new["w3"] == pytest.approx(0.132135)
    assert round(new["w6"], 4) == 0.1694
    assert round(new["w5"], 4) == 0.1744
    assert round(new["w2"], 4) == 0.2270
    assert round(new["w1"], 4) == 0.1213
    assert round(out_new, 4) == 0.2557
    assert round(out_new, 2) == 0.26


def test_worked_example_forward_and_loss():
    net = worked_network()
    X = np.array([[I1, I2]])
    Y = np.array([[TARGET]])
    out, loss, _, _, _ = hand_step()
    pred = net.predict(X)
    assert pred.shape == (1, 1)
    assert pred[0, 0] == pytest.approx(out, abs=1e-14)
    assert round(float(pred[0, 0]), 3) == 0.191
    assert net.loss.name == "half_squared_error"
    assert net.evaluate(X, Y)["loss"] == pytest.approx(loss, abs=1e-14)


def test_worked_example_gradients():
    net = worked_network()
    _, _, g, _, _ = hand_step()
    (dW0, db0), (dW1, db1) = net.gradients(np.array([[I1, I2]]), np.array([[TARGET]]))
    assert db0 is None and db1 is None
    np.testing.assert_allclose(dW0, [[g["w1"], g["w3"]], [g["w2"], g["w4"]]], atol=1e-14)
    np.testing.assert_allclose(dW1, [[g["w5"]], [g["w6"]]], atol=1e-14)


@pytest.mark.parametrize("how", ["train_step", "fit", "fit-1d-target"])
def test_worked_example_one_update(how):
    net = worked_network()
    X = np.array([[I1, I2]])
    Y = np.array([[TARGET]])
    _out, loss, _, new, out_new = hand_step()
    if how == "train_step":
        reported = net.train_step(X, Y, LR)
    elif how == "fit":
        reported = net.fit(X, Y, epochs=1, lr=LR).history["loss"][0]
    else:
        reported = net.fit(X, np.array([TARGET]), epochs=1, lr=LR).history["loss"][0]
    assert reported == pytest.approx(loss, abs=1e-14)  # loss BEFORE the update
    np.testing.assert_allclose(
        net.layers[0].weights, [[new["w1"], new["w3"]], [new["w2"], new["w4"]]], atol=1e-14
    )
    np.testing.assert_allclose(net.layers[1].weights, [[new["w5"]], [new["w6"]]], atol=1e-14)
    assert net.predict(X)[0, 0] == pytest.approx(out_new, abs=1e-14)
    assert round(float(net.predict(X)[0, 0]), 2) == 0.26


# --------------------------------------------------------------------------------------
# XOR with a 2-2-1 sigmoid network, online learning
# --------------------------------------------------------------------------------------


def test_xor_converges_for_most_seeds(xor_data, capsys):
    X, Y = xor_data
    solved = []
    t0 = time.perf_counter()
    for seed in range(10):
        net = bp.Network([2, 2, 1], activation="sigmoid", loss="half_squared_error", seed=seed)
        history = net.fit(X, Y, epochs=10_000, lr=0.2, batch_size=1)
        assert len(history.history["loss"]) == 10_000
        pred = net.predict(X)
        if np.array_equal(np.round(pred), Y):
            solved.append(seed)
    elapsed = time.perf_counter() - t0
    with capsys.disabled():  # the count is the result worth seeing in every run
        print(f"\nXOR: {len(solved)}/10 seeds solved ({solved}) in {elapsed:.1f} s")
    assert len(solved) >= 8, f"only {len(solved)}/10 seeds solved XOR: {solved}"


# --------------------------------------------------------------------------------------
# scikit-learn digits
# --------------------------------------------------------------------------------------


def test_digits_reaches_97_percent(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    t0 = time.perf_counter()
    net = bp.Network([64, 32, 16, 10], activation="relu", output="softmax", init="he", seed=0)
    assert net.loss.name == "cross_entropy"
    history = net.fit(
        X_train,
        y_train,
        epochs=40,
        batch_size=32,
        optimizer="adam",
        lr=0.005,
        validation_data=(X_test, y_test),
    )
    elapsed = time.perf_counter() - t0
    result = net.evaluate(X_test, y_test)
    accuracy = np.mean(np.argmax(net.predict(X_test), axis=1) == y_test)
    print(
        f"digits: test accuracy {accuracy:.4f} after {len(history.epoch)} epochs in {elapsed:.1f} s"
    )
    assert result["accuracy"] == pytest.approx(accuracy)
    assert history.history["val_accuracy"][-1] == pytest.approx(accuracy)
    assert accuracy >= 0.97
    assert history.history["loss"][-1] < history.history["loss"][0]
