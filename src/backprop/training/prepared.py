"""What ``fit`` checks and prepares once, before any step: the data on the network's device,
the batch size, the optimizer, the penalties, dropout, the chunks and one gradient vector."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop.engine import metrics
from backprop.engine.backend import namespace
from backprop.engine.validation import (
    check_bool,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)
from backprop.training.batches import Chunks, checked_data
from backprop.training.dropout import Dropout, check_dropout
from backprop.training.optimizers import Optimizer, get_optimizer

if TYPE_CHECKING:
    from backprop.engine.network import Network


@dataclass
class Prepared:
    """What ``fit`` checked and prepared once, for every epoch and step to use."""

    X: np.ndarray
    Y: np.ndarray
    n: int
    batch: int
    shuffled: bool
    optimizer: Optimizer
    weight_decay: float
    l1: float
    clip_norm: float | None
    #: Draws each step's dropout masks; None without dropout.
    dropout: Dropout | None
    validation_data: tuple[np.ndarray, np.ndarray] | None
    kind: str | None  # the targets' kind of classes (metrics.target_kind), None for regression
    chunks: Chunks
    #: One gradient vector for the whole fit, laid out like the parameters: every step writes
    #: into it, and the optimizer then updates all parameters in one operation.
    gradient: np.ndarray
    gradient_views: list[list[np.ndarray]]

    #: Whether a step changes the loss's gradient (penalties, clipping) before the update:
    #: decided once, so that the steps of a plain fit ask one question.
    adjusts_gradient: bool = field(init=False)
    #: Whether the network computes with another library than NumPy (backend.py): its data,
    #: losses and counts live on its device.
    on_device: bool = field(init=False)

    def __post_init__(self) -> None:
        self.adjusts_gradient = bool(self.weight_decay or self.l1 or self.clip_norm is not None)
        self.on_device = self.chunks.on_device

    @classmethod
    def prepare(
        cls,
        net: Network,
        X: Any,
        Y: Any,
        epochs: int,
        lr: float | None,
        batch_size: int | None,
        optimizer: str | Optimizer,
        shuffle: bool,
        validation_data: tuple[Any, Any] | None,
        weight_decay: float,
        sample_weight: Any,
        initial_epoch: int,
        dropout: float | Sequence[float],
        l1: float,
        clip_norm: float | None,
    ) -> Prepared:
        """Every argument checked before anything changes."""
        X, Y = checked_data(net, X, Y)  # a sparse X stays sparse (batches.py)
        weights = net.check_sample_weight(sample_weight, X.shape[0])
        epochs = check_positive_int("epochs", epochs)
        if (
            isinstance(initial_epoch, bool)
            or not isinstance(initial_epoch, numbers.Integral)
            or not 0 <= initial_epoch <= epochs
        ):
            raise ValueError(
                f"initial_epoch must be an integer from 0 to epochs = {epochs}, "
                f"got {initial_epoch!r}"
            )
        shuffle = check_bool("shuffle", shuffle)  # "False" is truthy
        n = X.shape[0]
        batch = n if batch_size is None else min(check_positive_int("batch_size", batch_size), n)
        weight_decay = check_non_negative_float("weight_decay", weight_decay)
        l1 = check_non_negative_float("l1", l1)
        if clip_norm is not None:
            clip_norm = check_positive_float("clip_norm", clip_norm)
        hidden = net.sizes[1:-1]
        rates = check_dropout(dropout, len(hidden))
        drop = Dropout(rates, hidden, net.dtype) if any(rates) else None
        opt = get_optimizer(optimizer, lr)
        opt.check_fits([net.parameter_vector])
        # Buffers where the parameters are: a resumed optimizer's are loaded in NumPy, and a
        # network moved (net.to) since its last fit leaves its optimizer's behind.
        opt.move_to(net.backend)
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise TypeError(
                    f"validation_data must be a pair (X_val, Y_val), got {type(validation_data)}"
                )
            try:
                validation_data = net.check_data(*validation_data)
            except (TypeError, ValueError) as error:  # its X and Y, not fit's
                raise type(error)(f"validation_data: {error}") from None
        kind = net.target_kind(Y)
        truth = None if kind is None else metrics.truth(Y, kind)
        gradient = namespace(net.parameter_vector).empty_like(net.parameter_vector)
        return cls(
            X, Y, n, batch, shuffle and batch < n, opt, weight_decay, l1, clip_norm, drop,
            validation_data, kind, Chunks([X, Y, weights, truth], n, batch), gradient,
            net.views(gradient),
        )  # fmt: skip
