"""Checks of stage 03: the loss on random and confident predictions,
backward on random networks with mixed activations, and the update, always
against the reference.

The loss at predictions of exactly 0 and 1 is decided by the clipping: any
epsilon from 1e-16 to 1e-6 earns full marks (see ``expect_clipped_loss``).
"""
from __future__ import annotations

import numpy as np

import reference as ref
from .base import hidden
from .expect import (expect_array, expect_clipped_loss, expect_keys, expect_number, expect_unchanged,
                     without_float_warning)
from ..plaindata import copy_tree
from .inputs import describe_network, network

STAGE = "03_backprop"
CHECKS = []

PUBLIC = {
    "test_bce_values": "binary_cross_entropy",
    "test_bce_clipping": "binary_cross_entropy",
    "test_backward_hand_calc": "backward",
    "test_backward_numerical_gradient": "backward",
    "test_update_parameters": "update_parameters",
    "test_one_training_step": "backward",
}


def clipped_binary_cross_entropy(y_hat: np.ndarray, y: np.ndarray, epsilon: float) -> float:
    """The mean binary cross-entropy with a given clipping epsilon, the
    largest of the two usual ways to clip (np.clip of y_hat, or a floor
    under each logarithm's argument)."""
    with np.errstate(all="ignore"):
        p = np.clip(y_hat, epsilon, 1 - epsilon)
        clipped = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        floored = -(y * np.log(np.maximum(y_hat, epsilon)) + (1 - y) * np.log(np.maximum(1 - y_hat, epsilon)))
    return float(np.mean(np.maximum(clipped, floored)))


@hidden(STAGE, CHECKS, "binary_cross_entropy on random batches", 1,
        "binary_cross_entropy on random (1, m) batches: one float, the mean loss, inputs unchanged",
        "binary_cross_entropy")
def bce_random(student, rng):
    for m in (1, int(rng.integers(2, 9)), int(rng.integers(10, 40))):
        y_hat = rng.uniform(0.01, 0.99, (1, m))
        y = (rng.random((1, m)) < 0.5).astype(float)
        before = copy_tree((y_hat, y))
        label = f"binary_cross_entropy for m = {m}"
        got = student.binary_cross_entropy(y_hat, y)
        expect_number(label, got, ref.binary_cross_entropy(*before),
                      hint="-(1/m) sum[y log y_hat + (1 - y) log(1 - y_hat)]: average over the m columns.")
        expect_unchanged(label, before, (y_hat, y))


CONFIDENT = (np.array([[0.0, 1.0, 1e-300, 1.0 - 1e-17, 0.5, 1.0]]), np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 1.0]]))


@hidden(STAGE, CHECKS, "binary_cross_entropy at confident predictions", 1,
        "binary_cross_entropy with predictions of exactly 0 and 1 (and 1e-300): finite, no warning, the loss "
        "that clipping with any epsilon from 1e-16 to 1e-6 gives", "binary_cross_entropy")
def bce_confident(student, rng):
    y_hat, y = copy_tree(CONFIDENT)
    before = copy_tree((y_hat, y))
    got = without_float_warning("binary_cross_entropy of predictions 0 and 1",
                                lambda: student.binary_cross_entropy(y_hat, y),
                                "Clip y_hat to [eps, 1 - eps] (eps = 1e-15, for example) before np.log.")
    expect_clipped_loss("binary_cross_entropy of confident predictions", got,
                        lambda epsilon: clipped_binary_cross_entropy(*before, epsilon),
                        hint="clip y_hat to [eps, 1 - eps] before the logarithms, with eps between 1e-16 "
                             "and 1e-6 (1e-15 gives about 34.54 per confidently wrong sample).")
    expect_unchanged("binary_cross_entropy", before, (y_hat, y))


@hidden(STAGE, CHECKS, "backward on random networks", 3,
        "backward on random networks (1 to 4 layers, mixed hidden activations, sigmoid output): "
        "every gradient's shape and value, inputs unchanged", "backward")
def backward_random(student, rng):
    for _ in range(4):
        sizes, activations, params, x, y = network(rng)
        _, cache = ref.forward(x, params, activations)
        before = copy_tree((y, params, cache, activations))
        label = f"backward on {describe_network(sizes, activations)}, m = {x.shape[1]}"
        got = student.backward(y, params, cache, activations)
        expected = ref.backward(*copy_tree(before))
        expect_keys(f"the gradients of {label}", got, expected)
        for l in range(len(activations), 0, -1):
            for key in (f"dW{l}", f"db{l}"):
                expect_array(f"grads[{key!r}] of {label}", got[key], expected[key],
                             hint="work from layer L down to 1; average over the batch; each derivative "
                                  "takes the Z of its own layer.")
        expect_unchanged(label, before, (y, params, cache, activations))


@hidden(STAGE, CHECKS, "update_parameters on random parameters", 1,
        "update_parameters with random parameters, gradients and learning rate: a new dict, right values, "
        "params unchanged", "update_parameters")
def update_random(student, rng):
    _, _, params, _, _ = network(rng)
    grads = {f"d{name}": rng.normal(0, 1, value.shape) for name, value in params.items()}
    rate = float(rng.uniform(0.01, 2.0))
    before = copy_tree((params, grads))
    label = f"update_parameters(params, grads, {rate:.4g})"
    got = student.update_parameters(params, grads, rate)
    expected = ref.update_parameters(*copy_tree(before), rate)
    expect_keys(label, got, expected, extra_ok=False)
    for key in expected:
        expect_array(f"{key} after {label}", got[key], expected[key], hint="theta - learning_rate * d_theta.")
    expect_unchanged(label, before, (params, grads))
