"""Backward propagation and the plain gradient-descent update.

The output layer must be sigmoid (with binary cross-entropy) or softmax
(with categorical cross-entropy): for both pairs dLoss/dZ_L = A_L - Y,
which is where the backward pass starts.  Gradients are averaged over the
m samples of the batch.
"""
from __future__ import annotations

import numpy as np

from .activations import DERIVATIVES, OUTPUT_LOSSES, lookup
from .losses import l2_gradient


def backward(y: np.ndarray, params: dict, cache: dict, activations: list, *, l2_lambda: float = 0.0) -> dict:
    """Gradients of the mean loss with respect to every parameter.

    y: (n_L, m) labels (one-hot for softmax); params and activations as for
    ``forward``; cache: the cache ``forward`` returned for this batch.
    With ``l2_lambda > 0`` the gradient of lambda/(2m) sum ||W||^2, that is
    (lambda/m) W, is added to every dW.
    Returns ``{"dW1": (n_1, n_0), "db1": (n_1, 1), ...}``.
    """
    n_layers = len(activations)
    lookup(OUTPUT_LOSSES, activations[-1], "output activation")
    m = y.shape[1]
    grads = {}
    dz = cache[f"A{n_layers}"] - y
    for l in range(n_layers, 0, -1):
        a_prev = cache[f"A{l - 1}"]
        grads[f"dW{l}"] = (1 / m) * (dz @ a_prev.T)
        grads[f"db{l}"] = (1 / m) * dz.sum(axis=1, keepdims=True)
        if l2_lambda:
            grads[f"dW{l}"] = grads[f"dW{l}"] + l2_gradient(params[f"W{l}"], l2_lambda, m)
        if l > 1:
            derivative = lookup(DERIVATIVES, activations[l - 2], "hidden activation")
            dz = (params[f"W{l}"].T @ dz) * derivative(cache[f"Z{l - 1}"])
    return grads


def update_parameters(params: dict, grads: dict, learning_rate: float) -> dict:
    """One gradient-descent step: theta - learning_rate * d theta for every
    parameter.  Returns a new dict; ``params`` is left unchanged."""
    return {name: value - learning_rate * grads[f"d{name}"] for name, value in params.items()}
