"""A network's training state at the start of an epoch, to go back to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from backprop.engine.backend import copy

if TYPE_CHECKING:
    from backprop.engine.network import Network
    from backprop.training.optimizers import Optimizer


class Snapshot:
    """Weights, optimizer state and (when training shuffles) generator state at the start of
    an epoch, to go back to."""

    def __init__(self, net: Network, opt: Optimizer, with_rng: bool, epoch: int = 0) -> None:
        self.net, self.opt, self.with_rng = net, opt, with_rng
        self.take(epoch)

    def take(self, epoch: int) -> None:
        """Remember the present state as the start of ``epoch``.

        The new state replaces the old in one assignment: an interrupt while it is taken
        leaves the old one whole, never the weights of one epoch with the optimizer of another.
        """
        rng: Mapping[str, Any] | None = self.net.rng.bit_generator.state if self.with_rng else None
        self.state = (epoch, copy(self.net.parameter_vector), self.opt.get_state(), rng)

    def restore(self) -> int:
        """Go back to the state taken; the epoch it is the start of."""
        epoch, parameters, opt_state, rng = self.state
        self.net.parameter_vector[...] = parameters  # in place: the layers are views of it
        self.opt.set_state(opt_state)
        if rng is not None:
            self.net.rng.bit_generator.state = rng
        return epoch
