"""Export to ONNX: a network, and the feature scaler it was trained behind, as an ONNX graph.

ONNX is the exchange format of inference runtimes (ONNX Runtime, TensorRT, OpenVINO, the
browser's onnxruntime-web): a model saved here runs where Python and backprop do not. The graph
is the network's forward pass written with ONNX's operators, one line of the engine each:

- a layer's net input ``z = a_prev @ W + b`` is ``MatMul`` then ``Add`` (``MatMul`` alone
  without biases), as :meth:`backprop.Dense.net_input` computes it;
- its output ``a = f(z)`` is the activation's operator (``Sigmoid``, ``Tanh``, ``Relu``,
  ``LeakyRelu``, ``Exp``, ``Softmax`` over each row; nothing for ``identity``);
- a feature scaler comes first, as ``Sub`` then ``Div``: ``(x - mean) / scale``, the scaler's
  own ``transform``, so the graph reads raw features as ``backprop predict`` does.

The graph takes ``input`` (float32 or float64 as the network is, shape ``(N, n_inputs)``) and
returns ``output``: the output layer's activations, shape ``(N, n_outputs)``, what
``net.predict`` returns. A classifier saved by ``backprop train`` (or any export given
``classes``) also returns ``label``: each row's class label, as ``backprop predict`` prints it.

The translation is written once, against :class:`Graph`, a two-method interface for adding
constants and nodes: :func:`export_onnx` fills a plain ONNX graph with it, and the skl2onnx
converter of :mod:`backprop.sklearn.onnx` fills skl2onnx's graph of a whole pipeline.

The ``onnx`` package is imported when a graph is built, not with backprop: it is an optional
extra (``pip install backprop[onnx]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from backprop.engine.activations import ACTIVATIONS, Activation
from backprop.engine.metrics import THRESHOLD
from backprop.engine.network import Network
from backprop.saving.atomic import write_atomically
from backprop.saving.model_file import file_to_write

#: The operator set the exported graph declares. 13 is the first with Softmax's present meaning
#: (one axis); every operator used here exists in it, and ONNX Runtime has run it since 1.6.
OPSET = 13
#: The names of the graph's input and outputs.
INPUT = "input"
OUTPUT = "output"
LABEL = "label"
#: Integer labels within it are exported as int64; others as their text.
INT64 = np.iinfo(np.int64)


class Graph(Protocol):
    """Where the network's nodes go: a plain ONNX graph, or a converter's part of a larger one."""

    def constant(self, name: str, value: np.ndarray) -> str:
        """Add the array ``value`` as an initializer; return its (unique) tensor name."""
        ...

    def node(self, op_type: str, inputs: Sequence[str], name: str, **attributes: Any) -> str:
        """Add the operator ``op_type`` on ``inputs``; return its output's (unique) name."""
        ...


def export_onnx(
    model: Any,
    path: str | os.PathLike[str],
    *,
    scaler: Any = None,
    classes: Sequence[Any] | None = None,
) -> Path:
    """Write ``model`` to ``path`` as an ONNX model (atomically); return the path.

    Parameters
    ----------
    model : Network, or a run's model
        A :class:`backprop.Network`, or a trained run's model (``backprop.run.Model``, what
        ``backprop train`` saves), whose scaler and class labels are then exported with it.
    path : path
        The ``.onnx`` file to write; its folder must exist.
    scaler : optional
        A fitted feature scaler with ``mean_`` and ``scale_`` (backprop's ``Scaler`` or
        scikit-learn's ``StandardScaler``): the graph standardises its input with it first.
    classes : sequence, optional
        The class labels of the outputs (two for one sigmoid output, else one per output):
        the graph then also returns ``label``, int64 where every label is an integer, else
        the labels as strings.

    The graph takes ``input``, shape ``(N, n_inputs)`` in the network's dtype (float32 or
    float64), raw features when a scaler is exported, and returns ``output``, the output
    layer's activations (what ``net.predict`` returns), and with classes ``label``. In ONNX
    Runtime it gives ``net.predict``'s answer to rounding: within 1e-6 of the outputs' size
    in float32, 1e-12 in float64. ``onnx.checker`` checks it before it is written.

    Raises ImportError naming the extra when the ``onnx`` package is missing.
    """
    path = file_to_write(path, example="model.onnx")
    proto = to_onnx(model, scaler=scaler, classes=classes)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: the folder {path.parent} does not exist")
    return write_atomically(path, lambda file: file.write(proto.SerializeToString()))


