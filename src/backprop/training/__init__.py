"""Training: optimizers, the loop over epochs and batches, and the callbacks that watch it."""

from backprop.training.loop import Callback, DivergenceError, EarlyStopping, History, fit

__all__ = ["Callback", "DivergenceError", "EarlyStopping", "History", "fit"]
