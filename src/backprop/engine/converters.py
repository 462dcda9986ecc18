"""Networks trained elsewhere, brought in: scikit-learn's MLPs and PyTorch's Sequential stacks.

A multilayer perceptron is the same object in every library: a weight matrix and a bias vector
per layer, an activation per layer, and the loss it was trained on. Bringing one in means
reading those numbers and names, and mapping the names onto the engine's:

- scikit-learn (``MLPClassifier``, ``MLPRegressor``) stores ``coefs_[i]`` with shape (n_in,
  n_out), as the engine does, and ``intercepts_[i]``; ``activation`` names the hidden layers'
  activation and ``out_activation_`` the output's. Its losses are the engine's: log-loss over
  a softmax is ``cross_entropy``; over logistic outputs (one for two classes, one per label for
  several labels) ``binary_cross_entropy``; the Poisson loss over its ``exp`` output is
  ``poisson``. Its squared error is ``0.5 * mean((y - a)^2)`` over samples *and* outputs, but
  it trains on the delta ``a - y`` for every output, which is the gradient of the engine's
  ``half_squared_error`` (``1/2 sum_k (y_k - a_k)^2``, averaged over the samples): that is
  the loss a regressor gets, so a step of ``fit`` or ``explain`` is the step scikit-learn
  takes. Its value is scikit-learn's ``loss_`` times the number of outputs (the same for one
  output), without the L2 term ``alpha``, which the network does not hold (give ``fit`` a
  ``weight_decay`` for it).
- PyTorch's ``nn.Linear`` stores ``weight`` with shape (n_out, n_in), so it is transposed.
  Each ``Linear`` is a layer; the activation module after it (``ReLU``, ``Tanh``,
  ``Sigmoid``, ``LeakyReLU``, ``Softmax``, ``Identity``) is that layer's activation, and a
  ``Linear`` followed by another (or ending the stack) is linear (identity). A module holds
  no loss: the network gets the one its output implies (cross-entropy for softmax, the half
  squared error otherwise) unless ``loss`` names another.

The parameters keep their dtype (float64 arrays give a float64 network), so the imported
network predicts what the original does, to rounding. Nothing here imports scikit-learn or
PyTorch: the models are read through their attributes (and PyTorch's is imported by
``torch_parts`` when called), so the engine still needs NumPy alone.

Each function returns :class:`Parts`, the description of a network; ``Network.from_sklearn``
and ``Network.from_torch`` build it (this module cannot import ``Network``, which imports it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from backprop.engine.activations import ACTIVATIONS, LeakyReLU
from backprop.engine.backend import to_numpy

#: scikit-learn's activation names -> the engine's.
SKLEARN_ACTIVATIONS = {
    "identity": "identity",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "softmax": "softmax",
    "exp": "exp",
}
#: scikit-learn's output activation -> the engine's loss that trains it as scikit-learn does.
SKLEARN_LOSSES = {
    "softmax": "cross_entropy",
    "logistic": "binary_cross_entropy",
    "identity": "half_squared_error",
    "exp": "poisson",
}
#: PyTorch's activation modules -> the engine's activation names.
TORCH_ACTIVATIONS = {
    "ReLU": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "LeakyReLU": "leaky_relu",
    "Softmax": "softmax",
    "Identity": "identity",
}
DTYPES = (np.dtype("float32"), np.dtype("float64"))


@dataclass
class Parts:
    """What a network is: its layers' parameters and activations, its loss and its dtype."""

    weights: list[np.ndarray]
    biases: list[np.ndarray] | None
    activations: list[str]
    loss: str | None
    dtype: np.dtype

    def build(self, network_class: Any, seed: int | None = None) -> Any:
        """The network these parts describe, made by ``network_class`` (``Network``)."""
        sizes = [self.weights[0].shape[0]] + [W.shape[1] for W in self.weights]
        net = network_class(
            sizes,
            activation=self.activations,
            loss=self.loss,
            bias=self.biases is not None,
            seed=seed,
            dtype=self.dtype,
        )
        for i, layer in enumerate(net.layers):
            layer.weights = self.weights[i]
            if self.biases is not None:
                layer.bias = self.biases[i]
        return net


# -- scikit-learn ---------------------------------------------------------------------------------


def sklearn_parts(mlp: Any) -> Parts:
    """The parts of a fitted ``MLPClassifier`` or ``MLPRegressor``."""
    name = type(mlp).__name__
    if not hasattr(mlp, "activation") or not hasattr(mlp, "hidden_layer_sizes"):
        raise TypeError(f"mlp must be a scikit-learn MLPClassifier or MLPRegressor, got {name}")
    if type(mlp).__module__.startswith("backprop."):  # BackpropClassifier or BackpropRegressor
        raise TypeError(
            f"mlp is backprop's own {name}, whose network is its network_ attribute: take "
            "mlp.network_ (or mlp.network_.copy()) instead of Network.from_sklearn(mlp)"
        )
    if not hasattr(mlp, "coefs_"):
        raise ValueError(
            f"this {name} is not fitted yet: call its fit method before Network.from_sklearn"
        )
    weights = [np.asarray(W) for W in mlp.coefs_]
    biases = [np.asarray(b) for b in mlp.intercepts_]
    dtype = _one_dtype(f"{name}'s coefs_ and intercepts_", weights + biases)
    hidden = _engine_activation(mlp.activation, name, "activation")
    output = _engine_activation(mlp.out_activation_, name, "out_activation_")
    loss = SKLEARN_LOSSES[mlp.out_activation_]
    return Parts(weights, biases, [hidden] * (len(weights) - 1) + [output], loss, dtype)


