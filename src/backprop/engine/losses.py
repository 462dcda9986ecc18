"""Loss functions: how wrong one sample's output is, and where backpropagation starts.

A sample's loss E sums over the output neurons (``mse`` and ``squared_error`` average them); a
batch's loss is the mean over its samples. ``per_sample`` returns one E per row; ``total``
their sum, which the training loop needs for every chunk of batches and which most losses
compute in fewer passes than the rows one by one.

``delta`` returns dE/dz at the output layer, the first delta of the backward pass. For the
squared errors that is the output error dE/da times the activation's derivative, as the
tutorials compute it. The two cross-entropies are paired with the activation whose derivative
cancels their own (softmax and sigmoid), so the delta collapses to ``a - y``; they also compute
their value from the net input z rather than from a, which is what keeps a logit of +-1000
finite instead of taking log(0). The Poisson loss is paired the same way with the exponential
output (``exp``), its log-link.

Each loss also writes itself out for ``bp.explain``, with the words ``target`` and ``out`` for
one output's target and output: ``formula`` gives E over the outputs k, ``term`` one output's
share of it (the explanation writes each output's term with numbers and ``arithmetic`` puts
the sum in its place), ``error_formula`` the output error dE/dout that starts the backward
pass, and ``fused_delta`` the delta of a cross-entropy, which never forms dE/dout.

The formulas are written once against the array API standard (``backend.py``). A loss's
``total`` is a Python float for NumPy arrays and a 0-d array on the device otherwise, so that
the training loop reads a GPU's losses back once per epoch, not once per batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from backprop.engine.activations import Activation
from backprop.engine.backend import is_numpy, namespace, positive_part, to_numpy, total, vdot
from backprop.engine.validation import check_choice

Array = np.ndarray


class Loss:
    """A loss E(y, a) and its gradient at the output layer."""

    name: str = ""
    #: The output activation this loss needs, or None when any output will do.
    requires_output: str | None = None
    #: One output's share of E, written with ``target`` and ``out``.
    term: str = ""
    #: dE/dz at an output written with ``out`` and ``target``, for a loss whose delta skips
    #: dE/da (its required output's derivative cancels its own); None for the others.
    fused_delta: str | None = None
    #: Whether its targets may be classes (0/1 or one-hot), scored by an accuracy; False for
    #: a loss of quantities (Poisson's counts), whose 0s and 1s are numbers, not classes.
    takes_classes: bool = True

    def formula(self, n_outputs: int) -> str:
        """E over the ``n_outputs`` outputs k, as the explanation writes it."""
        raise NotImplementedError

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        """E with numbers, around ``terms``: every output's ``term`` with numbers, added up."""
        raise NotImplementedError

    def error_formula(self, n_outputs: int) -> str:
        """dE/dout at one output, written with ``out`` and ``target`` (unused when fused)."""
        raise NotImplementedError

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        """E for each row of targets y, outputs a = f(z) and net inputs z."""
        raise NotImplementedError

    def total(self, y: Array, a: Array, z: Array) -> Any:
        """The sum of ``per_sample`` over the batch (a float, or a 0-d array on a device)."""
        return total(self.per_sample(y, a, z))

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        """dE/dz for each row: the output layer's delta."""
        raise NotImplementedError

    def check_targets(self, y: Array) -> None:
        """Raise ValueError when targets make no sense for this loss (checked once per call)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HalfSquaredError(Loss):
    """E = 1/2 sum_k (y_k - a_k)^2, the tutorials' error; dE/da = a - y."""

    name = "half_squared_error"
    term = "(target - out)²"

    def formula(self, n_outputs: int) -> str:
        return "½ Σ_k (target_k - out_k)²"

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        return f"½ × ({terms})"

    def error_formula(self, n_outputs: int) -> str:
        return "out - target"

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        error = y - a
        return 0.5 * namespace(a).sum(error * error, axis=1)

    def total(self, y: Array, a: Array, z: Array) -> Any:
        # Every squared error of the batch in one dot product.
        error = a - y
        return 0.5 * vdot(error, error)

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        return activation.backward(a, a - y)


class MeanSquaredError(Loss):
    """E = 1/K sum_k (y_k - a_k)^2 over the K outputs; dE/da = 2 (a - y) / K."""

    name = "mse"
    term = "(target - out)²"

    def formula(self, n_outputs: int) -> str:
        return f"1/{n_outputs} Σ_k (target_k - out_k)²"

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        return f"1/{n_outputs} × ({terms})"

    def error_formula(self, n_outputs: int) -> str:
        return f"2/{n_outputs} × (out - target)"

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        error = y - a
        return namespace(a).mean(error * error, axis=1)

    def total(self, y: Array, a: Array, z: Array) -> Any:
        error = a - y
        return vdot(error, error) / a.shape[1]

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        return activation.backward(a, (2.0 / a.shape[1]) * (a - y))


class SquaredError(Loss):
    """E = 1/(2K) sum_k (y_k - a_k)^2 over the K outputs: half the mean squared error, as
    scikit-learn's ``squared_error`` has it; dE/da = (a - y) / K.

    With one output it is the tutorials' half squared error, to the last bit.
    """

    name = "squared_error"
    term = "(target - out)²"

    def formula(self, n_outputs: int) -> str:
        return f"1/{2 * n_outputs} Σ_k (target_k - out_k)²"

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        return f"1/{2 * n_outputs} × ({terms})"

    def error_formula(self, n_outputs: int) -> str:
        return "out - target" if n_outputs == 1 else f"1/{n_outputs} × (out - target)"

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        error = y - a
        return 0.5 * namespace(a).sum(error * error, axis=1) / a.shape[1]

    def total(self, y: Array, a: Array, z: Array) -> Any:
        error = a - y
        return 0.5 * vdot(error, error) / a.shape[1]

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        error = a - y
        if a.shape[1] > 1:  # dividing by one would change nothing but the time it takes
            error /= a.shape[1]
        return activation.backward(a, error)


