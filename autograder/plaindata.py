"""Walking trees of plain data: the values student code returns and checks
compare (exact ``ndarray``s, numbers, strings, and lists, tuples and dicts
of them).

The one home of these walks: copy a tree (``copy_tree``), compare two with
a tolerance (``close``) or exactly (``identical``), and find the first node
that satisfies a test (``first``).  A node of another type is a leaf,
compared with ``==`` only when both sides have exactly that type.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

NUMBERS = (int, float, np.integer, np.floating)
MAX_DEPTH = 40


def copy_tree(value: Any, depth: int = 0) -> Any:
    """A copy of plain data with every array copied (other leaves shared)."""
    if depth > MAX_DEPTH:
        return value
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) is dict:
        return {key: copy_tree(item, depth + 1) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(copy_tree(item, depth + 1) for item in value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, NUMBERS) and not isinstance(value, (bool, np.bool_))


def close(a: Any, b: Any, atol: float = 1e-7, rtol: float = 1e-6, depth: int = 0) -> bool:
    """Structural closeness: arrays of the same shape and close values
    (NaN equal to NaN), numbers close, sequences and dicts item by item
    (a list may match a tuple), anything else equal and of one type."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if type(a) is not np.ndarray or type(b) is not np.ndarray or a.shape != b.shape:
            return False
        if a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
            return False
        with np.errstate(all="ignore"):
            return bool(np.allclose(a.astype(float), b.astype(float), atol=atol, rtol=rtol, equal_nan=True))
    if type(a) in (list, tuple) and type(b) in (list, tuple):
        return len(a) == len(b) and all(close(x, y, atol, rtol, depth + 1) for x, y in zip(a, b))
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(close(a[k], b[k], atol, rtol, depth + 1) for k in a)
    if _is_number(a) and _is_number(b):
        with np.errstate(all="ignore"):
            return bool(np.isclose(float(a), float(b), atol=atol, rtol=rtol, equal_nan=True))
    return type(a) is type(b) and a == b


def identical(a: Any, b: Any, depth: int = 0) -> bool:
    """Exact equality of plain data: same types, shapes, dtypes and values
    (NaN equal to NaN in float arrays)."""
    if depth > MAX_DEPTH:
        return False
    if type(a) is np.ndarray:
        return type(b) is np.ndarray and a.shape == b.shape and a.dtype == b.dtype and \
            bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if type(a) in (list, tuple):
        return type(b) is type(a) and len(a) == len(b) and all(identical(x, y, depth + 1) for x, y in zip(a, b))
    if type(a) is dict:
        return type(b) is dict and a.keys() == b.keys() and all(identical(a[k], b[k], depth + 1) for k in a)
    return type(a) is type(b) and a == b


def first(value: Any, test: Callable[[Any], bool], depth: int = 0) -> Any | None:
    """The first node of the tree (depth first, the root included) for
    which ``test`` is true, or None."""
    if depth > MAX_DEPTH:
        return None
    if test(value):
        return value
    items = value.values() if type(value) is dict else value if type(value) in (list, tuple) else ()
    for item in items:
        found = first(item, test, depth + 1)
        if found is not None:
            return found
    return None
