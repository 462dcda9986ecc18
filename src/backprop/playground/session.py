"""One browser tab's playground: its data, its network, its optimizer and its history.

A :class:`Session` answers the page's messages (``{"type": "epoch"}``, ``{"type": "config",
"config": {...}}``, ...) with replies the page draws. Everything it computes is the library's:
the network is a :class:`~backprop.Network`, an epoch is ``net.fit`` continued for one more
epoch with the same optimizer and History (so the page's curves are the History's numbers),
a step is ``net.fit`` on one batch, an explained step is :func:`backprop.explain`.

A message that does not fit (an unknown type, a setting out of bounds, a step applied after
the weights changed) raises ValueError or TypeError; the server sends its text back as an
error and the session is left as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from backprop.data import load_csv
from backprop.engine.defaults import default_loss, default_output, n_outputs
from backprop.engine.network import Network
from backprop.explain.trace import Trace
from backprop.playground import limits, views
from backprop.playground.config import CHECKS, Config
from backprop.playground.datasets import (
    Plane,
    check_drawable,
    csv_plane,
    generated_plane,
    targets,
)
from backprop.playground.explaining import explained
from backprop.run.reports import regression
from backprop.training.callbacks import Callback
from backprop.training.history import History
from backprop.training.optimizers import Optimizer, get_optimizer

#: Settings that change the data (and so the network's shape): a new plane, a new network.
DATA_SETTINGS = {"dataset", "noise", "test_ratio", "data_seed", "columns"}
#: Settings that change the network: new initial weights.
NETWORK_SETTINGS = {"features", "hidden", "activations", "loss", "init", "seed"}


def network_arguments(config: Config, plane: Plane) -> dict[str, Any]:
    """The ``bp.Network`` arguments the settings describe for the plane's data.

    The output layer and the loss follow the engine's defaults (``engine.defaults``): for
    classes, one sigmoid neuron for two classes and a softmax otherwise; for regression, an
    identity output. A loss chosen on the page picks its own output where it needs one.
    """
    loss = None if config.loss == "auto" else config.loss
    if plane.task == "regression":
        if loss in ("cross_entropy", "binary_cross_entropy"):
            raise ValueError(
                f"loss={loss!r} is for classes, but {plane.name} is a regression data set: "
                "choose half_squared_error or mse"
            )
        output, outputs = "identity", 1
    else:
        k = plane.n_classes or 2
        if loss == "binary_cross_entropy" and k != 2:
            raise ValueError(
                f"loss='binary_cross_entropy' answers between two classes, but {plane.name} "
                f"has {k}: choose cross_entropy"
            )
        output = default_output("classification", n_outputs(k), loss)
        outputs = n_outputs(k, output)
        loss = loss or default_loss(output, "classification")
    sizes = [len(config.features), *config.hidden, outputs]
    return {
        "sizes": sizes,
        "activation": list(config.activations),
        "output": output,
        "loss": loss or default_loss(output, plane.task),
        "init": config.init,
        "seed": config.seed,
    }


class R2(Callback):
    """R² of the training and test predictions after each epoch (regression's accuracy)."""

    def __init__(self, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]):
        self.train, self.test = train, test

    def epoch_metrics(self, epoch: int, logs: Mapping[str, float]) -> dict[str, float]:
        return {"r2": self.score(*self.train), "val_r2": self.score(*self.test)}

    def score(self, X: np.ndarray, Y: np.ndarray) -> float:
        # The library's one R², as `backprop evaluate` reports it.
        return regression(Y, self.network.predict(X)).scores["r2"]


