"""A pickled numpy array, read without running what a pickle may ask for.

psi-camserver-client's ``set_background_image_array`` uploads ``pickle.dumps(array, protocol=0)``.
:func:`array_from_pickle` reads exactly that, and any protocol numpy's own pickling produces, with
an unpickler that knows only the few names such a pickle refers to (``numpy.ndarray``,
``numpy.dtype``, numpy's ``_reconstruct`` and ``_frombuffer``, ``_codecs.encode``). None of them is
the real thing: each is a stand-in that checks its arguments (a numeric dtype code, a plain shape,
``latin1`` text) and records them, and the array is built at the end with ``numpy.frombuffer`` from
the checked values. numpy's own ``__setstate__`` never sees the pickle's data.

Anything else is refused before it runs: a name outside the list (``os.system``, ``builtins.eval``,
``subprocess.Popen``), persistent ids, out-of-band buffers, object and structured dtypes, a second
array, more bytes than the pickle itself holds (a memo that replays ``encode`` to inflate memory).
Every refusal is a :class:`~camserver.errors.ConfigError` that says what was found.
"""

from __future__ import annotations

import io
import math
import pickle
from typing import Any, ClassVar

import numpy as np

from camserver.errors import ConfigError

__all__ = ["ALLOWED_GLOBALS", "array_from_pickle"]

Array = np.ndarray[Any, Any]

#: every global a pickled numpy array refers to, in numpy 1 and numpy 2 spelling
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),
    }
)

_NUMERIC_KINDS = "biuf"
_ENDIANS = ("<", ">", "|", "=")


class _Refused(Exception):
    """Raised inside the unpickler; becomes one ConfigError."""


class _StandIn:
    """A value the pickle may build; BUILD on it is refused unless the class allows it."""

    __slots__ = ()

    def __setstate__(self, state: Any) -> None:
        raise _Refused(f"the pickle sets the state of {type(self).__name__}")

    def __reduce__(self) -> Any:
        raise _Refused("stand-ins cannot be pickled")


class _Budget:
    """Bytes the stand-ins may produce: no more than the pickle holds, and one array."""

    __slots__ = ("arrays", "remaining")

    def __init__(self, limit: int) -> None:
        self.remaining = limit
        self.arrays = 0

    def spend(self, size: int) -> None:
        if size > self.remaining:
            raise _Refused("the pickle builds more data than it holds")
        self.remaining -= size

    def one_array(self) -> None:
        self.arrays += 1
        if self.arrays > 1:
            raise _Refused("the pickle holds more than one array")


class _Dtype(_StandIn):
    """``numpy.dtype(code, align, copy)`` for a numeric code; its state may only set the byte order."""

    __slots__ = ("dtype",)

    def __init__(self, code: Any, align: Any = False, copy: Any = False) -> None:
        if not isinstance(code, str) or len(code) > 8:
            raise _Refused(f"dtype {code!r} is not a numeric type code")
        try:
            dtype = np.dtype(code)
        except TypeError:
            raise _Refused(f"dtype {code!r} is not a numeric type code") from None
        if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise _Refused(f"dtype {code!r} is not a numeric type")
        if not isinstance(align, bool | int) or not isinstance(copy, bool | int):
            raise _Refused("dtype options must be flags")
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        # numpy's state of a plain numeric dtype: (3, endian, None, None, None, -1, -1, 0)
        if not isinstance(state, tuple) or len(state) != 8 or state[0] not in (3, 4):
            raise _Refused("the dtype state is not a plain numeric dtype's")
        _, endian, subarray, names, fields, size, alignment, flags = state
        if endian not in _ENDIANS or (subarray, names, fields) != (None, None, None):
            raise _Refused("the dtype state is not a plain numeric dtype's")
        if size not in (-1, self.dtype.itemsize) or alignment not in (-1, self.dtype.alignment) or flags != 0:
            raise _Refused("the dtype state is not a plain numeric dtype's")
        if endian in ("<", ">") and self.dtype.itemsize > 1:
            self.dtype = self.dtype.newbyteorder(endian)


class _Array(_StandIn):
    """``_reconstruct(ndarray, (0,), b'b')``: an empty array whose BUILD state gives shape, dtype, data."""

    __slots__ = ("array", "budget")

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.array: Array | None = None

    def __setstate__(self, state: Any) -> None:
        if self.array is not None:
            raise _Refused("the array's state is set twice")
        if not isinstance(state, tuple) or len(state) != 5:
            raise _Refused("the array state is not (version, shape, dtype, fortran, data)")
        _, shape, dtype, fortran, data = state
        self.array = _build(shape, dtype, data, fortran=fortran)


