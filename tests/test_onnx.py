"""ONNX export: ``bp.export_onnx``, ``backprop export`` and the skl2onnx converters.

An exported graph is checked by running it in ONNX Runtime against the library's own answer:
``net.predict`` for a network (within 1e-6 in float32, 1e-12 in float64), ``backprop predict``
for a run's model (raw features in: the scaler is in the graph), ``predict``/``predict_proba``
for a scikit-learn pipeline. Every activation is exported as a hidden and as an output layer.
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

import backprop as bp
from backprop import run
from backprop.data.preprocessing import Scaler
from backprop.engine.activations import ACTIVATIONS, LeakyReLU, Sigmoid
from backprop.saving.onnx import ACTIVATION_NODES, to_onnx

if TYPE_CHECKING:
    from conftest import CliResult

Cli = Callable[..., "CliResult"]

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")

#: How close ONNX Runtime's answer must be to backprop's, relative to the outputs' size.
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}
HIDDEN = [name for name, cls in ACTIVATIONS.items() if cls().elementwise]


def run_onnx(path: Path, X: np.ndarray) -> list[np.ndarray]:
    """The graph's outputs for the rows X, in ONNX Runtime."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype: str) -> None:
    assert actual.dtype == np.dtype(dtype) and actual.shape == expected.shape
    # Relative to the outputs' size: a float32 output of 30 is only good to about 2e-6.
    error = np.abs(actual - expected).max() / max(1.0, np.abs(expected).max())
    assert error <= TOLERANCE[dtype], error


@pytest.fixture
def X(rng: np.random.Generator) -> np.ndarray:
    """Rows that drive every activation through both signs of its net input."""
    return rng.normal(size=(64, 4))


# -- bp.export_onnx: every activation, every output, both dtypes ---------------------------------


