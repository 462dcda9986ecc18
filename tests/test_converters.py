"""Networks trained elsewhere: ``Network.from_sklearn`` and ``Network.from_torch``.

A network brought in must predict what the original predicts (to 1e-12 in float64), keep its
dtype, and train as the original trains: one gradient-descent step of the imported network
lands on the weights scikit-learn's own step reaches, and its gradients are PyTorch's. That is
what lets ``bp.explain`` (and ``backprop explain --model``) show a step of a model trained
elsewhere. Anything it cannot represent is refused with one error that names it.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

import backprop as bp

if TYPE_CHECKING:
    from conftest import CliResult

Cli = Callable[..., "CliResult"]


@pytest.fixture
def torch() -> Any:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    torch.set_num_threads(1)
    return torch


def fitted(estimator: Any, X: np.ndarray, y: np.ndarray) -> Any:
    """``estimator`` after a few epochs: enough to move its weights off their start."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def sklearn_outputs(estimator: Any, X: np.ndarray) -> np.ndarray:
    """The output layer's activations as scikit-learn computes them (its own forward pass)."""
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        # One logistic output for two classes: the network's output is the second column.
        return proba[:, 1:] if estimator.n_outputs_ == 1 else proba
    return estimator.predict(X).reshape(len(X), -1)


@pytest.fixture
def data(rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=(40, 4))


# -- scikit-learn --------------------------------------------------------------------------------


def sklearn_cases(X: np.ndarray) -> dict[str, tuple[Any, Any, str, str]]:
    """Estimators of every output scikit-learn has, their targets, and the engine's output and
    loss each must map onto."""
    three = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return {
        "multiclass": (
            MLPClassifier(hidden_layer_sizes=(5, 3), activation="tanh"),
            three,
            "softmax",
            "cross_entropy",
        ),
        "binary": (
            MLPClassifier(hidden_layer_sizes=(5,), activation="logistic"),
            np.where(X[:, 2] > 0, "yes", "no"),
            "sigmoid",
            "binary_cross_entropy",
        ),
        "multilabel": (
            MLPClassifier(hidden_layer_sizes=(6,), activation="relu"),
            np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 1]).astype(int),
            "sigmoid",
            "binary_cross_entropy",
        ),
        "regression": (
            MLPRegressor(hidden_layer_sizes=(5,), activation="identity"),
            X @ [1.0, -2.0, 0.5, 0.0],
            "identity",
            "half_squared_error",
        ),
        "two targets": (
            MLPRegressor(hidden_layer_sizes=(5,), activation="relu"),
            np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])]),
            "identity",
            "half_squared_error",
        ),
        "poisson": (
            MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", loss="poisson"),
            np.round(np.exp(X[:, 0] / 2)),
            "exp",
            "poisson",
        ),
    }


@pytest.mark.parametrize(
    "case", ["multiclass", "binary", "multilabel", "regression", "two targets", "poisson"]
)
def test_from_sklearn_predicts_what_the_mlp_predicts(case: str, data: np.ndarray) -> None:
    estimator, y, output, loss = sklearn_cases(data)[case]
    estimator.set_params(max_iter=20, random_state=0)
    mlp = fitted(estimator, data, y)
    net = bp.Network.from_sklearn(mlp)
    assert net.sizes == [data.shape[1], *mlp.hidden_layer_sizes, mlp.n_outputs_]
    assert [layer.activation.name for layer in net.layers][-1] == output
    assert net.loss.name == loss
    assert net.dtype == np.float64
    np.testing.assert_allclose(net.predict(data), sklearn_outputs(mlp, data), rtol=0, atol=1e-12)
    # A copy of the parameters: training the network leaves the estimator as it was.
    net.layers[0].weights += 1.0
    assert not np.shares_memory(net.parameter_vector, mlp.coefs_[0])


def test_from_sklearn_keeps_float32(data: np.ndarray) -> None:
    mlp = fitted(
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0),
        data.astype(np.float32),
        data[:, 0] > 0,
    )
    assert mlp.coefs_[0].dtype == np.float32
    net = bp.Network.from_sklearn(mlp)
    assert net.dtype == np.float32
    np.testing.assert_allclose(
        net.predict(data.astype(np.float32)),
        sklearn_outputs(mlp, data.astype(np.float32)),
        rtol=0,
        atol=1e-6,
    )


