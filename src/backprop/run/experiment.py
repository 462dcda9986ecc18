"""Temporary: the run's modules under their old single name (removed before this lands)."""

from backprop.run import *  # noqa: F403
from backprop.run import (  # noqa: F401
    SPLITS,
    Recipe,
    Model,
    RunConfig,
    RunResult,
    evaluation_data,
    redraw,
    split,
    train,
)
