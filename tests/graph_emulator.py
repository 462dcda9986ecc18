"""A CUDA graph's semantics on the CPU, for the tests of ``backprop.training.graphs``.

CI has no GPU, and a CUDA graph cannot be recorded on a CPU. What makes recorded code right
or wrong is not CUDA, though, but what a graph keeps: the tensor operations of one run of the
Python code, on the same tensors, and nothing else. A replay runs no Python (a learning rate
read as a Python float stays the one recorded, a counter kept in Python does not count), and
a recording can neither read a number back to the host nor copy a Python number to the
device (CUDA refuses to synchronise while it records). ``record`` reproduces exactly that
with PyTorch's dispatcher: it runs the work once under a TorchDispatchMode that notes every
operation (and refuses a read-back or a copy of a number from the host), puts back
every tensor the run changed (a CUDA recording computes nothing), and returns a replay that
runs the noted operations again, each on the tensors it had then or on what the replay's
earlier operations made in place of theirs.

This is a test double for the GPU, not for the code under test: ``tests/test_gpu.py`` runs
the same trainings on a real CUDA graph where there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves, tree_map

#: Operations that read a tensor's value back to Python: a CUDA recording cannot do them.
#: Besides .item() and its kin, those whose output's size depends on the values: the host
#: must learn the size (on the CPU they call nonzero inside the kernel, where the dispatcher
#: does not see it).
READ_BACKS = {
    torch.ops.aten._local_scalar_dense.default,  # .item(), float(t), bool(t), int(t)
    torch.ops.aten.nonzero.default,
    torch.ops.aten.masked_select.default,
    torch.ops.aten.masked_scatter.default,
    torch.ops.aten._unique2.default,
    torch.ops.aten.unique_dim.default,
    torch.ops.aten.unique_consecutive.default,
    torch.ops.aten.repeat_interleave.Tensor,
}
#: Indexing, which reads its indices back when one of them is a boolean mask (``a[a > 0]``).
INDEXING = {
    torch.ops.aten.index.Tensor,
    torch.ops.aten.index_put.default,
    torch.ops.aten.index_put_.default,
}


#: Operations that make a tensor of a Python value: on a GPU, a copy from the host's memory,
#: which waits for the device and cannot be recorded either (``torch.asarray(0.0,
#: device="cuda")``, as array-api-compat makes of a Python number for some functions).
FROM_HOST = {torch.ops.aten.lift_fresh.default, torch.ops.aten.lift_fresh_copy.default}


class HostReadBack(RuntimeError):
    """The recorded work read a tensor's value on the host."""


class FromHost(RuntimeError):
    """The recorded work made a tensor of a Python value (a copy from the host on a GPU)."""


#: Functions that make a tensor of host data (a NumPy array, a list) or move one to the host:
#: on a GPU, copies that wait for the device. Seen above the dispatcher, where they are named.
HOST_FUNCTIONS = {
    torch.as_tensor,
    torch.asarray,
    torch.tensor,
    torch.Tensor.cpu,
    torch.Tensor.numpy,
    torch.Tensor.tolist,
    torch.Tensor.item,
}


class _NoHostData(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        if func in HOST_FUNCTIONS and not (
            args and type(args[0]) is torch.Tensor and func in (torch.as_tensor, torch.asarray)
        ):
            raise FromHost(
                f"{func.__name__} moves data between the host and the device during a recording"
            )
        return func(*args, **(kwargs or {}))


class _Noting(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.operations: list[tuple[Any, Any, Any, Any]] = []
        self.made: dict[int, torch.Tensor] = {}  # tensors the work made, by id
        # The storage of every tensor the work found there, as it was before the work ran.
        self.before: dict[int, tuple[Any, Any]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        kwargs = kwargs or {}
        masked = func in INDEXING and any(
            isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in args[1]
        )
        if func in READ_BACKS or masked:
            raise HostReadBack(f"{func} reads a value back to the host during a recording")
        if func in FROM_HOST:
            raise FromHost(f"{func} copies a Python value to the device during a recording")
        for leaf in tree_leaves((args, kwargs)):
            if isinstance(leaf, torch.Tensor) and id(leaf) not in self.made:
                storage = leaf.untyped_storage()
                self.before.setdefault(storage.data_ptr(), (storage, storage.clone()))
        result = func(*args, **kwargs)
        for leaf in tree_leaves(result):
            if isinstance(leaf, torch.Tensor):
                self.made.setdefault(id(leaf), leaf)
        self.operations.append((func, args, kwargs, result))
        return result


def record(work: Callable[[], None], warm_up: Callable[[], None]) -> Callable[[], None]:
    """A ``graphs.Recorder`` for tensors on the CPU, with a CUDA graph's semantics."""
    warm_up()
    noting = _Noting()
    with _NoHostData(), noting:
        work()
    for storage, saved in reversed(noting.before.values()):  # a recording computes nothing
        storage.copy_(saved)
    operations = noting.operations

    def replay() -> None:
        now: dict[int, Any] = {}  # a noted result's id -> what this replay made instead

        def current(value: Any) -> Any:
            return now.get(id(value), value) if isinstance(value, torch.Tensor) else value

        for func, args, kwargs, result in operations:
            made = func(*tree_map(current, args), **tree_map(current, kwargs))
            for old, new in zip(tree_leaves(result), tree_leaves(made), strict=True):
                if isinstance(old, torch.Tensor):
                    now[id(old)] = new

    replay.operations = len(operations)  # type: ignore[attr-defined]
    return replay
