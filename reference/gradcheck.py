"""Numerical gradients by centred differences, for checking backprop.

Compare an analytic gradient with ``numerical_gradient`` through
``relative_error``; values below about 1e-7 mean the two agree.
"""
from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d f / d x of a scalar function f at x, any shape, one element at a
    time: (f(x + h e_i) - f(x - h e_i)) / (2h).  x is restored afterwards.
    Returns an array shaped like x."""
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def elementwise_gradient(g, z: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Derivative of an element-wise function g at every entry of z:
    (g(z + h) - g(z - h)) / (2h).  Shape in = shape out."""
    z = np.asarray(z, dtype=float)
    return (g(z + h) - g(z - h)) / (2 * h)


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-8) -> float:
    """max |a - b| / max(|a| + |b|, floor), element by element."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
