"""The properties that make training fast, checked without timing anything.

Speed itself is measured by ``benchmarks/run.py``; these tests pin down what it relies on:
no per-step or per-epoch copies of the data, parameters updated in place in one vector, and
float32 training that stays close to float64.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import load_digits

import backprop as bp
from backprop.training import batches

#: float32 vs float64 after 10 epochs on digits: the largest difference of any weight or
#: output seen is about 4e-6; this bound leaves 25x room for other BLAS builds.
FLOAT32_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def big_data() -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped float32 data, 48 MB: any copy of it would stand out."""
    rng = np.random.default_rng(0)
    return rng.random((16_000, 784), dtype=np.float32), rng.integers(0, 10, 16_000)


def test_training_never_copies_the_data(big_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = big_data
    net = bp.Network([784, 64, 10], activation="relu", output="softmax", seed=0, dtype="float32")
    net.fit(X[:256], y[:256], epochs=1, lr=0.01, batch_size=128)  # warm up NumPy's caches
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        net.fit(X, y, epochs=2, lr=0.01, batch_size=128, validation_data=(X[:4096], y[:4096]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = peak - before
    # The largest arrays fit should make: the buffers of one chunk of shuffled rows
    # (CHUNK_BYTES), the one-hot targets (16,000 x 10) and a 4096-row forward pass for the
    # validation loss; a copy of X would be 50 MB.
    limit = batches.CHUNK_BYTES + 5e6
    assert growth < limit, f"fit allocated up to {growth / 1e6:.1f} MB at once"


def test_a_steady_state_step_allocates_only_batch_sized_arrays(
    big_data: tuple[np.ndarray, np.ndarray],
) -> None:
    X, y = big_data
    net = bp.Network([784, 64, 10], activation="relu", output="softmax", seed=0, dtype="float32")
    x, Y = net.check_data(X[:128], y[:128])
    gradient = np.empty_like(net.parameter_vector)
    views = net.views(gradient)
    optimizer = bp.SGD(lr=0.01)
    net.backward(Y, *net.forward(x), out=views)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(3):  # a step of fit: forward, backward into the gradient, update
            net.backward(Y, *net.forward(x), out=views)
            optimizer.step([net.parameter_vector], [gradient])
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    batch_bytes = x.nbytes  # 128 x 784 float32: 400 kB
    assert peak - before < 2 * batch_bytes  # the layers' activations, net inputs and deltas
    assert after - before < 10_000  # nothing kept between steps


def test_layers_are_views_into_one_parameter_vector() -> None:
    net = bp.Network([3, 4, 2], seed=0)
    vector = net.parameter_vector
    assert vector.size == 3 * 4 + 4 * 2 + 4 + 2
    for layer in net.layers:
        assert np.shares_memory(layer.weights, vector)
        assert layer.bias is not None and np.shares_memory(layer.bias, vector)
    net.fit(np.eye(3), np.array([0, 1, 0]), epochs=3, lr=0.5)
    assert np.shares_memory(net.layers[1].weights, net.parameter_vector)  # still, after fit
    net.layers[0].weights = np.zeros((3, 4))  # assignment writes through
    assert not vector[:12].any()


def test_pickle_keeps_the_layers_views() -> None:
    import pickle

    net = pickle.loads(pickle.dumps(bp.Network([2, 3, 1], seed=0)))
    net.parameter_vector[0] = 42.0
    assert net.layers[0].weights[0, 0] == 42.0


@pytest.mark.parametrize(
    ("activation", "optimizer", "lr"),
    [("sigmoid", "sgd", 0.5), ("relu", "sgd", 0.1), ("tanh", "adam", 0.002)],
)
def test_float32_training_follows_float64(activation: str, optimizer: str, lr: float) -> None:
    digits = load_digits()
    X, y = digits.data / 16, digits.target
    nets = [
        bp.Network([64, 32, 16, 10], activation=activation, output="softmax", seed=0, dtype=dtype)
        for dtype in ("float64", "float32")
    ]
    for net in nets:
        net.fit(X, y, epochs=10, lr=lr, batch_size=32, optimizer=optimizer)
    net64, net32 = nets
    assert net32.parameter_vector.dtype == np.float32
    gap = np.abs(net64.parameter_vector - net32.parameter_vector).max()
    assert gap < FLOAT32_TOLERANCE
    out64, out32 = net64.predict(X), net32.predict(X)
    assert np.abs(out64 - out32).max() < FLOAT32_TOLERANCE
    assert (out64.argmax(axis=1) == out32.argmax(axis=1)).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_all_finite_sees_every_inf_and_nan(dtype: str) -> None:
    from backprop.engine.arrays import all_finite

    vector = np.linspace(-3.0, 3.0, 1001).astype(dtype)
    assert all_finite(vector)
    with np.errstate(invalid="ignore"):  # as in fit
        for bad in (np.inf, -np.inf, np.nan):
            for index in (0, 500, 1000):
                spoiled = vector.copy()
                spoiled[index] = bad
                assert not all_finite(spoiled)
        both = vector.copy()
        both[[3, 7]] = np.inf, -np.inf  # inf - inf is NaN: still seen
        assert not all_finite(both)


def test_shared_constant_arrays_are_read_only() -> None:
    from backprop.engine.arrays import ones, zeros

    for array in (ones(5, np.dtype("float64")), zeros((2, 3), np.dtype("float32"))):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 7


def test_relu_caches_zeros_for_batches_only() -> None:
    from backprop.engine.activations import ReLU
    from backprop.engine.arrays import zeros

    relu = ReLU()
    rng = np.random.default_rng(0)
    zeros.cache_clear()
    for shape in [(32, 16), (400, 300)]:  # a training batch, and prediction-sized
        z = rng.normal(size=shape)
        np.testing.assert_array_equal(relu(z), np.where(z > 0, z, 0.0))
    assert zeros.cache_info().currsize == 1  # the batch's zeros only


# -- on PyTorch: few kernels per step -------------------------------------------------------------

#: Operations that make no kernel: views of a tensor's memory, and Python numbers wrapped as
#: tensors on the host (passed to a kernel as an argument).
_NO_KERNEL = {
    "aten.permute", "aten.t", "aten.view", "aten.slice", "aten.select", "aten.expand",
    "aten.as_strided", "aten.detach", "aten.alias", "aten.unsqueeze", "aten.scalar_tensor",
}  # fmt: skip


@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("sizes", [[784, 128, 10], [784, 64, 64, 10]])
def test_a_step_on_pytorch_launches_six_kernels_a_layer(sizes: list[int], hidden: str) -> None:
    """A small network on a GPU is bound by kernel launches, not arithmetic (issue 12): a step
    of L layers is an addmm and an activation per layer forward, the output delta and its
    mean (2), a product for the weights' gradient and one for the biases' per layer, a product
    and a derivative per hidden layer back, and one update: 6 L + 1 operations. (The generic
    array API spelling took 23 for two layers: the bias added after the product, softmax's
    five steps, the derivative's comparison before its where, lr * g before p - lr g.)"""
    # .ci/run installs torch==2.13.0: only a hand-made environment without it skips
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: no kernels to count")
    from torch.utils._python_dispatch import TorchDispatchMode

    from backprop.training import loop

    class Kernels(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.names: list[str] = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
            if str(func.overloadpacket) not in _NO_KERNEL:
                self.names.append(str(func.overloadpacket))
            return func(*args, **(kwargs or {}))

    net = bp.Network(
        sizes, activation=hidden, output="softmax", seed=0, dtype="float32", backend="torch"
    )
    generator = torch.Generator().manual_seed(0)
    X = torch.randn(3 * 128, sizes[0], generator=generator)
    y = torch.randint(0, sizes[-1], (3 * 128,), generator=generator)
    counted, calls, step = Kernels(), [], loop.step

    def second_step_counted(*args, **kwargs):
        calls.append(1)
        if len(calls) != 2:
            return step(*args, **kwargs)
        with counted:
            return step(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop, "step", second_step_counted)
        net.fit(X, y, epochs=1, lr=0.01, batch_size=128)
    n_layers = len(sizes) - 1
    assert len(counted.names) == 6 * n_layers + 1, counted.names
