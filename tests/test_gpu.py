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


# -- steps recorded as CUDA graphs (backprop.training.graphs) --

#: Each a function, so that every fit gets callbacks of its own.
GRAPH_FITS = {
    "adam": lambda: {"optimizer": "adam", "lr": 0.01},
    "momentum, step decay": lambda: {
        "optimizer": "momentum",
        "lr": 0.05,
        "callbacks": [bp.StepDecay(every=1, factor=0.5)],
    },
    "sgd, penalties, clipping, weights": lambda: {
        "optimizer": "sgd",
        "lr": 0.1,
        "weight_decay": 1e-2,
        "l1": 1e-3,
        "clip_norm": 0.05,
        "sample_weight": np.linspace(0.5, 2.0, 50),
    },
    "adam, clipping": lambda: {"optimizer": "adam", "lr": 0.01, "clip_norm": 0.05},
    "full batch": lambda: {"optimizer": "sgd", "lr": 0.5, "batch_size": None},
}
GRAPH_NETWORKS = [
    ("tanh", "softmax", "cross_entropy"),
    ("tanh", "sigmoid", "binary_cross_entropy"),
    ("relu", "identity", "mse"),
]


@pytest.mark.parametrize(("hidden", "output", "loss"), GRAPH_NETWORKS)
@pytest.mark.parametrize("fit", GRAPH_FITS.values(), ids=GRAPH_FITS.keys())
def test_steps_replayed_from_cuda_graphs_give_numpys_weights(
    fit, hidden, output, loss, monkeypatch
):
    """50 rows in chunks of 3 batches of 8: two recordings (a full chunk and the shorter
    last one), replayed 3 times an epoch; float64 weights as NumPy's within 1e-10."""
    from backprop.training import batches, graphs

    monkeypatch.setattr(batches, "CHUNK_BYTES", 3 * 8 * 8 * (6 + 3 + 1 + 1))
    recorded = []
    real = graphs.recorder_for

    def watched(backend):
        record = real(backend)
        return lambda work, warm_up: recorded.append(1) or record(work, warm_up)

    monkeypatch.setattr(graphs, "recorder_for", watched)
    X, Y = data(loss, n=50)
    results = []
    for name, device in (("numpy", None), ("torch", "cuda")):
        net = bp.Network(
            [6, 8, 3], activation=hidden, output=output, loss=loss, seed=3, backend=name,
            device=device,
        )  # fmt: skip
        history = net.fit(X, Y, epochs=4, **{"batch_size": 8, **fit()})
        results.append((net.parameter_vector, history.history["loss"]))
    assert recorded, "the fit on CUDA trained eagerly"
    assert relative_error(results[1][0], results[0][0]) < 1e-10
    assert relative_error(np.array(results[1][1]), np.array(results[0][1])) < 1e-12


def test_cuda_graphs_and_eager_steps_agree_in_float32(monkeypatch):
    x, y = data("cross_entropy", n=1000)
    weights = []
    for graphs_on in ("1", "0"):
        monkeypatch.setenv("BACKPROP_CUDA_GRAPHS", graphs_on)
        net = bp.Network(
            [6, 32, 3], activation="relu", loss="cross_entropy", seed=0, dtype="float32",
            backend="torch", device="cuda",
        )  # fmt: skip
        net.fit(x, y, epochs=3, batch_size=32, optimizer="adam", verbose=1)
        weights.append(net.parameter_vector)
    assert relative_error(weights[0], weights[1]) < 1e-5


@pytest.mark.parametrize("graphs_on", ["1", "0"], ids=["replayed", "eager"])
@pytest.mark.parametrize("sizes", [[2, 3, 2], [20, 30, 10]])
def test_float32_biases_aligned_or_not_train_as_numpy(sizes, graphs_on, monkeypatch):
    """A bias 16-byte aligned in the parameter vector goes into addmm, one that is not is
    added after the product (cuBLASLt's fused bias may fault on it: pytorch#194497). Each of
    these networks has one of each."""
    monkeypatch.setenv("BACKPROP_CUDA_GRAPHS", graphs_on)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, sizes[0])), rng.integers(0, sizes[-1], 2000)
    weights = []
    for name, device in (("numpy", None), ("torch", "cuda")):
        net = bp.Network(
            sizes, activation="relu", output="softmax", seed=0, dtype="float32", backend=name,
            device=device,
        )  # fmt: skip
        net.fit(X, y, epochs=3, lr=0.05, batch_size=32)
        weights.append(net.parameter_vector)
    aligned = [layer.bias.data_ptr() % 16 == 0 for layer in net.layers]
    assert True in aligned and False in aligned
    assert relative_error(weights[1], weights[0]) < 1e-4