def _shape(shape: Any) -> tuple[int, ...]:
    if not isinstance(shape, tuple) or len(shape) > 8:
        raise _Refused(f"the shape {shape!r:.60} is not a tuple of sizes")
    if not all(isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**40 for size in shape):
        raise _Refused(f"the shape {shape!r:.60} is not a tuple of sizes")
    return shape


def _build(shape: Any, dtype: Any, data: Any, *, fortran: Any) -> Array:
    sizes = _shape(shape)
    if not isinstance(dtype, _Dtype):
        raise _Refused("the array's dtype is not a numeric numpy dtype")
    if not isinstance(data, bytes | bytearray):
        raise _Refused("the array's data is not bytes (object arrays are refused)")
    if not isinstance(fortran, bool | int):
        raise _Refused("the array's order is not a flag")
    expected = math.prod(sizes) * dtype.dtype.itemsize
    if len(data) != expected:
        raise _Refused(f"the array's data holds {len(data)} bytes, its shape and dtype need {expected}")
    flat = np.frombuffer(bytes(data), dtype=dtype.dtype)
    return flat.reshape(sizes, order="F" if fortran else "C")


class _Callable(_StandIn):
    """A global the pickle may call."""

    __slots__ = ("budget",)
    name: ClassVar[str] = ""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget


class _Reconstruct(_Callable):
    __slots__ = ()

    def __call__(self, cls: Any, shape: Any, typecode: Any) -> _Array:
        if not isinstance(cls, _NdarrayClass) or shape != (0,) or typecode not in (b"b", "b"):
            raise _Refused("_reconstruct is called with other arguments than numpy's pickles use")
        self.budget.one_array()
        return _Array(self.budget)


class _FromBuffer(_Callable):
    __slots__ = ()

    def __call__(self, data: Any, dtype: Any, shape: Any, order: Any) -> _Built:
        if order not in ("C", "F"):
            raise _Refused("_frombuffer is called with an unknown order")
        self.budget.one_array()
        if isinstance(data, pickle.PickleBuffer):
            data = bytes(data)
        return _Built(_build(shape, dtype, data, fortran=order == "F"))


class _Encode(_Callable):
    __slots__ = ()

    def __call__(self, text: Any, encoding: Any = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise _Refused("_codecs.encode is called with other arguments than numpy's pickles use")
        self.budget.spend(len(text))
        return text.encode("latin-1")


class _NdarrayClass(_StandIn):
    """``numpy.ndarray`` as an argument of ``_reconstruct``; calling it is refused."""

    __slots__ = ()


class _Built(_StandIn):
    """An array built by ``_frombuffer``."""

    __slots__ = ("array",)

    def __init__(self, array: Array) -> None:
        self.array = array


class _ArrayUnpickler(pickle.Unpickler):
    """Resolves only :data:`ALLOWED_GLOBALS`, each to a checking stand-in."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(io.BytesIO(payload), encoding="latin1")
        self.budget = _Budget(len(payload))
        self._ndarray = _NdarrayClass()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise _Refused(f"the pickle refers to {module}.{name}")
        if name == "ndarray":
            return self._ndarray
        if name == "dtype":
            return _Dtype
        if name == "_reconstruct":
            return _Reconstruct(self.budget)
        if name == "_frombuffer":
            return _FromBuffer(self.budget)
        return _Encode(self.budget)

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("the pickle refers to a persistent object")


def array_from_pickle(payload: bytes) -> Array:
    """The numpy array of a pickle as ``pickle.dumps(array)`` writes it; anything else is refused
    with a :class:`~camserver.errors.ConfigError` before it runs."""
    unpickler = _ArrayUnpickler(payload)
    try:
        loaded = unpickler.load()
    except _Refused as refusal:
        raise ConfigError(f"refused: {refusal}; only a pickled numeric numpy array is accepted") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise ConfigError(f"the upload is not a readable pickle of a numpy array: {error}") from None
    except (RecursionError, MemoryError, OverflowError) as error:
        raise ConfigError(f"the pickle is too deeply nested or too large: {type(error).__name__}") from None
    array = loaded.array if isinstance(loaded, _Array | _Built) else None
    if array is None:
        raise ConfigError("refused: the pickle holds no numpy array; only a pickled numeric numpy array is accepted")
    return np.array(array, dtype=array.dtype.newbyteorder("="), order="C")
