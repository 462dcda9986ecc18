"""backprop: feedforward neural networks trained with backpropagation, from scratch on NumPy.

>>> import backprop as bp
>>> net = bp.Network([2, 2, 1], seed=0)          # sigmoid everywhere, half squared error
>>> history = net.fit(X, Y, epochs=10_000, lr=0.2, batch_size=1)
"""

from backprop import _moved
from backprop.engine.activations import ACTIVATIONS, Activation
from backprop.engine.gradcheck import gradcheck
from backprop.engine.initializers import INITIALIZERS
from backprop.engine.layers import Dense
from backprop.engine.losses import LOSSES, Loss
from backprop.engine.network import Network
from backprop.explain.trace import Trace, explain
from backprop.saving.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from backprop.saving.model_file import ModelFileError, SavedModel, load, load_model, save
from backprop.saving.onnx import export_onnx
from backprop.sweeps import sweep
from backprop.training import (
    Callback,
    CosineDecay,
    DivergenceError,
    EarlyStopping,
    ExponentialDecay,
    History,
    LearningRateSchedule,
    ReduceLROnPlateau,
    StepDecay,
)
from backprop.training.optimizers import SGD, Adam, Momentum, Optimizer

__version__ = "0.2.0.dev0"  # as pyproject.toml says (tests/test_cli.py checks)

_moved.install()

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "SGD",
    "Activation",
    "Adam",
    "Callback",
    "Checkpoint",
    "CosineDecay",
    "Dense",
    "DivergenceError",
    "EarlyStopping",
    "ExponentialDecay",
    "History",
    "LearningRateSchedule",
    "Loss",
    "ModelFileError",
    "Momentum",
    "Network",
    "Optimizer",
    "ReduceLROnPlateau",
    "SavedModel",
    "StepDecay",
    "Trace",
    "__version__",
    "explain",
    "export_onnx",
    "gradcheck",
    "load",
    "load_checkpoint",
    "load_model",
    "save",
    "save_checkpoint",
    "sweep",
]


def __getattr__(name: str) -> object:
    # ``bp.network`` and the other moved modules, for one release (see backprop._moved).
    return _moved.attribute(name)
