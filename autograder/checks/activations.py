"""Checks of stage 01: each of the six activation functions and
derivatives, one function per check.

Every hidden check calls one function on random arrays of random shapes and
at extreme z (up to |z| = 1e300), wanting a new float array of the same
shape, the reference's values, the input unchanged and no floating-point
warning.  A derivative may build on the student's own activation
(``s = sigmoid(z)``, as the notebook suggests): when that activation is
wrong, or warns, the derivative is judged against what it gives, so the
activation's defect costs points in its own checks only.

Exact zeros are drawn for every function but relu_derivative: its value at
0 is a convention, graded once, by the public check
``test_relu_derivative_at_zero``.
"""
from __future__ import annotations

import numpy as np

import reference as ref
from .base import CheckFailed, hidden
from .expect import expect_array, expect_unchanged, float_problem, without_float_warning

STAGE = "01_activations"
CHECKS = []

# The function each public check (test cell) grades.
PUBLIC = {
    "test_sigmoid_values": "sigmoid",
    "test_sigmoid_derivative_values": "sigmoid_derivative",
    "test_tanh_values": "tanh",
    "test_tanh_derivative_values": "tanh_derivative",
    "test_relu_values": "relu",
    "test_relu_derivative_values": "relu_derivative",
    "test_relu_derivative_at_zero": "relu_derivative",
}

FUNCTIONS = ["sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative"]
# The activation a derivative may compute from, and the derivative from its values.
BUILDS_ON = {"sigmoid_derivative": ("sigmoid", lambda s: s * (1 - s)),
             "tanh_derivative": ("tanh", lambda t: 1 - t * t)}
HINTS = {"sigmoid": "1 / (1 + exp(-z)), with z clipped to [-500, 500] first.",
         "sigmoid_derivative": "the derivative takes z: s = sigmoid(z), then s * (1 - s).",
         "tanh": "np.tanh(z).",
         "tanh_derivative": "the derivative takes z: 1 - np.tanh(z)**2.",
         "relu": "np.maximum(0.0, z).",
         "relu_derivative": "1.0 where z > 0, 0.0 where z < 0."}
OVERFLOW_HINTS = {
    "sigmoid": "Clip z to [-500, 500] with np.clip before np.exp (exp overflows beyond about 709), or use a "
               "formula that never exponentiates a large positive number, such as exp(-|z|).",
    "sigmoid_derivative": "Compute s = sigmoid(z) with your (clipped) sigmoid, then s * (1 - s).",
    "tanh": "Use np.tanh rather than a formula with np.exp.",
    "tanh_derivative": "Use np.tanh rather than a formula with np.exp.",
    "relu": "np.maximum(0.0, z) needs no exponential.",
    "relu_derivative": "(z > 0).astype(float) needs no exponential."}
EXTREME = np.array([[-1e300, -1e5, -710.0, -709.0, -30.0, -1e-12, 0.0, 1e-12, 30.0, 709.0, 710.0, 1e5, 1e300]])


def random_inputs(rng, with_zeros: bool) -> list[np.ndarray]:
    """Three arrays: 1-D, 2-D (n, m) and (1, 1), values spread over [-8, 8];
    with ``with_zeros``, about a quarter of the entries exactly 0."""
    shapes = [(int(rng.integers(1, 9)),), (int(rng.integers(1, 7)), int(rng.integers(1, 9))), (1, 1)]
    arrays = []
    for shape in shapes:
        z = rng.normal(0.0, 3.0, size=shape)
        if with_zeros:
            z[rng.random(shape) < 0.25] = 0.0
        arrays.append(z)
    return arrays


def extreme_inputs(name: str) -> np.ndarray:
    """EXTREME, without z = 0 for relu_derivative (the convention's check)."""
    return EXTREME[:, EXTREME[0] != 0.0] if name == "relu_derivative" else EXTREME.copy()


def _own(student, name: str, z: np.ndarray):
    """What derivative ``name`` gives when computed from the student's own
    activation, or None for a function that builds on none."""
    if name not in BUILDS_ON:
        return None
    activation, derivative = BUILDS_ON[name]

    def compute():
        with np.errstate(all="ignore"):
            values = getattr(student, activation)(z.copy())
            return derivative(values) if type(values) is np.ndarray and values.dtype.kind == "f" else None
    return compute


def _activation_warns(student, name: str, z: np.ndarray):
    """Whether the activation derivative ``name`` builds on warns at z."""
    if name not in BUILDS_ON:
        return None
    activation = BUILDS_ON[name][0]
    return lambda: bool(float_problem(lambda: getattr(student, activation)(z.copy()))[0])


def _function_check(name: str, points: int):
    where = "with exact zeros, " if name != "relu_derivative" else ""

    @hidden(STAGE, CHECKS, f"{name} on random and extreme inputs", points,
            f"{name} on random arrays of random shapes ({where}1-D, 2-D and (1, 1)) and at |z| up to 1e300: "
            "a new float array of the same shape, the right values, the input unchanged, no floating-point "
            "warning", name)
    def run(student, rng):
        function = getattr(student, name)
        for z in random_inputs(rng, with_zeros=name != "relu_derivative"):
            before = z.copy()
            got = function(z)
            expect_array(f"{name}(z) for z of shape {z.shape}", got, getattr(ref, name)(before), hint=HINTS[name],
                         also=_own(student, name, before))
            expect_unchanged(f"{name}(z)", before, z)
            if got is z:
                raise CheckFailed(f"{name} returned its input array itself; return a new array.")
        z = extreme_inputs(name)
        got = without_float_warning(f"{name}(z) for z up to |z| = 1e300", lambda: function(z.copy()),
                                    OVERFLOW_HINTS[name], excuse=_activation_warns(student, name, z))
        expect_array(f"{name}(z) at extreme z", got, getattr(ref, name)(z), atol=1e-12,
                     hint="far from 0 the function should settle at its limits.", also=_own(student, name, z))
    return run


for _name, _points in (("sigmoid", 2), ("sigmoid_derivative", 2), ("tanh", 1), ("tanh_derivative", 1),
                       ("relu", 1), ("relu_derivative", 1)):
    _function_check(_name, _points)
