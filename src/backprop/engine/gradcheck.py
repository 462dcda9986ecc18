"""Gradient checking: backpropagation's gradients against finite differences of the loss.

Backpropagation is an efficient way to compute dE/dw; nudging w up and down and watching E
change is a slow but obviously correct one. If they agree for every weight, the backward pass
is right. The check runs in float64 on a copy of the network, so float32 rounding cannot hide
or fake a disagreement. It runs on the network's backend and device (``backend.py``): the
gradients checked are those that backend computes.

It checks the deterministic network that ``predict`` runs, or, given dropout ``masks``, the
thinned network of one training step with those masks fixed: with the masks held still, the
loss is an ordinary function of the weights, and its derivatives can be checked the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from backprop.engine.backend import to_numpy
from backprop.engine.network import Masks, Network

#: Step of the finite differences: large enough that rounding in E stays far below the
#: differences, small enough that the h^4 error of the five-point stencil is negligible.
STEP = 1e-3
#: Rounding in E leaves the stencil an absolute noise of about 1e-13 x |E|, so derivatives
#: smaller than FLOOR x max(|E|, 1) are compared absolutely, against that size: their relative
#: error would measure only the noise.
FLOOR = 1e-6


def numerical_gradient(
    net: Network,
    X: np.ndarray,
    Y: np.ndarray,
    param: np.ndarray,
    index: tuple[int, ...],
    weights: np.ndarray | None = None,
    masks: Masks | None = None,
) -> tuple[float, bool]:
    """dE/dparam[index] by the central five-point stencil, and whether it can be trusted.

    It cannot where a nudge carries some ReLU's net input across 0, where E has a kink.
    """
    original = float(param[index])
    _, kinks = _loss_and_kinks(net, X, Y, weights, masks)
    losses, smooth = [], True
    for k in (-2, -1, 1, 2):
        param[index] = original + k * STEP
        loss, nudged_kinks = _loss_and_kinks(net, X, Y, weights, masks)
        losses.append(loss)
        smooth = smooth and all(
            np.array_equal(a, b) for a, b in zip(kinks, nudged_kinks, strict=True)
        )
    param[index] = original
    e_2, e_1, e1, e2 = losses
    return (e_2 - 8 * e_1 + 8 * e1 - e2) / (12 * STEP), smooth


def gradcheck(
    net: Network, X: Any, Y: Any, sample_weight: Any = None, masks: Sequence[Any] | None = None
) -> float:
    """The largest relative error between backprop's gradients and finite differences.

    For each weight and bias the relative error is ``|b - f| / max(|b|, |f|, FLOOR * |E|)``,
    b being the backpropagated and f the finite-difference derivative of the batch's mean loss
    E (the five-point central difference, step ``STEP``). Around 1e-9 means agreement up to
    rounding; above 1e-6 means a wrong gradient. Weights whose nudge moves some ReLU's net
    input across 0 are skipped: the loss has a kink there and no derivative to compare.

    With dropout ``masks`` (as ``Network.gradients`` takes them), E is the loss of the network
    thinned by those masks, held fixed.
    """
    net = net.copy("float64")
    X, Y = net.check_data(X, Y)
    weights = net.check_sample_weight(sample_weight, X.shape[0])
    masks = net.check_masks(masks, X.shape[0])
    loss, grads, _ = net.loss_and_gradients(X, Y, weights, masks=masks)
    floor = FLOOR * max(abs(float(loss)), 1.0)
    worst = 0.0
    for param, grad in zip(net.parameters, (g for layer in grads for g in layer), strict=True):
        for index in np.ndindex(param.shape):
            numeric, smooth = numerical_gradient(net, X, Y, param, index, weights, masks)
            if smooth:
                analytic = float(grad[index])
                scale = max(abs(analytic), abs(numeric), floor)
                worst = max(worst, abs(analytic - numeric) / scale)
    return worst


def _loss_and_kinks(
    net: Network,
    X: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray | None,
    masks: Masks | None = None,
) -> tuple[float, list[np.ndarray]]:
    """The mean loss, and which side of 0 each net input of a layer with kinks is on."""
    net_inputs, outputs = net.forward(X, masks)
    loss = float(net.batch_loss(Y, net_inputs, outputs, weights))
    kinks = [
        to_numpy(z > 0)
        for z, layer in zip(net_inputs, net.layers, strict=True)
        if not layer.activation.smooth
    ]
    return loss, kinks
