"""Forward propagation: one layer, a whole network, and parameter counts.

Arrays are column-major as in the tutorial: an input batch ``x`` has shape
``(n_0, m)`` (features x samples); layer l holds ``W{l}`` of shape
``(n_l, n_{l-1})`` and ``b{l}`` of shape ``(n_l, 1)``.
"""
from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS, lookup


def layer_forward(a_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str):
    """One dense layer.

    a_prev: (n_prev, m); W: (n, n_prev); b: (n, 1); activation: a name in
    ``ACTIVATIONS``.  Returns ``(z, a)``, both (n, m), with z = W a_prev + b.
    """
    g = lookup(ACTIVATIONS, activation, "activation")
    z = W @ a_prev + b
    return z, g(z)


def forward(x: np.ndarray, params: dict, activations: list):
    """Forward pass through len(activations) layers.

    x: (n_0, m); params: ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``;
    activations: one name per layer.  Returns ``(a_L, cache)`` where a_L is
    (n_L, m) and cache maps ``"A0"`` to x and ``"Z{l}"``, ``"A{l}"`` to the
    (n_l, m) pre-activation and activation of layer l.
    """
    cache = {"A0": x}
    a = x
    for l, activation in enumerate(activations, start=1):
        z, a = layer_forward(a, params[f"W{l}"], params[f"b{l}"], activation)
        cache[f"Z{l}"] = z
        cache[f"A{l}"] = a
    return a, cache


def count_parameters(layer_sizes: list) -> int:
    """Number of weights and biases of a dense network: sum of n_l (n_{l-1} + 1)."""
    return int(sum(n * (n_prev + 1) for n_prev, n in zip(layer_sizes[:-1], layer_sizes[1:])))
