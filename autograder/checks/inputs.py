"""Inputs shared by the hidden checks: random shapes, networks and batches,
and a driver that runs an optimiser over given steps."""
from __future__ import annotations

import numpy as np

from ..plaindata import copy_tree

HIDDEN = ["sigmoid", "tanh", "relu"]


def shape(rng, low=1, high=7) -> tuple:
    return int(rng.integers(low, high)), int(rng.integers(low, high))


def network(rng, max_layers: int = 4, output: str = "sigmoid", n_out: int = 1, m_max: int = 8):
    """A random dense network and batch: layer sizes, one activation per
    layer (hidden layers drawn from sigmoid/tanh/relu, mixed), parameters
    with small random biases, inputs x (n_0, m) and labels y (n_out, m)."""
    n_layers = int(rng.integers(1, max_layers + 1))
    sizes = [int(rng.integers(1, 6))] + [int(rng.integers(1, 7)) for _ in range(n_layers - 1)] + [n_out]
    activations = [str(rng.choice(HIDDEN)) for _ in range(n_layers - 1)] + [output]
    params = {}
    for l in range(1, n_layers + 1):
        params[f"W{l}"] = rng.normal(0.0, 1.0, (sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(0.0, 0.5, (sizes[l], 1))
    m = int(rng.integers(1, m_max + 1))
    x = rng.normal(0.0, 1.5, (sizes[0], m))
    y = (rng.random((n_out, m)) < 0.5).astype(float)
    return sizes, activations, params, x, y


def describe_network(sizes, activations) -> str:
    return f"a {sizes} network ({', '.join(activations)})"


def optimiser_steps(optimiser, params: dict, grads_list: list, rates: list) -> list[dict]:
    """The parameters after each of ``optimiser.step(params, grads, rate)``,
    on a copy of ``params``."""
    params = copy_tree(params)
    history = []
    for grads, rate in zip(grads_list, rates):
        optimiser.step(params, grads, rate)
        history.append(copy_tree(params))
    return history
