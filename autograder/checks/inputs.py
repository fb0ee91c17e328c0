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


# ------------------------------------------------------------------ clean problems
# Conventions the spec pins (relu'(0) = 0, the >= tie rule, the clipping
# epsilon) are graded once, by their own public check: hidden inputs stay
# clear of them, with a margin wide enough for another order of arithmetic.
RELU_MARGIN = 1e-7          # |Z| of a relu layer
CLIP_MARGIN = 1e-5          # distance of a sigmoid output from 0 and 1
TIE_MARGIN = 1e-6           # distance of a probability from a threshold


def architecture(rng, max_layers: int = 4, max_width: int = 8):
    """Random layer sizes (1 to ``max_layers`` layers, one output unit),
    hidden activations drawn from sigmoid/tanh/relu, a sigmoid output, and
    a seed for the model's initialisation."""
    n_layers = int(rng.integers(1, max_layers + 1))
    sizes = [int(rng.integers(1, 6))] + [int(rng.integers(1, max_width + 1)) for _ in range(n_layers - 1)] + [1]
    activations = [str(rng.choice(HIDDEN)) for _ in range(n_layers - 1)] + ["sigmoid"]
    return sizes, activations, int(rng.integers(0, 10000))


def clear_of_conventions(cache: dict, activations: list) -> bool:
    """Whether a forward pass's cache keeps every relu pre-activation and
    the sigmoid output away from where the conventions decide."""
    n = len(activations)
    for l, name in enumerate(activations, start=1):
        if name == "relu" and np.any(np.abs(cache[f"Z{l}"]) < RELU_MARGIN):
            return False
    output = cache[f"A{n}"]
    return bool(np.all((output > CLIP_MARGIN) & (output < 1 - CLIP_MARGIN)))


def training_problem(rng, epochs: int, tries: int = 100):
    """A random architecture, data and learning rate whose reference
    training stays clear of the conventions at every epoch:
    (sizes, activations, seed, X, Y, rate)."""
    import reference as ref

    for _ in range(tries):
        sizes, activations, seed = architecture(rng)
        m = int(rng.integers(4, 30))
        X = rng.normal(0, 1, (sizes[0], m))
        Y = (rng.random((1, m)) < 0.5).astype(float)
        rate = float(rng.uniform(0.05, 0.8))
        model = ref.MLP(sizes, activations, learning_rate=rate, seed=seed)
        clear = True
        for _ in range(epochs + 1):
            model.forward(X)
            if not clear_of_conventions(model.cache, activations):
                clear = False
                break
            model.backward(Y)
            model.update_parameters()
        if clear:
            return sizes, activations, seed, X, Y, rate
    raise RuntimeError("no training problem clear of the conventions was found")