def to_onnx(model: Any, *, scaler: Any = None, classes: Sequence[Any] | None = None) -> Any:
    """The ``onnx.ModelProto`` that :func:`export_onnx` writes, checked, in memory (for
    ``onnxruntime.InferenceSession(proto.SerializeToString())``)."""
    onnx = _import_onnx()
    net, scaler, classes, feature_names = _parts(model, scaler, classes)
    if not net.backend.is_numpy:  # a network on a GPU, say: its weights, read back
        net = net.copy().to("numpy")
    graph = OnnxGraph(onnx)
    x = INPUT
    if scaler is not None:
        x = standardise(graph, x, scaler, net.dtype)
    graph.node("Identity", [forward(graph, net, x)], "output", output=OUTPUT)
    outputs = [_tensor(onnx, OUTPUT, net.dtype, net.sizes[-1], _output_doc(net))]
    if classes is not None:
        labels = _labels(net, classes)
        index = class_index(graph, OUTPUT, net.sizes[-1], net.dtype)
        graph.node("Gather", [graph.constant("classes", labels), index], "label", output=LABEL)
        outputs.append(_label_tensor(onnx, labels))
    inputs = [_tensor(onnx, INPUT, net.dtype, net.sizes[0], _input_doc(scaler, feature_names))]
    opset = onnx.helper.make_opsetid("", OPSET)
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(graph.nodes, "backprop", inputs, outputs, graph.initializers),
        opset_imports=[opset],
        producer_name="backprop",
        # The oldest format that can hold this operator set: the file loads in old runtimes too.
        ir_version=onnx.helper.find_min_ir_version_for([opset]),
        doc_string=f"{net!r} exported by backprop",
    )
    properties: dict[str, Any] = {
        "activations": [layer.activation.name for layer in net.layers],
        "loss": net.loss.name,
    }
    if classes is not None:
        properties["classes"] = classes
    if feature_names is not None:
        properties["feature_names"] = list(feature_names)
    onnx.helper.set_model_props(proto, {k: json.dumps(v) for k, v in properties.items()})
    onnx.checker.check_model(proto, full_check=True)
    return proto


# -- the translation: written once, against Graph ------------------------------------------------


def forward(graph: Graph, net: Network, x: str) -> str:
    """Add the network's forward pass on the tensor ``x``; return the output layer's tensor."""
    a = x
    for i, layer in enumerate(net.layers):
        z = graph.node("MatMul", [a, graph.constant(f"W{i}", layer.weights)], f"layer{i}.matmul")
        if layer.bias is not None:
            z = graph.node("Add", [z, graph.constant(f"b{i}", layer.bias)], f"layer{i}.add")
        a = activation_node(graph, layer.activation, z, f"layer{i}", net.dtype)
    return a


def standardise(graph: Graph, x: str, scaler: Any, dtype: np.dtype) -> str:
    """Add ``(x - mean) / scale``, the scaler's transform, in the network's dtype."""
    mean, scale = scaler_arrays(scaler)
    with np.errstate(over="ignore"):
        mean, scale = mean.astype(dtype), scale.astype(dtype)
    if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
        raise ValueError(
            f"the scaler's statistics do not fit the network's dtype {dtype.name} (a mean or "
            "scale beyond its range, or a scale of 0): export a float64 network instead"
        )
    centred = graph.node("Sub", [x, graph.constant("scaler.mean", mean)], "scaler.sub")
    return graph.node("Div", [centred, graph.constant("scaler.scale", scale)], "scaler.div")


