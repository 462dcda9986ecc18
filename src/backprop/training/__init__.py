"""Training: optimizers, the loop over epochs and batches, and the callbacks that watch it."""

from backprop.training.callback_list import CallbackList
from backprop.training.callbacks import Callback
from backprop.training.early_stopping import EarlyStopping
from backprop.training.history import History
from backprop.training.loop import DivergenceError, fit
from backprop.training.plateau import ReduceLROnPlateau
from backprop.training.schedules import (
    CosineDecay,
    ExponentialDecay,
    LearningRateSchedule,
    StepDecay,
)

__all__ = [
    "Callback",
    "CallbackList",
    "CosineDecay",
    "DivergenceError",
    "EarlyStopping",
    "ExponentialDecay",
    "History",
    "LearningRateSchedule",
    "ReduceLROnPlateau",
    "StepDecay",
    "fit",
]
