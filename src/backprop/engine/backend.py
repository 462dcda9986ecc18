"""Where a network's arrays live: the one module that knows which array library is in use.

The engine's math (activations, losses, the two passes, the optimizers, the training loop) is
written once against the Python array API standard: each function asks ``namespace(a)`` for
the namespace ``xp`` of the arrays it was given and calls ``xp.exp``, ``xp.sum``, ``a @ b``.
One network computes with one library, on one device:

==================== ======================= ===============================================
backend              device                  arrays
==================== ======================= ===============================================
``"numpy"``          ``"cpu"``               ``numpy.ndarray`` (the default)
``"torch"``          ``"cpu"`` (default),    ``torch.Tensor``, never requiring grad: the
                     ``"cuda"``, ``"cuda:1"`` gradients are backprop's own, not autograd's
``"cupy"``           ``"cuda"`` (default),   ``cupy.ndarray``
                     ``"cuda:1"``
``"array_api_strict"`` ``"cpu"``             ``array_api_strict.Array``: the standard and
                                             nothing more, so a non-standard call fails
==================== ======================= ===============================================

NumPy keeps its speed tricks (products written ``out=`` into preallocated buffers, a vector
of ones for the bias gradients, cached zeros): the standard has no ``out=``, so the few
functions here that need one take NumPy's fast path for NumPy arrays, told apart by
``type(a) is np.ndarray`` (a test of a few tens of nanoseconds), and the standard's way for
the others. For NumPy arrays ``namespace`` returns NumPy itself, so the code written once runs
on NumPy exactly as before, bit for bit.

``array-api-compat`` (which gives PyTorch and CuPy a standard namespace) is imported only
when a non-NumPy array is met, so NumPy-only use never loads it.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from backprop.engine.arrays import ones

#: The array libraries a network can compute with, and the devices each offers.
BACKENDS = {
    "numpy": "cpu",
    "torch": "cpu, cuda, cuda:N",
    "cupy": "cuda, cuda:N",
    "array_api_strict": "cpu",
}
#: What to install for each library that is not NumPy.
_INSTALL = {
    "torch": "pip install 'backprop[torch]'",
    "cupy": "pip install 'backprop[cupy]'",
    "array_api_strict": "pip install 'backprop[array-api]'",
}

Array = Any


# -- the namespace of some arrays ----------------------------------------------------------------


def namespace(array: Array) -> Any:
    """The array API namespace of ``array``: NumPy itself for a NumPy array (whose main
    namespace implements the standard), else array-api-compat's namespace for its library."""
    if type(array) is np.ndarray:
        return np
    return _compat().array_namespace(array)


def is_numpy(array: Array) -> bool:
    """Whether ``array`` is a NumPy array (the engine's fast paths are for those)."""
    return type(array) is np.ndarray


def is_foreign_array(value: Any) -> bool:
    """Whether ``value`` is an array of a library other than NumPy (a tensor, a CuPy or
    array_api_strict array), told without importing anything for lists and NumPy arrays."""
    if isinstance(value, (np.ndarray, np.generic, list, tuple, int, float)):
        return False
    module = type(value).__module__.split(".")[0]
    return module in ("torch", "cupy", "array_api_strict") and _compat().is_array_api_obj(value)


def to_numpy(array: Array, argument: str = "the array") -> np.ndarray:
    """``array`` as a NumPy array (copied to the host from a GPU); NumPy arrays as they are.
    A PyTorch tensor that holds no values here (sparse, or on the 'meta' device) is a clear
    error naming ``argument``; bfloat16, which NumPy lacks, becomes float32 (exactly)."""
    if type(array) is np.ndarray:
        return array
    compat = _compat()
    if compat.is_torch_array(array):
        return _torch_to_numpy(array, argument)
    if compat.is_cupy_array(array):
        return array.get()
    if compat.is_array_api_obj(array):
        return np.from_dlpack(array)  # array_api_strict and any array on the CPU
    return np.asarray(array)


def check_has_values(array: Array, argument: str) -> None:
    """A clear error for a PyTorch tensor whose values cannot be read as an array's: a sparse
    one, or one on the 'meta' device (which has shapes but no values)."""
    torch = torch_of(array)
    if torch is None:
        return
    if array.layout != torch.strided:
        raise TypeError(
            f"{argument} is a sparse PyTorch tensor ({array.layout}): expected a dense one "
            "(.to_dense())"
        )
    if array.is_meta:
        raise ValueError(f"{argument} is a PyTorch tensor on the 'meta' device: it has no values")