def test_every_activation_has_an_onnx_form() -> None:
    assert set(ACTIVATION_NODES) == set(ACTIVATIONS)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_hidden_activation_round_trip(
    hidden: str, dtype: str, X: np.ndarray, tmp_path: Path
) -> None:
    net = bp.Network([4, 6, 5, 3], activation=hidden, output="identity", seed=1, dtype=dtype)
    path = bp.export_onnx(net, tmp_path / "net.onnx")
    (output,) = run_onnx(path, X.astype(dtype))
    assert_close(output, net.predict(X), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("output", list(ACTIVATIONS))
def test_output_activation_round_trip(
    output: str, dtype: str, X: np.ndarray, tmp_path: Path
) -> None:
    net = bp.Network([4, 5, 3], activation="tanh", output=output, seed=2, dtype=dtype)
    path = bp.export_onnx(net, tmp_path / "net.onnx")
    (result,) = run_onnx(path, X.astype(dtype))
    assert_close(result, net.predict(X), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_network_without_biases_and_a_leaky_slope_of_its_own(
    dtype: str, X: np.ndarray, tmp_path: Path
) -> None:
    net = bp.Network(
        [4, 3, 1], activation=[LeakyReLU(slope=0.3), "sigmoid"], bias=False, seed=3, dtype=dtype
    )
    path = bp.export_onnx(net, tmp_path / "net.onnx")
    model = onnx.load(str(path))
    assert [node.op_type for node in model.graph.node if node.op_type == "Add"] == []
    (output,) = run_onnx(path, X.astype(dtype))
    assert_close(output, net.predict(X), dtype)


def test_the_graph_is_checked_and_describes_itself(tmp_path: Path) -> None:
    net = bp.Network([2, 3, 2], activation="relu", output="softmax", dtype="float64")
    path = bp.export_onnx(net, tmp_path / "net.onnx", classes=np.array(["no", "yes"]))
    model = onnx.load(str(path))
    assert model == to_onnx(net, classes=["no", "yes"])
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    assert [i.name for i in graph.input] == ["input"]
    assert [o.name for o in graph.output] == ["output", "label"]
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert "class probabilities (softmax)" in graph.output[0].doc_string
    assert model.producer_name == "backprop"
    assert model.opset_import[0].version == 13
    properties = {p.key: p.value for p in model.metadata_props}
    assert properties["classes"] == '["no", "yes"]' and properties["loss"] == '"cross_entropy"'


# -- a run's model: the scaler in the graph, the class labels out --------------------------------


def run_model(dtype: str, classes: list[Any], n_outputs: int, rng: np.random.Generator) -> Any:
    """A trained-looking run model whose features live on scales from 1e-3 to 1e4."""
    features = rng.normal(size=(200, 3)) * [1e4, 1.0, 1e-3] + [5e4, -2.0, 0.01]
    scaler = Scaler().fit(features)
    output = "softmax" if n_outputs > 1 else "sigmoid"
    net = bp.Network([3, 8, n_outputs], activation="relu", output=output, seed=4, dtype=dtype)
    names = ["size", "offset", "tiny"]
    return run.Model(net, "classification", classes, names, scaler), features


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("classes", "n_outputs"),
    [(["setosa", "versicolor", "virginica"], 3), ([3, 7], 1), ([0.5, "x", 2], 3)],
)
def test_a_run_model_reads_raw_features_and_answers_in_labels(
    dtype: str, classes: list[Any], n_outputs: int, rng: np.random.Generator, tmp_path: Path
) -> None:
    model, features = run_model(dtype, classes, n_outputs, rng)
    path = bp.export_onnx(model, tmp_path / "model.onnx")
    output, label = run_onnx(path, features.astype(dtype))
    assert_close(output, model.outputs(features), dtype)
    expected = model.predict(features)
    if all(isinstance(c, int) for c in classes):
        assert label.dtype == np.int64
        np.testing.assert_array_equal(label, expected.astype(np.int64))
    else:
        np.testing.assert_array_equal(label, [str(c) for c in expected])
    graph = onnx.load(str(path)).graph
    assert [node.op_type for node in graph.node][:2] == ["Sub", "Div"]
    assert (
        graph.input[0].doc_string == "raw features, standardised in the graph: size, offset, tiny"
    )


def test_a_regression_run_model_has_no_label(rng: np.random.Generator, tmp_path: Path) -> None:
    model, features = run_model("float64", ["unused"], 1, rng)
    model.task, model.classes = "regression", None
    path = bp.export_onnx(model, tmp_path / "model.onnx")
    assert [o.name for o in onnx.load(str(path)).graph.output] == ["output"]
    (output,) = run_onnx(path, features)
    assert_close(output[:, 0], model.predict(features), "float64")


@pytest.mark.parametrize(
    "settings",
    [{}, {"with_mean": False}, {"with_std": False}],
    ids=["standard", "without-mean", "without-std"],
)
def test_a_scaler_of_scikit_learn_is_folded_in_too(
    X: np.ndarray, tmp_path: Path, settings: dict[str, bool]
) -> None:
    """with_mean=False keeps the mean it measured, unused: it was subtracted (a bug hunt)."""
    from sklearn.preprocessing import StandardScaler

    raw = X * [100.0, 1.0, 0.01, 5.0] + 7.0
    scaler = StandardScaler(**settings).fit(raw)
    net = bp.Network([4, 4, 2], activation="tanh", output="identity", seed=5)
    path = bp.export_onnx(net, tmp_path / "net.onnx", scaler=scaler)
    (output,) = run_onnx(path, raw)
    assert_close(output, net.predict(scaler.transform(raw)), "float64")


def test_classes_must_be_distinct(tmp_path: Path) -> None:
    net = bp.Network([2, 3], loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match="classes must be distinct labels, got 'a' twice"):
        bp.export_onnx(net, tmp_path / "net.onnx", classes=["a", "a", "b"])
    assert not (tmp_path / "net.onnx").exists()
    with pytest.raises(ValueError, match="two of them read alike"):  # 1 and "1": both "1"
        bp.export_onnx(net, tmp_path / "net.onnx", classes=[1, "1", 2])


def test_integer_labels_beyond_int64_are_exported_as_text(tmp_path: Path) -> None:
    """A bug hunt: a CSV's labels 1 and 10**19 trained and predicted, then export raised
    OverflowError."""
    net = bp.Network([2, 3], loss="cross_entropy", seed=0)
    path = bp.export_onnx(net, tmp_path / "net.onnx", classes=[1, 10**19, 2])
    X = np.array([[0.5, -1.0], [-2.0, 3.0]])
    _, labels = run_onnx(path, X)
    expected = np.array(["1", str(10**19), "2"])[net.predict(X).argmax(axis=1)]
    assert list(labels) == list(expected)


@pytest.mark.parametrize("out", ["", "folder/", "."])
def test_export_refuses_a_folder_for_a_file(tmp_path: Path, out: str) -> None:
    """pathlib drops a trailing separator: "folder/" wrote a file named folder."""
    net = bp.Network([2, 3], seed=0)
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        bp.export_onnx(net, str(tmp_path) + "/" + out)
    assert list(tmp_path.iterdir()) == []


# -- backprop export -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model file of a short CSV run with standardised features and string labels."""
    folder = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(0)
    size, tiny = rng.uniform(1000.0, 4000.0, 60), rng.uniform(0.0, 0.01, 60)
    labels = ["low", "mid", "high"]
    rows = [
        f"{s:.3f},{t:.6f},{labels[int((s - 1000) // 1000)]}"
        for s, t in zip(size, tiny, strict=True)
    ]
    data = folder / "sizes.csv"
    data.write_text("size,tiny,kind\n" + "\n".join(rows) + "\n")
    run.train(run.RunConfig(str(data), epochs=3, test_size=0.0), folder / "run", verbose=0)
    return folder / "run" / "model.npz"


def test_export_command_writes_a_graph_that_predicts_as_predict_does(
    trained_run: Path, cli: Cli
) -> None:
    result = cli("export", trained_run, "--format", "onnx", "--force")
    assert result.returncode == 0, result.stderr
    path = trained_run.with_suffix(".onnx")
    assert (
        result.stdout == f"wrote {path}: 2 raw features, standardised in the graph -> 3 outputs\n"
    )
    rows = np.array([[3500.0, 0.002], [1200.0, 0.009], [2500.5, 0.0]])
    output, label = run_onnx(path, rows)
    model = run.Model.load(trained_run)
    assert_close(output, model.predict_proba(rows), "float64")
    np.testing.assert_array_equal(label, model.predict(rows).astype(str))
    predicted = cli("predict", trained_run, "3500,0.002")
    assert predicted.stdout.strip() == label[0]


def test_export_command_takes_a_plain_network_file(tmp_path: Path, cli: Cli) -> None:
    net = bp.Network([2, 3, 1], seed=0)
    net.save(tmp_path / "net.npz")
    result = cli("export", "net.npz", "--out", "exported.onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote exported.onnx: 2 inputs -> 1 outputs\n"
    (output,) = run_onnx(tmp_path / "exported.onnx", np.array([[0.5, -1.0]]))
    assert_close(output, net.predict([[0.5, -1.0]]), "float64")


def test_export_command_errors_are_one_line(tmp_path: Path, cli: Cli) -> None:
    bp.Network([2, 1]).save(tmp_path / "net.npz")
    cli("export", "net.npz", "--format", "keras", cwd=tmp_path).assert_usage_error(
        "'keras' is not", "onnx"
    )
    cli("export", "missing.npz", cwd=tmp_path).assert_usage_error("missing.npz does not exist")
    (tmp_path / "junk.npz").write_text("not a model")
    cli("export", "junk.npz", cwd=tmp_path).assert_usage_error("junk.npz")
    (tmp_path / "net.onnx").write_bytes(b"precious")
    cli("export", "net.npz", cwd=tmp_path).assert_usage_error("net.onnx already exists", "--force")
    assert (tmp_path / "net.onnx").read_bytes() == b"precious"
    cli("export", "net.npz", "--out", "nowhere/net.onnx", cwd=tmp_path).assert_usage_error(
        "the folder nowhere does not exist"
    )
    # --force over the model being exported replaced it by the ONNX file (a bug hunt).
    model = (tmp_path / "net.npz").read_bytes()
    cli("export", "net.npz", "--out", "./net.npz", "--force", cwd=tmp_path).assert_usage_error(
        "is the model file being exported"
    )
    assert (tmp_path / "net.npz").read_bytes() == model
    # pathlib dropped the separator: "new/" wrote a file named new (a bug hunt)
    cli("export", "net.npz", "--out", "new/", cwd=tmp_path).assert_usage_error("is a folder")
    cli("export", ".", cwd=tmp_path).assert_usage_error("model file . is a folder")
    assert not (tmp_path / "new").exists()


def test_without_the_onnx_package_the_error_names_the_extra(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    net = bp.Network([2, 1])
    with pytest.raises(ImportError, match=r"pip install backprop\[onnx\]"):
        bp.export_onnx(net, tmp_path / "net.onnx")
    net.save(tmp_path / "net.npz")
    cli("export", tmp_path / "net.npz").assert_usage_error("pip install backprop[onnx]")
    assert not (tmp_path / "net.onnx").exists()


def test_importing_backprop_does_not_import_onnx() -> None:
    code = (
        "import sys, backprop, backprop.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'skl2onnx')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- bad input -----------------------------------------------------------------------------------


def test_export_refuses_what_it_cannot_export(rng: np.random.Generator, tmp_path: Path) -> None:
    net = bp.Network([3, 2], output="softmax")
    path = tmp_path / "net.onnx"
    with pytest.raises(TypeError, match=r"model must be a backprop\.Network .* got str"):
        bp.export_onnx("net.npz", path)
    with pytest.raises(ValueError, match="scaler has 2 features but the network has 3 inputs"):
        bp.export_onnx(net, path, scaler=Scaler().fit(rng.normal(size=(5, 2))))
    with pytest.raises(TypeError, match="scaler must be a fitted scaler with mean_ and scale_"):
        bp.export_onnx(net, path, scaler=[0.0, 1.0])
    with pytest.raises(ValueError, match="classes has 3 labels but the network's 2 output"):
        bp.export_onnx(net, path, classes=["a", "b", "c"])

    class Swish(Sigmoid):
        name = "swish"

    custom = bp.Network([3, 2, 1], activation=[Swish(), "sigmoid"])
    with pytest.raises(ValueError, match=r"layer0's activation .* has no ONNX form: backprop expo"):
        bp.export_onnx(custom, path)
    with pytest.raises(FileNotFoundError, match=r"the folder .*nowhere does not exist"):
        bp.export_onnx(net, tmp_path / "nowhere" / "net.onnx")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


# -- skl2onnx: a pipeline holding an estimator ---------------------------------------------------


@pytest.fixture(scope="module")
def skl2onnx() -> Any:
    skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    from backprop.sklearn.onnx import register_converters

    register_converters()
    register_converters()  # twice changes nothing
    return skl2onnx


def pipeline(estimator: Any, X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # too few epochs to converge, on purpose
        return make_pipeline(StandardScaler(), estimator).fit(X, y)


def run_pipeline(skl2onnx: Any, pipe: Any, X: np.ndarray, **options: Any) -> list[Any]:
    onx = skl2onnx.to_onnx(pipe, X[:1], options=options or None)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("labels", "settings"),
    [
        (["a", "b", "c"], {}),  # softmax
        ([0, 1], {}),  # one sigmoid output
        ([2, 5, 9], {"output": "sigmoid", "loss": "half_squared_error"}),  # scores normalised
        ([False, True], {"output": "identity", "loss": "half_squared_error"}),  # clipped
        ([1.0, 2.0], {"output": "softmax"}),  # float labels (whole numbers): int64 labels
    ],
)
def test_classifier_pipeline_converts(
    skl2onnx: Any, labels: list[Any], settings: dict[str, str], dtype: str, X: np.ndarray
) -> None:
    from backprop.sklearn import BackpropClassifier

    y = np.array(labels)[np.digitize(X[:, 0] + X[:, 1], [-1.0, 1.0][: len(labels) - 1])]
    estimator = BackpropClassifier((6,), max_iter=20, random_state=0, **settings)
    pipe = pipeline(estimator, X, y)
    rows = X.astype(dtype)
    label, probabilities = run_pipeline(skl2onnx, pipe, rows, zipmap=False)
    np.testing.assert_array_equal(label, pipe.predict(rows))
    assert_close(probabilities, pipe.predict_proba(rows).astype(dtype), dtype)


def test_classifier_pipeline_with_zipmap_and_class_indices(skl2onnx: Any, X: np.ndarray) -> None:
    from backprop.sklearn import BackpropClassifier

    y = np.where(X[:, 0] > 0, "pos", "neg")
    pipe = pipeline(BackpropClassifier((4,), max_iter=10, random_state=0), X, y)
    rows = X.astype(np.float32)
    label, probabilities = run_pipeline(skl2onnx, pipe, rows)
    np.testing.assert_array_equal(label, pipe.predict(rows))
    expected = pipe.predict_proba(rows)
    assert probabilities[0].keys() == {"neg", "pos"}
    np.testing.assert_allclose([row["pos"] for row in probabilities], expected[:, 1], atol=1e-6)
    indices, _ = run_pipeline(skl2onnx, pipe, rows, zipmap=False, nocl=True)
    np.testing.assert_array_equal(indices, (pipe.predict(rows) == "pos").astype(np.int64))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_regressor_pipeline_converts(
    skl2onnx: Any, n_targets: int, dtype: str, X: np.ndarray
) -> None:
    from backprop.sklearn import BackpropRegressor

    y = np.column_stack([X[:, 0] * X[:, 1], np.tanh(X[:, 2])])[:, :n_targets].squeeze()
    pipe = pipeline(BackpropRegressor((6,), max_iter=20, random_state=0), X, y)
    rows = X.astype(dtype)
    (variable,) = run_pipeline(skl2onnx, pipe, rows)
    assert_close(variable, pipe.predict(rows).reshape(len(rows), n_targets).astype(dtype), dtype)


def test_multilabel_and_one_class_classifiers_convert(skl2onnx: Any, X: np.ndarray) -> None:
    from backprop.sklearn import BackpropClassifier

    rows = X.astype(np.float32)
    indicator = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 1]).astype(int)
    multilabel = pipeline(BackpropClassifier((5,), max_iter=10, random_state=0), X, indicator)
    label, probabilities = run_pipeline(skl2onnx, multilabel, rows, zipmap=False)
    np.testing.assert_array_equal(label, multilabel.predict(rows))
    assert_close(probabilities, multilabel.predict_proba(rows).astype(np.float32), "float32")
    one_class = pipeline(BackpropClassifier((3,), max_iter=2), X, np.full(len(X), "only"))
    label, probabilities = run_pipeline(skl2onnx, one_class, rows, zipmap=False)
    np.testing.assert_array_equal(label, one_class.predict(rows))
    np.testing.assert_array_equal(probabilities, one_class.predict_proba(rows))


def test_converting_below_operator_set_13_is_refused(skl2onnx: Any, X: np.ndarray) -> None:
    from backprop.sklearn import BackpropRegressor

    pipe = pipeline(BackpropRegressor((3,), max_iter=2), X, X[:, 0])
    with pytest.raises(ValueError, match="target_opset=12: backprop's estimators convert with"):
        skl2onnx.to_onnx(pipe, X[:1].astype(np.float32), target_opset=12)