def _engine_activation(sklearn_name: Any, estimator: str, attribute: str) -> str:
    name = SKLEARN_ACTIVATIONS.get(sklearn_name) if isinstance(sklearn_name, str) else None
    if name is None or name not in ACTIVATIONS:
        supported = [k for k, v in SKLEARN_ACTIVATIONS.items() if v in ACTIVATIONS]
        raise ValueError(
            f"{estimator}.{attribute}={sklearn_name!r} has no counterpart in backprop: "
            f"supported are {', '.join(supported)}"
        )
    return name


# -- PyTorch --------------------------------------------------------------------------------------


def torch_parts(module: Any, loss: str | None = None) -> Parts:
    """The parts of a ``torch.nn.Sequential`` of ``Linear`` layers and activations."""
    import torch

    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            f"module must be a torch.nn.Sequential of Linear layers and activations, got "
            f"{type(module).__name__}"
        )
    weights: list[np.ndarray] = []
    biases: list[np.ndarray | None] = []
    activations: list[str | None] = []  # None: no activation module after the Linear yet
    modules = list(_leaves(module))
    for position, (index, layer) in enumerate(modules):
        kind = type(layer).__name__
        if isinstance(layer, torch.nn.Linear):
            weights.append(to_numpy(layer.weight, f"module[{index}].weight").T)
            biases.append(
                None if layer.bias is None else to_numpy(layer.bias, f"module[{index}].bias")
            )
            activations.append(None)
        elif isinstance(layer, torch.nn.Identity):
            continue  # computes nothing, wherever it stands
        elif kind in TORCH_ACTIVATIONS and type(layer).__module__.startswith("torch.nn"):
            if not activations or activations[-1] is not None:
                raise ValueError(
                    f"layer {index} ({layer!r}) does not follow a Linear layer: each activation "
                    "must come right after the Linear layer whose outputs it takes"
                )
            after = [m for _, m in modules[position + 1 :] if not isinstance(m, torch.nn.Identity)]
            _check_torch_activation(layer, index, last=not after)
            activations[-1] = TORCH_ACTIVATIONS[kind]
        else:
            raise ValueError(
                f"layer {index} ({layer!r}) is not supported: Network.from_torch takes Linear "
                f"layers and the activations {', '.join(TORCH_ACTIVATIONS)}"
            )
    if not weights:
        raise ValueError("module holds no Linear layer: there is no network to bring in")
    dtype = _one_dtype("the module's parameters", weights + [b for b in biases if b is not None])
    with_bias = [b is not None for b in biases]
    if any(with_bias) and not all(with_bias):
        raise ValueError(
            "some Linear layers have a bias and some do not (bias="
            f"{with_bias}): a backprop network has biases in every layer or in none"
        )
    names = [a or "identity" for a in activations]
    bias_list = [b for b in biases if b is not None] if all(with_bias) else None
    return Parts(weights, bias_list, names, loss, dtype)


def _leaves(module: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The modules a Sequential runs, in order, with their index ("3", or "3.1" for a nested
    Sequential's, which runs in its place)."""
    import torch

    for name, child in module.named_children():
        index = f"{prefix}{name}"
        if isinstance(child, torch.nn.Sequential):
            yield from _leaves(child, f"{index}.")
        else:
            yield index, child


def _check_torch_activation(layer: Any, index: str, last: bool) -> None:
    """Refuse an activation the engine would compute differently."""
    kind = type(layer).__name__
    if kind == "LeakyReLU" and layer.negative_slope != LeakyReLU().slope:
        raise ValueError(
            f"layer {index} ({layer!r}) has negative_slope={layer.negative_slope}, but "
            f"backprop's leaky_relu has the slope {LeakyReLU().slope}: use "
            f"LeakyReLU({LeakyReLU().slope})"
        )
    if kind == "Softmax":
        if layer.dim not in (-1, 1):
            raise ValueError(
                f"layer {index} ({layer!r}) takes the softmax over dim={layer.dim}: "
                "backprop's softmax is over each row, Softmax(dim=-1) or Softmax(dim=1)"
            )
        if not last:
            raise ValueError(
                f"layer {index} ({layer!r}) is not the last layer: softmax is an output "
                "activation in backprop"
            )


def _one_dtype(what: str, arrays: list[np.ndarray]) -> np.dtype:
    """The dtype all ``arrays`` share: float32 or float64."""
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) != 1 or next(iter(dtypes)) not in DTYPES:
        found = ", ".join(sorted(d.name for d in dtypes))
        raise ValueError(
            f"{what} are {found}: a backprop network is all float32 or all float64 "
            "(convert the model first, e.g. module.double())"
        )
    return next(iter(dtypes))
