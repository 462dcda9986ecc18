"""Activation functions and their derivatives.

Each activation turns a layer's net input ``z`` into its output ``a = f(z)``. Backpropagation
needs ``f'(z)``; for every activation here it can be written with the output alone (the
sigmoid's ``a * (1 - a)`` is the classic case), so the forward pass only has to keep each
layer's output, exactly as the tutorials do.

``backward(a, error)`` turns the error at a layer's outputs (dE/da) into the layer's delta
(dE/dz). For element-wise activations that is ``error * f'(z)``; softmax mixes its outputs, so
it multiplies by its Jacobian instead.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from backprop.engine.arrays import ones, zeros
from backprop.engine.validation import check_choice

Array = np.ndarray

#: Arrays up to this many entries (a batch of hidden outputs) are compared with a cached
#: array of zeros; larger ones, in prediction, with the scalar 0, so the cache stays small.
SMALL = 1 << 16


class Activation:
    """An element-wise activation: ``a = f(z)``, ``delta = error * f'(z)``."""

    name: str = ""
    #: False where f' jumps (ReLU at 0): finite differences across the jump are meaningless.
    smooth: bool = True

    def __call__(self, z: Array) -> Array:
        raise NotImplementedError

    def derivative(self, a: Array) -> Array:
        """f'(z), written in terms of the output a = f(z)."""
        raise NotImplementedError

    def backward(self, a: Array, error: Array) -> Array:
        """The delta dE/dz from the error dE/da at this layer's output a."""
        return error * self.derivative(a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + e^-z), sigma' = a (1 - a): the tutorials' activation."""

    name = "sigmoid"

    def __call__(self, z: Array) -> Array:
        # SciPy's logistic function: one pass, exact, and no overflow for any z.
        return expit(z)

    def derivative(self, a: Array) -> Array:
        return a * (1.0 - a)


class Tanh(Activation):
    """tanh(z), tanh' = 1 - a^2."""

    name = "tanh"

    def __call__(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, a: Array) -> Array:
        return 1.0 - a * a


class ReLU(Activation):
    """max(0, z); the derivative is 1 where z > 0 (equivalently a > 0), else 0."""

    name = "relu"
    smooth = False

    def __call__(self, z: Array) -> Array:
        if z.size <= SMALL:  # a training batch: an array of zeros takes NumPy's faster loop
            return np.maximum(z, zeros(z.shape, z.dtype))
        return np.maximum(z, 0.0)

    def derivative(self, a: Array) -> Array:
        return (a > 0).astype(a.dtype)

    def backward(self, a: Array, error: Array) -> Array:
        # The derivative is 0 or 1, so multiplying by the mask a > 0 is the whole product.
        return error * (a > 0)


class LeakyReLU(Activation):
    """z where z > 0, else slope * z; the derivative is 1 or slope."""

    name = "leaky_relu"
    smooth = False

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = slope

    def __call__(self, z: Array) -> Array:
        return np.where(z > 0, z, self.slope * z)

    def derivative(self, a: Array) -> Array:
        # a > 0 exactly when z > 0 because the slope is positive.
        return np.where(a > 0, 1.0, self.slope).astype(a.dtype)

    def __repr__(self) -> str:
        return f"LeakyReLU(slope={self.slope})"


class Identity(Activation):
    """f(z) = z: a linear neuron, as in the worked 2-2-1 example."""

    name = "identity"

    def __call__(self, z: Array) -> Array:
        return z

    def derivative(self, a: Array) -> Array:
        return np.ones_like(a)

    def backward(self, a: Array, error: Array) -> Array:
        return error


class Softmax(Activation):
    """softmax(z)_k = e^z_k / sum_j e^z_j, over each row: an output layer of class probabilities."""

    name = "softmax"

    def __call__(self, z: Array) -> Array:
        # Subtracting each row's largest net input changes nothing mathematically and keeps
        # exp finite. An argmax and a gather find it faster than a maximum over each row.
        largest = z[np.arange(len(z)), z.argmax(axis=1)]
        e = np.exp(z - largest[:, None])
        e /= np.dot(e, ones(z.shape[1], z.dtype))[:, None]
        return e

    def derivative(self, a: Array) -> Array:
        raise TypeError("softmax has no element-wise derivative; use backward(a, error)")

    def backward(self, a: Array, error: Array) -> Array:
        # Jacobian-vector product: da_k/dz_j = a_k (1[k=j] - a_j).
        return a * (error - (error * a).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Softmax)
}


def get_activation(name: str | Activation, argument: str = "activation") -> Activation:
    """The activation called ``name`` (an Activation instance is returned as it is)."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[check_choice(argument, name, ACTIVATIONS)]()