@pytest.mark.parametrize("case", ["multiclass", "binary", "two targets"])
def test_one_step_of_the_imported_network_is_the_mlps_own_step(case: str, data: np.ndarray) -> None:
    """Plain gradient descent on the whole batch, in scikit-learn (solver "sgd" without
    momentum or L2) and in the network brought in, from the same weights: the same weights
    after. For two targets this holds with half_squared_error, whose gradient scikit-learn
    trains with, and would fail with a loss that averages over the outputs."""
    estimator, y, _, _ = sklearn_cases(data)[case]
    lr = 0.3
    estimator.set_params(
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        learning_rate_init=lr,
        batch_size=len(data),
        shuffle=False,
        max_iter=3,
        random_state=0,
    )
    mlp = fitted(estimator, data, y)
    net = bp.Network.from_sklearn(mlp)
    targets = mlp._label_binarizer.transform(y) if hasattr(mlp, "classes_") else y
    net.train_step(data, np.asarray(targets, dtype=float).reshape(len(data), -1), lr=lr)
    mlp.partial_fit(data, y)
    for layer, W, b in zip(net.layers, mlp.coefs_, mlp.intercepts_, strict=True):
        np.testing.assert_allclose(layer.weights, W, rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.bias, b, rtol=0, atol=1e-12)


def test_explain_shows_the_step_scikit_learn_takes(data: np.ndarray) -> None:
    """bp.explain on one sample of an imported classifier: its updated weights are those of
    scikit-learn's own step on that sample."""
    estimator, y, _, _ = sklearn_cases(data)[case := "multiclass"]
    assert case
    lr = 0.5
    estimator.set_params(
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        learning_rate_init=lr,
        batch_size=1,
        shuffle=False,
        max_iter=2,
        random_state=0,
    )
    mlp = fitted(estimator, data, y)
    trace = bp.explain(bp.Network.from_sklearn(mlp), data[0], int(y[0]), lr)
    mlp.partial_fit(data[:1], y[:1])
    for layer, W, b in zip(trace.network.layers, mlp.coefs_, mlp.intercepts_, strict=True):
        np.testing.assert_allclose(layer.weights, W, rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.bias, b, rtol=0, atol=1e-12)


def test_explain_model_takes_a_saved_imported_network(
    data: np.ndarray, tmp_path: Path, cli: Cli
) -> None:
    mlp = fitted(
        MLPClassifier(hidden_layer_sizes=(3,), max_iter=10, random_state=0),
        data[:, :2],
        data[:, 0] > 0,
    )
    path = bp.Network.from_sklearn(mlp).save(tmp_path / "mlp.npz")
    result = cli("explain", "--model", path, "--input", "0.5,-1", "--target", "1", "--lr", "0.1")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "network 2-3-1 (relu/sigmoid, with biases), loss binary_cross_entropy" in text
    # The forward pass it shows ends at scikit-learn's probability of the second class.
    probability = mlp.predict_proba([[0.5, -1.0]])[0, 1]
    assert "1 / (1 + e^(-net_o1))" in text and f"{probability:.4f}" in text


def test_from_sklearn_refuses_an_unfitted_or_foreign_estimator() -> None:
    with pytest.raises(ValueError, match="MLPClassifier is not fitted yet: call its fit"):
        bp.Network.from_sklearn(MLPClassifier())
    with pytest.raises(TypeError, match="MLPClassifier or MLPRegressor, got LogisticRegression"):
        bp.Network.from_sklearn(LogisticRegression())


def test_from_sklearn_points_backprops_own_estimator_at_its_network() -> None:
    from backprop.sklearn import BackpropClassifier

    # (its sigmoid output is not scikit-learn's "logistic": read as an MLP it would be refused
    # with a message saying that backprop has no sigmoid)
    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 1] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = BackpropClassifier((3,), max_iter=2).fit(X, y)
    with pytest.raises(TypeError, match=r"backprop's own BackpropClassifier.*mlp\.network_"):
        bp.Network.from_sklearn(estimator)


# -- PyTorch -------------------------------------------------------------------------------------


TORCH_ACTIVATIONS = {
    "relu": "ReLU()",
    "tanh": "Tanh()",
    "sigmoid": "Sigmoid()",
    "leaky_relu": "LeakyReLU()",
    "identity": "Identity()",
}


def torch_module(torch: Any, text: str) -> Any:
    """A module written as its repr is, e.g. "Linear(4, 5), ReLU()"."""
    return eval(f"Sequential({text})", {}, vars(torch.nn))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden", list(TORCH_ACTIVATIONS))
