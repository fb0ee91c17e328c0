"""Checks of stage 06: softmax (also at huge scores), one-hot labels, the
categorical loss (any clipping epsilon from 1e-16 to 1e-6), the L2 penalty
and its gradient, the three optimisers over several steps, the
learning-rate schedule and the circles data set, one function per check."""
from __future__ import annotations


import numpy as np

import reference as ref
from . import mistakes
from .base import CheckFailed, hidden
from .expect import (expect_array, expect_clipped_loss, expect_number, expect_tuple, expect_unchanged,
                     without_float_warning)
from ..plaindata import copy_tree
from .inputs import CLIP_MARGIN, network, optimiser_steps

STAGE = "06_extensions"
CHECKS = []

PUBLIC = {
    "test_softmax": "softmax",
    "test_one_hot": "one_hot",
    "test_categorical_cross_entropy": "categorical_cross_entropy",
    "test_l2_regularisation": "l2_penalty",
    "test_l2_gradient": "l2_gradient",
    "test_momentum": "Momentum.step",
    "test_rmsprop": "RMSprop.step",
    "test_adam": "Adam.step",
    "test_inverse_time_decay": "inverse_time_decay",
    "test_make_circles": "make_circles",
}


def clipped_categorical_cross_entropy(y_hat: np.ndarray, y: np.ndarray, epsilon: float) -> float:
    """The mean categorical cross-entropy with a given clipping epsilon (the
    larger of clipping y_hat and flooring the logarithm's argument)."""
    with np.errstate(all="ignore"):
        clipped = -np.sum(y * np.log(np.clip(y_hat, epsilon, 1 - epsilon)), axis=0)
        floored = -np.sum(y * np.log(np.maximum(y_hat, epsilon)), axis=0)
    return float(np.mean(np.maximum(clipped, floored)))


@hidden(STAGE, CHECKS, "softmax on random and huge scores", 1,
        "softmax of random (C, m) scores and of columns with scores of +-1e4: columns summing to 1, "
        "no overflow, input unchanged", "softmax")
def softmax_random(student, rng):
    C, m = int(rng.integers(2, 6)), int(rng.integers(1, 8))
    for z in (rng.normal(0, 3, (C, m)), np.concatenate([rng.normal(0, 1, (C, 1)) * 1e4, rng.normal(0, 3, (C, m))], 1)):
        before = z.copy()
        label = f"softmax(z) for z of shape {z.shape}" + (" with scores near 1e4" if np.abs(z).max() > 100 else "")
        got = without_float_warning(label, lambda: student.softmax(z),
                        "Subtract each column's maximum before np.exp.")
        expect_array(label, got, ref.softmax(before), hint="normalise each column (axis=0).")
        expect_unchanged(label, before, z)


@hidden(STAGE, CHECKS, "one_hot with other labels", 1,
        "one_hot of random labels as (m,) and (1, m): a float (n_classes, m) matrix", "one_hot")
def one_hot_random(student, rng):
    n_classes, m = int(rng.integers(2, 7)), int(rng.integers(1, 12))
    labels = rng.integers(0, n_classes, m)
    for y in (labels, labels.reshape(1, -1)):
        expect_array(f"one_hot(y of shape {y.shape}, {n_classes})", student.one_hot(y.copy(), n_classes),
                     ref.one_hot(labels, n_classes))


@hidden(STAGE, CHECKS, "categorical_cross_entropy on random batches", 1,
        "categorical_cross_entropy of random softmax outputs, and with probabilities of exactly 0: one finite "
        "float (any clipping epsilon from 1e-16 to 1e-6), inputs unchanged", "categorical_cross_entropy")
def cce_random(student, rng):
    C, m = int(rng.integers(2, 6)), int(rng.integers(1, 10))
    Y = ref.one_hot(rng.integers(0, C, m), C)
    # Scores spread so that every true class keeps a probability far above any clipping epsilon.
    scores = rng.normal(0, 2, (C, m))
    while np.min(np.sum(Y * ref.softmax(scores), axis=0)) < CLIP_MARGIN:
        scores = scores / 2
    for Y_hat in (ref.softmax(scores), np.roll(Y, 1, axis=0)):
        before = copy_tree((Y_hat, Y))
        zeros = bool(np.any(Y_hat == 0))
        label = f"categorical_cross_entropy for C = {C}, m = {m}" + (" with predicted probabilities of 0" if zeros else "")
        got = without_float_warning(label, lambda: student.categorical_cross_entropy(Y_hat, Y),
                                    "Clip Y_hat to [eps, 1 - eps] (eps = 1e-15, for example) before np.log.")
        if zeros:
            expect_clipped_loss(label, got, lambda epsilon: clipped_categorical_cross_entropy(*before, epsilon))
        else:
            expect_number(label, got, ref.categorical_cross_entropy(*before))
        expect_unchanged(label, before, (Y_hat, Y))


@hidden(STAGE, CHECKS, "L2 penalty on random networks", 1,
        "l2_penalty for random networks, lambdas and batch sizes: one float, biases left out, params unchanged",
        "l2_penalty")