def _torch_to_numpy(tensor: Any, argument: str) -> np.ndarray:
    import torch

    check_has_values(tensor, argument)
    tensor = tensor.detach().cpu()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def host(value: Any, argument: str = "the array") -> Any:
    """``value`` with an array of another library made a NumPy array; anything else (lists,
    NumPy arrays, data frames) as it is, for the NumPy validation to read (``to_numpy`` says
    what ``argument`` is)."""
    return to_numpy(value, argument) if is_foreign_array(value) else value


# -- the few operations where NumPy has a faster way than the standard ---------------------------


def products(array: Array) -> tuple[Callable[..., Array], Callable[[int, Any], Array]]:
    """The matrix product and the vectors of ones to compute with, for arrays like ``array``.

    For NumPy: ``np.dot`` itself, which writes ``out=`` in place, and the cached read-only
    ones of ``arrays.py``; the passes call them directly, at no cost over NumPy. For other
    libraries: ``matmul`` and ones made on the array's device, cached the same way.
    """
    if type(array) is np.ndarray:
        return np.dot, ones
    backend = backend_of(array)
    if backend.name == "torch":  # PyTorch writes out= in place too: no temporary, no copy
        return _torch_matmul(), _device_ones(backend)
    return matmul, _device_ones(backend)


@cache
def _torch_matmul() -> Callable[..., Array]:
    import torch

    def torch_matmul(a: Array, b: Array, out: Array | None = None) -> Array:
        """a @ b by PyTorch, written into ``out`` in place. A vector times a matrix (the
        bias gradients' ones @ delta) is written as delta.T @ ones by ``torch.mv``, whose
        output is a vector as ``out`` is (``torch.matmul`` would resize it to a row)."""
        if a.ndim == 1:
            return torch.mv(b.T, a, out=out)
        return torch.matmul(a, b, out=out)

    return torch_matmul


@cache
def _device_ones(backend: Backend) -> Callable[[int, Any], Array]:
    @lru_cache(maxsize=64)
    def device_ones(n: int, dtype: Any) -> Array:
        return backend.asarray(np.ones(n, numpy_dtype(dtype)))

    return device_ones


def matmul(a: Array, b: Array, out: Array | None = None) -> Array:
    """a @ b, written into ``out`` when given (NumPy writes it in place, with no temporary)."""
    if type(a) is np.ndarray:
        return np.dot(a, b, out=out)
    if out is None:
        return a @ b
    out[...] = a @ b
    return out


def column_sums(a: Array, out: Array) -> Array:
    """The sum of each column of a 2-D array, written into ``out``.

    NumPy: ``ones @ a``, one BLAS product, faster than ``a.sum(axis=0)`` on small batches.
    """
    if type(a) is np.ndarray:
        return np.dot(ones(len(a), a.dtype), a, out=out)
    out[...] = namespace(a).sum(a, axis=0)
    return out


def vdot(a: Array, b: Array) -> Any:
    """The sum of a * b over every entry: a Python float for NumPy arrays (one BLAS product),
    a 0-d array on the device otherwise (read back only when the caller needs the number)."""
    if type(a) is np.ndarray:
        return float(np.vdot(a, b))
    return namespace(a).sum(a * b)


def total(a: Array) -> Any:
    """The sum of every entry: a Python float for NumPy, a 0-d array on the device otherwise."""
    if type(a) is np.ndarray:
        return float(a.sum())
    return namespace(a).sum(a)


def squared_norm(vector: Array) -> float:
    """sum(v^2) of a 1-D array, as a Python float (a read-back on a GPU)."""
    if type(vector) is np.ndarray:
        return float(np.dot(vector, vector))
    return float(namespace(vector).vecdot(vector, vector))


def concat(arrays: list[Array]) -> Array:
    """The rows of several arrays in one (the first itself when there is one)."""
    if len(arrays) == 1:
        return arrays[0]
    if type(arrays[0]) is np.ndarray:
        return np.concatenate(arrays)
    return namespace(arrays[0]).concat(arrays)


def astype(array: Array, dtype: Any, copy: bool = True) -> Array:
    """``array`` in ``dtype`` (a NumPy dtype or the array's library's)."""
    if type(array) is np.ndarray:
        return array.astype(dtype, copy=copy)
    xp = namespace(array)
    if isinstance(dtype, (np.dtype, str, type)):
        dtype = getattr(xp, np.dtype(dtype).name)
    return xp.astype(array, dtype, copy=copy)


def copy(array: Array) -> Array:
    """A copy of ``array`` in the same library and on the same device."""
    if type(array) is np.ndarray:
        return array.copy()
    return namespace(array).asarray(array, copy=True)


