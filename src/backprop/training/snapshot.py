"""A network's training state at one instant, to go back to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from backprop.engine.network import Network
    from backprop.training.optimizers import Optimizer


class Snapshot:
    """Weights, optimizer state and (when training shuffles) generator state, to go back to."""

    def __init__(self, net: Network, opt: Optimizer, with_rng: bool) -> None:
        self.net, self.opt, self.with_rng = net, opt, with_rng
        self.parameters = np.empty_like(net.parameter_vector)
        self.take()

    def take(self) -> None:
        """Remember the present state (into the same buffer every epoch)."""
        np.copyto(self.parameters, self.net.parameter_vector)
        self.opt_state = self.opt.get_state()
        if self.with_rng:
            self.rng_state = self.net.rng.bit_generator.state

    def restore(self) -> None:
        np.copyto(self.net.parameter_vector, self.parameters)
        self.opt.set_state(self.opt_state)
        if self.with_rng:
            self.net.rng.bit_generator.state = self.rng_state
