"""Optimizers: how a gradient becomes a step.

Each ``step(params, grads)`` updates the parameter arrays in place; the gradient arrays are the
training loop's scratch, which a step may overwrite. The update rules follow PyTorch's
``torch.optim.SGD`` and ``torch.optim.Adam`` exactly, so the two agree step for step. They are
written once against the array API standard: the parameters may be arrays of any backend
(``backprop.engine.backend``), and the buffers live with them.

A step reads two numbers that change between steps: the learning rate (a schedule sets it
each epoch) and, for Adam, the step count. Either may be a Python number or a 0-d array on
the parameters' device: steps recorded once and replayed as a CUDA graph (``graphs.py``) read
them from device arrays, set before each replay, since a replay runs no Python.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from backprop.engine.backend import Backend, copy, namespace, torch_of
from backprop.engine.validation import (
    check_choice,
    check_non_negative_float,
    check_positive_float,
)


class Optimizer:
    """Gradient descent with some memory of past gradients (none for plain SGD)."""

    name: str = ""
    default_lr: float = 0.1
    #: The attribute that counts the steps taken, which each step increments (Adam's t), or
    #: None: a replayed recording counts on the device, and the host adds its steps up.
    step_counter: str | None = None

    def __init__(self, lr: float | None = None) -> None:
        self._settle(lr)

    def _settle(self, lr: float | None, **settings: Any) -> None:
        """Keep ``lr`` and a subclass's own ``settings`` (in that order, as repr shows them),
        then check them all: the constructors' one way in."""
        self.lr = check_positive_float("lr", self.default_lr if lr is None else lr)
        vars(self).update(settings)
        self.check_settings()

    def check_settings(self) -> None:
        """Check the settings (a subclass's too), and make floats of them: the constructor
        calls it, and so does ``set_state`` (a checkpoint's JSON may have been edited). A
        learning rate starts positive (the constructor says so) and a schedule may lower it
        to 0, so a state's may be 0."""
        self.lr = check_non_negative_float("lr", self.lr)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update each parameter array in place from its gradient (which may be overwritten)."""
        raise NotImplementedError

    def start(self, params: list[np.ndarray]) -> None:
        """Make the buffers for these parameters, unless they are there (the first step
        does it; a recording of steps needs them made before it)."""

    def check_fits(self, params: list[np.ndarray]) -> None:
        """A clear error when the buffers were made for other parameters than these (the
        optimizer of another network's fit, given again)."""
        wanted = [tuple(p.shape) for p in params]
        for key, value in vars(self).items():
            if isinstance(value, list) and value and [tuple(b.shape) for b in value] != wanted:
                raise ValueError(
                    f"optimizer {self!r} holds buffers ({key.lstrip('_')}) of shapes "
                    f"{[tuple(b.shape) for b in value]}, made for other parameters than the "
                    f"network's {wanted}: give this network an optimizer of its own"
                )

    def _state(self, params: list[np.ndarray]) -> list[np.ndarray]:
        """Zeroed buffers, one per parameter."""
        return [namespace(p).zeros_like(p) for p in params]

    def get_state(self) -> dict[str, Any]:
        """A copy of everything that defines the next step: settings, step count, buffers
        (on the parameters' device)."""
        return {
            k: [copy(b) for b in v] if isinstance(v, list) else v for k, v in vars(self).items()
        }

    def move_to(self, backend: Backend) -> None:
        """Move the buffers to ``backend`` (where the parameters are), values unchanged."""
        for key, value in vars(self).items():
            if isinstance(value, list):
                setattr(self, key, [backend.asarray(b) for b in value])

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a ``get_state()`` (of an optimizer of the same kind)."""
        unknown = set(state) - set(vars(self))
        if unknown:
            raise ValueError(f"optimizer state has unknown entries {sorted(unknown)} for {self!r}")
        before = dict(vars(self))
        for key, value in state.items():
            setattr(self, key, [copy(b) for b in value] if isinstance(value, list) else value)
        try:
            self.check_settings()  # an lr of -1 would train by gradient ascent
        except (TypeError, ValueError):
            vars(self).clear()
            vars(self).update(before)  # as it was: a refused state changes nothing
            raise

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """w <- w - lr * g: the tutorials' gradient descent."""

    name = "sgd"

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        for p, g in zip(params, grads, strict=True):
            if type(p) is not np.ndarray and torch_of(p) is not None:
                _descend(p, g, self.lr)
                continue
            # lr * g in place: one pass over memory less than a temporary would take.
            g *= self.lr
            p -= g


class Momentum(Optimizer):
    """v <- mu v + g;  w <- w - lr v  (Nesterov: w <- w - lr (g + mu v)).

    The velocity v remembers the direction of past steps, which carries the descent through
    flat regions and damps oscillation across narrow valleys.
    """

    name = "momentum"
    momentum: float
    nesterov: bool

    def __init__(self, lr: float | None = None, momentum: float = 0.9, nesterov: bool = False):
        self._settle(lr, momentum=momentum, nesterov=nesterov)
        self._velocity: list[np.ndarray] = []

    def check_settings(self) -> None:
        super().check_settings()
        # 1: a velocity that never decays (scikit-learn allows it)
        self.momentum = _check_in("momentum", self.momentum, "[0, 1]", below_one=False)
        if not (isinstance(self.nesterov, (bool, np.bool_)) or self.nesterov in (0, 1)):
            raise TypeError(f"nesterov must be True or False, got {self.nesterov!r}")
        self.nesterov = bool(self.nesterov)

    def start(self, params: list[np.ndarray]) -> None:
        if len(self._velocity) != len(params):
            self._velocity = self._state(params)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.start(params)
        for p, g, v in zip(params, grads, self._velocity, strict=True):
            v *= self.momentum
            v += g
            direction = g + self.momentum * v if self.nesterov else v
            if type(p) is not np.ndarray and torch_of(p) is not None:
                _descend(p, direction, self.lr)
            else:
                p -= self.lr * direction


class Adam(Optimizer):
    """Adam: a step of lr along the bias-corrected mean gradient over its RMS.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    """

    name = "adam"
    default_lr = 0.001
    step_counter = "_t"
    beta1: float
    beta2: float
    eps: float
    _t: Any  # an int, or a 0-d device array while steps are recorded (graphs.py)

    def __init__(
        self,
        lr: float | None = None,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self._settle(lr, beta1=beta1, beta2=beta2, eps=eps, _t=0)
        self._m: list[np.ndarray] = []
        self._v: list[np.ndarray] = []

    def check_settings(self) -> None:
        super().check_settings()
        self.beta1 = _check_in("beta1", self.beta1, "[0, 1)", below_one=True)
        self.beta2 = _check_in("beta2", self.beta2, "[0, 1)", below_one=True)
        self.eps = check_positive_float("eps", self.eps)
        t = self._t
        if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 0:
            raise ValueError(f"the step count t must be an integer >= 0, got {t!r}")
        self._t = int(t)

    def start(self, params: list[np.ndarray]) -> None:
        if len(self._m) != len(params):
            self._t, self._m, self._v = 0, self._state(params), self._state(params)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.start(params)
        self._t += 1  # in place when it is a device array
        step_size = self.lr / (1 - self.beta1**self._t)
        rms_correction = _sqrt(1 - self.beta2**self._t)
        for p, g, m, v in zip(params, grads, self._m, self._v, strict=True):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= step_size * m / (namespace(v).sqrt(v) / rms_correction + self.eps)


def _check_in(name: str, value: Any, interval: str, below_one: bool) -> float:
    """``value`` as a float if it is a number from 0 to 1 (below 1 when ``below_one``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in {interval}, got {value!r}")
    number = float(value)
    if not (0 <= number < 1 if below_one else 0 <= number <= 1):
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return number


def _descend(p: Any, direction: Any, lr: Any) -> None:
    """p -= lr * direction for a PyTorch tensor, as one kernel (two otherwise: on a GPU, each
    is a launch). ``lr`` is a number (of any kind: NumPy's too), or a 0-d tensor that a
    recording reads at each replay: an ``addcmul_``, which rounds lr * direction before it
    subtracts (``add_`` may fuse the two), so a replay can differ from an eager step in the
    last bit."""
    if torch_of(lr) is not None:
        p.addcmul_(direction, lr, value=-1)
    else:
        p.add_(direction, alpha=-float(lr))


def _sqrt(x: Any) -> Any:
    """The square root of a Python float (math's, as always), or of a 0-d device array."""
    return math.sqrt(x) if isinstance(x, float) else namespace(x).sqrt(x)


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def get_optimizer(optimizer: Any, lr: float | None = None) -> Optimizer:
    """An Optimizer from a name and learning rate, or the given instance as it is."""
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise TypeError(
                f"lr={lr!r} was given together with the optimizer instance {optimizer!r}: "
                "set the learning rate on the optimizer, or pass the optimizer by name"
            )
        return optimizer
    return OPTIMIZERS[check_choice("optimizer", optimizer, OPTIMIZERS)](lr=lr)