def scaler_arrays(scaler: Any) -> tuple[np.ndarray, np.ndarray]:
    """The scaler's ``mean_`` and ``scale_`` as float64 arrays (None reads as 0 and 1, as
    scikit-learn's StandardScaler leaves them without centring or scaling)."""
    try:
        mean, scale = scaler.mean_, scaler.scale_
        # StandardScaler(with_mean=False) keeps the mean it measured (for the variance) but
        # does not subtract it.
        if getattr(scaler, "with_mean", True) is False:
            mean = None
    except AttributeError:
        raise TypeError(
            f"scaler must be a fitted scaler with mean_ and scale_ (backprop's Scaler or "
            f"scikit-learn's StandardScaler), got {type(scaler).__name__}"
        ) from None
    if mean is None and scale is None:
        raise ValueError("scaler is not fitted: its mean_ and scale_ are None")
    reference = mean if mean is not None else scale
    mean = np.zeros(np.shape(reference)) if mean is None else np.asarray(mean, dtype=np.float64)
    scale = np.ones(np.shape(reference)) if scale is None else np.asarray(scale, dtype=np.float64)
    return mean, scale


def activation_node(graph: Graph, activation: Activation, z: str, layer: str, dtype: Any) -> str:
    """Add ``a = f(z)`` for the layer's activation; return a's tensor name."""
    write = ACTIVATION_NODES.get(activation.name)
    if write is None or type(activation) is not ACTIVATIONS.get(activation.name):
        raise ValueError(
            f"{layer}'s activation {activation!r} has no ONNX form: backprop exports "
            f"{', '.join(ACTIVATION_NODES)}"
        )
    return write(graph, activation, z, layer, np.dtype(dtype))


def _leaky_relu(graph: Graph, activation: Any, z: str, layer: str, dtype: np.dtype) -> str:
    """z where z > 0, else slope × z, with the engine's slope."""
    slope = float(activation.slope)
    if dtype == np.float32:
        return graph.node("LeakyRelu", [z], f"{layer}.leaky_relu", alpha=slope)
    # LeakyRelu's alpha is a 32-bit float: 0.01 would become 0.0099999998. A float64 network
    # multiplies by its own slope, with the engine's np.where(z > 0, z, slope * z).
    zero = graph.constant(f"{layer}.zero", np.zeros((), dtype))
    positive = graph.node("Greater", [z, zero], f"{layer}.positive")
    slope_constant = graph.constant(f"{layer}.slope", np.array(slope, dtype))
    scaled = graph.node("Mul", [z, slope_constant], f"{layer}.scaled")
    return graph.node("Where", [positive, z, scaled], f"{layer}.leaky_relu")


def _operator(op_type: str, **attributes: Any) -> Callable[..., str]:
    """An activation that is one ONNX operator."""

    def write(graph: Graph, activation: Activation, z: str, layer: str, dtype: np.dtype) -> str:
        return graph.node(op_type, [z], f"{layer}.{activation.name}", **attributes)

    return write


#: How each activation of ``backprop.engine.activations.ACTIVATIONS`` is written in ONNX.
ACTIVATION_NODES: dict[str, Callable[..., str]] = {
    "sigmoid": _operator("Sigmoid"),
    "tanh": _operator("Tanh"),
    "relu": _operator("Relu"),
    "leaky_relu": _leaky_relu,
    "identity": lambda graph, activation, z, layer, dtype: z,
    "exp": _operator("Exp"),
    "softmax": _operator("Softmax", axis=1),  # over each row, as the engine's
}


def class_index(graph: Graph, output: str, n_outputs: int, dtype: Any) -> str:
    """Add each row's predicted class index (int64, shape (N,)), as ``metrics.predicted_classes``
    has it: the largest output, or output >= THRESHOLD for a single neuron."""
    if n_outputs > 1:
        return graph.node("ArgMax", [output], "argmax", axis=1, keepdims=0)
    threshold = graph.constant("threshold", np.array(THRESHOLD, dtype))
    chosen = graph.node("GreaterOrEqual", [output, threshold], "threshold")
    index = graph.node("Cast", [chosen], "class_index", to=7)  # 7: TensorProto.INT64
    return graph.node("Reshape", [index, graph.constant("rows", np.array([-1]))], "flatten")


# -- the plain ONNX graph ------------------------------------------------------------------------


class OnnxGraph:
    """A :class:`Graph` that collects ``onnx.helper`` nodes and initializers, with unique names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.names: set[str] = {INPUT, OUTPUT, LABEL}

    def unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{name}_{n}"
        self.names.add(candidate)
        return candidate

    def constant(self, name: str, value: np.ndarray) -> str:
        name = self.unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(
        self,
        op_type: str,
        inputs: Sequence[str],
        name: str,
        output: str | None = None,
        **attributes: Any,
    ) -> str:
        """Add a node; its output is called ``output`` when given (a graph output's name)."""
        result = output or self.unique(name)
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, list(inputs), [result], name=self.unique(f"{name}.op"), **attributes
            )
        )
        return result


