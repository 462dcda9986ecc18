"""Activation functions and their derivatives.

Each activation turns a layer's net input ``z`` into its output ``a = f(z)``. Backpropagation
needs ``f'(z)``; for every activation here it can be written with the output alone (the
sigmoid's ``a * (1 - a)`` is the classic case), so the forward pass only has to keep each
layer's output, exactly as the tutorials do.

``backward(a, error)`` turns the error at a layer's outputs (dE/da) into the layer's delta
(dE/dz). For element-wise activations that is ``error * f'(z)``; softmax mixes its outputs, so
it multiplies by its Jacobian instead.

Each activation is the one home of everything about it: besides the array forms the engine
trains with, it carries its scalar forms (``scalar`` and ``scalar_slope``, one number at a time,
for the neuron-level model) and the formulas ``bp.explain`` shows (``formula`` for out = f(net),
``derivative_formula`` for dout/dnet). Formulas are written with the words ``net`` and ``out``;
the explanation puts a neuron's names in their place (net_h1, out_h1), or its numbers.

A new activation is a subclass that fills in those members, added to ``ACTIVATIONS`` under its
name; nothing else in the package needs to learn about it.

The array forms are written once against the array API standard (``xp = namespace(z)``, see
``backend.py``), so they run on NumPy, PyTorch, CuPy and array_api_strict alike; where NumPy
has a faster way (SciPy's logistic function, a cached array of zeros, a gather), NumPy arrays
take it, told apart by ``type(z) is np.ndarray`` (written out where a training step calls
it: a function call would cost more than the test). Where PyTorch computes a whole chain as
one kernel (``softmax``, ``sigmoid``, a derivative times the error), PyTorch tensors take it
(``backend.torch_of``): on a GPU each kernel is a launch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache

import numpy as np

from backprop.engine.arrays import ones, zeros
from backprop.engine.backend import astype, namespace, positive_part, torch_of
from backprop.engine.validation import check_choice, check_non_negative_float

Array = np.ndarray

#: Arrays up to this many entries (a batch of hidden outputs) are compared with a cached
#: array of zeros; larger ones, in prediction, with the scalar 0, so the cache stays small.
SMALL = 1 << 16


def with_numbers(formula: str, values: Mapping[str, float]) -> tuple[str, tuple[float, ...]]:
    """A formula written with words as arithmetic: ``{}`` where each word stands, and its number.

    >>> with_numbers("out × (1 - out)", {"out": 0.75})
    ('{} × (1 - {})', (0.75, 0.75))

    The operands come in the order the words do, one for each ``{}``.
    """
    if not values:
        return formula, ()
    operands: list[float] = []

    def placeholder(word: re.Match[str]) -> str:
        operands.append(values[word[0]])
        return "{}"

    # ASCII word boundaries: in out² the word ends at ², which Unicode counts as a digit.
    words = re.compile(r"\b(" + "|".join(map(re.escape, values)) + r")\b", re.ASCII)
    return words.sub(placeholder, formula), tuple(operands)


class Activation:
    """An activation: ``a = f(z)``, ``delta = error * f'(z)`` (element-wise unless it mixes)."""

    name: str = ""
    #: False where f' jumps (ReLU at 0): finite differences across the jump are meaningless.
    smooth: bool = True
    #: False for an activation that mixes its layer (softmax: each output depends on every net
    #: input of the layer). It has no element-wise derivative, only ``backward``.
    elementwise: bool = True
    #: out = f(net) as the explanation writes it; ``net`` stands for the neuron's net input.
    formula: str = ""
    #: dout/dnet as the explanation writes it, with ``out`` (the engine's derivative reads the
    #: output) or with ``net`` where that reads more plainly.
    derivative_formula: str = ""

    def __call__(self, z: Array) -> Array:
        raise NotImplementedError

    def derivative(self, a: Array) -> Array:
        """f'(z), written in terms of the output a = f(z)."""
        raise NotImplementedError

    def backward(self, a: Array, error: Array) -> Array:
        """The delta dE/dz from the error dE/da at this layer's output a."""
        return error * self.derivative(a)

    def scalar(self, net: float) -> float:
        """f(net) for one number, in plain Python: the neuron-level model's form of ``__call__``."""
        raise NotImplementedError

    def scalar_slope(self, out: float) -> float:
        """f'(net) for one neuron, from its output out = f(net), as ``derivative`` computes it."""
        raise NotImplementedError

    def arithmetic(
        self, net: float, layer: Sequence[float | None]
    ) -> tuple[str, tuple[float, ...]]:
        """out = f(net) with numbers: ``formula`` with ``{}`` for each operand, and the operands.

        ``layer`` holds the net inputs of the neuron's whole layer, for an activation that mixes
        them (None stands for those a long sum leaves out, written …); an element-wise activation
        needs its own ``net`` alone.
        """
        return with_numbers(self.formula, {"net": net})

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + e^-z), sigma' = a (1 - a): the tutorials' activation."""

    name = "sigmoid"
    formula = "1 / (1 + e^(-net))"
    derivative_formula = "out × (1 - out)"

    def __init__(self) -> None:
        # SciPy's logistic function: one pass, exact, and no overflow for any z. Imported when
        # the first sigmoid is made, not with the package: the command line's --help (which
        # makes none) should not wait the 0.2 s SciPy takes to import.
        self.expit = _expit()

    def __call__(self, z: Array) -> Array:
        if type(z) is np.ndarray:
            return self.expit(z)
        torch = torch_of(z)
        if torch is not None:  # one kernel, exact and without overflow as expit is
            return torch.sigmoid(z)
        # expit's own two forms, each with an exponent that is never positive.
        xp = namespace(z)
        e = xp.exp(-xp.abs(z))
        return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def derivative(self, a: Array) -> Array:
        return a * (1.0 - a)

    def backward(self, a: Array, error: Array) -> Array:
        torch = None if type(a) is np.ndarray else torch_of(a)
        if torch is not None:  # error * a (1 - a), as one kernel
            return torch.ops.aten.sigmoid_backward(error, a)
        return error * self.derivative(a)

    def scalar(self, net: float) -> float:
        # The form whose exponent is never positive, so that exp never overflows.
        if net >= 0:
            return 1.0 / (1.0 + math.exp(-net))
        e = math.exp(net)
        return e / (1.0 + e)

    def scalar_slope(self, out: float) -> float:
        return out * (1.0 - out)


class Tanh(Activation):
    """tanh(z), tanh' = 1 - a^2."""

    name = "tanh"
    formula = "tanh(net)"
    derivative_formula = "1 - out²"

    def __call__(self, z: Array) -> Array:
        return np.tanh(z) if type(z) is np.ndarray else namespace(z).tanh(z)

    def derivative(self, a: Array) -> Array:
        return 1.0 - a * a

    def backward(self, a: Array, error: Array) -> Array:
        torch = None if type(a) is np.ndarray else torch_of(a)
        if torch is not None:  # error * (1 - a^2), as one kernel
            return torch.ops.aten.tanh_backward(error, a)
        return error * self.derivative(a)

    def scalar(self, net: float) -> float:
        return math.tanh(net)

    def scalar_slope(self, out: float) -> float:
        return 1.0 - out * out


