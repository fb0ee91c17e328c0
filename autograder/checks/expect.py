"""Comparisons for hidden checks, each failing with a message that teaches.

Every comparison starts with the type: the student's answer must be plain
data (an exact ``ndarray`` of floats, a ``float``...).  An object that only
pretends (a subclass, an always-equal object) arrives from the sandbox as
a ``RemoteObject`` and fails here as a wrong type.

Values right in the wrong container cost nothing (the grading policy): a
0-d array where a float is asked, a list where a tuple is, extra keys in a
dict of results.  Each is accepted with a ``note``.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from ..plaindata import close, identical
from ..sandbox.lending import RemoteObject, type_name
from .base import CheckFailed, note

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
                 hint: str = "", integer: bool = False, also: Callable[[], Any] | None = None) -> None:
    """``got`` must be a plain ndarray of floats (of ints with ``integer``)
    with ``expected``'s shape and values.

    also: called only when the values are wrong; it returns what the
    function gives when it builds on the student's own other functions
    (a derivative computed from their activation, say), or None.  Values
    equal to it pass: the defect is in that other function, and costs
    points in its checks only."""
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
        if also is not None and consistent(got, also, atol, rtol):
            return
        raise CheckFailed(f"{label} has the wrong values (shape {expected.shape} is right).\n"
                          f"  expected: {show(expected)}\n  got:      {show(got)}"
                          + (f"\n  Hint: {hint}" if hint else ""))


def consistent(got, also: Callable[[], Any], atol: float = ATOL, rtol: float = RTOL) -> bool:
    """Whether ``got`` equals ``also()`` (see ``expect_array``); an error or
    None from ``also`` means no."""
    try:
        alternative = also()
    except Exception:  # noqa: BLE001 - the student's other function failed: no excuse from it
        return False
    return alternative is not None and close(got, alternative, atol, rtol)


def as_float(label: str, got):
    """A float the student returned: a Python or NumPy float, or (with a
    note, no points lost) a 0-d float array."""
    if type(got) in (float, np.float64, np.float32):
        return got
    if type(got) is np.ndarray and got.shape == () and got.dtype.kind == "f":
        note(f"{label} returned a 0-d NumPy array where the docstring asks for a float; float(...) turns one "
             "into the other.")
        return got[()]
    raise CheckFailed(f"{label} returned a {type_name(got)} ({show(got)}); expected one float. "
                      "Wrap a NumPy result in float(...).")


def expect_number(label: str, got, expected: float, *, atol: float = ATOL, rtol: float = RTOL,
                  hint: str = "") -> None:
    """``got`` must be one float (Python or NumPy, or a 0-d array, with a
    note) close to ``expected``."""
    got = as_float(label, got)
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


def expect_keys(label: str, got, keys, *, extra_ok: bool = True) -> None:
    """``got`` must be a dict holding every key of ``keys``; more keys (a
    backward that also keeps its dZ's) are noted, and refused only when
    ``extra_ok`` is False (a dict of parameters, say, whose keys are all used)."""
    if type(got) is not dict:
        raise CheckFailed(f"{label} returned a {type_name(got)}; expected a dict with keys {sorted(keys)}.")
    missing, extra = sorted(set(keys) - set(got), key=str), sorted(set(got) - set(keys), key=str)
    if missing or (extra and not extra_ok):
        raise CheckFailed(f"{label} has keys {sorted(got, key=str)}; expected {sorted(keys)}"
                          + (f" (missing {missing})" if missing else "")
                          + (f" (unexpected {extra})" if extra and not extra_ok else "") + ".")
    if extra:
        note(f"{label} also holds {extra}; only {sorted(keys)} are graded.")


def _close(got, expected, atol, rtol) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.allclose(got.astype(float), expected.astype(float), atol=atol, rtol=rtol, equal_nan=False))


def expect_tuple(label: str, got, n: int, of: str = "arrays") -> tuple:
    """``got`` must be a tuple of ``n`` items (a list of ``n`` items passes,
    with a note); returns it as a tuple."""
    if type(got) is list and len(got) == n:
        note(f"{label} returned a list where the docstring asks for a tuple.")
        return tuple(got)
    if type(got) is not tuple or len(got) != n:
        raise CheckFailed(f"{label} should return a tuple of {n} {of}; got {show(got)}.")
    return got


# The clipping epsilons of a cross-entropy that earn full marks: from 1e-16
# (about NumPy's float64 resolution) to 1e-6 (above Keras' default, 1e-7).
EPSILONS = (1e-16, 1e-6)


def expect_clipped_loss(label: str, got, loss: Callable[[float], float], *, epsilons=EPSILONS,
                        hint: str = "") -> None:
    """A cross-entropy at predictions the clipping decides (0 or 1 exactly):
    ``got`` must be a finite float between ``loss(epsilon)`` for the
    smallest and the largest accepted epsilon (the loss falls as epsilon
    grows), as any clipping epsilon in that range gives."""
    got = as_float(label, got)
    values = sorted(loss(epsilon) for epsilon in epsilons)
    low, high = values[0] - 1e-6 * abs(values[0]), values[-1] + 1e-6 * abs(values[-1])
    if not np.isfinite(got) or not low <= float(got) <= high:
        raise CheckFailed(f"{label} is {float(got):.8g}; expected {values[0]:.6g} to {values[-1]:.6g}, what "
                          f"clipping the predictions to [eps, 1 - eps] gives for any eps from {epsilons[0]:g} "
                          f"to {epsilons[1]:g} ({loss(1e-15):.6g} with eps = 1e-15)."
                          + (f" Hint: {hint}" if hint else ""))


def float_problem(call: Callable[[], Any]) -> tuple[str, Any]:
    """(what went wrong, result) of ``call()``: "" when it neither overflows,
    divides by zero nor makes an invalid value (as an error or a
    RuntimeWarning).  Underflow is not a fault: a stable formula such as
    exp(-|z|) may underflow to 0."""
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("always")
        try:
            result = call()
        except FloatingPointError as problem:
            return f"hit a floating-point problem ({problem})", None
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numeric:
        return f"raised a warning ({numeric[0].message})", result
    return "", result


def without_float_warning(label: str, call: Callable[[], Any], hint: str,
                          excuse: Callable[[], bool] | None = None) -> Any:
    """``call()``, failing the check if it overflows, divides by zero or
    makes an invalid value (underflow is no fault).  excuse: called when it
    does; True when the student's other function that ``call`` builds on
    has the same problem on these inputs (then it costs points there, not
    here), and the result is returned as computed without the check."""
    problem, result = float_problem(call)
    if not problem:
        return result
    if excuse is not None and _excused(excuse):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return call()
    raise CheckFailed(f"{label} {problem}. {hint}")


def _excused(excuse: Callable[[], bool]) -> bool:
    try:
        return bool(excuse())
    except Exception:  # noqa: BLE001 - the other function failed outright: no excuse from it
        return False


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