@pytest.mark.parametrize("output", ["Softmax(dim=-1)", "Sigmoid()", None])
def test_from_torch_predicts_what_the_module_predicts(
    torch: Any, hidden: str, output: str | None, dtype: str, data: np.ndarray
) -> None:
    torch.manual_seed(0)
    layers = f"Linear(4, 6), {TORCH_ACTIVATIONS[hidden]}, Linear(6, 3)"
    module = torch_module(torch, layers + (f", {output}" if output else "")).to(
        getattr(torch, dtype)
    )
    net = bp.Network.from_torch(module)
    assert net.dtype == np.dtype(dtype)
    names = [layer.activation.name for layer in net.layers]
    assert names == [
        hidden,
        {"Softmax(dim=-1)": "softmax", "Sigmoid()": "sigmoid"}.get(output or "", "identity"),
    ]
    X = data.astype(dtype)
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(
        net.predict(X), expected, rtol=0, atol=1e-12 if dtype == "float64" else 1e-6
    )


def test_from_torch_reads_nested_stacks_without_biases_and_its_gradients_are_torchs(
    torch: Any, data: np.ndarray
) -> None:
    torch.manual_seed(1)
    module = torch_module(
        torch,
        "Linear(4, 5, bias=False), LeakyReLU(0.01), "
        "Sequential(Linear(5, 5, bias=False), Tanh()), Identity(), "
        "Linear(5, 3, bias=False), Softmax(dim=1)",
    ).double()
    net = bp.Network.from_torch(module)
    assert net.sizes == [4, 5, 5, 3] and not net.has_bias
    assert net.loss.name == "cross_entropy"
    labels = (data[:, 0] > 0).astype(int) + (data[:, 1] > 0).astype(int)
    probabilities = module(torch.from_numpy(data))
    loss = -torch.log(probabilities[torch.arange(len(data)), torch.from_numpy(labels)]).mean()
    loss.backward()
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    for (dW, db), linear in zip(net.gradients(data, labels), linears, strict=True):
        assert db is None
        np.testing.assert_allclose(dW, linear.weight.grad.numpy().T, rtol=0, atol=1e-12)


def test_from_torch_takes_the_loss_it_is_given(torch: Any) -> None:
    module = torch_module(torch, "Linear(2, 3), Sigmoid(), Linear(3, 1), Sigmoid()")
    assert bp.Network.from_torch(module).loss.name == "half_squared_error"
    assert bp.Network.from_torch(module, loss="binary_cross_entropy").loss.name == (
        "binary_cross_entropy"
    )


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ("Linear(4, 3), Dropout(0.2)", "layer 1 (Dropout(p=0.2, inplace=False)) is not supported"),
        ("Conv2d(1, 2, 3)", "layer 0 (Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))) is not su"),
        ("Linear(4, 3), BatchNorm1d(3)", "layer 1 (BatchNorm1d(3, eps=1e-05"),
        ("Linear(4, 3), Sequential(ReLU(), LogSoftmax(dim=1))", "layer 1.1 (LogSoftmax(dim=1))"),
        ("Linear(4, 3), LeakyReLU(0.2)", "negative_slope=0.2, but backprop's leaky_relu has"),
        ("Linear(4, 3), Softmax(dim=0)", "softmax over dim=0"),
        ("Linear(4, 3), Softmax(dim=1), Linear(3, 2)", "is not the last layer"),
        ("ReLU(), Linear(4, 3)", "layer 0 (ReLU()) does not follow a Linear layer"),
        ("Linear(4, 3), ReLU(), Tanh()", "layer 2 (Tanh()) does not follow a Linear layer"),
        ("Linear(4, 3), Linear(3, 2, bias=False)", "some Linear layers have a bias"),
        ("", "holds no Linear layer"),
    ],
)
def test_from_torch_refuses_what_it_cannot_represent(torch: Any, layers: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        bp.Network.from_torch(torch_module(torch, layers))
    assert message in str(error.value)
    if "not supported" in message:  # the message lists what is
        assert "Linear layers and the activations ReLU, Tanh, Sigmoid, LeakyReLU" in str(
            error.value
        )


def test_from_torch_refuses_other_modules_and_dtypes(torch: Any) -> None:
    with pytest.raises(TypeError, match=r"torch.nn.Sequential .* got Linear"):
        bp.Network.from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(
        ValueError, match="float16: a backprop network is all float32 or all float64"
    ):
        bp.Network.from_torch(torch_module(torch, "Linear(2, 2)").half())


def test_the_engine_imports_neither_torch_nor_sklearn() -> None:
    code = (
        "import sys, backprop.engine.network, backprop.engine.converters; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'sklearn'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
