"""One engine on several array libraries: NumPy, PyTorch (CPU tensors) and array_api_strict.

array_api_strict implements the array API standard and nothing more, so a non-standard call
anywhere in the passes, losses, activations, optimizers or the loop fails here on the CPU;
PyTorch shows the engine on a second real library. Each is checked against NumPy: the same
seed gives the same weights (within 1e-10 relative after 100 steps), the same gradients
(within 1e-12), and gradients that agree with finite differences in float64.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cases import OUTPUTS  # tests/ is on the path

import backprop as bp
from backprop.engine.backend import BACKENDS, backend_of, get_backend, to_numpy
from backprop.training.optimizers import get_optimizer

# The other backends under test: make test installs both (array-api-strict is a test extra,
# .ci/run installs torch==2.13.0), so only a hand-made environment without them skips.
torch = pytest.importorskip("torch", reason="PyTorch is not installed: no torch backend to test")
xps = pytest.importorskip(
    "array_api_strict", reason="array-api-strict is not installed: pip install -e '.[test]'"
)

BACKENDS_ON_CPU = ["numpy", "torch", "array_api_strict"]
OTHERS = ["torch", "array_api_strict"]

#: Hidden activations, each with a squared-error loss on a sigmoid output.
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "exp"]
OPTIMIZERS = ["sgd", "momentum", "adam"]


def data(loss: str, n: int = 40, n_out: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets that suit ``loss``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    if loss == "cross_entropy":
        return X, rng.integers(0, n_out, n)
    if loss == "poisson":
        return X, rng.poisson(1.5, size=(n, n_out)).astype(float)
    return X, rng.random((n, n_out))


def network(
    backend: str, hidden: str = "tanh", output: str = "sigmoid", loss: str | None = None, **kw
):
    return bp.Network(
        [4, 5, 3], activation=hidden, output=output, loss=loss, seed=7, backend=backend, **kw
    )


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float) -> None:
    """Equal within ``rtol`` relative to the largest entry (entries near 0 carry no scale)."""
    actual, expected = to_numpy(actual), to_numpy(expected)
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    assert float(np.max(np.abs(actual - expected))) <= rtol * scale


def train(backend: str, hidden: str, output: str, loss: str, optimizer: str, **fit) -> np.ndarray:
    """The weights after 100 steps: 10 shuffled epochs of 10 batches of 4."""
    X, Y = data(loss)
    net = network(backend, hidden, output, loss)
    lr = 0.01 if optimizer == "adam" else 0.05
    net.fit(X, Y, epochs=10, batch_size=4, optimizer=optimizer, lr=lr, **fit)
    return to_numpy(net.parameter_vector)


# -- the same numbers on every backend --


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_hidden_activations_train_to_numpys_weights(backend, optimizer, hidden):
    expected = train("numpy", hidden, "sigmoid", "half_squared_error", optimizer)
    actual = train(backend, hidden, "sigmoid", "half_squared_error", optimizer)
    assert not np.array_equal(expected, to_numpy(network("numpy", hidden).parameter_vector))
    assert_close(actual, expected, 1e-10)


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(("output", "loss"), OUTPUTS)
def test_losses_train_to_numpys_weights(backend, optimizer, output, loss):
    expected = train("numpy", "tanh", output, loss, optimizer)
    assert_close(train(backend, "tanh", output, loss, optimizer), expected, 1e-10)


@pytest.mark.parametrize("backend", OTHERS)
def test_penalties_dropout_and_sample_weights_train_to_numpys_weights(backend):
    X, _ = data("mse")
    settings = dict(
        weight_decay=0.01,
        l1=0.001,
        clip_norm=0.3,
        dropout=0.2,
        sample_weight=np.linspace(0.5, 2.0, len(X)),
    )
    expected = train("numpy", "relu", "identity", "mse", "momentum", **settings)
    assert_close(train(backend, "relu", "identity", "mse", "momentum", **settings), expected, 1e-10)


@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize(("output", "loss"), OUTPUTS)
def test_gradients_equal_numpys(backend, output, loss):
    X, Y = data(loss)
    expected = network("numpy", "relu", output, loss).gradients(X, Y)
    actual = network(backend, "relu", output, loss).gradients(X, Y)
    for (dW, db), (dW_np, db_np) in zip(actual, expected, strict=True):
        assert_close(dW, dW_np, 1e-12)
        assert_close(db, db_np, 1e-12)


@pytest.mark.parametrize("backend", BACKENDS_ON_CPU)
@pytest.mark.parametrize(("output", "loss"), OUTPUTS)
def test_gradients_agree_with_finite_differences(backend, output, loss):
    X, Y = data(loss, n=6)
    net = bp.Network(
        [4, 3, 3], activation="tanh", output=output, loss=loss, seed=1, backend=backend
    )
    assert bp.gradcheck(net, X, Y) < 1e-7
    # A wrong gradient is caught: the check can fail on this backend.
    net.loss.delta = lambda y, a, z, activation: 2 * (a - y)  # type: ignore[method-assign]
    assert bp.gradcheck(net, X, Y) > 1e-3


@pytest.mark.parametrize("backend", OTHERS)
def test_evaluate_and_validation_metrics_equal_numpys(backend):
    X, Y = data("cross_entropy", n=60)
    histories, evaluations = {}, {}
    for name in ("numpy", backend):
        net = network(name, "relu", "softmax", "cross_entropy")
        histories[name] = net.fit(X, Y, epochs=3, batch_size=8, validation_data=(X[:20], Y[:20]))
        evaluations[name] = net.evaluate(as_library(X, name), as_library(Y, name))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(
            histories[backend].history[key], histories["numpy"].history[key], rtol=1e-12
        )
    assert evaluations[backend]["accuracy"] == evaluations["numpy"]["accuracy"]
    assert evaluations[backend]["loss"] == pytest.approx(evaluations["numpy"]["loss"], rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS_ON_CPU)
def test_same_seed_same_weights_bit_for_bit(backend):
    first = train(backend, "relu", "softmax", "cross_entropy", "adam")
    second = train(backend, "relu", "softmax", "cross_entropy", "adam")
    assert np.array_equal(first, second)


def test_float32_trains_on_torch_close_to_numpy():
    X, Y = data("cross_entropy", n=64)
    nets = [
        network(b, "relu", "softmax", "cross_entropy", dtype="float32") for b in ("numpy", "torch")
    ]
    for net in nets:
        net.fit(X, Y, epochs=3, batch_size=8, optimizer="adam", lr=0.01)
    assert nets[1].parameter_vector.dtype == torch.float32
    assert_close(nets[1].parameter_vector, nets[0].parameter_vector, 1e-5)


# -- data where it lives: the caller's arrays in, the caller's arrays out --


def as_library(array: np.ndarray, library: str):
    return {"numpy": np.asarray, "torch": torch.asarray, "array_api_strict": xps.asarray}[library](
        array
    )


@pytest.mark.parametrize("backend", BACKENDS_ON_CPU)
@pytest.mark.parametrize("library", BACKENDS_ON_CPU)
def test_results_come_back_in_the_callers_array_type(backend, library):
    X, Y = data("mse")
    net = network(backend, loss="mse")
    x, y = as_library(X, library), as_library(Y, library)
    history = net.fit(x, y, epochs=2, batch_size=8)
    assert all(isinstance(v, float) for v in history.history["loss"])
    predicted = net.predict(x)
    assert backend_of(predicted).name == library
    reference = network("numpy", loss="mse")
    reference.fit(X, Y, epochs=2, batch_size=8)
    assert_close(predicted, reference.predict(X), 1e-10)
    for dW, db in net.gradients(x, y):
        assert backend_of(dW).name == library and backend_of(db).name == library
    assert set(net.evaluate(x, y)) == {"loss"} and isinstance(net.evaluate(x, y)["loss"], float)


def test_predictions_agree_whatever_the_inputs_library():
    X, Y = data("mse")
    net = network("torch", loss="mse")
    net.fit(X, Y, epochs=2, batch_size=8)
    from_numpy = net.predict(X)
    from_torch = net.predict(torch.asarray(X))
    assert isinstance(from_numpy, np.ndarray) and isinstance(from_torch, torch.Tensor)
    assert np.array_equal(from_numpy, from_torch.numpy())


def test_no_autograd_on_torch_tensors():
    X, Y = data("mse")
    x = torch.asarray(X).requires_grad_(True)
    net = network("torch", loss="mse")
    net.fit(x, torch.asarray(Y), epochs=1, batch_size=8)
    assert not net.parameter_vector.requires_grad
    assert not net.predict(x).requires_grad
    assert all(not dW.requires_grad for dW, _ in net.gradients(x, torch.asarray(Y)))
    assert x.grad is None


@pytest.mark.parametrize("backend", OTHERS)
def test_class_labels_and_one_hot_targets_on_the_device(backend):
    X, labels = data("cross_entropy")
    net = network(backend, "relu", "softmax", "cross_entropy")
    by_labels = net.gradients(as_library(X, backend), as_library(labels, backend))
    by_rows = net.gradients(X, np.eye(3)[labels])
    for (a, _), (b, _) in zip(by_labels, by_rows, strict=True):
        assert np.array_equal(to_numpy(a), to_numpy(b))


# -- moving networks, files --


@pytest.mark.parametrize("backend", OTHERS)
def test_to_moves_the_parameters_exactly_and_back(backend):
    net = network("numpy", dtype="float32")
    before = net.parameter_vector.copy()
    assert net.to(backend) is net and net.backend.name == backend and net.device == "cpu"
    assert backend_of(net.layers[0].weights).name == backend
    assert "backend=" in repr(net)
    net.to("numpy")
    assert isinstance(net.parameter_vector, np.ndarray)
    assert net.parameter_vector.dtype == np.float32 and np.array_equal(net.parameter_vector, before)


@pytest.mark.parametrize("backend", OTHERS)
def test_a_moved_network_trains_on_with_its_optimizer(backend):
    X, Y = data("mse")
    reference = network("numpy", loss="mse")
    reference.fit(X, Y, epochs=4, batch_size=8, optimizer="adam")
    net = network("numpy", loss="mse")
    net.fit(X, Y, epochs=2, batch_size=8, optimizer="adam")
    net.to(backend).fit(X, Y, epochs=2, batch_size=8, optimizer=net.optimizer)
    assert_close(net.parameter_vector, reference.parameter_vector, 1e-10)


@pytest.mark.parametrize("backend", OTHERS)
def test_model_files_and_checkpoints_are_backend_independent(backend, tmp_path):
    X, Y = data("mse")
    net = network(backend, loss="mse")
    net.fit(X, Y, epochs=2, batch_size=8, optimizer="momentum")
    loaded = bp.load(net.save(tmp_path / "model.npz"))
    assert isinstance(loaded.parameter_vector, np.ndarray)
    assert np.array_equal(loaded.parameter_vector, to_numpy(net.parameter_vector))
    again = bp.load(tmp_path / "model.npz", backend=backend)
    assert again.backend == net.backend
    assert np.array_equal(to_numpy(again.parameter_vector), to_numpy(net.parameter_vector))
    # A checkpoint written on the backend resumes on NumPy, and the other way round.
    path = bp.save_checkpoint(tmp_path / "checkpoint.npz", net, net.optimizer, 2)
    checkpoint = bp.load_checkpoint(path)
    assert all(isinstance(b, np.ndarray) for b in checkpoint.optimizer.get_state()["_velocity"])
    resumed = checkpoint.network.to(backend)
    resumed.fit(X, Y, epochs=1, batch_size=8, optimizer=checkpoint.optimizer)
    net.fit(X, Y, epochs=1, batch_size=8, optimizer=net.optimizer)
    assert_close(resumed.parameter_vector, net.parameter_vector, 1e-12)


@pytest.mark.parametrize("backend", OTHERS)
def test_explain_computes_in_numpy_from_any_backend(backend):
    net = bp.Network([2, 2, 1], seed=0, backend=backend)
    trace = bp.explain(net, as_library(np.array([0.05, 0.10]), backend), [0.01], lr=0.5)
    expected = bp.explain(bp.Network([2, 2, 1], seed=0), [0.05, 0.10], [0.01], lr=0.5)
    assert isinstance(trace.network.parameter_vector, np.ndarray)
    assert net.backend.name == backend  # the network explained stays where it is
    assert net._repr_svg_().startswith("<svg")  # and Jupyter draws it from NumPy copies
    assert np.array_equal(trace.network.parameter_vector, expected.network.parameter_vector)


# -- clear errors --


def test_an_unknown_backend_is_named_with_the_choices():
    with pytest.raises(
        ValueError, match=r"backend='jax' is not supported: expected one of numpy, torch"
    ):
        bp.Network([2, 1], backend="jax")


def test_numpy_has_no_gpu():
    with pytest.raises(ValueError, match=r"device='cuda' with backend='numpy'"):
        bp.Network([2, 1], device="cuda")


@pytest.mark.skipif(
    torch.cuda.is_available(),
    reason="checks the error on a machine without CUDA; this one has it (see tests/test_gpu.py)",
)
def test_cuda_without_a_gpu_says_so():
    with pytest.raises(ValueError, match=r"device='cuda' but PyTorch finds no CUDA device"):
        bp.Network([2, 1], backend="torch", device="cuda")


def test_a_device_torch_does_not_know_is_refused():
    with pytest.raises(ValueError, match=r"device='tpu' is not a device of backend='torch'"):
        get_backend("torch", "tpu")


def test_cupy_without_cupy_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy":
            raise ImportError("No module named 'cupy'", name="cupy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    with pytest.raises(
        ImportError, match=r"backend='cupy' needs cupy.*pip install 'backprop\[cupy\]'"
    ):
        bp.Network([2, 1], backend="cupy")


def test_every_backend_is_documented():
    assert set(BACKENDS) == {"numpy", "torch", "cupy", "array_api_strict"}
    for name in BACKENDS:
        assert f'"{name}"' in bp.Network.__doc__


@pytest.mark.parametrize("backend", OTHERS)
def test_bad_arrays_are_refused_where_they_live(backend):
    net = network(backend, loss="mse")
    X, Y = data("mse")
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"X contains nan at index \(3, 2\)"):
        net.fit(as_library(X, backend), Y)
    with pytest.raises(ValueError, match=r"X has 3 columns but the network's input layer has 4"):
        net.predict(as_library(np.zeros((2, 3)), backend))
    with pytest.raises(ValueError, match=r"X has 40 rows but Y has 39"):
        net.fit(as_library(data("mse")[0], backend), as_library(Y[:39], backend))
    with pytest.raises(ValueError, match=r"X is empty"):
        net.predict(as_library(np.zeros((0, 4)), backend))


# -- the estimators --


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_estimators_train_on_a_backend_and_keep_numpy_between_fits(backend, solver):
    from backprop.sklearn import BackpropClassifier, BackpropRegressor

    X, labels = data("cross_entropy", n=80)
    settings = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        max_iter=15,
        random_state=0,
        early_stopping=True,
        n_iter_no_change=100,
    )
    expected = BackpropClassifier(**settings).fit(X, labels)
    fitted = BackpropClassifier(**settings, backend=backend, device="cpu").fit(X, labels)
    assert fitted.get_params()["backend"] == backend
    assert isinstance(fitted.network_.parameter_vector, np.ndarray)
    assert all(isinstance(W, np.ndarray) for W in fitted.coefs_)
    assert_close(fitted.network_.parameter_vector, expected.network_.parameter_vector, 1e-10)
    np.testing.assert_allclose(fitted.loss_curve_, expected.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(fitted.validation_scores_, expected.validation_scores_, rtol=1e-10)
    assert np.array_equal(fitted.predict(X), expected.predict(X))
    fitted.set_params(early_stopping=False).partial_fit(X, labels)  # NumPy, backend, NumPy
    assert isinstance(fitted.network_.parameter_vector, np.ndarray)
    Y = data("mse", n=80)[1]
    regressor = BackpropRegressor((5,), solver=solver, max_iter=5, backend=backend).fit(X, Y)
    assert regressor.predict(X).shape == Y.shape


def test_estimators_name_a_backend_they_cannot_use():
    from sklearn.utils._param_validation import InvalidParameterError

    from backprop.sklearn import BackpropClassifier

    X, labels = data("cross_entropy")
    with pytest.raises(InvalidParameterError, match=r"backend='jax' is not supported"):
        BackpropClassifier(backend="jax").fit(X, labels)
    with pytest.raises(InvalidParameterError, match=r"solver='lbfgs' is SciPy's L-BFGS"):
        BackpropClassifier(solver="lbfgs", backend="torch").fit(X, labels)
    with pytest.raises(ValueError, match=r"device='cuda' with backend='numpy'"):
        BackpropClassifier(device="cuda").fit(X, labels)


def test_a_network_on_another_backend_exports_to_onnx(tmp_path):
    onnxruntime = pytest.importorskip(
        "onnxruntime", reason="the onnx extra is not installed: pip install 'backprop[onnx]'"
    )
    X = data("mse")[0][:5]
    net = network("torch", loss="mse")
    path = bp.export_onnx(net, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(path))
    np.testing.assert_allclose(session.run(None, {"input": X})[0], net.predict(X), rtol=1e-12)
    assert net.backend.name == "torch"


def test_numpy_alone_imports_no_other_array_library():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, backprop as bp; "
        "bp.Network([2, 3, 1], seed=0).fit(np.zeros((4, 2)), np.zeros(4), epochs=2); "
        "others = {'array_api_compat', 'array_api_strict', 'torch', 'cupy'}; "
        "print(sorted(others & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", BACKENDS_ON_CPU)
def test_networks_pickle_and_copy_on_every_backend(backend):
    import copy
    import pickle

    X, Y = data("mse")
    net = network(backend, loss="mse")
    net.fit(X, Y, epochs=1, batch_size=8)
    before = to_numpy(net.predict(X))
    for twin in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net), net.copy()):
        assert twin.backend == net.backend
        assert np.array_equal(to_numpy(twin.predict(X)), before)
        twin.fit(X, Y, epochs=1, batch_size=8)  # its layers are views of its own vector
        assert not np.array_equal(to_numpy(twin.predict(X)), before)
        assert np.array_equal(to_numpy(net.predict(X)), before)


# -- the command line --


def test_backprop_train_on_torch_and_resume_on_numpy(tmp_path, capsys):
    from backprop.cli import main

    out = tmp_path / "run"
    args = ["train", "xor", "--epochs", "30", "--out", str(out), "-q"]
    assert main([*args, "--backend", "torch", "--device", "cpu"]) == 0
    saved = bp.load_model(out / "model.npz")
    config = saved.metadata["info"]["config"]
    assert (config["backend"], config["device"]) == ("torch", "cpu")
    assert isinstance(saved.network.parameter_vector, np.ndarray)
    resumed = ["train", "--resume", str(out), "--epochs", "40", "-q", "--backend", "numpy"]
    assert main(resumed) == 0
    assert bp.load_model(out / "model.npz").metadata["info"]["config"]["backend"] == "numpy"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--backend", "jax"], "Invalid value for '--backend': 'jax' is not one of 'numpy'"),
        (["--device", "cuda"], "device='cuda' with backend='numpy': numpy runs on the CPU only"),
        (["--backend", "torch", "--device", "tpu"], "device='tpu' is not a device of"),
    ],
)
def test_backprop_train_names_a_backend_or_device_that_is_not_there(options, message, capsys):
    from backprop.cli import main

    assert main(["train", "xor", "--epochs", "1", "-q", *options]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


@pytest.mark.skipif(
    torch.cuda.is_available(),
    reason="checks the error on a machine without CUDA; this one has it (see tests/test_gpu.py)",
)
def test_backprop_train_on_cuda_without_a_gpu_is_one_line(capsys):
    from backprop.cli import main

    assert (
        main(["train", "xor", "--epochs", "1", "-q", "--backend", "torch", "--device", "cuda"]) == 2
    )
    err = capsys.readouterr().err
    expected = "device='cuda' but PyTorch finds no CUDA devices here: use device='cpu'"
    assert err == f"backprop: error: {expected}\n"


@pytest.mark.parametrize("backend", OTHERS)
def test_early_stopping_restores_the_best_weights_on_the_device(backend):
    X, Y = data("mse")
    weights = []
    for name in ("numpy", backend):
        net = network(name, loss="mse")
        stopper = bp.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
        net.fit(X, Y, epochs=30, batch_size=8, lr=3.0, callbacks=[stopper])
        weights.append(net.parameter_vector)
    assert_close(weights[1], weights[0], 1e-10)


@pytest.mark.parametrize("backend", OTHERS)
def test_gradients_with_masks_and_sample_weights_of_the_backend_equal_numpys(backend):
    X, Y = data("mse", n=12)
    rng = np.random.default_rng(5)
    masks = [(rng.random((12, 5)) >= 0.3) / 0.7]
    weights = rng.random(12) + 0.5
    expected = network("numpy", loss="mse").gradients(X, Y, weights, masks)
    given = [as_library(a, backend) for a in (X, Y, weights, masks[0])]
    actual = network(backend, loss="mse").gradients(*given[:3], masks=[given[3]])
    for (dW, db), (dW_np, db_np) in zip(actual, expected, strict=True):
        assert backend_of(dW).name == backend
        assert_close(dW, dW_np, 1e-12)
        assert_close(db, db_np, 1e-12)
    assert bp.gradcheck(network(backend, loss="mse"), *given[:3], masks=[given[3]]) < 1e-7


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_an_optimizer_follows_its_network_back_to_numpy(other, optimizer):
    """Its buffers stayed on the other library after net.to("numpy"): the next fit failed
    (a bug hunt). Training on goes on as on NumPy throughout."""
    X, Y = data("cross_entropy")
    nets = [network(name, loss="cross_entropy", output="softmax") for name in ("numpy", other)]
    opts = [get_optimizer(optimizer, 0.01) for _ in nets]
    for net, opt in zip(nets, opts, strict=True):
        net.fit(X, Y, epochs=2, batch_size=8, optimizer=opt)
    nets[1].to("numpy")
    for net, opt in zip(nets, opts, strict=True):
        net.fit(X, Y, epochs=2, batch_size=8, optimizer=opt)
    assert_close(nets[1].parameter_vector, nets[0].parameter_vector, 1e-10)


# -- inputs that need converting, and tensors that hold no values (a bug hunt) ---------------------


@pytest.mark.parametrize("backend", OTHERS)
def test_inputs_of_another_dtype_or_layout_are_converted(backend):
    """array_api_strict's copy=False means "never copy", which refused every change of dtype;
    PyTorch's as_tensor refuses NumPy's negative strides and warns of read-only arrays."""
    X, y = data("cross_entropy")
    backwards = X[::-1]
    expected = network("numpy", "tanh", "softmax", "cross_entropy").predict(backwards)
    net = network(backend, "tanh", "softmax", "cross_entropy")
    inputs = [backwards, np.broadcast_to(backwards[0], (3, 4))]  # negative strides, read-only
    if backend == "array_api_strict":
        inputs = [xps.asarray(np.ascontiguousarray(backwards)), xps.asarray(backwards[:3].copy())]
    for rows, given in zip((slice(None), slice(3)), inputs, strict=True):
        if backend == "array_api_strict":  # float32 and integers, on a float64 network
            for dtype in (xps.float32, xps.int64):
                got = to_numpy(net.predict(xps.astype(given, dtype)))
                wanted = network("numpy", "tanh", "softmax", "cross_entropy").predict(
                    to_numpy(xps.astype(given, dtype)).astype(float)
                )
                assert_close(got, wanted, rtol=1e-12)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # PyTorch's "not writable" warning
            got = to_numpy(net.predict(given))
        assert_close(got, expected[rows] if given.shape[0] > 3 else expected[[0] * 3], 1e-12)
    net.layers[0].bias = np.arange(5.0)[::-1]
    np.testing.assert_array_equal(to_numpy(net.layers[0].bias), [4, 3, 2, 1, 0])
    net.fit(backwards, y[::-1], epochs=1)


def test_tensors_without_values_are_named():
    X, y = data("cross_entropy")
    net = network("torch", "tanh", "softmax", "cross_entropy")
    T = torch.tensor(X)
    with pytest.raises(ValueError, match="X is a PyTorch tensor on the 'meta' device"):
        net.predict(T.to("meta"))
    with pytest.raises(ValueError, match=r"^Y is a PyTorch tensor on the 'meta'"):
        net.fit(T, torch.tensor(y).to("meta"))
    with pytest.raises(TypeError, match="X is a sparse PyTorch tensor"):
        network("numpy", "tanh", "softmax", "cross_entropy").predict(T.to_sparse())
    with pytest.raises(ValueError, match=r"^weights is a PyTorch tensor on the 'meta'"):
        net.layers[0].weights = torch.zeros(net.layers[0].weights.shape, device="meta")
    with pytest.raises(ValueError, match="X must be an array, got a 0-d array"):
        net.predict(torch.tensor(3.0))


def test_bfloat16_reads_as_float32():
    X, y = data("cross_entropy")
    net = network("torch", "tanh", "softmax", "cross_entropy")
    net.fit(torch.tensor(X), torch.tensor(y).bfloat16(), epochs=1)
    module = torch.nn.Sequential(torch.nn.Linear(4, 3)).bfloat16()
    moved = bp.Network.from_torch(module)
    expected = module[0].weight.detach().float().numpy().T
    np.testing.assert_array_equal(moved.layers[0].weights, expected)


def test_to_numpy_copies_the_parameters():
    net = network("torch", "tanh", "softmax", "cross_entropy")
    before = net.layers[0].weights
    net.to("numpy")
    before.zero_()
    assert np.all(net.layers[0].weights != 0)


def test_a_backend_made_by_hand_is_checked():
    from backprop.engine.backend import Backend

    with pytest.raises(ValueError, match="cuda:7"):
        bp.Network([2, 2], backend=Backend("torch", "cuda:7"))
