"""Full-batch L-BFGS: the whole training set's loss and gradient, handed to SciPy's L-BFGS-B.

A quasi-Newton method: from the gradients of its last steps L-BFGS builds an estimate of the
loss's curvature and steps along the direction that estimate says leads to the minimum, with
a line search choosing how far. Every evaluation is a pass over all the data, so it suits
small data sets, where it often converges in fewer passes than gradient descent and without
a learning rate to tune. This is scikit-learn's ``solver="lbfgs"``: the same objective (the
mean loss plus ``weight_decay / 2`` times the sum of the squared weights) and the same
stopping rules (``max_iter`` iterations, ``max_fun`` evaluations, a projected gradient below
``tol``).

The optimizer works on the flat vector of parameters (``Network.parameter_vector``, every
weight then every bias); the network's layers are views into it, so the network holds each
point L-BFGS evaluates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# CHUNK: the rows per pass through the network that ``predict`` takes too, so that memory
# stays bounded when the full batch is evaluated.
from backprop.engine.network import CHUNK, Network
from backprop.engine.validation import check_non_negative_float, check_positive_int
from backprop.training.batches import dense_rows


@dataclass
class LbfgsResult:
    """How an L-BFGS run ended."""

    #: The objective (mean loss plus the L2 penalty) at the final parameters.
    loss: float
    #: The L2 penalty's part of ``loss``.
    penalty: float
    #: Iterations run (each one or more evaluations of the loss and gradient).
    n_iter: int
    #: Evaluations of the loss and gradient.
    n_fun: int
    #: Whether L-BFGS-B met its convergence test (False: it stopped at max_iter or max_fun,
    #: or its line search failed).
    converged: bool
    #: SciPy's account of why it stopped.
    message: str


def fit_lbfgs(
    net: Network,
    X: Any,
    Y: np.ndarray,
    *,
    max_iter: int = 200,
    max_fun: int = 15000,
    tol: float = 1e-4,
    weight_decay: float = 0.0,
    sample_weight: np.ndarray | None = None,
    callback: Callable[[int, float, float], None] | None = None,
) -> LbfgsResult:
    """Minimise ``net``'s mean loss on (X, Y) (plus ``weight_decay / 2 * sum(W**2)``) by L-BFGS.

    X and Y are arrays the network has checked (``net.check_data``), or X a SciPy sparse
    matrix of the right width, whose rows are made dense a chunk at a time. ``sample_weight``
    (checked, averaging 1) weighs each sample's loss. ``callback(iteration, loss, penalty)`` is
    called after every iteration with the objective and the L2 penalty's part of it. The network
    ends at the best parameters L-BFGS found.
    """
    max_iter = check_positive_int("max_iter", max_iter)
    max_fun = check_positive_int("max_fun", max_fun)
    tol = check_non_negative_float("tol", tol)
    weight_decay = check_non_negative_float("weight_decay", weight_decay)
    import scipy.optimize  # SciPy's optimizers only when L-BFGS is used

    gradient = np.empty_like(net.parameter_vector)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        net.parameter_vector[...] = theta  # the layers are views: the network is at theta
        loss = full_batch_loss_and_gradient(net, X, Y, sample_weight, weight_decay, gradient)
        return loss, gradient.astype(np.float64)  # L-BFGS-B works in float64

    iterations = 0

    def each_iteration(intermediate_result: Any) -> None:
        nonlocal iterations
        iterations += 1
        if callback is not None:
            penalty = l2_penalty(intermediate_result.x[: net.n_weights], weight_decay)
            callback(iterations, float(intermediate_result.fun), penalty)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = scipy.optimize.minimize(
            objective,
            net.parameter_vector.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=each_iteration,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
        )
    net.parameter_vector[...] = result.x
    return LbfgsResult(
        loss=float(result.fun),
        penalty=l2_penalty(result.x[: net.n_weights], weight_decay),
        n_iter=min(int(result.nit), max_iter),
        n_fun=int(result.nfev),
        converged=result.status == 0,
        message=str(result.message),
    )


def full_batch_loss_and_gradient(
    net: Network,
    X: Any,
    Y: np.ndarray,
    weights: np.ndarray | None,
    weight_decay: float,
    gradient: np.ndarray,
) -> float:
    """The mean loss over all of (X, Y) plus the L2 penalty; its gradient goes into ``gradient``
    (laid out like ``net.parameter_vector``).

    The rows pass through the network ``CHUNK`` at a time; each chunk's gradient of its own
    mean loss counts in proportion to its rows, which makes the gradient of the mean over all.
    """
    n = X.shape[0]
    total = 0.0
    if n <= CHUNK:  # one pass: the gradient goes straight into place
        total = _chunk(net, dense_rows(X, slice(None)), Y, weights, gradient)
    else:
        gradient[...] = 0.0
        part = np.empty_like(gradient)
        for start in range(0, n, CHUNK):
            rows = slice(start, start + CHUNK)
            w = None if weights is None else weights[rows]
            total += _chunk(net, dense_rows(X, rows), Y[rows], w, part)
            part *= min(CHUNK, n - start) / n
            gradient += part
    loss = total / n
    if weight_decay:
        W = net.parameter_vector[: net.n_weights]  # the front of the vector: no decay on biases
        loss += l2_penalty(W, weight_decay)
        gradient[: net.n_weights] += weight_decay * W
    return loss


def l2_penalty(W: np.ndarray, weight_decay: float) -> float:
    """``weight_decay / 2 * sum(W**2)`` for the weights W (the front of a parameter vector)."""
    return 0.5 * weight_decay * float(np.dot(W, W)) if weight_decay else 0.0


def _chunk(
    net: Network, x: np.ndarray, y: np.ndarray, w: np.ndarray | None, gradient: np.ndarray
) -> float:
    """The summed loss of the rows (x, y); the gradient of their mean loss into ``gradient``."""
    net_inputs, outputs = net.forward(x)
    net.backward(y, net_inputs, outputs, w, out=net.views(gradient))
    return net.summed_loss(y, outputs[-1], net_inputs[-1], w)