class ReLU(Activation):
    """max(0, z); the derivative is 1 where z > 0 (equivalently a > 0), else 0."""

    name = "relu"
    smooth = False
    formula = "max(0, net)"
    # Written with net, which says where the jump is; out > 0 exactly when net > 0.
    derivative_formula = "1 if net > 0 else 0"

    def __call__(self, z: Array) -> Array:
        if type(z) is not np.ndarray:
            return positive_part(z)
        if z.size <= SMALL:  # a training batch: an array of zeros takes NumPy's faster loop
            return np.maximum(z, zeros(z.shape, z.dtype))
        return np.maximum(z, 0.0)

    def derivative(self, a: Array) -> Array:
        return astype(a > 0, a.dtype)

    def backward(self, a: Array, error: Array) -> Array:
        # The derivative is 0 or 1, so multiplying by the mask a > 0 is the whole product.
        if type(a) is np.ndarray:
            return error * (a > 0)
        torch = torch_of(a)
        if torch is not None:  # the same as one kernel (but for NaN outputs: a diverged step)
            return torch.ops.aten.threshold_backward(error, a, 0)
        return namespace(a).where(a > 0, error, 0.0)  # the standard multiplies no booleans

    def scalar(self, net: float) -> float:
        return max(net, 0.0)

    def scalar_slope(self, out: float) -> float:
        return 1.0 if out > 0 else 0.0


