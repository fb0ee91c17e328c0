"""Comparisons for hidden checks, each failing with a message that teaches.

Every comparison starts with the type: the student's answer must be plain
data (an exact ``ndarray`` of floats, a ``float``...).  An object that only
pretends (a subclass, an always-equal object) arrives from the sandbox as
a ``RemoteObject`` and fails here as a wrong type.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from ..plaindata import identical
from ..sandbox.lending import RemoteObject, type_name
from .base import CheckFailed

ATOL, RTOL = 1e-7, 1e-6


def show(value, limit: int = 6) -> str:
    """A short printable form of a value for messages."""
    if isinstance(value, RemoteObject):
        return f"a {type_name(value)}"
    if type(value) is np.ndarray and value.dtype.kind in "biuf":
        flat = value.ravel()
        numbers = ", ".join(f"{x:.6g}" for x in flat[:limit])
        more = f", ... ({flat.size} values)" if flat.size > limit else ""
        return f"[{numbers}{more}] (shape {value.shape})"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def expect_array(label: str, got, expected, *, atol: float = ATOL, rtol: float = RTOL,
                 hint: str = "", integer: bool = False) -> None:
    """``got`` must be a plain ndarray of floats (of ints with ``integer``)
    with ``expected``'s shape and values."""
    expected = np.asarray(expected)
    kind = "integers" if integer else "floats"
    if got is None:
        raise CheckFailed(f"{label} returned None: does the function reach its return line with the "
                          "result assigned?")
    if type(got) is not np.ndarray:
        raise CheckFailed(f"{label} returned a {type_name(got)}; expected a plain NumPy array of {kind} "
                          f"with shape {expected.shape}.")
    if got.shape != expected.shape:
        note = ""
        if got.ndim == 2 and got.shape == expected.shape[::-1]:
            note = " That is the transpose: check the order of a matrix product, or a missing or extra .T."
        elif got.size == expected.size:
            note = " Same number of values, different layout: avoid flatten/reshape/ravel on the result."
        raise CheckFailed(f"{label} has shape {got.shape}; expected {expected.shape}.{note}")
    if integer:
        if got.dtype.kind not in "iu":
            raise CheckFailed(f"{label} has dtype {got.dtype}; expected integers (use .astype(int)).")
    elif got.dtype.kind != "f":
        raise CheckFailed(f"{label} has dtype {got.dtype}; expected floats. A comparison such as z > 0 "
                          "gives booleans: convert with .astype(float).")
    if not _close(got, expected, atol, rtol):
        raise CheckFailed(f"{label} has the wrong values (shape {expected.shape} is right).\n"
                          f"  expected: {show(expected)}\n  got:      {show(got)}"
                          + (f"\n  Hint: {hint}" if hint else ""))


def expect_number(label: str, got, expected: float, *, atol: float = ATOL, rtol: float = RTOL,
                  hint: str = "") -> None:
    """``got`` must be one plain float (Python or NumPy) close to ``expected``."""
    if type(got) not in (float, np.float64, np.float32):
        raise CheckFailed(f"{label} returned a {type_name(got)} ({show(got)}); expected one float. "
                          "Wrap a NumPy result in float(...).")
    if not _close(np.float64(got), np.float64(expected), atol, rtol):
        raise CheckFailed(f"{label} is {float(got):.8g}; expected {expected:.8g}."
                          + (f" Hint: {hint}" if hint else ""))


def expect_int(label: str, got, expected: int) -> None:
    if type(got) not in (int, np.int64, np.int32) or isinstance(got, bool):
        raise CheckFailed(f"{label} returned a {type_name(got)} ({show(got)}); expected an int.")
    if int(got) != expected:
        raise CheckFailed(f"{label} is {int(got)}; expected {expected}.")


def expect_unchanged(label: str, before, after) -> None:
    """An input must come back as it went in."""
    if not identical(before, after):
        raise CheckFailed(f"{label} modified its input in place. Build new arrays instead "
                          "(np.maximum, np.clip and arithmetic like 1 - z return new arrays; "
                          "`x -= ...`, `x[...] = ...` and `d[key] = ...` on an input change it).")


def expect_keys(label: str, got, keys) -> None:
    if type(got) is not dict:
        raise CheckFailed(f"{label} returned a {type_name(got)}; expected a dict with keys {sorted(keys)}.")
    if set(got) != set(keys):
        missing, extra = sorted(set(keys) - set(got)), sorted(set(got) - set(keys))
        raise CheckFailed(f"{label} has keys {sorted(got)}; expected {sorted(keys)}"
                          + (f" (missing {missing})" if missing else "")
                          + (f" (unexpected {extra})" if extra else "") + ".")


def _close(got, expected, atol, rtol) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.allclose(got.astype(float), expected.astype(float), atol=atol, rtol=rtol, equal_nan=False))


def expect_tuple(label: str, got, n: int, of: str = "arrays") -> None:
    """``got`` must be a tuple of ``n`` items."""
    if type(got) is not tuple or len(got) != n:
        raise CheckFailed(f"{label} should return a tuple of {n} {of}; got {show(got)}.")


def without_float_warning(label: str, call: Callable[[], Any], hint: str) -> Any:
    """``call()``, failing the check if it overflows, divides by zero or
    makes an invalid value (as an error or a RuntimeWarning).  Underflow is
    not a fault: a stable formula such as exp(-|z|) may underflow to 0."""
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("always")
        try:
            result = call()
        except FloatingPointError as problem:
            raise CheckFailed(f"{label} hit a floating-point problem ({problem}). {hint}") from None
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numeric:
        raise CheckFailed(f"{label} raised a warning ({numeric[0].message}). {hint}")
    return result


def global_random_untouched(label: str, call: Callable[[], Any]) -> Any:
    """``call()``, failing the check if it drew from or reseeded NumPy's
    global random generator (the kit draws from a RandomState(seed))."""
    np.random.seed(12345)
    state = np.random.get_state()
    result = call()
    after = np.random.get_state()
    if not (np.array_equal(state[1], after[1]) and state[2:] == after[2:]):
        raise CheckFailed(f"{label} used NumPy's global random generator (np.random.seed, np.random.randn...). "
                          "Draw from rng = np.random.RandomState(seed) only.")
    return result
