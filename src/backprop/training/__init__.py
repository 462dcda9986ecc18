"""Training: optimizers, the loop over epochs and batches, and the callbacks that watch it."""

from backprop.training.callback_list import CallbackList
from backprop.training.callbacks import Callback
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History
from backprop.training.loop import DivergenceError, fit

__all__ = ["Callback", "CallbackList", "DivergenceError", "EarlyStopping", "History", "fit"]
