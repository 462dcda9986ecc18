"""backprop: feedforward neural networks trained with backpropagation, from scratch on NumPy.

>>> import backprop as bp
>>> net = bp.Network([2, 2, 1], seed=0)          # sigmoid everywhere, half squared error
>>> history = net.fit(X, Y, epochs=10_000, lr=0.2, batch_size=1)
"""

from backprop.activations import ACTIVATIONS, Activation
from backprop.explain import Trace, explain
from backprop.gradcheck import gradcheck
from backprop.initializers import INITIALIZERS
from backprop.io import (
    Checkpoint,
    ModelFileError,
    SavedModel,
    load,
    load_checkpoint,
    load_model,
    save,
    save_checkpoint,
)
from backprop.layers import Dense
from backprop.losses import LOSSES, Loss
from backprop.network import Network
from backprop.optimizers import SGD, Adam, Momentum, Optimizer
from backprop.training import Callback, DivergenceError, EarlyStopping, History

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "SGD",
    "Activation",
    "Adam",
    "Callback",
    "Checkpoint",
    "Dense",
    "DivergenceError",
    "EarlyStopping",
    "History",
    "Loss",
    "ModelFileError",
    "Momentum",
    "Network",
    "Optimizer",
    "SavedModel",
    "Trace",
    "__version__",
    "explain",
    "gradcheck",
    "load",
    "load_checkpoint",
    "load_model",
    "save",
    "save_checkpoint",
]