class Session:
    """The playground of one browser tab. ``csv_folder`` is where its upload is kept."""

    plane: Plane
    net: Network
    X_train: np.ndarray
    X_test: np.ndarray
    Y_train: np.ndarray
    Y_test: np.ndarray

    def __init__(self, config: Config | None = None, csv_folder: Path | None = None) -> None:
        self.csv_folder = csv_folder
        self.csv_path: Path | None = None  # the uploaded file, once there is one
        self.csv_columns: list[str] = []
        self.config = config or Config()
        self._build(self.config, rebuild_data=True)

    # -- building --------------------------------------------------------------------------------

    def _plane(self, config: Config) -> Plane:
        if config.dataset != "csv":
            return generated_plane(
                config.dataset, config.noise, config.test_ratio, config.data_seed
            )
        if self.csv_path is None:
            raise ValueError("dataset='csv' needs a CSV file: upload one first")
        return csv_plane(self.csv_path, config.columns, config.test_ratio, config.data_seed)

    def _build(self, config: Config, rebuild_data: bool) -> None:
        """The plane (when ``rebuild_data``) and a new network for ``config``; nothing changes
        unless both are built."""
        plane = self._plane(config) if rebuild_data else self.plane
        net = Network(**network_arguments(config, plane))
        self.config, self.plane, self.net = config, plane, net
        outputs = net.sizes[-1]
        self.X_train = plane.inputs(config.features, plane.P_train)
        self.X_test = plane.inputs(config.features, plane.P_test)
        self.Y_train = targets(plane, plane.y_train, outputs)
        self.Y_test = targets(plane, plane.y_test, outputs)
        #: The initial weights and generator, for rewinding to them.
        self.initial = (net.parameter_vector.copy(), net.rng.bit_generator.state)
        self._restart()

    def _restart(self) -> None:
        """Training from the current weights' start: a new optimizer, an empty history."""
        self.optimizer: Optimizer = get_optimizer(self.config.optimizer, self.config.lr)
        self.history = History()
        self.epoch = 0
        self.steps = 0  # gradient steps taken by "step" (or applied), outside the epochs
        # The pass over the training rows that "step" takes its batches from, and where.
        self._order: np.ndarray | None = None
        self._next_row = 0
        self.edited = False  # weights changed by hand or by an applied explained step
        self.retuned = False  # training settings changed after the first epoch
        self.trace: Trace | None = None
        self.trace_version = -1
        self.version = 0  # counts every change of the weights
        self.epochs_sent = 0  # the History's epochs the page has (views.frame sends the rest)

    # -- the messages ----------------------------------------------------------------------------

    def handle(self, message: Any) -> dict[str, Any]:
        """The reply to one message of the page (a dict with a "type")."""
        if not isinstance(message, dict):
            raise TypeError(f"a message must be a JSON object with a 'type', got {message!r:.80}")
        kind = message.get("type")
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            raise ValueError(
                f"unknown message type {kind!r:.40}: expected one of {', '.join(HANDLERS)}"
            )
        return handler(self, message)

    def state(self, _: Any = None) -> dict[str, Any]:
        """Everything the page draws: the settings, the data, the network, the history."""
        return {"type": "state", **views.state(self), "frame": views.frame(self)}

    def configure(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """New settings: new data and network where they change, else the training's."""
        changes = message.get("config")
        config = self.config.updated(changes)
        changed = {name for name in CHECKS if getattr(config, name) != getattr(self.config, name)}
        if changed & DATA_SETTINGS:
            self._build(config, rebuild_data=True)
        elif changed & NETWORK_SETTINGS:
            self._build(config, rebuild_data=False)
        else:
            if "optimizer" in changed:
                self.optimizer = get_optimizer(config.optimizer, config.lr)
            self.optimizer.lr = config.lr
            self.config = config
            # Training changed its settings midway: a script with the last ones differs.
            self.retuned = self.retuned or bool(changed - {"grid"} and self.epoch)
        return self.state()

    def train_epoch(self, _: Any = None) -> dict[str, Any]:
        """One more epoch of ``fit``: the same optimizer, the History continued."""
        callbacks: list[Callback] = [self.history]
        if self.plane.task == "regression":
            callbacks.append(R2((self.X_train, self.Y_train), (self.X_test, self.Y_test)))
        self.net.fit(
            self.X_train,
            self.Y_train,
            epochs=self.epoch + 1,
            initial_epoch=self.epoch,
            batch_size=self.config.batch_size,
            optimizer=self.optimizer,
            weight_decay=self.config.l2,
            validation_data=(self.X_test, self.Y_test),
            callbacks=callbacks,
        )
        self.epoch += 1
        self.version += 1
        return {"type": "frame", **views.frame(self)}

    def train_step(self, _: Any = None) -> dict[str, Any]:
        """One gradient step on the next batch of a shuffled pass over the training rows."""
        n, size = len(self.X_train), min(self.config.batch_size, len(self.X_train))
        if self._order is None or self._next_row + size > n:  # a new pass
            self._order, self._next_row = self.net.rng.permutation(n), 0
        rows = self._order[self._next_row : self._next_row + size]
        self.net.fit(
            self.X_train[rows],
            self.Y_train[rows],
            batch_size=None,
            shuffle=False,
            optimizer=self.optimizer,
            weight_decay=self.config.l2,
        )
        self._next_row += size  # a step that diverged (and was undone) takes these rows again
        self.steps += 1
        self.version += 1
        return {"type": "frame", **views.frame(self)}

    def reset(self, _: Any = None) -> dict[str, Any]:
        """New initial weights: the next seed."""
        seed = (self.config.seed + 1) % 2**31
        return self.configure({"config": {"seed": seed}})

    def rewind(self, _: Any = None) -> dict[str, Any]:
        """Back to the same initial weights (and generator), with an empty history."""
        self.net.parameter_vector[...] = self.initial[0]
        self.net.rng.bit_generator.state = self.initial[1]
        self._restart()
        return self.state()

    def explain(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """The trace of one backpropagation step on a clicked point (``bp.explain``)."""
        part = message.get("part", "train")
        if part not in ("train", "test"):
            raise ValueError(f"part={part!r:.40} is not a part of the data: expected train or test")
        X, Y = (self.X_train, self.Y_train) if part == "train" else (self.X_test, self.Y_test)
        index = _index(message.get("index"), len(X))
        y = Y[index] if Y.ndim == 1 else Y[index, :]
        # Weights that blew up give infinite or NaN numbers, which the trace shows as they are
        # (NumPy's warnings would only fill the server's log).
        with np.errstate(over="ignore", invalid="ignore"):
            reply, self.trace = explained(self.net, X[index], y, self.config.lr, self.X_train)
        self.trace_version = self.version
        return {"type": "trace", "part": part, "index": index, "caveat": self._caveat(), **reply}

    def _caveat(self) -> str:
        """What the explained step is not: the trace's step is plain gradient descent on one
        sample, so it is not the step training takes with another optimizer or with L2."""
        config, other = self.config, []
        if config.optimizer != "sgd":
            other.append(f"the {config.optimizer} optimizer")
        if config.l2:
            other.append(f"L2 {config.l2:g}")
        if not other:
            return ""
        return (
            f"This is plain gradient descent, w - lr * dE/dw; training here uses "
            f"{' and '.join(other)}, whose steps differ. Applying it takes this step."
        )

    def apply_step(self, _: Any = None) -> dict[str, Any]:
        """Take the explained step: the weights become the trace's new weights."""
        if self.trace is None or self.trace_version != self.version:
            raise ValueError(
                "no explained step to apply: click a point to explain a step with the current "
                "weights first"
            )
        new = self.trace.network.parameter_vector
        if not np.isfinite(new).all():  # fit stops on such a step; so does this
            raise ValueError(
                f"the explained step overflows: with lr={self.config.lr:g} some new weights "
                "are not finite numbers. Nothing changed; try a lower learning rate"
            )
        self.net.parameter_vector[...] = new
        self.steps += 1
        self.edited = True
        self.version += 1
        return {"type": "frame", **views.frame(self)}

    def set_parameter(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """A weight or bias typed on the page: ``layer``, ``i`` (None for a bias), ``j``."""
        layer = _index(message.get("layer"), len(self.net.layers), "layer")
        dense = self.net.layers[layer]
        j = _index(message.get("j"), self.net.sizes[layer + 1], "j")
        value = message.get("value")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ValueError(f"value must be a finite number, got {value!r:.40}")
        if abs(value) > 1e6:
            raise ValueError(f"value={value!r} is too large: expected a weight within ±1e6")
        if "i" not in message:
            raise ValueError("set_weight needs i: the input's index, or null for the bias")
        if message["i"] is None:
            if dense.bias is None:
                raise ValueError("the network has no biases")
            dense.bias[j] = value
        else:
            i = _index(message.get("i"), self.net.sizes[layer], "i")
            dense.weights[i, j] = value
        self.edited = True
        self.version += 1
        return {"type": "frame", **views.frame(self)}

    # -- upload ----------------------------------------------------------------------------------

    def upload(self, content: bytes) -> dict[str, Any]:
        """A CSV file the page uploaded: kept in the session's folder and trained on."""
        if self.csv_folder is None:
            raise ValueError("this session takes no uploads")
        if len(content) > limits.MAX_UPLOAD_BYTES:
            raise ValueError(
                f"the file has {len(content)} bytes: the playground takes at most "
                f"{limits.MAX_UPLOAD_BYTES} (20 MB)"
            )
        path = self.csv_folder / "upload.csv"
        before = (path.read_bytes() if path.exists() else None), self.csv_path, self.csv_columns
        path.write_bytes(content)
        try:
            data = check_drawable(load_csv(path))
            self.csv_path = path
            self.csv_columns = [*data.feature_names, str(data.target_name)]
            columns = [*data.feature_names[:2], str(data.target_name)]
            # Built even when the settings read the same: the file is new.
            self._build(self.config.updated({"dataset": "csv", "columns": columns}), True)
            return self.state()
        except (ValueError, TypeError, OSError) as error:
            # The file the session trained on so far stays what it trains on.
            kept, self.csv_path, self.csv_columns = before
            if kept is None:
                path.unlink()
            else:
                path.write_bytes(kept)
            # The page's user knows nothing of the server's temporary folder: name the file only.
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(str(error).replace(str(path), path.name)) from error


def _index(value: Any, size: int, name: str = "index") -> int:
    """``value`` as an index into ``size`` things, or a ValueError saying what was expected."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
        raise ValueError(
            f"{name}={value!r:.40} is not valid: expected an integer from 0 to {size - 1}"
        )
    return value


HANDLERS: dict[str, Callable[[Session, Any], dict[str, Any]]] = {
    "state": Session.state,
    "config": Session.configure,
    "epoch": Session.train_epoch,
    "step": Session.train_step,
    "reset": Session.reset,
    "rewind": Session.rewind,
    "explain": Session.explain,
    "apply_step": Session.apply_step,
    "set_weight": Session.set_parameter,
}