def numpy_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype of the same name as a dtype of any library (torch.float32 -> float32)."""
    if isinstance(dtype, np.dtype):
        return dtype
    return np.dtype(str(dtype).rsplit(".", 1)[-1])


def positive_part(a: Array) -> Array:
    """max(a, 0) for each entry (NaN stays NaN). On other libraries than NumPy the 0 is a 0-d
    array of a's dtype on its device, made once: given the number, array-api-compat makes a
    device array of it at every call, a copy from the host that a GPU waits for and that a
    CUDA graph cannot record."""
    if type(a) is np.ndarray:
        return np.maximum(a, 0.0)
    xp = namespace(a)
    return xp.maximum(a, _zero(xp, _compat().device(a), a.dtype))


@lru_cache(maxsize=16)
def _zero(xp: Any, device: Any, dtype: Any) -> Array:
    return xp.zeros((), dtype=dtype, device=device)  # made on the device: nothing copied


def sign(a: Array) -> Array:
    """-1, 0 or 1 for each entry. PyTorch's own ``sign``: array-api-compat's adds a fix-up
    for NaN entries that indexes by a mask, which reads the mask back to the host."""
    if type(a) is np.ndarray:
        return np.sign(a)
    if _compat().is_torch_array(a):
        return a.sign()
    return namespace(a).sign(a)


def torch_of(array: Array) -> Any:
    """PyTorch itself when ``array`` is a PyTorch tensor, else None.

    PyTorch runs a few chains of the standard's operations as one kernel: ``addmm`` (a
    product plus a bias), ``softmax``, an activation's derivative times the error, a step
    ``p - lr * g``. On a GPU each kernel is a launch, and small networks are bound by launches,
    not by arithmetic, so a training step takes those where it can (the arithmetic is the
    same, rounded differently at most in the last bit).
    """
    if type(array) is np.ndarray:
        return None
    torch = sys.modules.get("torch")  # a tensor's library is imported already
    return torch if torch is not None and isinstance(array, torch.Tensor) else None


def all_finite(vector: Array) -> bool:
    """Whether every entry of a 1-D array is finite (one read-back on a GPU)."""
    if type(vector) is np.ndarray:
        return math.isfinite(np.dot(ones(len(vector), vector.dtype), vector))
    xp = namespace(vector)
    return bool(xp.all(xp.isfinite(vector)))


# -- a backend: a library and a device -----------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """An array library and a device of it, where a network's parameters and data live."""

    name: str
    device: str

    @property
    def is_numpy(self) -> bool:
        return self.name == "numpy"

    @property
    def xp(self) -> Any:
        """The library's array API namespace (NumPy itself for NumPy)."""
        if self.name == "numpy":
            return np
        if self.name == "array_api_strict":
            import array_api_strict

            return array_api_strict
        return importlib.import_module(f"array_api_compat.{self.name}")

    def dtype(self, dtype: Any) -> Any:
        """The library's dtype named like the NumPy ``dtype`` (float32, float64, int64)."""
        return getattr(self.xp, np.dtype(dtype).name)

    def asarray(self, value: Any, dtype: Any = None, copy: bool = False) -> Array:
        """``value`` (an array of any library, or anything NumPy reads) as an array of this
        library on this device, in ``dtype`` (a NumPy dtype) if given. Nothing is copied that
        is already there in that dtype, unless ``copy``."""
        if self.name == "numpy":
            array = to_numpy(value) if is_foreign_array(value) else np.asarray(value)
            if dtype is not None:
                array = array.astype(dtype, copy=False)
            # A CPU tensor's NumPy array shares the tensor's memory without being it.
            shared = array is value or not array.flags.owndata
            return array.copy() if copy and shared else array
        if self.name == "torch":
            return self._torch(value, dtype, copy)
        if self.name == "cupy":
            return self._cupy(value, dtype, copy)
        xp = self.xp
        if not (type(value).__module__.startswith("array_api_strict")):
            value = to_numpy(value) if is_foreign_array(value) else np.asarray(value)
        # The standard's copy=False means "never copy", which refuses a change of dtype.
        wanted = None if dtype is None else self.dtype(dtype)
        return xp.asarray(value, dtype=wanted, copy=True if copy else None)

    def _torch(self, value: Any, dtype: Any, copy: bool) -> Array:
        import torch

        torch_dtype = None if dtype is None else getattr(torch, np.dtype(dtype).name)
        if not isinstance(value, torch.Tensor):
            value = to_numpy(value) if is_foreign_array(value) else value
            if isinstance(value, np.ndarray) and (
                not value.flags.writeable or min(value.strides, default=0) < 0
            ):  # as_tensor would share this memory: it refuses the one, warns of the other
                value = value.copy()
            value = torch.as_tensor(value)
        # detach: a tensor that requires grad joins no graph here; the gradients are ours.
        moved = value.detach().to(device=self.device, dtype=torch_dtype)
        return moved.clone() if copy and moved.data_ptr() == value.data_ptr() else moved

    def _cupy(self, value: Any, dtype: Any, copy: bool) -> Array:
        import cupy

        index = int(self.device.partition(":")[2] or 0)
        with cupy.cuda.Device(index):
            if _compat().is_torch_array(value):
                value = value.detach()
            array = cupy.asarray(value if _compat().is_cupy_array(value) else host(value))
            array = array.astype(dtype or array.dtype, copy=False)
            return array.copy() if copy and array is value else array

    def owns(self, array: Any) -> bool:
        """Whether ``array`` is an array of this library on this device."""
        if self.name == "numpy":
            return type(array) is np.ndarray
        return is_foreign_array(array) and backend_of(array) == self

    def __str__(self) -> str:
        return self.name if self.name == "numpy" else f"{self.name} on {self.device}"