class Poisson(Loss):
    """Half the Poisson deviance, for counts y >= 0 predicted by an exponential output a = e^z:
    E = sum_k [a_k - y_k log a_k + y_k log y_k - y_k] (0 log 0 = 0); dE/dz = a - y.

    It is the negative log-likelihood of y under a Poisson distribution of mean a, up to terms
    of y alone, which make E zero where a = y (as scikit-learn's ``poisson`` loss counts it).
    The value is computed from z = log a, so an output that underflows to 0 stays finite.
    """

    name = "poisson"
    requires_output = "exp"
    takes_classes = False
    term = "out - target × log(out) + target × log(target) - target"
    fused_delta = "out - target"

    def formula(self, n_outputs: int) -> str:
        return "Σ_k [out_k - target_k × log(out_k) + target_k × log(target_k) - target_k]"

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        return terms

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        return namespace(a).sum(a - y * z + _xlogy(y, y) - y, axis=1)

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        # dE/da = 1 - y / a times the exponential's derivative a: the a's cancel.
        return a - y

    def check_targets(self, y: Array) -> None:
        y = to_numpy(y)
        if (y < 0).any():
            raise ValueError(
                f"Y holds {y[y < 0][0]:g}: the poisson loss expects counts (targets >= 0)"
            )


class BinaryCrossEntropy(Loss):
    """E = -sum_k [y log a + (1 - y) log(1 - a)] for sigmoid outputs; dE/dz = a - y."""

    name = "binary_cross_entropy"
    requires_output = "sigmoid"
    term = "target × log(out) + (1 - target) × log(1 - out)"
    fused_delta = "out - target"

    def formula(self, n_outputs: int) -> str:
        return "-Σ_k [target_k × log(out_k) + (1 - target_k) × log(1 - out_k)]"

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        return f"-({terms})"

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        return namespace(z).sum(_softplus(z) - y * z, axis=1)

    def total(self, y: Array, a: Array, z: Array) -> Any:
        return total(_softplus(z)) - vdot(y, z)

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        return a - y

    def check_targets(self, y: Array) -> None:
        y = to_numpy(y)
        if ((y < 0) | (y > 1)).any():
            raise ValueError(
                f"Y holds {y[(y < 0) | (y > 1)][0]:g}: binary_cross_entropy expects "
                "targets between 0 and 1"
            )


class CrossEntropy(Loss):
    """E = -sum_k y_k log a_k for softmax outputs; dE/dz = a - y (each row of y sums to 1)."""

    name = "cross_entropy"
    requires_output = "softmax"
    term = "target × log(out)"
    fused_delta = "out - target"

    def formula(self, n_outputs: int) -> str:
        return "-Σ_k target_k × log(out_k)"

    def arithmetic(self, terms: str, n_outputs: int) -> str:
        return f"-({terms})"

    def per_sample(self, y: Array, a: Array, z: Array) -> Array:
        # E = sum_k y_k (logsumexp(z) - z_k) = logsumexp(z) - y . z, since sum_k y_k = 1.
        return _log_sum_exp(z, a) - namespace(z).sum(y * z, axis=1)

    def total(self, y: Array, a: Array, z: Array) -> Any:
        return total(_log_sum_exp(z, a)) - vdot(y, z)

    def delta(self, y: Array, a: Array, z: Array, activation: Activation) -> Array:
        # a * sum(y) - y in general; check_targets makes sure every row of y sums to 1.
        return a - y

    def check_targets(self, y: Array) -> None:
        y = to_numpy(y)
        if (y < 0).any() or not np.allclose(y.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError(
                "cross_entropy expects each row of Y to be class probabilities "
                "(non-negative, summing to 1), such as one-hot rows, or 1-D class labels"
            )


def _xlogy(x: Array, y: Array) -> Array:
    """x log y, taken as 0 where x is 0 (the limit of x log x)."""
    xp = namespace(x)
    return x * xp.log(xp.where(x == 0, 1.0, y))


def _softplus(z: Array) -> Array:
    """log(1 + e^z) = -log sigma(-z), written so that no exponent is positive."""
    xp = namespace(z)
    return positive_part(z) + xp.log1p(xp.exp(-xp.abs(z)))


def _log_sum_exp(z: Array, a: Array) -> Array:
    """log sum_j e^z_j for each row, from the net inputs z and their softmax a.

    log a_k = z_k - logsumexp(z) for every k. At the largest output a_k >= 1/K is never 0, so
    logsumexp = z_k - log a_k is exact there without a second pass of exp. (argmax and a
    gather cost less than a maximum over each row.) The largest output is the one of the
    largest net input, so elsewhere the two maxima give the same numbers without a gather.
    """
    if not is_numpy(z):
        xp = namespace(z)
        return xp.max(z, axis=1) - xp.log(xp.max(a, axis=1))
    rows, k = np.arange(len(z)), a.argmax(axis=1)
    return z[rows, k] - np.log(a[rows, k])


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (
        HalfSquaredError,
        MeanSquaredError,
        SquaredError,
        BinaryCrossEntropy,
        CrossEntropy,
        Poisson,
    )
}


def get_loss(name: str | Loss) -> Loss:
    """The loss called ``name`` (a Loss instance is returned as it is)."""
    if isinstance(name, Loss):
        return name
    return LOSSES[check_choice("loss", name, LOSSES)]()
