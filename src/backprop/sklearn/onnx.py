"""skl2onnx converters for the estimators: a scikit-learn pipeline ending in a backprop
estimator converts to ONNX as scikit-learn's own models do.

Register them once, then convert as usual::

    from backprop.sklearn.onnx import register_converters
    from skl2onnx import to_onnx

    register_converters()
    pipe = make_pipeline(StandardScaler(), BackpropClassifier((16,))).fit(X, y)
    onx = to_onnx(pipe, X[:1].astype(np.float32), options={"zipmap": False})

A classifier's graph returns ``label`` (the class of each row, as ``predict``; for multilabel
targets the 0/1 indicator matrix) and ``probabilities`` (as ``predict_proba``; skl2onnx wraps
them in a ZipMap of dictionaries unless ``zipmap=False``), a regressor's ``variable`` (as
``predict``, shape (N, n_targets)).
The network inside runs in its own dtype, the input cast to it, as ``network_.predict`` does.

The network's nodes are those of :func:`backprop.export_onnx`, written by the same code
(:func:`backprop.saving.onnx.forward`); this module adds the estimators' ends to them: the
probabilities of ``predict_proba`` and the labels of ``predict``. It follows skl2onnx's
documented way for a model it does not know: ``update_registered_converter`` with a shape
calculator and a converter. skl2onnx is imported only when the converters are registered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from backprop.engine.metrics import THRESHOLD
from backprop.saving.onnx import OPSET, class_index, forward
from backprop.sklearn.classifier import BackpropClassifier
from backprop.sklearn.regressor import BackpropRegressor

__all__ = ["convert_classifier", "convert_regressor", "register_converters"]

#: The ONNX types (TensorProto's numbers) of the arrays this module makes.
_ONNX_TYPES = {np.dtype("float32"): 1, np.dtype("float64"): 11, np.dtype("int64"): 7}
_STRING = 8


def register_converters() -> None:
    """Teach skl2onnx to convert BackpropClassifier and BackpropRegressor (and so any pipeline
    holding one). Calling it again changes nothing."""
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    except ImportError:
        raise ImportError(
            "converting a pipeline to ONNX needs skl2onnx: pip install backprop[onnx]"
        ) from None
    update_registered_converter(
        BackpropClassifier,
        "BackpropClassifier",
        calculate_linear_classifier_output_shapes,
        convert_classifier,
        # Declaring zipmap makes skl2onnx parse the estimator as a classifier: two outputs.
        # nocl: label the rows with class indices 0..k-1 instead of classes_.
        options={
            "zipmap": [True, False, "columns"],
            "nocl": [False, True],
            "output_class_labels": [False, True],
        },
    )
    update_registered_converter(
        BackpropRegressor, "BackpropRegressor", _regressor_shapes, convert_regressor
    )


def convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx's converter for a fitted BackpropClassifier: ``label`` and ``probabilities``."""
    from skl2onnx.common.utils_classifier import get_label_classes

    estimator = operator.raw_operator
    _check_opset(container)
    net = estimator.network_
    graph = Skl2onnxGraph(scope, container)
    A = forward(graph, net, graph.cast(operator.inputs[0].full_name, net.dtype))
    label, probability = operator.outputs[0].full_name, operator.outputs[1].full_name
    if getattr(estimator, "multilabel_", False):
        # One sigmoid per label: its probability, and 1 where it reaches the threshold.
        threshold = graph.constant("threshold", np.array(THRESHOLD, net.dtype))
        chosen = graph.node("GreaterOrEqual", [A, threshold], "threshold")
        graph.node("Cast", [chosen], "label", output=label, to=_ONNX_TYPES[np.dtype(np.int64)])
        graph.cast(A, _dtype_of(operator.outputs[1].type), output=probability)
        return
    if len(estimator.classes_) == 1:  # fitted on one class: certain of it
        ones = graph.constant("one", np.ones((1, 1), net.dtype))
        probabilities = graph.node("Expand", [ones, graph.node("Shape", [A], "rows")], "ones")
        index = graph.node("ArgMax", [probabilities], "argmax", axis=1, keepdims=0)  # zeros
    else:
        probabilities = _probabilities(
            graph, A, net.sizes[-1], estimator.out_activation_, net.dtype
        )
        # predict: one output at the threshold; several, the most probable class.
        scores = A if net.sizes[-1] == 1 else probabilities
        index = class_index(graph, scores, net.sizes[-1], net.dtype)
    labels = graph.constant("classes", _labels(get_label_classes(scope, estimator)))
    graph.node("Gather", [labels, index], "label", output=label)
    graph.cast(probabilities, _dtype_of(operator.outputs[1].type), output=probability)


def convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx's converter for a fitted BackpropRegressor: ``variable``, shape (N, n_targets)."""
    estimator = operator.raw_operator
    _check_opset(container)
    net = estimator.network_
    graph = Skl2onnxGraph(scope, container)
    A = forward(graph, net, graph.cast(operator.inputs[0].full_name, net.dtype))
    graph.cast(A, _dtype_of(operator.outputs[0].type), output=operator.outputs[0].full_name)


def _regressor_shapes(operator: Any) -> None:
    """The regressor's output: one column per target, in the input's float type."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.utils import check_input_and_output_numbers

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    given = operator.inputs[0].type
    kind = (
        type(given) if isinstance(given, (FloatTensorType, DoubleTensorType)) else FloatTensorType
    )
    rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = kind([rows, operator.raw_operator.network_.sizes[-1]])


def _probabilities(graph: Skl2onnxGraph, A: str, n_outputs: int, output: str, dtype: Any) -> str:
    """``predict_proba`` from the network's outputs A, as BackpropClassifier computes it."""
    if n_outputs == 1:  # one output p (clipped to [0, 1]): the columns 1 - p and p
        low, high = (
            graph.constant("zero", np.zeros((), dtype)),
            graph.constant("one", np.ones((), dtype)),
        )
        p = graph.node("Clip", [A, low, high], "clip")
        return graph.node(
            "Concat", [graph.node("Sub", [high, p], "complement"), p], "proba", axis=1
        )
    if output == "softmax":
        return A
    # Other outputs: clipped at zero and normalised, each row; a row of zeros is uniform.
    positive = graph.node("Relu", [A], "clip_at_zero")
    totals = graph.node(
        "ReduceSum", [positive, graph.constant("axis", np.array([1]))], "totals", keepdims=1
    )
    shares = graph.node("Div", [positive, totals], "shares")
    some = graph.node("Greater", [totals, graph.constant("zero", np.zeros((), dtype))], "some")
    uniform = graph.constant("uniform", np.array(1.0 / n_outputs, dtype))
    return graph.node("Where", [some, shares, uniform], "proba")


def _labels(classes: np.ndarray) -> np.ndarray:
    """The class labels as ONNX holds them: int64 for numbers (scikit-learn's classifiers
    take whole numbers only, and skl2onnx's shape calculator declares them int64), else
    strings."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return np.array([str(c) for c in classes], dtype=object)


def _check_opset(container: Any) -> None:
    target = getattr(container, "target_opset", None)
    if isinstance(target, int) and target < OPSET:
        raise ValueError(
            f"target_opset={target}: backprop's estimators convert with operator set {OPSET} "
            "or later"
        )


def _dtype_of(tensor_type: Any) -> np.dtype:
    """The NumPy dtype of a skl2onnx tensor type (float32 unless it is double)."""
    from skl2onnx.common.data_types import DoubleTensorType

    return np.dtype(np.float64 if isinstance(tensor_type, DoubleTensorType) else np.float32)


class Skl2onnxGraph:
    """A :class:`backprop.saving.onnx.Graph` that adds nodes to skl2onnx's graph of a pipeline,
    with names the converter's scope makes unique."""

    def __init__(self, scope: Any, container: Any) -> None:
        self.scope, self.container = scope, container

    def constant(self, name: str, value: np.ndarray) -> str:
        name = self.scope.get_unique_variable_name(name)
        value = np.asarray(value)
        if value.dtype == object:
            kind, content = _STRING, [str(v).encode("utf-8") for v in value.ravel()]
            self.container.add_initializer(name, kind, list(value.shape), content)
        else:
            self.container.add_initializer(
                name, _ONNX_TYPES[value.dtype], list(value.shape), value.ravel()
            )
        return name

    def node(
        self,
        op_type: str,
        inputs: Sequence[str],
        name: str,
        output: str | None = None,
        **attributes: Any,
    ) -> str:
        result = output or self.scope.get_unique_variable_name(name)
        self.container.add_node(
            op_type,
            list(inputs),
            [result],
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return result

    def cast(self, tensor: str, dtype: Any, output: str | None = None) -> str:
        """``tensor`` as ``dtype`` (a Cast to the tensor's own type is a copy)."""
        return self.node("Cast", [tensor], "cast", output=output, to=_ONNX_TYPES[np.dtype(dtype)])
