"""A feedforward network trained by backpropagation.

Forward: each layer computes its net input z = a_prev @ W + b and its output a = f(z), and the
network keeps every layer's output. Backward: the output layer's delta is the output error
times the activation's derivative; each earlier layer's error is the next layer's delta sent
back through the weights that join them, and its delta is that error times its own
activation's derivative. A weight's gradient is (its input) x (its neuron's delta), averaged
over the batch; a bias's is the neuron's delta.

The passes are written once against the array API standard, so a network computes with
NumPy, PyTorch (CPU or CUDA), CuPy or array_api_strict arrays (``backend=``, ``device=``;
``backend.py`` is the one module that knows which): the same formulas, and, for NumPy, the
same in-place products into preallocated buffers as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop.engine import metrics
from backprop.engine.activations import ACTIVATIONS, Activation, get_activation
from backprop.engine.backend import (
    NUMPY,
    Backend,
    astype,
    backend_of,
    concat,
    get_backend,
    host,
    is_foreign_array,
    is_numpy,
    namespace,
    products,
    vdot,
)
from backprop.engine.defaults import default_loss, output_for_loss
from backprop.engine.initializers import get_initializer
from backprop.engine.layers import Dense
from backprop.engine.losses import Loss, get_loss
from backprop.engine.validation import (
    as_float_array,
    check_choice,
    check_foreign_X,
    check_positive_float,
    check_sample_weight,
    check_seed,
    check_sizes,
    check_X,
    check_Y,
)

if TYPE_CHECKING:
    from backprop.training.loop import Callback, History
    from backprop.training.optimizers import Optimizer

DTYPES = ("float32", "float64")
#: Dropout masks: one per hidden layer, None for a layer without dropout (see ``gradients``).
Masks = list[np.ndarray | None]
#: Rows per chunk when predicting or evaluating, so large data sets need little extra memory.
CHUNK = 4096


class Network:
    """A feedforward network of dense layers with the given ``sizes``, e.g. ``[2, 2, 1]``.

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input layer first; at least two entries.
    activation : str, Activation or list of them, default "sigmoid"
        The hidden layers' activation, or a list: one per weight layer (``len(sizes) - 1``),
        or one per hidden layer (``len(sizes) - 2``). A name from ``ACTIVATIONS`` or an
        ``Activation`` object.
    output : str or Activation, optional
        The output layer's activation. Defaults to the one ``loss`` needs (softmax for
        cross_entropy, sigmoid for binary_cross_entropy), else to ``activation`` (or the last
        entry of a full list), and to "sigmoid" when ``activation`` lists the hidden layers only.
    loss : str, optional
        "half_squared_error", "mse", "binary_cross_entropy" (sigmoid output) or
        "cross_entropy" (softmax output). Defaults to cross_entropy for a softmax output and to
        half_squared_error otherwise.
    init : {"normal_scaled", "xavier", "he"}, default "normal_scaled"
        How the weights are drawn; biases start at zero.
    bias : bool, default True
        Whether neurons have biases.
    seed : int, optional
        Seeds the generator used for the initial weights and for shuffling in ``fit``:
        the same seed gives bit-identical results.
    dtype : {"float64", "float32"}, default "float64"
    backend : {"numpy", "torch", "cupy", "array_api_strict"}, default "numpy"
        The array library the network computes with (see ``backprop.engine.backend``):
        its parameters are arrays of that library, and ``fit``, ``predict``, ``evaluate``,
        ``gradients`` take its arrays (or NumPy arrays, moved there once per call) and give
        results back in the caller's array type. The weights are drawn by NumPy from ``seed``
        whatever the backend, so the same seed starts every backend from the same numbers.
    device : str, optional
        Where the arrays live: "cpu" (numpy, array_api_strict, and torch's default), "cuda"
        or "cuda:N" (torch; cupy's default).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        output: str | Activation | None = None,
        loss: str | None = None,
        init: str = "normal_scaled",
        bias: bool = True,
        seed: int | None = None,
        dtype: str | np.dtype = "float64",
        backend: str | Backend = "numpy",
        device: str | None = None,
    ) -> None:
        self.sizes = check_sizes(sizes)
        target = get_backend(backend, device)  # a missing library or device fails first
        #: The array library and device of the parameters (``to`` moves them).
        self.backend: Backend = NUMPY
        self.dtype = np.dtype(check_choice("dtype", np.dtype(dtype).name, DTYPES))
        self.rng = np.random.default_rng(check_seed(seed))
        n_layers = len(self.sizes) - 1
        if output is None and loss is not None and _output_left_open(activation, n_layers):
            output = output_for_loss(loss)  # a cross-entropy names its output
        activations = _layer_activations(activation, output, n_layers)
        self.loss: Loss = get_loss(loss if loss is not None else default_loss(activations[-1].name))
        _check_output(activations[-1], self.loss, self.sizes[-1])
        initializer = get_initializer(init)
        self.init = init
        self.has_bias = bool(bias)
        #: Every weight, then every bias, in one array: the layers' arrays are views into it,
        #: so an optimizer updates the whole network in one operation.
        self.parameter_vector = np.zeros(self.n_parameters, self.dtype)
        self.layers = []
        for (n_in, n_out), views, act in zip(
            self.shapes, self.views(self.parameter_vector), activations, strict=True
        ):
            views[0][...] = initializer(n_in, n_out, self.rng)
            self.layers.append(Dense(views[0], views[1] if bias else None, act))
        #: Set to True by a callback to end ``fit`` after the current epoch.
        self.stop_training = False
        #: The optimizer of the last ``fit``; pass it to the next one to keep its state.
        self.optimizer: Optimizer | None = None
        #: The matrix product and vectors of ones of the backward pass (``backend.products``).
        self._dot, self._ones = products(self.parameter_vector)
        if target != NUMPY:
            self.to(target)

    # -- where the arrays live ------------------------------------------------------------------

    @property
    def device(self) -> str:
        """The device of the parameters: "cpu", "cuda:0", ..."""
        return self.backend.device

    def to(self, backend: str | Backend | None = None, device: str | None = None) -> Network:
        """Move the parameters to another array library or device, in place, and return the
        network (as PyTorch's ``Module.to`` does): ``net.to("torch", "cuda")``,
        ``net.to(device="cpu")``, ``net.to("numpy")``. The values are copied exactly; a float64
        network stays float64. An optimizer's buffers follow at the next ``fit``."""
        if backend is None and device is None:
            return self
        name = self.backend.name if backend is None else backend
        target = get_backend(name, device)
        if target == self.backend:
            return self
        self.parameter_vector = target.asarray(self.parameter_vector, copy=True)
        self.backend = target
        self._dot, self._ones = products(self.parameter_vector)
        for layer, views in zip(self.layers, self.views(self.parameter_vector), strict=True):
            layer.bind(*views)
        return self

    # -- where the parameters live ----------------------------------------------------------------

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """(n_in, n_out) of every layer's weight matrix."""
        return list(zip(self.sizes[:-1], self.sizes[1:], strict=True))

    @property
    def n_weights(self) -> int:
        """How many weights (not biases) the network has: the front of ``parameter_vector``."""
        return sum(n_in * n_out for n_in, n_out in self.shapes)

    @property
    def n_parameters(self) -> int:
        return self.n_weights + (sum(self.sizes[1:]) if self.has_bias else 0)

    def views(self, vector: np.ndarray) -> list[list[np.ndarray]]:
        """``[[W, b], ...]`` (``[W]`` without biases) viewed in a vector laid out like
        ``parameter_vector``: the same layout holds the parameters and their gradients."""
        weights, start = [], 0
        xp = namespace(vector)
        for n_in, n_out in self.shapes:
            weights.append(xp.reshape(vector[start : start + n_in * n_out], (n_in, n_out)))
            start += n_in * n_out
        if not self.has_bias:
            return [[W] for W in weights]
        layers = []
        for W, (_, n_out) in zip(weights, self.shapes, strict=True):
            layers.append([W, vector[start : start + n_out]])
            start += n_out
        return layers

    # -- the two passes -------------------------------------------------------------------------

    def forward(
        self, X: np.ndarray, masks: Masks | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Net inputs and outputs of every layer: ``([z1, ..., zL], [X, a1, ..., aL])``.

        With dropout ``masks`` (one array per hidden layer, or None for a layer without
        dropout: see ``gradients``), the layer after hidden layer l reads ``a_l * masks[l-1]``
        instead of ``a_l``; the outputs returned are the layers' own, before the masks.
        """
        if masks is not None:
            return self._thinned_forward(X, masks)
        net_inputs, outputs = [], [X]
        for layer in self.layers:
            z = layer.net_input(outputs[-1])
            net_inputs.append(z)
            outputs.append(layer.activation(z))
        return net_inputs, outputs

    def _thinned_forward(
        self, X: np.ndarray, masks: Masks
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``forward`` with dropout: each hidden layer's outputs times its mask go on."""
        net_inputs, outputs = [], [X]
        layer_input = X
        for layer, mask in zip(self.layers, [*masks, None], strict=True):
            z = layer.net_input(layer_input)
            a = layer.activation(z)
            net_inputs.append(z)
            outputs.append(a)
            # Inverted dropout: the units kept are scaled by 1/(1-p) in training, so that each
            # unit's expected input to the next layer is its output, and prediction (which
            # reads every unit) needs no change.
            layer_input = a if mask is None else a * mask
        return net_inputs, outputs

    def backward(
        self,
        Y: np.ndarray,
        net_inputs: list[np.ndarray],
        outputs: list[np.ndarray],
        weights: np.ndarray | None = None,
        out: list[list[np.ndarray]] | None = None,
        deltas: list[np.ndarray] | None = None,
        masks: Masks | None = None,
    ) -> list[list[np.ndarray]]:
        """Gradients of the batch's mean loss, from the output layer back to the first.

        Returned in layer order as ``[[dW, db], ...]`` (``[dW]`` for a layer without bias),
        written into ``out`` (``views`` of a gradient vector) or into a new vector.
        ``weights``, one per sample, weigh each sample's loss in the mean. A ``deltas`` list
        receives every layer's delta dE/dz, in layer order. ``masks`` are the dropout masks
        the forward pass used (see ``forward``).
        """
        if out is None:
            out = self.views(namespace(self.parameter_vector).empty_like(self.parameter_vector))
        grads = out
        output_layer = self.layers[-1]
        # The mean over the batch is taken once, here, and carried by every delta below.
        delta = self.loss.delta(Y, outputs[-1], net_inputs[-1], output_layer.activation)
        n_samples = Y.shape[0]
        if weights is None:
            delta /= n_samples
        else:
            delta *= (weights / n_samples)[:, None]
        # What each layer read: the outputs below it (times their dropout masks, if any).
        layer_inputs = outputs if masks is None else _thinned(outputs, masks)
        dot, ones = self._dot, self._ones  # NumPy's writes into out= in place
        for index in range(len(self.layers) - 1, -1, -1):
            layer, layer_grads = self.layers[index], grads[index]
            layer_input = layer_inputs[index]
            if deltas is not None:
                deltas.insert(0, delta)
            dot(layer_input.T, delta, out=layer_grads[0])
            if layer.bias is not None:
                # A bias is a weight on an input that is always 1: its gradient sums the deltas
                # (a product with ones, which on small batches costs less than a sum).
                dot(ones(n_samples, delta.dtype), delta, out=layer_grads[1])
            if index > 0:
                error = dot(delta, layer.weights.T)  # dE/da for the layer below
                if masks is not None and masks[index - 1] is not None:
                    error *= masks[index - 1]  # a dropped unit passed nothing on: no error back
                delta = self.layers[index - 1].activation.backward(outputs[index], error)
        return grads

    def loss_and_gradients(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        weights: np.ndarray | None = None,
        out: list[list[np.ndarray]] | None = None,
        masks: Masks | None = None,
    ) -> tuple[float, list[list[np.ndarray]], np.ndarray]:
        """The batch's mean loss, its gradients and the network's output, for clean arrays
        (with ``masks``, of the network thinned by those dropout masks: see ``gradients``).

        No input checks: this is the inner loop of ``fit``; use ``gradients`` from outside.
        """
        net_inputs, outputs = self.forward(X, masks)
        loss = self.batch_loss(Y, net_inputs, outputs, weights)
        grads = self.backward(Y, net_inputs, outputs, weights, out, masks=masks)
        return loss, grads, outputs[-1]

    def batch_loss(
        self,
        Y: np.ndarray,
        net_inputs: list[np.ndarray],
        outputs: list[np.ndarray],
        weights: np.ndarray | None = None,
    ) -> float:
        """The mean over the batch of each sample's (weighted) loss, from a forward pass."""
        return self.summed_loss(Y, outputs[-1], net_inputs[-1], weights) / Y.shape[0]

    def summed_loss(
        self, Y: np.ndarray, A: np.ndarray, Z: np.ndarray, weights: np.ndarray | None = None
    ) -> float:
        """The sum over the rows of each sample's loss (times its weight), from the output
        layer's outputs ``A`` and net inputs ``Z``."""
        if weights is None:
            return self.loss.total(Y, A, Z)
        losses = self.loss.per_sample(Y, A, Z)
        return float(np.dot(weights, losses)) if is_numpy(losses) else vdot(weights, losses)

    # -- the public API -------------------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        """The output layer's activations for inputs X, shape (n_samples, n_outputs), in the
        array type of X (a NumPy array for a list)."""
        caller = backend_of(X)
        X = self.check_inputs(X)
        return caller.asarray(concat([A for _, _, A in self.forward_in_chunks(X)]))

    def forward_in_chunks(self, X: np.ndarray) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """The output layer's net inputs Z and outputs A for ``CHUNK`` rows of X at a time, as
        ``(rows, Z, A)``: large data sets pass through in bounded memory."""
        for start in range(0, X.shape[0], CHUNK):
            rows = slice(start, min(start + CHUNK, X.shape[0]))  # in bounds, as the standard asks
            x = X[rows, ...]
            for layer in self.layers[:-1]:
                x = layer.activation(layer.net_input(x))
            z = self.layers[-1].net_input(x)
            yield rows, z, self.layers[-1].activation(z)

    def gradients(
        self, X: Any, Y: Any, sample_weight: Any = None, masks: Sequence[Any] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """dE/dW and dE/db for each layer, E being the mean loss over the batch (X, Y).

        With ``sample_weight``, E is the mean of the samples' losses times their weights.
        With ``masks``, E is the loss of one training step with dropout, its masks fixed: one
        array of shape (n_samples, units) per hidden layer (or None for a layer without
        dropout) holding each unit's factor, 0 where the unit is dropped and 1/(1-p) where it
        is kept, as ``fit(..., dropout=p)`` draws them.
        """
        caller = backend_of(X)
        X, Y = self.check_data(X, Y)
        n_samples = X.shape[0]
        weights = self.check_sample_weight(sample_weight, n_samples)
        checked_masks = self.check_masks(masks, n_samples)
        _, grads, _ = self.loss_and_gradients(X, Y, weights, masks=checked_masks)
        return [(caller.asarray(g[0]), caller.asarray(g[1]) if len(g) > 1 else None) for g in grads]

    def check_masks(self, masks: Sequence[Any] | None, n_samples: int) -> Masks | None:
        """Dropout masks (see ``gradients``) validated against the network and converted to
        its dtype; None stays None."""
        if masks is None:
            return None
        hidden = self.sizes[1:-1]
        if isinstance(masks, (str, bytes, np.ndarray)) or not isinstance(masks, Sequence):
            raise TypeError(
                f"masks must be a list of {len(hidden)} arrays (or None), one per hidden layer, "
                f"got {type(masks).__name__}"
            )
        if len(masks) != len(hidden):
            raise ValueError(
                f"masks has {len(masks)} entries but the network has {len(hidden)} hidden "
                "layers: expected one mask (or None) per hidden layer"
            )
        checked: Masks = []
        for i, (mask, units) in enumerate(zip(masks, hidden, strict=True)):
            if mask is not None:
                mask = as_float_array(f"masks[{i}]", host(mask, f"masks[{i}]"), self.dtype)
                if mask.shape != (n_samples, units):
                    raise ValueError(
                        f"masks[{i}] has shape {mask.shape}: expected ({n_samples}, {units}), "
                        f"one factor per sample and unit of hidden layer {i + 1}"
                    )
                mask = self.backend.asarray(mask)
            checked.append(mask)
        return checked

    def train_step(self, X: Any, Y: Any, lr: float) -> float:
        """One gradient-descent step on the batch (X, Y): W <- W - lr * dE/dW.

        Returns the batch's loss before the step.
        """
        X, Y = self.check_data(X, Y)
        lr = check_positive_float("lr", lr)
        gradient = namespace(self.parameter_vector).empty_like(self.parameter_vector)
        loss, _, _ = self.loss_and_gradients(X, Y, out=self.views(gradient))
        gradient *= lr  # in place, as the SGD optimizer does: the same numbers, bit for bit
        self.parameter_vector -= gradient
        return float(loss)

    def target_kind(self, Y: np.ndarray) -> str | None:
        """The kind of classes the targets are (``metrics.target_kind``), or None: for
        real-valued targets, and for any targets of a loss of quantities (Poisson counts of
        0 and 1 are no classes)."""
        return metrics.target_kind(Y) if self.loss.takes_classes else None

    def evaluate(self, X: Any, Y: Any) -> dict[str, float]:
        """``{"loss": mean loss, "accuracy": fraction right}``; accuracy for class targets only."""
        return self.evaluate_checked(*self.check_data(X, Y))

    def evaluate_checked(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float]:
        """``evaluate`` for arrays that ``check_data`` has already validated."""
        loss, correct = 0.0, 0.0
        kind = self.target_kind(Y)
        for rows, Z, A in self.forward_in_chunks(X):
            loss += self.summed_loss(Y[rows, ...], A, Z)
            if kind is not None:
                correct += metrics.count_correct(metrics.truth(Y[rows, ...], kind), A, kind)
        # On a device the sums stay there until now: one read-back each.
        result = {"loss": float(loss) / X.shape[0]}
        if kind is not None:
            result["accuracy"] = float(correct) / X.shape[0]
        return result

    def fit(
        self,
        X: Any,
        Y: Any,
        epochs: int = 1,
        lr: float | None = None,
        batch_size: int | None = None,
        optimizer: str | Optimizer = "sgd",
        shuffle: bool = True,
        validation_data: tuple[Any, Any] | None = None,
        weight_decay: float = 0.0,
        callbacks: Sequence[Callback] = (),
        sample_weight: Any = None,
        verbose: int = 0,
        initial_epoch: int = 0,
        dropout: float | Sequence[float] = 0.0,
        l1: float = 0.0,
        clip_norm: float | None = None,
    ) -> History:
        """Train by gradient descent and return the History of each epoch; the parameters
        are :func:`backprop.training.fit`'s (its one home), the network being this one."""
        from backprop.training.loop import fit

        return fit(
            self,
            X,
            Y,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            optimizer=optimizer,
            shuffle=shuffle,
            validation_data=validation_data,
            weight_decay=weight_decay,
            callbacks=callbacks,
            sample_weight=sample_weight,
            verbose=verbose,
            initial_epoch=initial_epoch,
            dropout=dropout,
            l1=l1,
            clip_norm=clip_norm,
        )

    def save(
        self,
        path: str | os.PathLike[str],
        metadata: dict[str, Any] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
    ) -> Path:
        """Write the network to a model file; see :func:`backprop.saving.model_file.save`."""
        from backprop.saving.model_file import save

        return save(self, path, metadata, arrays)

    # -- helpers ----------------------------------------------------------------------------------

    @property
    def parameters(self) -> list[np.ndarray]:
        """Every weight and bias array, in layer order; optimizers update them in place."""
        return [p for layer in self.layers for p in layer.parameters]

    def check_data(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        """X and Y validated against the network and converted to its dtype, on its device.

        Targets are checked in NumPy (a GPU's are read back once: class labels become one-hot
        rows there) and moved to the device once.
        """
        X = self.check_inputs(X)
        return X, self.backend.asarray(self.check_targets(Y, X.shape[0]))

    def check_targets(self, Y: Any, n_samples: int) -> np.ndarray:
        """Targets of ``n_samples`` rows validated against the output layer and the loss, in
        NumPy: (n, outputs) rows, or 1-D class labels made one-hot rows (for a loss that
        takes classes: Poisson counts are no labels)."""
        Y = host(Y, "Y")
        n_outputs = self.sizes[-1]
        if not self.loss.takes_classes and np.ndim(Y) == 1 and n_outputs > 1:
            raise ValueError(
                f"Y is 1-D, which reads as class labels, but the {self.loss.name} loss takes "
                f"quantities: give Y of shape (n_samples, {n_outputs}), one column per output"
            )
        Y = check_Y(Y, n_samples, n_outputs, self.dtype)
        self.loss.check_targets(Y)
        return Y

    def check_inputs(self, X: Any) -> np.ndarray:
        """Inputs X validated against the network, in its dtype, on its device: on a network
        of another backend than NumPy, an array of another library (a tensor on the GPU, say)
        is checked with its own library and moved once; anything else is checked in NumPy."""
        if is_foreign_array(X) and not self.backend.is_numpy:
            return check_foreign_X(X, self.sizes[0], self.dtype, self.backend)
        return self.backend.asarray(check_X(host(X, "X"), self.sizes[0], self.dtype))

    def check_sample_weight(self, sample_weight: Any, n_samples: int) -> np.ndarray | None:
        """Per-sample weights validated (in NumPy) and moved to the network's device."""
        weights = check_sample_weight(host(sample_weight, "sample_weight"), n_samples, self.dtype)
        return None if weights is None else self.backend.asarray(weights)

    def copy(self, dtype: str | np.dtype | None = None) -> Network:
        """An independent copy (optionally in another dtype) with the same weights."""
        clone = Network.__new__(Network)
        clone.__dict__.update(self.__dict__)
        clone.dtype = np.dtype(check_choice("dtype", np.dtype(dtype or self.dtype).name, DTYPES))
        clone.rng = np.random.default_rng()
        clone.rng.bit_generator.state = self.rng.bit_generator.state
        clone.parameter_vector = astype(self.parameter_vector, clone.dtype)  # always a copy
        clone.layers = [
            Dense(views[0], views[1] if self.has_bias else None, layer.activation)
            for views, layer in zip(clone.views(clone.parameter_vector), self.layers, strict=True)
        ]
        return clone

    def __getstate__(self) -> dict[str, Any]:
        # The backend's functions are found again on unpickling (a device's are closures).
        return {k: v for k, v in self.__dict__.items() if k not in ("_dot", "_ones")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Pickle stores each layer's arrays as copies; point them back into the vector.
        self.__dict__.update(state)
        self.__dict__.setdefault("backend", NUMPY)  # pickled before there were backends
        self._dot, self._ones = products(self.parameter_vector)
        for layer, views in zip(self.layers, self.views(self.parameter_vector), strict=True):
            layer.bind(*views)

    def _repr_svg_(self) -> str | None:
        """Jupyter draws a network as an SVG diagram (None, so its text, when too wide)."""
        from backprop.explain.render import network_diagram

        return network_diagram(self)

    def __repr__(self) -> str:
        names = [layer.activation.name for layer in self.layers]
        where = ""
        if not self.backend.is_numpy:
            where = f", backend={self.backend.name!r}, device={self.backend.device!r}"
        return (
            f"Network({self.sizes}, activation={names}, loss={self.loss.name!r}, "
            f"dtype={self.dtype.name!r}{where})"
        )

    # -- networks trained elsewhere (see backprop.engine.converters) ----------------------------

    @classmethod
    def from_sklearn(cls, mlp: Any, *, seed: int | None = None) -> Network:
        """The network of a fitted scikit-learn ``MLPClassifier`` or ``MLPRegressor``: the same
        weights, activations and dtype, and the loss it was trained on (the same predictions,
        and the same gradients, without the L2 term ``alpha``). ``seed`` seeds ``fit``'s
        shuffling."""
        from backprop.engine.converters import sklearn_parts

        return sklearn_parts(mlp).build(cls, seed)

    @classmethod
    def from_torch(
        cls, module: Any, *, loss: str | None = None, seed: int | None = None
    ) -> Network:
        """The network of a ``torch.nn.Sequential`` of ``Linear`` layers and activations
        (ReLU, Tanh, Sigmoid, LeakyReLU(0.01), Softmax(dim=-1) last, Identity), in the
        parameters' dtype; ``loss`` defaults to the one its output implies."""
        from backprop.engine.converters import torch_parts

        return torch_parts(module, loss).build(cls, seed)


def _thinned(outputs: list[np.ndarray], masks: Masks) -> list[np.ndarray]:
    """The layers' outputs as the next layers read them in training with dropout masks."""
    hidden = [a if m is None else a * m for a, m in zip(outputs[1:-1], masks, strict=True)]
    return [outputs[0], *hidden, outputs[-1]]


def _layer_activations(
    activation: str | Activation | Sequence[str | Activation],
    output: str | Activation | None,
    n_layers: int,
) -> list[Activation]:
    """One Activation per weight layer, from the ``activation`` and ``output`` arguments."""
    if isinstance(activation, (str, Activation)):
        names = [activation] * (n_layers - 1) + [output or activation]
    elif not isinstance(activation, Sequence):
        raise TypeError(
            f"activation must be a name such as 'sigmoid' or a list of names, got {activation!r}"
        )
    else:
        names = list(activation)
        if len(names) == n_layers and output is not None and output != names[-1]:
            raise ValueError(
                f"activation lists the output layer as {names[-1]!r} but output={output!r}: "
                "give the output activation once"
            )
        if len(names) == n_layers - 1:
            names.append(output or "sigmoid")
        elif len(names) != n_layers:
            raise ValueError(
                f"activation={names!r} has {len(names)} entries: expected one per weight layer "
                f"({n_layers}) or one per hidden layer ({n_layers - 1})"
            )
    layers = [
        get_activation(name, "output" if i == n_layers - 1 else "activation")
        for i, name in enumerate(names)
    ]
    for i, act in enumerate(layers[:-1]):
        if not act.elementwise:  # it mixes its layer's outputs into a distribution: softmax
            raise ValueError(
                f"activation={act.name!r} on hidden layer {i + 1}: {act.name} is for the output "
                f"layer only (output={act.name!r}); choose one of "
                f"{', '.join(n for n, a in ACTIVATIONS.items() if a.elementwise)} for hidden layers"
            )
    return layers


def _output_left_open(activation: Any, n_layers: int) -> bool:
    """Whether ``activation`` leaves the output layer's activation to be chosen (a single
    name, or a list of the hidden layers only)."""
    if isinstance(activation, (str, Activation)) or not isinstance(activation, Sequence):
        return True
    return len(activation) == n_layers - 1


def _check_output(activation: Activation, loss: Loss, n_outputs: int) -> None:
    """Reject output-activation/loss pairs that would train on a wrong gradient."""
    if loss.requires_output and activation.name != loss.requires_output:
        raise ValueError(
            f"loss={loss.name!r} needs output={loss.requires_output!r}, got "
            f"output={activation.name!r}: use a squared-error loss with this output, or "
            f"output={loss.requires_output!r}"
        )
    if not activation.elementwise and n_outputs < 2:
        raise ValueError(
            f"output={activation.name!r} needs at least two output neurons (a {activation.name} "
            f"over one neuron is always 1), got sizes[-1]={n_outputs}: use output='sigmoid' for "
            "a single output"
        )
