"""The engine on a CUDA GPU, through PyTorch and CuPy: the same numbers as NumPy.

Marked ``gpu`` and skipped, with the reason, on a machine without a CUDA device (CI has
none): ``make test-gpu`` runs them where there is one. tests/test_backends.py proves the same
code portable on the CPU (PyTorch CPU tensors, array_api_strict).
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.engine.backend import backend_of, to_numpy

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: the GPU tests run on its CUDA tensors"
)

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="no CUDA device here: run `make test-gpu` on a GPU"
    ),
]


def _cupy_on_gpu() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # not installed, or no driver
        return False


GPU_BACKENDS = [
    "torch",
    pytest.param("cupy", marks=pytest.mark.skipif(not _cupy_on_gpu(), reason="no CuPy")),
]
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu"]
OUTPUTS = [
    ("sigmoid", "half_squared_error"),
    ("identity", "mse"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "cross_entropy"),
    ("exp", "poisson"),
]


def data(loss: str, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 6))
    if loss == "cross_entropy":
        return X, rng.integers(0, 3, n)
    if loss == "poisson":
        return X, rng.poisson(1.5, size=(n, 3)).astype(float)
    return X, rng.random((n, 3))


def relative_error(actual, expected) -> float:
    actual, expected = to_numpy(actual), to_numpy(expected)
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


@pytest.mark.parametrize("backend", GPU_BACKENDS)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("output", "loss"), OUTPUTS)
def test_float64_training_on_the_gpu_gives_numpys_weights(backend, optimizer, hidden, output, loss):
    X, Y = data(loss)
    weights = []
    for name, device in (("numpy", None), (backend, "cuda")):
        net = bp.Network(
            [6, 8, 3],
            activation=hidden,
            output=output,
            loss=loss,
            seed=3,
            backend=name,
            device=device,
        )
        net.fit(X, Y, epochs=25, batch_size=16, optimizer=optimizer, lr=0.01)  # 100 steps
        weights.append(net.parameter_vector)
    assert relative_error(weights[1], weights[0]) < 1e-10


@pytest.mark.parametrize("backend", GPU_BACKENDS)
@pytest.mark.parametrize(("output", "loss"), OUTPUTS)
def test_gradients_on_the_gpu_equal_numpys(backend, output, loss):
    X, Y = data(loss)
    nets = [
        bp.Network(
            [6, 8, 3], activation="tanh", output=output, loss=loss, seed=3, backend=b, device=d
        )
        for b, d in (("numpy", None), (backend, "cuda"))
    ]
    for (dW, db), (dW_np, db_np) in zip(
        nets[1].gradients(X, Y), nets[0].gradients(X, Y), strict=True
    ):
        assert relative_error(dW, dW_np) < 1e-12 and relative_error(db, db_np) < 1e-12
    assert bp.gradcheck(nets[1], X[:8], Y[:8]) < 1e-7


def test_data_stays_on_the_gpu_and_comes_back_as_given():
    X, Y = data("cross_entropy", n=256)
    x, y = torch.asarray(X, device="cuda"), torch.asarray(Y, device="cuda")
    net = bp.Network(
        [6, 16, 3], activation="relu", loss="cross_entropy", seed=0, backend="torch", device="cuda"
    )
    history = net.fit(x, y, epochs=3, batch_size=32, validation_data=(x[:64], y[:64]))
    assert all(isinstance(v, float) for v in history.history["val_accuracy"])
    assert net.parameter_vector.device.type == "cuda"
    on_gpu = net.predict(x)
    assert on_gpu.device.type == "cuda" and not on_gpu.requires_grad
    assert isinstance(net.predict(X), np.ndarray)
    np.testing.assert_allclose(net.predict(X), on_gpu.cpu().numpy(), rtol=1e-6)
    assert backend_of(net.gradients(x, y)[0][0]).device.startswith("cuda")


def test_a_model_trained_on_the_gpu_loads_without_one(tmp_path):
    X, Y = data("mse")
    net = bp.Network(
        [6, 8, 3],
        output="identity",
        loss="mse",
        seed=0,
        dtype="float32",
        backend="torch",
        device="cuda",
    )
    net.fit(X, Y, epochs=2, batch_size=16, optimizer="adam")
    loaded = bp.load(net.save(tmp_path / "model.npz"))
    assert isinstance(loaded.parameter_vector, np.ndarray)
    assert np.array_equal(loaded.parameter_vector, net.parameter_vector.cpu().numpy())
    # The same weights; float32 products of another library round differently.
    np.testing.assert_allclose(loaded.predict(X), net.predict(X), rtol=1e-5, atol=1e-6)


def test_a_device_that_is_not_there_is_named():
    with pytest.raises(ValueError, match=r"device='cuda:99' but PyTorch finds"):
        bp.Network([2, 1], backend="torch", device="cuda:99")


def test_float32_mnist_shaped_epoch_trains_on_the_gpu():
    rng = np.random.default_rng(0)
    x = torch.asarray(rng.random((6000, 784), dtype=np.float32), device="cuda")
    y = torch.asarray(rng.integers(0, 10, 6000), device="cuda")
    net = bp.Network(
        [784, 128, 10],
        activation="relu",
        loss="cross_entropy",
        seed=0,
        dtype="float32",
        backend="torch",
        device="cuda",
    )
    reference = bp.Network(
        [784, 128, 10], activation="relu", loss="cross_entropy", seed=0, dtype="float32"
    )
    net.fit(x, y, epochs=1, batch_size=128, lr=0.01)
    reference.fit(x.cpu().numpy(), y.cpu().numpy(), epochs=1, batch_size=128, lr=0.01)
    assert relative_error(net.parameter_vector, reference.parameter_vector) < 1e-4
