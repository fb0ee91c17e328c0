"""Activation functions and their derivatives, as look-up tables.

Every function is element-wise: it takes an array ``z`` of any shape
(in the kit usually ``(n_units, m)``) and returns a new array of the same
shape; the input is never modified.  Every derivative is taken with respect
to the pre-activation ``z`` (not the activation's output ``a``).

``softmax`` is the exception: it normalises each column of a
``(n_classes, m)`` array, so it is not element-wise and has no entry in
``DERIVATIVES``; it is only used as an output layer, where the gradient of
softmax followed by categorical cross-entropy is simply ``A - Y``.
"""
from __future__ import annotations

import numpy as np

# exp(500) is about 1.4e217, far from float64's limit of about 1.8e308,
# so clipping z here keeps exp() from overflowing for any finite input.
_SIGMOID_CLIP = 500.0


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^(-z)).  Shape in = shape out.

    z is clipped to [-500, 500] first, so no overflow warning is raised
    for any finite z (the result is 0 or 1 to double precision there).
    """
    z = np.clip(z, -_SIGMOID_CLIP, _SIGMOID_CLIP)
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """d sigmoid / dz = s (1 - s) with s = sigmoid(z).  Shape in = shape out."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent.  Shape in = shape out."""
    return np.tanh(z)


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """d tanh / dz = 1 - tanh(z)^2.  Shape in = shape out."""
    return 1 - np.tanh(z) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(0, z).  Shape in = shape out."""
    return np.maximum(z, 0.0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """d relu / dz: 1.0 where z > 0, else 0.0 (0 at z = 0 by convention)."""
    return (z > 0).astype(float)


def softmax(z: np.ndarray) -> np.ndarray:
    """Column-wise softmax of z with shape (n_classes, m).

    Each column is shifted by its maximum before exponentiating, which
    changes nothing mathematically but keeps exp() from overflowing.
    Returns an array of shape (n_classes, m) whose columns sum to 1.
    """
    shifted = z - np.max(z, axis=0, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=0, keepdims=True)


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
}

DERIVATIVES = {
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}

# Output activations whose pairing with a loss makes dLoss/dZ_L = A_L - Y.
OUTPUT_LOSSES = {
    "sigmoid": "binary_cross_entropy",
    "softmax": "categorical_cross_entropy",
}


def lookup(table: dict, name: str, what: str):
    """Return table[name], or raise ValueError naming the valid choices."""
    try:
        return table[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(table))
        raise ValueError(f"unknown {what} {name!r}; choose one of: {valid}") from None