class LeakyReLU(Activation):
    """z where z > 0, else slope * z; the derivative is 1 or slope."""

    name = "leaky_relu"
    smooth = False

    def __init__(self, slope: float = 0.01) -> None:
        # The derivative is read from the output (a > 0 exactly when z > 0), which a negative
        # slope would break: it makes negative net inputs positive outputs.
        self.slope = check_non_negative_float("slope", slope)
        self.formula = f"max({slope:g} × net, net)"
        self.derivative_formula = f"1 if net > 0 else {slope:g}"

    def __call__(self, z: Array) -> Array:
        xp = np if type(z) is np.ndarray else namespace(z)
        return xp.where(z > 0, z, self.slope * z)

    def derivative(self, a: Array) -> Array:
        # a > 0 exactly when z > 0 because the slope is positive.
        if type(a) is np.ndarray:
            return np.where(a > 0, 1.0, self.slope).astype(a.dtype)
        xp = namespace(a)
        one = xp.ones_like(a)
        return xp.where(a > 0, one, self.slope * one)

    def scalar(self, net: float) -> float:
        return net if net > 0 else self.slope * net

    def scalar_slope(self, out: float) -> float:
        return 1.0 if out > 0 else self.slope

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class Identity(Activation):
    """f(z) = z: a linear neuron, as in the worked 2-2-1 example."""

    name = "identity"
    formula = "net"
    derivative_formula = "1"

    def __call__(self, z: Array) -> Array:
        return z

    def derivative(self, a: Array) -> Array:
        return namespace(a).ones_like(a)

    def backward(self, a: Array, error: Array) -> Array:
        return error

    def scalar(self, net: float) -> float:
        return net

    def scalar_slope(self, out: float) -> float:
        return 1.0


class Exponential(Activation):
    """f(z) = e^z, f' = a: a positive output, the mean of a Poisson count (its log is z)."""

    name = "exp"
    formula = "e^(net)"
    derivative_formula = "out"

    def __call__(self, z: Array) -> Array:
        return np.exp(z) if type(z) is np.ndarray else namespace(z).exp(z)

    def derivative(self, a: Array) -> Array:
        return a

    def backward(self, a: Array, error: Array) -> Array:
        return error * a

    def scalar(self, net: float) -> float:
        try:
            return math.exp(net)
        except OverflowError:  # beyond the largest float: infinite, as np.exp has it
            return math.inf

    def scalar_slope(self, out: float) -> float:
        return out


class Softmax(Activation):
    """softmax(z)_k = e^z_k / sum_j e^z_j, over each row: an output layer of class probabilities."""

    name = "softmax"
    elementwise = False
    # Softmax is an output layer, whose neurons are o1, o2, ..., ok.
    formula = "e^(net) / Σ_k e^(net_ok)"

    def __call__(self, z: Array) -> Array:
        # Subtracting each row's largest net input changes nothing mathematically and keeps
        # exp finite. In NumPy, an argmax and a gather find it faster than a maximum over each
        # row, and a product with ones sums the rows faster than a sum.
        if type(z) is not np.ndarray:
            torch = torch_of(z)
            if torch is not None:  # the same, as one kernel
                return torch.softmax(z, dim=1)
            xp = namespace(z)
            e = xp.exp(z - xp.max(z, axis=1, keepdims=True))
            e /= xp.sum(e, axis=1, keepdims=True)
            return e
        largest = z[np.arange(len(z)), z.argmax(axis=1)]
        e = np.exp(z - largest[:, None])
        e /= np.dot(e, ones(z.shape[1], z.dtype))[:, None]
        return e

    def derivative(self, a: Array) -> Array:
        raise TypeError("softmax has no element-wise derivative; use backward(a, error)")

    def backward(self, a: Array, error: Array) -> Array:
        # Jacobian-vector product: da_k/dz_j = a_k (1[k=j] - a_j).
        return a * (error - namespace(a).sum(error * a, axis=1, keepdims=True))

    def arithmetic(
        self, net: float, layer: Sequence[float | None]
    ) -> tuple[str, tuple[float, ...]]:
        # The denominator sums e^net over the whole layer.
        denominator = " + ".join("…" if v is None else "e^({})" for v in layer)
        return "e^({}) / (" + denominator + ")", (net, *[v for v in layer if v is not None])


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Exponential, Softmax)
}


def get_activation(name: str | Activation, argument: str = "activation") -> Activation:
    """The activation called ``name`` (an Activation instance is returned as it is)."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[check_choice(argument, name, ACTIVATIONS)]()


@cache
def _expit() -> Callable[[Array], Array]:
    """scipy.special.expit, imported on first use."""
    from scipy.special import expit

    return expit
