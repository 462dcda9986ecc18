"""Cross-checks against PyTorch in float64: gradients, and 100 optimizer steps."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: the cross-checks against torch are skipped"
)
F = torch.nn.functional

torch.set_num_threads(1)

TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "identity": lambda z: z,
    "softmax": lambda z: torch.softmax(z, dim=1),
}


def torch_params(net):
    """nn.Linear copies of the network's layers (torch weight = our weights.T)."""
    linears = []
    for layer in net.layers:
        n_in, n_out = layer.weights.shape
        lin = torch.nn.Linear(n_in, n_out, bias=layer.bias is not None, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.asarray(layer.weights, dtype=np.float64).T))
            if layer.bias is not None:
                lin.bias.copy_(torch.tensor(np.asarray(layer.bias, dtype=np.float64)))
        linears.append(lin)
    return linears


def torch_loss(linears, acts, loss, X, Y):
    """acts: one activation name per layer; Y: 2-D float targets, or 1-D int labels for CE."""
    h = torch.tensor(X, dtype=torch.float64)
    z = h
    for lin, act in zip(linears, acts, strict=True):
        z = lin(h)
        h = TORCH_ACT[act](z)
    n = h.shape[0]
    if loss == "cross_entropy":
        labels = torch.tensor(Y, dtype=torch.long)
        assert acts[-1] == "softmax"
        return F.cross_entropy(z, labels)
    y = torch.tensor(Y, dtype=torch.float64)
    if loss == "half_squared_error":
        return 0.5 * ((h - y) ** 2).sum() / n
    if loss == "mse":
        return F.mse_loss(h, y)
    if loss == "binary_cross_entropy":
        assert acts[-1] == "sigmoid"
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum") / n
    raise KeyError(loss)  # pragma: no cover


def assert_same_weights(net, linears, rtol, atol):
    for layer, lin in zip(net.layers, linears, strict=True):
        np.testing.assert_allclose(
            layer.weights, lin.weight.detach().numpy().T, rtol=rtol, atol=atol
        )
        if layer.bias is None:
            assert lin.bias is None
        else:
            np.testing.assert_allclose(layer.bias, lin.bias.detach().numpy(), rtol=rtol, atol=atol)


def data_for(loss, n, n_in, n_out, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in))
    if loss == "cross_entropy":
        Y = rng.integers(0, n_out, size=n)  # integer labels, one-hot encoded by the network
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n, n_out)).astype(float)
    else:
        Y = rng.uniform(-0.5, 1.0, size=(n, n_out))
    return X, Y


GRADIENT_CASES = [
    # sizes, activations per weight layer, loss, bias
    ([3, 5, 4], ["tanh", "softmax"], "cross_entropy", True),
    ([4, 6, 5, 10], ["relu", "leaky_relu", "softmax"], "cross_entropy", True),
    ([3, 5, 2], ["sigmoid", "sigmoid"], "binary_cross_entropy", True),
    ([3, 4, 4, 1], ["tanh", "relu", "sigmoid"], "binary_cross_entropy", True),
    ([3, 5, 2], ["tanh", "identity"], "mse", True),
    ([3, 5, 3], ["leaky_relu", "tanh"], "mse", False),
    ([2, 4, 1], ["sigmoid", "sigmoid"], "half_squared_error", True),
    ([4, 6, 6, 3], ["relu", "identity", "softmax"], "half_squared_error", True),
    ([4, 7, 3], ["identity", "relu"], "half_squared_error", False),
]


@pytest.mark.parametrize("n", [1, 8])
@pytest.mark.parametrize(("sizes", "acts", "loss", "bias"), GRADIENT_CASES)
def test_gradients_match_torch(sizes, acts, loss, bias, n):
    X, Y = data_for(loss, n, sizes[0], sizes[-1], seed=len(sizes) + n)
    net = bp.Network(sizes, activation=acts, loss=loss, bias=bias, seed=11)
    if bias:  # non-zero biases so that they matter
        brng = np.random.default_rng(5)
        for layer in net.layers:
            layer.bias = brng.uniform(-0.5, 0.5, size=layer.bias.shape)
    linears = torch_params(net)
    t_loss = torch_loss(linears, acts, loss, X, Y)
    t_loss.backward()

    assert net.evaluate(X, Y)["loss"] == pytest.approx(t_loss.item(), rel=1e-12, abs=1e-14)
    grads = net.gradients(X, Y)
    assert len(grads) == len(linears)
    for (dW, db), lin in zip(grads, linears, strict=True):
        assert dW.shape == lin.weight.shape[::-1]
        np.testing.assert_allclose(dW, lin.weight.grad.numpy().T, rtol=1e-10, atol=1e-10)
        if bias:
            np.testing.assert_allclose(db, lin.bias.grad.numpy(), rtol=1e-10, atol=1e-10)
        else:
            assert db is None


