"""Dropout: in each training step, every hidden unit is dropped with probability p.

Srivastava, Hinton et al. (2014) drop units so that no unit can rely on particular others:
each step trains a different thinned network, and the full network averages them. This is
*inverted* dropout, as Keras and PyTorch do it: the units kept are scaled by 1/(1-p) during
training, so that each unit's expected contribution to the next layer equals its output and
the full network predicts without any change. A step's masks hold one factor per sample and
unit, 0 (dropped) or 1/(1-p) (kept); the forward pass multiplies the hidden layers' outputs by
them, and the backward pass the errors sent back to those layers (``Network.forward``,
``Network.backward``).

Only the hidden layers are dropped: dropping inputs is a choice about the data, and dropping
outputs would drop the answer.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np


def check_dropout(dropout: Any, n_hidden: int) -> list[float]:
    """The dropout rate of each hidden layer, from a single rate or a list of them.

    A rate p is the probability that a unit is dropped in a step: 0 <= p < 1.
    """
    expected = (
        "expected a rate p with 0 <= p < 1 (the probability that a hidden unit is dropped in a "
        f"training step), or a list of such rates, one per hidden layer ({n_hidden} here)"
    )
    if isinstance(dropout, (str, bytes)) or not (
        _is_real(dropout) or isinstance(dropout, Iterable)
    ):
        raise ValueError(f"dropout={dropout!r}: {expected}")
    rates = [dropout] * n_hidden if _is_real(dropout) else list(dropout)
    for rate in rates:
        if not (_is_real(rate) and 0 <= rate < 1):  # also refuses NaN
            raise ValueError(f"dropout={dropout!r}: {rate!r} is not a rate; {expected}")
    if _is_real(dropout) and dropout and not n_hidden:
        raise ValueError(
            f"dropout={dropout!r}: the network has no hidden layer to drop units from "
            "(dropout applies to the hidden layers only)"
        )
    if len(rates) != n_hidden:
        raise ValueError(
            f"dropout={dropout!r} has {len(rates)} rates but the network has {n_hidden} hidden "
            "layers: give one rate per hidden layer (the input and output layers are never "
            "dropped), or a single rate for all of them"
        )
    return [float(rate) for rate in rates]


class Dropout:
    """Draws a training step's dropout masks from the network's generator.

    ``rates`` holds one rate per hidden layer (0 for a layer without dropout), ``units`` the
    hidden layers' sizes.
    """

    def __init__(self, rates: list[float], units: list[int], dtype: np.dtype) -> None:
        self.layers = [(p, n) for p, n in zip(rates, units, strict=True)]
        self.dtype = dtype

    def masks(self, rng: np.random.Generator, n_samples: int) -> list[np.ndarray | None]:
        """One mask per hidden layer for a batch of ``n_samples``: 0 where a unit is dropped,
        1/(1-p) where it is kept (None for a layer without dropout)."""
        return [
            None if p == 0 else self._mask(rng, (n_samples, units), p) for p, units in self.layers
        ]

    def _mask(self, rng: np.random.Generator, shape: tuple[int, int], p: float) -> np.ndarray:
        # A uniform number in [0, 1) is >= p with probability 1 - p: the unit is kept.
        kept = rng.random(shape, dtype=self.dtype) >= p
        return np.multiply(kept, 1.0 / (1.0 - p), dtype=self.dtype)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
