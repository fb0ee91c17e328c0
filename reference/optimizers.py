"""Optimisers with one interface, and learning-rate schedules.

An optimiser holds whatever state it needs per parameter name and applies
``step(params, grads, learning_rate)``, updating the ``params`` arrays in
place.  ``grads`` uses the backward pass's names (``"dW1"`` for ``"W1"``).

Update rules (g is a gradient, t counts steps from 1):

===========  ===========================================================
sgd          theta -= lr * g
momentum     v = beta v + (1 - beta) g;             theta -= lr * v
rmsprop      s = rho s + (1 - rho) g^2;             theta -= lr * g / (sqrt(s) + eps)
adam         m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2
             theta -= lr * m_hat / (sqrt(v_hat) + eps), with
             m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
===========  ===========================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import lookup


@dataclass
class SGD:
    """Plain gradient descent: theta -= lr * g."""

    def step(self, params: dict, grads: dict, learning_rate: float) -> None:
        for name, value in params.items():
            value -= learning_rate * grads[f"d{name}"]


@dataclass
class Momentum:
    """Exponentially averaged gradients: v = beta v + (1 - beta) g; theta -= lr v."""

    beta: float = 0.9
    velocity: dict = field(default_factory=dict, repr=False)

    def step(self, params: dict, grads: dict, learning_rate: float) -> None:
        for name, value in params.items():
            g = grads[f"d{name}"]
            v = self.beta * self.velocity.get(name, 0.0) + (1 - self.beta) * g
            self.velocity[name] = v
            value -= learning_rate * v


@dataclass
class RMSprop:
    """Per-parameter step sizes from a running mean of squared gradients."""

    rho: float = 0.9
    epsilon: float = 1e-8
    square_avg: dict = field(default_factory=dict, repr=False)

    def step(self, params: dict, grads: dict, learning_rate: float) -> None:
        for name, value in params.items():
            g = grads[f"d{name}"]
            s = self.rho * self.square_avg.get(name, 0.0) + (1 - self.rho) * g * g
            self.square_avg[name] = s
            value -= learning_rate * g / (np.sqrt(s) + self.epsilon)


@dataclass
class Adam:
    """Momentum and RMSprop combined, with bias correction of both averages."""

    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    t: int = 0
    first: dict = field(default_factory=dict, repr=False)
    second: dict = field(default_factory=dict, repr=False)

    def step(self, params: dict, grads: dict, learning_rate: float) -> None:
        self.t += 1
        for name, value in params.items():
            g = grads[f"d{name}"]
            m = self.beta1 * self.first.get(name, 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.second.get(name, 0.0) + (1 - self.beta2) * g * g
            self.first[name], self.second[name] = m, v
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            value -= learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def make_optimizer(spec="sgd", **options):
    """An optimiser from a name in ``OPTIMIZERS`` (with its options) or an
    instance with a ``step`` method, returned as it is."""
    if hasattr(spec, "step"):
        return spec
    return lookup(OPTIMIZERS, spec, "optimizer")(**options)


def inverse_time_decay(learning_rate: float, epoch: int, decay_rate: float) -> float:
    """alpha_t = alpha_0 / (1 + decay_rate * epoch); decay_rate = 0 keeps alpha_0."""
    return learning_rate / (1 + decay_rate * epoch)