def test_train_step_matches_torch_sgd_step():
    X, Y = data_for("cross_entropy", 9, 4, 3)
    acts = ["tanh", "softmax"]
    net = bp.Network([4, 6, 3], activation=acts, seed=2)
    assert net.loss.name == "cross_entropy"
    linears = torch_params(net)
    opt = torch.optim.SGD([p for lin in linears for p in lin.parameters()], lr=0.3)
    for _ in range(5):
        opt.zero_grad()
        t_loss = torch_loss(linears, acts, "cross_entropy", X, Y)
        t_loss.backward()
        opt.step()
        ours = net.train_step(X, Y, 0.3)
        assert ours == pytest.approx(t_loss.item(), rel=1e-12)
    assert_same_weights(net, linears, rtol=1e-12, atol=1e-13)


# --------------------------------------------------------------------------------------
# 100 optimizer steps on fixed mini-batches
# --------------------------------------------------------------------------------------

N, BATCH = 40, 10  # 4 steps per epoch
EPOCHS = 25  # 100 steps

OPT_CASES = {
    # id: (fit kwargs factory (fresh optimizer instances), torch optimizer factory(param_groups))
    "sgd-string": (
        lambda: dict(optimizer="sgd", lr=0.2),
        lambda g: torch.optim.SGD(g, lr=0.2),
    ),
    "sgd-default-lr": (
        lambda: dict(optimizer="sgd"),
        lambda g: torch.optim.SGD(g, lr=0.1),
    ),
    "sgd-instance": (
        lambda: dict(optimizer=bp.SGD(lr=0.15)),
        lambda g: torch.optim.SGD(g, lr=0.15),
    ),
    "momentum-string": (
        lambda: dict(optimizer="momentum", lr=0.05),
        lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.9),
    ),
    "momentum-default": (
        lambda: dict(optimizer="momentum"),
        lambda g: torch.optim.SGD(g, lr=0.1, momentum=0.9),
    ),
    "momentum-instance": (
        lambda: dict(optimizer=bp.Momentum(lr=0.05, momentum=0.7)),
        lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.7),
    ),
    "nesterov": (
        lambda: dict(optimizer=bp.Momentum(lr=0.05, momentum=0.9, nesterov=True)),
        lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "adam-string": (
        lambda: dict(optimizer="adam", lr=0.01),
        lambda g: torch.optim.Adam(g, lr=0.01),
    ),
    "adam-default": (
        lambda: dict(optimizer="adam"),
        lambda g: torch.optim.Adam(g, lr=0.001, betas=(0.9, 0.999), eps=1e-8),
    ),
    "adam-instance": (
        lambda: dict(optimizer=bp.Adam(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6)),
        lambda g: torch.optim.Adam(g, lr=0.02, betas=(0.8, 0.99), eps=1e-6),
    ),
}

