"""Loss functions: binary and categorical cross-entropy, and one-hot labels.

Predictions are clipped to [1e-15, 1 - 1e-15] before the logarithm, so a
confident wrong answer gives a large but finite loss (about 34.5) rather
than infinity.
"""
from __future__ import annotations

import numpy as np

EPSILON = 1e-15


def binary_cross_entropy(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy over the batch.

    y_hat: (1, m) predicted probabilities; y: (1, m) labels in {0, 1}.
    Returns -(1/m) sum[y log y_hat + (1 - y) log(1 - y_hat)] as a float.
    """
    p = np.clip(y_hat, EPSILON, 1 - EPSILON)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def categorical_cross_entropy(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Mean categorical cross-entropy over the batch.

    y_hat: (n_classes, m) predicted probabilities (columns sum to 1);
    y: (n_classes, m) one-hot labels.  Returns -(1/m) sum y log y_hat.
    """
    m = y.shape[1]
    p = np.clip(y_hat, EPSILON, 1 - EPSILON)
    return float(-np.sum(y * np.log(p)) / m)


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels y of shape (m,) or (1, m), integers in [0, n_classes), to a
    float one-hot matrix of shape (n_classes, m)."""
    labels = np.asarray(y).reshape(-1).astype(int)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}); got {labels.min()}..{labels.max()}")
    out = np.zeros((n_classes, labels.size))
    out[labels, np.arange(labels.size)] = 1.0
    return out


def l2_penalty(params: dict, l2_lambda: float, m: int) -> float:
    """The L2 term lambda / (2m) * sum over layers of ||W||_F^2 (biases excluded)."""
    total = sum(np.sum(W * W) for name, W in params.items() if name.startswith("W"))
    return float(l2_lambda / (2 * m) * total)


def l2_gradient(W: np.ndarray, l2_lambda: float, m: int) -> np.ndarray:
    """Gradient of the L2 term with respect to one weight matrix W (n, n_prev):
    (lambda / m) W, same shape as W.  Added to that layer's dW."""
    return (l2_lambda / m) * W


LOSSES = {
    "binary_cross_entropy": binary_cross_entropy,
    "categorical_cross_entropy": categorical_cross_entropy,
}