def l2_penalty_random(student, rng):
    _, _, params, _, _ = network(rng)
    l2_lambda, m = float(rng.uniform(0.01, 2)), int(rng.integers(1, 100))
    before = copy_tree(params)
    expect_number(f"l2_penalty(params, {l2_lambda:.4g}, {m})", student.l2_penalty(params, l2_lambda, m),
                  ref.l2_penalty(before, l2_lambda, m), hint="lambda / (2m) * the sum of every squared weight.")
    expect_unchanged("l2_penalty", before, params)


@hidden(STAGE, CHECKS, "L2 gradient of random weights", 1,
        "l2_gradient of random weight matrices, lambdas and batch sizes: (lambda / m) W, W unchanged",
        "l2_gradient")
def l2_gradient_random(student, rng):
    for _ in range(2):
        W = rng.normal(0, 1, (int(rng.integers(1, 7)), int(rng.integers(1, 7))))
        l2_lambda, m = float(rng.uniform(0.01, 2)), int(rng.integers(1, 100))
        before = W.copy()
        label = f"l2_gradient(W {W.shape}, {l2_lambda:.4g}, {m})"
        expect_array(label, student.l2_gradient(W, l2_lambda, m), ref.l2_gradient(before, l2_lambda, m))
        expect_unchanged(label, before, W)


OPTIONS = {"Momentum": lambda rng: {"beta": float(rng.uniform(0.5, 0.99))},
           "RMSprop": lambda rng: {"rho": float(rng.uniform(0.5, 0.99)), "epsilon": float(10 ** rng.uniform(-8, -4))},
           "Adam": lambda rng: {"beta1": float(rng.uniform(0.5, 0.95)), "beta2": float(rng.uniform(0.9, 0.9999)),
                                "epsilon": float(10 ** rng.uniform(-8, -4))}}


def _optimiser_check(name):
    @hidden(STAGE, CHECKS, f"{name} over several steps", 1,
            f"{name}.step five times on random parameters, gradients and learning rates: the parameters "
            "after every step, updated in place", f"{name}.step")
    def run(student, rng):
        options = OPTIONS[name](rng)
        _, _, params, _, _ = network(rng)
        grads_list = [{f"d{k}": rng.normal(0, 1, v.shape) for k, v in params.items()} for _ in range(5)]
        rates = [float(rng.uniform(0.001, 0.5)) for _ in range(5)]
        expected = optimiser_steps(getattr(ref, name)(**options), params, grads_list, rates)
        start = copy_tree(params)
        optimiser = getattr(student, name)(**options)
        arrays = dict(params)
        history = []
        for step, (grads, rate) in enumerate(zip(grads_list, rates), start=1):
            optimiser.step(params, grads, rate)
            if any(params[k] is not arrays[k] for k in arrays):
                raise CheckFailed(f"{name}.step replaced the arrays of params; update them in place (value -= ...).")
            history.append(copy_tree(params))
        for step, (got, want) in enumerate(zip(history, expected), start=1):
            for key in want:
                try:
                    expect_array(f"params[{key!r}] after step {step} of {name}({options})", got[key], want[key])
                except CheckFailed as error:
                    found = mistakes.identify(f"{name}.steps", (options, start, grads_list, rates), {}, history,
                                              expected=expected)
                    raise CheckFailed(str(error), found) from None
    return run


for _name in ("Momentum", "RMSprop", "Adam"):
    _optimiser_check(_name)


@hidden(STAGE, CHECKS, "inverse_time_decay at other rates and epochs", 1,
        "inverse_time_decay for random learning rates, epochs and decay rates: one float", "inverse_time_decay")
def decay_random(student, rng):
    for _ in range(3):
        rate, epoch, decay = float(rng.uniform(0.001, 1)), int(rng.integers(0, 500)), float(rng.uniform(0, 2))
        expect_number(f"inverse_time_decay({rate:.4g}, {epoch}, {decay:.4g})",
                      student.inverse_time_decay(rate, epoch, decay), ref.inverse_time_decay(rate, epoch, decay))


@hidden(STAGE, CHECKS, "make_circles with other sizes and factors", 1,
        "make_circles for random sizes, noise levels, factors and seeds: the reference's points and labels",
        "make_circles")
def circles_random(student, rng):
    for n in (int(rng.integers(4, 80)) * 2, int(rng.integers(4, 80)) * 2 + 1):
        noise, factor, seed = float(rng.uniform(0, 0.3)), float(rng.uniform(0.1, 0.9)), int(rng.integers(0, 10000))
        label = f"make_circles(n_samples={n}, noise={noise:.3g}, factor={factor:.3g}, seed={seed})"
        got = expect_tuple(label, student.make_circles(n_samples=n, noise=noise, factor=factor, seed=seed), 2)
        X, y = ref.make_circles(n, noise, factor, seed)
        expect_array(f"X of {label}", got[0], X, atol=1e-9)
        expect_array(f"y of {label}", got[1], y, integer=True)