WD_CASES = {
    "sgd-wd": (
        lambda: dict(optimizer="sgd", lr=0.2, weight_decay=0.05),
        lambda g: torch.optim.SGD(g, lr=0.2),
    ),
    "momentum-wd": (
        lambda: dict(optimizer="momentum", lr=0.05, weight_decay=0.01),
        lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.9),
    ),
    "nesterov-wd": (
        lambda: dict(
            optimizer=bp.Momentum(lr=0.05, momentum=0.9, nesterov=True), weight_decay=0.02
        ),
        lambda g: torch.optim.SGD(g, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "adam-wd": (
        lambda: dict(optimizer="adam", lr=0.01, weight_decay=0.03),
        lambda g: torch.optim.Adam(g, lr=0.01),
    ),
}

ARCH_CASES = {
    "tanh-softmax-ce": ([4, 8, 3], ["tanh", "softmax"], "cross_entropy"),
    "sigmoid-bce": ([4, 6, 5, 2], ["sigmoid", "tanh", "sigmoid"], "binary_cross_entropy"),
    "tanh-identity-half": ([4, 7, 2], ["tanh", "identity"], "half_squared_error"),
}


def run_both(arch, fit_kwargs, make_opt, weight_decay=0.0):
    sizes, acts, loss = ARCH_CASES[arch]
    X, Y = data_for(loss, N, sizes[0], sizes[-1], seed=3)
    net = bp.Network(sizes, activation=acts, loss=loss, seed=4)
    linears = torch_params(net)
    weights = [lin.weight for lin in linears]
    biases = [lin.bias for lin in linears]
    opt = make_opt(
        [
            {"params": weights, "weight_decay": weight_decay},
            {"params": biases, "weight_decay": 0.0},
        ]
    )
    torch_epoch_losses = []
    for _ in range(EPOCHS):
        total = 0.0
        for start in range(0, N, BATCH):
            xb, yb = X[start : start + BATCH], Y[start : start + BATCH]
            opt.zero_grad()
            t_loss = torch_loss(linears, acts, loss, xb, yb)
            t_loss.backward()
            opt.step()
            total += t_loss.item() * len(xb)
        torch_epoch_losses.append(total / N)

    history = net.fit(X, Y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, **fit_kwargs)
    return net, linears, history, torch_epoch_losses


@pytest.mark.parametrize("arch", list(ARCH_CASES))
@pytest.mark.parametrize("opt_id", list(OPT_CASES))
def test_optimizers_match_torch(opt_id, arch):
    make_kwargs, make_opt = OPT_CASES[opt_id]
    net, linears, history, torch_losses = run_both(arch, make_kwargs(), make_opt)
    assert_same_weights(net, linears, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(history.history["loss"], torch_losses, rtol=1e-9, atol=1e-12)
    # the weights actually moved
    start = bp.Network(ARCH_CASES[arch][0], activation=ARCH_CASES[arch][1], seed=4)
    assert not np.allclose(start.layers[0].weights, net.layers[0].weights, atol=1e-4)


@pytest.mark.parametrize("arch", ["tanh-softmax-ce", "sigmoid-bce"])
@pytest.mark.parametrize("opt_id", list(WD_CASES))
def test_weight_decay_matches_torch_weights_only(opt_id, arch):
    make_kwargs, make_opt = WD_CASES[opt_id]
    fit_kwargs = make_kwargs()
    wd = fit_kwargs["weight_decay"]
    net, linears, history, torch_losses = run_both(arch, fit_kwargs, make_opt, weight_decay=wd)
    assert_same_weights(net, linears, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(history.history["loss"], torch_losses, rtol=1e-9, atol=1e-12)


def test_weight_decay_is_not_applied_to_biases():
    """Against torch with decay on *all* parameters, the biases must differ."""
    sizes, acts, loss = ARCH_CASES["tanh-identity-half"]
    X, Y = data_for(loss, N, sizes[0], sizes[-1], seed=3)
    net = bp.Network(sizes, activation=acts, loss=loss, seed=4)
    linears = torch_params(net)
    opt = torch.optim.SGD(
        [p for lin in linears for p in lin.parameters()], lr=0.2, weight_decay=0.5
    )
    for _ in range(EPOCHS):
        for start in range(0, N, BATCH):
            opt.zero_grad()
            torch_loss(
                linears, acts, loss, X[start : start + BATCH], Y[start : start + BATCH]
            ).backward()
            opt.step()
    net.fit(X, Y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, lr=0.2, weight_decay=0.5)
    diffs = [
        np.max(np.abs(layer.bias - lin.bias.detach().numpy()))
        for layer, lin in zip(net.layers, linears, strict=True)
    ]
    assert max(diffs) > 1e-6


def test_train_step_per_batch_matches_torch_sgd():
    """train_step is plain gradient descent: 4 train_steps == torch SGD without momentum."""
    sizes, acts, loss = ARCH_CASES["sigmoid-bce"]
    X, Y = data_for(loss, N, sizes[0], sizes[-1], seed=8)
    net = bp.Network(sizes, activation=acts, loss=loss, seed=9)
    linears = torch_params(net)
    opt = torch.optim.SGD([p for lin in linears for p in lin.parameters()], lr=0.5)
    for start in range(0, N, BATCH):
        xb, yb = X[start : start + BATCH], Y[start : start + BATCH]
        opt.zero_grad()
        t = torch_loss(linears, acts, loss, xb, yb)
        t.backward()
        opt.step()
        assert net.train_step(xb, yb, 0.5) == pytest.approx(t.item(), rel=1e-12)
    assert_same_weights(net, linears, rtol=1e-11, atol=1e-12)