NUMPY = Backend("numpy", "cpu")


def backend_of(array: Any) -> Backend:
    """The backend an array lives on (NumPy for NumPy arrays and anything not an array), so
    that results can go back to the caller in the array type the caller gave."""
    if not is_foreign_array(array):
        return NUMPY
    compat = _compat()
    if compat.is_torch_array(array):
        return Backend("torch", str(array.device))
    if compat.is_cupy_array(array):
        return Backend("cupy", f"cuda:{array.device.id}")
    return Backend("array_api_strict", "cpu")


def get_backend(backend: str | Backend = "numpy", device: str | None = None) -> Backend:
    """The Backend for a library's name and a device, or a one-line error saying what is
    missing: an unknown name (ValueError), a library that is not installed (ImportError), a
    device the library does not have here (ValueError)."""
    if isinstance(backend, Backend):  # checked as its names are: it may be made by hand
        device = backend.device if device is None else device
        backend = backend.name
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(
            f"backend={backend!r} is not supported: expected one of {', '.join(BACKENDS)}"
        )
    if device is not None and not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
    if backend in ("numpy", "array_api_strict"):
        if device not in (None, "cpu"):
            raise ValueError(
                f"device={device!r} with backend={backend!r}: {backend} runs on the CPU only; "
                "use device='cpu', or backend='torch' or 'cupy' for a GPU"
            )
        if backend == "array_api_strict":
            _library(backend)
        return Backend(backend, "cpu")
    module = _library(backend)
    if backend == "torch":
        return Backend("torch", _torch_device(module, device))
    return Backend("cupy", _cupy_device(module, device))


def _library(name: str) -> Any:
    """The module of an array library, or an ImportError that says how to install it."""
    try:
        module = __import__(name)
        _compat()
    except ImportError as error:
        raise ImportError(
            f"backend={name!r} needs {error.name or name}, which is not installed here: "
            f"{_INSTALL[name]}, or use backend='numpy'"
        ) from None
    return module


def _torch_device(torch: Any, device: str | None) -> str:
    if device is None or device == "cpu":
        return "cpu"
    kind, _, index = device.partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise ValueError(
            f"device={device!r} is not a device of backend='torch': expected 'cpu', 'cuda' "
            "or 'cuda:N'"
        )
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count <= int(index or 0):
        raise ValueError(
            f"device={device!r} but PyTorch finds {count or 'no'} CUDA device"
            f"{'' if count == 1 else 's'} here: use device='cpu'"
        )
    return device if index else "cuda:0"


def _cupy_device(cupy: Any, device: str | None) -> str:
    kind, _, index = (device or "cuda").partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise ValueError(
            f"device={device!r} is not a device of backend='cupy': expected 'cuda' or 'cuda:N'"
        )
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # CuPy installed, but no driver or no GPU: CUDARuntimeError
        count = 0
    if count <= int(index or 0):
        raise ValueError(
            f"device={device or 'cuda'!r} but CuPy finds {count or 'no'} CUDA device"
            f"{'' if count == 1 else 's'} here: use backend='numpy' or 'torch' on the CPU"
        )
    return f"cuda:{int(index or 0)}"


@cache
def _compat() -> Any:
    """array_api_compat, imported when the first array of another library than NumPy is met."""
    try:
        import array_api_compat
    except ImportError:
        raise ImportError(
            "backends other than numpy need array-api-compat: pip install array-api-compat "
            "(pip install 'backprop[torch]' installs it with PyTorch)",
            name="array_api_compat",
        ) from None
    return array_api_compat
