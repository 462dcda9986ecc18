"""Chunks of steps recorded once as CUDA graphs and replayed: an epoch without Python per step.

On a GPU a small network's step is a few dozen small kernels ([784, 128, 10]: a product, a
bias and an activation per layer forward, the output delta, two products and a derivative
per layer back, the update), and launching each from Python costs more than running it. A
CUDA graph records the kernels of a piece of work once, with the addresses they read and
write, and replays them all with one launch. So when the network computes with PyTorch on a
CUDA device and no step needs the host, ``fit`` records the steps of one chunk of batches (the
chunks of the eager loop, ``batches.py``) and replays that recording for every chunk of every
epoch; the epoch's last, shorter chunk, if any, has a recording of its own. CuPy cannot record
cuBLAS's products (CuPy issue 6290): it trains eagerly.

A replay runs no Python, so what changes between chunks is kept where the recording reads it:

- the chunk's rows: the recording gathers them through a fixed index array, into which each
  chunk's part of the epoch's shuffled order is copied before its replay;
- the learning rate (a schedule changes it between epochs) and Adam's step count (its bias
  corrections change every step) are 0-d device arrays while the steps are recorded, set
  before each epoch's replays; the count goes on inside the graph, and on the host by the
  steps each replay took;
- the chunks' losses and right answers are added into two 0-d device arrays, read once per
  epoch (and once per chunk while a progress bar watches).

Dropout (its masks are drawn by NumPy, per step) and callbacks that must hear of every step
keep the eager loop, and so does a fit too short to repay its recordings. The numbers are
the eager loop's to within an ulp: the same operations in the same order, but a learning rate
read from the device (SGD's step an ``addcmul_`` where eager's is an ``add_`` that may fuse
its product and sum) and Adam's bias corrections computed on the device rather than by
Python's ``math``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from backprop.engine.backend import Backend
from backprop.training.steps import batches, chunk_totals, step

if TYPE_CHECKING:
    from backprop.engine.network import Network
    from backprop.training.callback_list import CallbackList
    from backprop.training.interrupts import HeldCtrlC
    from backprop.training.prepared import Prepared

#: Records ``work`` (after running ``warm_up`` unrecorded) and returns what replays it.
Recorder = Callable[[Callable[[], None], Callable[[], None]], Callable[[], None]]

#: Set to 0 to train eagerly on a GPU too (to profile each kernel, say).
ENVIRONMENT = "BACKPROP_CUDA_GRAPHS"


def recorder_for(backend: Backend) -> Recorder | None:
    """How to record steps on ``backend``: CUDA graphs for PyTorch on a CUDA device; None
    (train eagerly) anywhere else."""
    if backend.name == "torch" and backend.device.startswith("cuda"):
        return _cuda_graph(backend.device)
    return None


#: The fewest chunk replays a fit must have for recording to be worth it. A recording costs
#: about one eager run of its chunk, plus the synchronisation and clean-up PyTorch does
#: before recording; a replay saves most of an eager run. An estimate, not a measurement
#: (no GPU was at hand): a GPU session should measure where recording starts to pay.
MIN_REPLAYS = 4


def replayer(net: Network, run: Prepared, hooks: CallbackList, epochs: int) -> Replayer | None:
    """A Replayer for a ``fit`` of ``epochs`` more epochs, or None where its steps run
    eagerly."""
    if not run.on_device or run.dropout is not None or hooks.every_batch:
        return None
    if epochs * -(-run.n // run.chunks.size) < MIN_REPLAYS:
        return None
    if os.environ.get(ENVIRONMENT, "1") == "0":
        return None
    record = recorder_for(net.backend)
    return None if record is None else Replayer(net, run, record)


class Replayer:
    """An epoch's chunks of steps, each a replay of a recording made once per ``fit``."""

    def __init__(self, net: Network, run: Prepared, record: Recorder) -> None:
        self.net, self.run, self.record = net, run, record
        backend = net.backend
        self.size = run.chunks.size  # rows per chunk: whole batches
        self.full_chunks, rest = divmod(run.n, self.size)
        # The index arrays the recordings gather their rows through.
        self.rows = backend.asarray(np.arange(self.size))
        self.rest_rows = backend.asarray(np.arange(rest)) if rest else None
        self.in_order = None if run.shuffled else backend.asarray(np.arange(run.n))
        zero = np.zeros((), np.float64)
        self.total_loss = backend.asarray(zero, copy=True)
        self.correct = backend.asarray(zero, copy=True)
        self.lr = backend.asarray(zero, copy=True)
        self.counter = backend.asarray(zero, copy=True)
        self.replays: list[Callable[[], None]] = []
        #: The arrays the recordings write, held: their memory must outlive the recordings.
        self.recorded_for: list[Any] = []

    def epoch(
        self, order: np.ndarray | None, hooks: CallbackList, ctrl_c: HeldCtrlC
    ) -> tuple[Any, Any]:
        """Replay every chunk of the epoch, in ``order`` (None: as the rows come); the summed
        loss and count of right answers, as 0-d device arrays. Ctrl-C is raised between two
        chunks."""
        bound = self._bindings()
        if len(bound) != len(self.recorded_for) or any(
            a is not b for a, b in zip(bound, self.recorded_for, strict=False)
        ):  # the first epoch, or the arrays were replaced
            self._record_chunks()
        run, opt = self.run, self.run.optimizer
        rows: Any = self.in_order if order is None else self.net.backend.asarray(order)
        self.total_loss[...] = 0.0
        self.correct[...] = 0.0
        self.lr[...] = opt.lr
        if opt.step_counter is not None:
            self.counter[...] = getattr(opt, opt.step_counter)
        seen = 0
        for first, index, replay in self._chunks():
            n_rows = index.shape[0]
            index[...] = rows[first : first + n_rows]
            replay()
            seen += n_rows
            if opt.step_counter is not None:  # the host counts along
                steps = -(-n_rows // run.batch)
                setattr(opt, opt.step_counter, getattr(opt, opt.step_counter) + steps)
            if hooks.batch_watchers:  # a progress bar: one read-back per chunk
                hooks.on_batch_end(seen, run.n, float(self.total_loss) / seen)
            if ctrl_c.pressed:
                raise KeyboardInterrupt
        return self.total_loss, self.correct

    def _chunks(self) -> Iterator[tuple[int, Any, Callable[[], None]]]:
        """(first row, index array, replay) for each chunk of the epoch."""
        for chunk in range(self.full_chunks):
            yield chunk * self.size, self.rows, self.replays[0]
        if self.rest_rows is not None:
            yield self.full_chunks * self.size, self.rest_rows, self.replays[-1]

    def _record_chunks(self) -> None:
        """Record one chunk's steps for each chunk length, with the optimizer's buffers made
        first (a recording that made them would zero them at every replay)."""
        self.run.optimizer.start([self.net.parameter_vector])
        self.replays = []
        with self._scalars_on_device():
            for index in (self.rows, self.rest_rows):
                if index is not None:
                    work, warm_up = partial(self._chunk, index), partial(self._chunk, index, False)
                    self.replays.append(self.record(work, warm_up))
        self.recorded_for = self._bindings()

    def _chunk(self, index: Any, update: bool = True) -> None:
        """What is recorded: the steps of the chunk whose rows ``index`` holds, and the adding
        up of their losses and right answers. Without ``update``, the warm-up before the
        recording: the same work, run eagerly, with the parameters and optimizer left as they
        are, so that the library's workspaces and the cached arrays it needs (vectors of ones
        of each batch size, the zero of ``backend.positive_part``) exist before the recording,
        which could not fill them: it computes nothing until it is replayed."""
        net, run = self.net, self.run
        x, y, w, truth = self._gather(index)
        net_inputs, outputs = [], []
        for x_batch, y_batch, w_batch in batches(x, y, w, run.batch, on_device=True):
            z, a = step(net, run, x_batch, y_batch, w_batch, update=update)
            net_inputs.append(z)
            outputs.append(a)
        loss, correct = chunk_totals(net, run, y, w, truth, net_inputs, outputs)
        self.total_loss += loss  # zeroed at each epoch's start, the warm-up's sums too
        self.correct += correct

    def _gather(self, index: Any) -> list[Any]:
        """The rows ``index`` names of X, Y, the sample weights and the truth."""
        xp = self.net.backend.xp
        return [a if a is None else xp.take(a, index, axis=0) for a in self.run.chunks.arrays]

    @contextmanager
    def _scalars_on_device(self) -> Iterator[None]:
        """The learning rate and the step count as the device arrays the recording reads."""
        opt = self.run.optimizer
        saved = dict(vars(opt))
        opt.lr = self.lr
        if opt.step_counter is not None:
            setattr(opt, opt.step_counter, self.counter)
        try:
            yield
        finally:
            opt.__dict__.update({k: saved[k] for k in ("lr", opt.step_counter) if k is not None})

    def _bindings(self) -> list[Any]:
        """The arrays the recordings write: the parameters and the optimizer's buffers (a
        ``set_state`` replaces the buffers, a ``net.to`` the parameters)."""
        opt = self.run.optimizer
        buffers = [b for v in vars(opt).values() if isinstance(v, list) for b in v]
        return [self.net.parameter_vector, *buffers]


def _cuda_graph(device: str) -> Recorder:
    """Records on a side stream, after warming up on it, as ``torch.cuda.graphs`` asks."""
    import torch

    def record(work: Callable[[], None], warm_up: Callable[[], None]) -> Callable[[], None]:
        with torch.cuda.device(device):
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                warm_up()
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, stream=stream):
                work()
        return graph.replay

    return record
