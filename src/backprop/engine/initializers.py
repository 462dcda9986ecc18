"""Weight initialisers: where gradient descent starts.

Each returns an (n_in, n_out) matrix drawn from the given generator. The scale matters: too
large and sigmoids saturate (their derivative vanishes), too small and the signal fades layer
by layer. All three keep the variance of a layer's net input near that of its inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backprop.engine.validation import check_choice

Initializer = Callable[[int, int, np.random.Generator], np.ndarray]


def normal_scaled(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """N(0, 1) / sqrt(n_in): the tutorials' choice."""
    return rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)


def xavier(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Glorot uniform, U(-r, r) with r = sqrt(6 / (n_in + n_out)): suits sigmoid and tanh."""
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, (n_in, n_out))


def he(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """N(0, 2 / n_in): suits ReLU, which zeroes half its inputs."""
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


INITIALIZERS: dict[str, Initializer] = {
    "normal_scaled": normal_scaled,
    "xavier": xavier,
    "he": he,
}


def get_initializer(name: str) -> Initializer:
    """The initialiser called ``name``."""
    return INITIALIZERS[check_choice("init", name, INITIALIZERS)]