# -- what is exported ----------------------------------------------------------------------------


def _import_onnx() -> Any:
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError:
        raise ImportError(
            "exporting to ONNX needs the onnx package: pip install backprop[onnx]"
        ) from None
    return onnx


def _parts(
    model: Any, scaler: Any, classes: Sequence[Any] | None
) -> tuple[Network, Any, list[Any] | None, list[str] | None]:
    """The network, scaler, class labels and feature names to export from ``model``."""
    feature_names = None
    if not isinstance(model, Network) and isinstance(getattr(model, "network", None), Network):
        # A run's model (backprop.run.Model, a layer above this one): its network comes with
        # the scaler it was trained behind and the labels of its classes.
        if scaler is None:
            scaler = getattr(model, "scaler", None)
        if classes is None and getattr(model, "task", None) == "classification":
            classes = model.classes
        feature_names = getattr(model, "feature_names", None)
        model = model.network
    if not isinstance(model, Network):
        raise TypeError(
            f"model must be a backprop.Network or a trained run's model (backprop.run.Model), "
            f"got {type(model).__name__}; a scikit-learn estimator converts with skl2onnx "
            "(see backprop.sklearn.onnx)"
        )
    if scaler is not None:
        mean, scale = scaler_arrays(scaler)
        if mean.shape != (model.sizes[0],) or scale.shape != (model.sizes[0],):
            raise ValueError(
                f"scaler has {mean.size} features but the network has {model.sizes[0]} inputs"
            )
    if classes is not None:  # NumPy's scalars as Python's, for the JSON of the properties
        classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
        repeated = sorted({repr(c) for c in classes if classes.count(c) > 1})
        if repeated:  # two outputs with one label: a prediction could not be told apart
            raise ValueError(f"classes must be distinct labels, got {', '.join(repeated)} twice")
    return model, scaler, classes, feature_names


def _labels(net: Network, classes: list[Any]) -> np.ndarray:
    """The class labels as one tensor: int64 when every label is an integer, else strings."""
    expected = 2 if net.sizes[-1] == 1 else net.sizes[-1]
    if len(classes) != expected:
        raise ValueError(
            f"classes has {len(classes)} labels but the network's {net.sizes[-1]} output(s) "
            f"tell {expected} classes apart"
        )
    if all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) and INT64.min <= c <= INT64.max
        for c in classes
    ):
        return np.array(classes, dtype=np.int64)
    labels = [str(c) for c in classes]  # an integer beyond int64 too, as ONNX has no wider
    if len(set(labels)) < len(labels):
        raise ValueError(
            f"classes {classes!r:.80} are written as strings in ONNX, where two of them read "
            "alike: give labels that differ as text"
        )
    return np.array(labels, dtype=object)


def _tensor(onnx: Any, name: str, dtype: np.dtype, width: int, doc: str) -> Any:
    info = onnx.helper.make_tensor_value_info(
        name, onnx.helper.np_dtype_to_tensor_dtype(dtype), ["N", width]
    )
    info.doc_string = doc
    return info


def _label_tensor(onnx: Any, labels: np.ndarray) -> Any:
    kind = onnx.TensorProto.INT64 if labels.dtype == np.int64 else onnx.TensorProto.STRING
    info = onnx.helper.make_tensor_value_info(LABEL, kind, ["N"])
    info.doc_string = "each row's class label: the largest output, or output >= 0.5 for one"
    return info


def _input_doc(scaler: Any, feature_names: Sequence[str] | None) -> str:
    what = "raw features, standardised in the graph" if scaler is not None else "the inputs"
    if feature_names:
        what += f": {', '.join(feature_names)}"
    return what


def _output_doc(net: Network) -> str:
    kind = {
        "softmax": "class probabilities (softmax)",
        "sigmoid": "sigmoid outputs (probabilities of the positive class)",
    }.get(net.layers[-1].activation.name, f"{net.layers[-1].activation.name} outputs")
    return f"the output layer's activations, as net.predict returns them: {kind}"
