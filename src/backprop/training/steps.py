"""One training step (forward, backward, update) and a chunk of them: what the eager loop
(``loop.py``) calls per batch and what a CUDA graph records (``graphs.py``).

A step keeps its output layer's net inputs and outputs; a chunk's losses and right answers
are computed from them after its steps, in a few array calls (``chunk_totals``). Everything
here runs on the device of the network's arrays without reading a number back to the host, so
that a GPU is never kept waiting within an epoch and a graph can record it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop.engine import metrics
from backprop.engine.backend import is_numpy, namespace, sign, squared_norm
from backprop.training.batches import joined

if TYPE_CHECKING:
    from backprop.engine.network import Network
    from backprop.training.prepared import Prepared


def step(
    net: Network,
    run: Prepared,
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None,
    update: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward, backward, update (unless not ``update``: a warm-up, ``graphs.py``), on one
    batch; the output layer's net inputs and outputs."""
    masks = None if run.dropout is None else run.dropout.masks(net.rng, x.shape[0])
    if masks is not None and run.on_device:  # drawn by NumPy, as on NumPy
        masks = [None if m is None else net.backend.asarray(m) for m in masks]
    net_inputs, outputs = net.forward(x, masks)
    net.backward(y, net_inputs, outputs, w, out=run.gradient_views, masks=masks)
    if run.adjusts_gradient:  # weight decay, L1, clipping: all off by default
        penalise_and_clip(net, run)
    if update:
        run.optimizer.step([net.parameter_vector], [run.gradient])
    return net_inputs[-1], outputs[-1]


def penalise_and_clip(net: Network, run: Prepared) -> None:
    """Add the penalties' gradients to the loss's, then clip the whole by its norm."""
    gradient = run.gradient
    weights = slice(0, net.n_weights)  # the front of the vector: no penalty on the biases
    if run.weight_decay:  # d/dW of weight_decay/2 * sum W^2
        gradient[weights] += run.weight_decay * net.parameter_vector[weights]
    if run.l1:  # d/dW of l1 * sum |W| (0 at W = 0, where |W| has no derivative)
        gradient[weights] += run.l1 * sign(net.parameter_vector[weights])
    if run.clip_norm is None:
        return
    if is_numpy(gradient):
        norm = math.sqrt(squared_norm(gradient))
        if norm > run.clip_norm:  # keep the direction, shorten the step
            gradient *= run.clip_norm / norm
    else:  # the same factor, min(1, clip_norm / norm), computed where the gradient is
        xp = namespace(gradient)
        norm = xp.sqrt(xp.vecdot(gradient, gradient))
        gradient *= xp.minimum(run.clip_norm / norm, xp.ones_like(norm))


def chunk_totals(
    net: Network,
    run: Prepared,
    y: Any,
    w: Any,
    truth: Any,
    net_inputs: list[Any],
    outputs: list[Any],
) -> tuple[Any, Any]:
    """The summed loss and the count of right answers of a chunk's steps, from the net inputs
    and outputs each step kept: Python floats on NumPy, 0-d arrays on a device."""
    A, Z = joined(outputs), joined(net_inputs)
    loss = net.summed_loss(y, A, Z, w)
    correct = 0.0 if run.kind is None else metrics.count_correct(truth, A, run.kind)
    return loss, correct


def batches(x: Any, y: Any, w: Any, batch: int, on_device: bool) -> list[tuple[Any, Any, Any]]:
    """A chunk's batches of ``batch`` rows (the last may have fewer), as views: the chunk
    itself when it is one batch. Each slice ends in bounds; on a device it names every axis
    (``...``), as the array API standard asks (NumPy is quicker without)."""
    n_rows = x.shape[0]
    if n_rows <= batch:
        return [(x, y, w)]
    slices = _slices(n_rows, batch)
    if on_device:
        return [(x[r, ...], y[r, ...], None if w is None else w[r]) for r in slices]
    return [(x[r], y[r], None if w is None else w[r]) for r in slices]


@lru_cache(maxsize=16)
def _slices(n_rows: int, batch: int) -> tuple[slice, ...]:
    """The slices of ``n_rows`` rows in batches of ``batch``, made once per chunk size."""
    return tuple(slice(i, min(i + batch, n_rows)) for i in range(0, n_rows, batch))
