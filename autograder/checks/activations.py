"""Hidden checks of stage 01: the six activation functions and derivatives
on random arrays of random shapes, with exact zeros, and at extreme z."""
from __future__ import annotations

import numpy as np

import reference as ref
from .base import CheckFailed, hidden
from .expect import expect_array, expect_unchanged, without_float_warning

STAGE = "01_activations"
CHECKS = []
FUNCTIONS = ["sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative"]


def random_inputs(rng, with_zeros: bool):
    """Three arrays: 1-D, 2-D (n, m) and (1, 1), values spread over [-8, 8]."""
    shapes = [(int(rng.integers(1, 9)),), (int(rng.integers(1, 7)), int(rng.integers(1, 9))), (1, 1)]
    arrays = []
    for shape in shapes:
        z = rng.normal(0.0, 3.0, size=shape)
        if with_zeros:
            z[rng.random(shape) < 0.25] = 0.0
        arrays.append(z)
    return arrays


def _random_check(name):
    hints = {"sigmoid_derivative": "the derivative takes z: s = sigmoid(z), then s * (1 - s).",
             "tanh_derivative": "the derivative takes z: 1 - np.tanh(z)**2.",
             "relu_derivative": "1.0 where z > 0, 0.0 elsewhere, including z == 0."}

    @hidden(STAGE, CHECKS, f"{name} on random inputs", 1,
            f"{name} on random arrays of random shapes (with exact zeros): float ndarray, same shape, "
            "right values, input unchanged")
    def run(student, rng):
        for z in random_inputs(rng, with_zeros=True):
            before = z.copy()
            got = getattr(student, name)(z)
            expect_array(f"{name}(z) for z of shape {z.shape}", got, getattr(ref, name)(before),
                         hint=hints.get(name, ""))
            expect_unchanged(f"{name}(z)", before, z)
            if got is z:
                raise CheckFailed(f"{name} returned its input array itself; return a new array.")
    return run


for _name in FUNCTIONS:
    _random_check(_name)

EXTREME = np.array([[-1e300, -1e5, -710.0, -709.0, -30.0, -1e-12, 0.0, 1e-12, 30.0, 709.0, 710.0, 1e5, 1e300]])


@hidden(STAGE, CHECKS, "extreme inputs without overflow", 2,
        "all six functions at |z| up to 1e300: the limiting values and no floating-point warning")
def extreme_values(student, rng):
    for name in FUNCTIONS:
        z = EXTREME.copy()
        hint = ("Clip z to [-500, 500] with np.clip before np.exp (exp overflows beyond about 709), or use a "
                "formula that never exponentiates a large positive number." if name.startswith("sigmoid") else
                "Use np.tanh / np.maximum rather than a formula with np.exp.")
        got = without_float_warning(f"{name}(z) for z up to |z| = 1e300", lambda: getattr(student, name)(z), hint)
        expect_array(f"{name}(z) at extreme z", got, getattr(ref, name)(EXTREME), atol=1e-12)
