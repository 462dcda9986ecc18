"""A dense layer: every input joined to every neuron by a weight, plus one bias per neuron."""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop.engine.activations import Activation
from backprop.engine.backend import backend_of, host, numpy_dtype, products, torch_of
from backprop.engine.validation import as_float_array


class Dense:
    """A fully connected layer of ``n_out`` neurons reading ``n_in`` inputs.

    ``weights[i, j]`` joins input i to neuron j, so a batch of inputs ``x`` (one row per sample)
    gives the net inputs ``z = x @ weights + bias`` and the outputs ``a = activation(z)``.
    Both parameters may be assigned by hand; the new values are copied and checked.
    """

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray | None,
        activation: Activation,
    ) -> None:
        self.n_in, self.n_out = weights.shape
        self.dtype = numpy_dtype(weights.dtype)
        self.activation = activation
        self._weights = weights
        self._bias = bias
        self._dot = products(weights)[0]  # np.dot for NumPy: no cost over calling it here

    def bind(self, weights: np.ndarray, bias: np.ndarray | None = None) -> None:
        """Keep the parameters in these arrays from now on (views into a network's vector)."""
        self._weights, self._bias = weights, bias
        self._dot = products(weights)[0]

    @property
    def weights(self) -> np.ndarray:
        return self._weights

    @weights.setter
    def weights(self, value: Any) -> None:
        # Updated in place from then on, so that optimizers holding the array stay in step.
        self._weights[...] = self._checked("weights", value, (self.n_in, self.n_out))

    @property
    def bias(self) -> np.ndarray | None:
        return self._bias

    @bias.setter
    def bias(self, value: Any) -> None:
        if self._bias is None:
            raise ValueError("this layer was built with bias=False, so it has no bias to set")
        self._bias[...] = self._checked("bias", value, (self.n_out,))

    @property
    def parameters(self) -> list[np.ndarray]:
        """The arrays gradient descent updates: [weights] or [weights, bias]."""
        return [self._weights] if self._bias is None else [self._weights, self._bias]

    def net_input(self, x: np.ndarray) -> np.ndarray:
        """z = x @ weights + bias, one row per sample."""
        weights, bias = self._weights, self._bias
        if bias is not None and type(weights) is not np.ndarray:
            torch = torch_of(weights)
            # One kernel, not a product then a sum. cuBLASLt's fused bias may assume 16-byte
            # alignment, which a bias inside the parameter vector need not have: those take
            # the two kernels (pytorch/pytorch#194497, "misaligned address").
            if torch is not None and bias.data_ptr() % 16 == 0:  # type: ignore[attr-defined]
                return torch.addmm(bias, x, weights)
        z = self._dot(x, weights)
        if bias is not None:
            z += bias
        return z

    def _checked(self, name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
        array = as_float_array(name, host(value, name), self.dtype)
        if array.shape != shape:
            raise ValueError(
                f"{name} must have shape {shape} for a layer of {self.n_in} inputs and "
                f"{self.n_out} neurons, got shape {array.shape}"
            )
        return backend_of(self._weights).asarray(array)  # where the layer's arrays live

    def __getstate__(self) -> dict[str, Any]:
        # The product is found again on unpickling (the one of another library than NumPy
        # may be a closure).
        return {k: v for k, v in self.__dict__.items() if k != "_dot"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._dot = products(self._weights)[0]

    def __repr__(self) -> str:
        return (
            f"Dense({self.n_in} -> {self.n_out}, activation={self.activation.name!r}, "
            f"bias={self._bias is not None})"
        )
