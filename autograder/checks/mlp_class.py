"""Hidden checks of stage 04: the MLP class driven through construction,
forward, backward, update, short training, predict and evaluate on random
architectures with mixed activations, against ``reference.MLP``."""
from __future__ import annotations

import contextlib
import io

import numpy as np

import reference as ref
from . import mistakes
from .base import CheckFailed, hidden
from .expect import expect_array, expect_keys, expect_number, show, global_random_untouched
from ..plaindata import copy_tree
from .inputs import HIDDEN, describe_network, network

STAGE = "04_mlp_class"
CHECKS = []


def _fail_with_mistake(error: CheckFailed, key: str, args: tuple, got, expected):
    found = mistakes.identify(key, args, {}, got, expected=expected)
    if found:
        raise CheckFailed(str(error), found) from None
    raise error


def _params(label, got, expected):
    expect_keys(label, got, expected)
    for key in expected:
        expect_array(f"{label}[{key!r}]", got[key], expected[key])


def _architecture(rng):
    n_layers = int(rng.integers(1, 5))
    sizes = [int(rng.integers(1, 6))] + [int(rng.integers(1, 9)) for _ in range(n_layers - 1)] + [1]
    activations = [str(rng.choice(HIDDEN)) for _ in range(n_layers - 1)] + ["sigmoid"]
    return sizes, activations, int(rng.integers(0, 10000))


@hidden(STAGE, CHECKS, "MLP initialisation of random architectures", 2,
        "MLP(...) for random layer sizes, activations and seeds: He-initialised weights and zero biases as "
        "the reference draws them, default activations, NumPy's global random state untouched")
def init_random(student, rng):
    for index in range(3):
        sizes, activations, seed = _architecture(rng)
        if index == 0:
            label, expected_activations = f"MLP({sizes}, seed={seed})", ["relu"] * (len(sizes) - 2) + ["sigmoid"]
            model = global_random_untouched(label, lambda: student.MLP(list(sizes), seed=seed))
        else:
            label, expected_activations = f"MLP({sizes}, {activations}, 0.1, seed={seed})", activations
            model = global_random_untouched(label, lambda: student.MLP(list(sizes), list(activations), 0.1, seed))
        if model.activations != expected_activations:
            raise CheckFailed(f"{label}.activations is {show(model.activations)}; expected {expected_activations}.")
        expected = ref.MLP(sizes, expected_activations, seed=seed).params
        got = model.params
        try:
            _params(f"{label}.params", got, expected)
        except CheckFailed as error:
            _fail_with_mistake(error, "MLP.init", (sizes, seed), got, expected)


def _model_with(student, rng, m_max=8):
    sizes, activations, params, x, y = network(rng, m_max=m_max)
    model = student.MLP(list(sizes), list(activations), float(rng.uniform(0.05, 1.0)), int(rng.integers(0, 100)))
    model.params = copy_tree(params)
    return model, sizes, activations, params, x, y


@hidden(STAGE, CHECKS, "MLP.forward with mixed activations", 1,
        "forward of random networks given their parameters: the output and every cache entry")
def forward_random(student, rng):
    for _ in range(2):
        model, sizes, activations, params, x, _ = _model_with(student, rng)
        label = f"MLP.forward on {describe_network(sizes, activations)}"
        out = model.forward(x)
        a_L, cache = ref.forward(x, params, activations)
        expect_array(label, out, a_L, hint="Z = W @ A_prev + b, then the layer's own activation.")
        got = model.cache
        expect_keys(f"{label}: self.cache", got, cache)
        for key in cache:
            expect_array(f"{label}: self.cache[{key!r}]", got[key], cache[key])


@hidden(STAGE, CHECKS, "MLP.compute_loss and backward on random networks", 2,
        "compute_loss and backward of random networks (mixed activations): the loss and every gradient")
def backward_random(student, rng):
    for _ in range(3):
        model, sizes, activations, params, x, y = _model_with(student, rng)
        label = f"{describe_network(sizes, activations)}, m = {x.shape[1]}"
        a_L, cache = ref.forward(x, params, activations)
        loss = model.compute_loss(model.forward(x), y)
        expect_number(f"MLP.compute_loss on {label}", loss, ref.binary_cross_entropy(a_L, y))
        model.backward(y)
        got = model.grads
        expected = ref.backward(y, params, cache, activations)
        expect_keys(f"self.grads after backward on {label}", got, expected)
        for key in expected:
            expect_array(f"self.grads[{key!r}] after backward on {label}", got[key], expected[key],
                         hint="average over the batch (1/m); each derivative takes its own layer's Z.")


@hidden(STAGE, CHECKS, "MLP.update_parameters on random networks", 1,
        "one update of random networks: every parameter moves by -learning_rate * its gradient")
def update_random(student, rng):
    model, sizes, activations, params, x, y = _model_with(student, rng)
    rate = float(rng.uniform(0.05, 1.0))
    model.lr = rate
    _, cache = ref.forward(x, params, activations)
    model.forward(x)
    model.backward(y)
    model.update_parameters()
    expected = ref.update_parameters(params, ref.backward(y, params, cache, activations), rate)
    _params(f"self.params after one update with self.lr = {rate:.4g} on {describe_network(sizes, activations)}",
            model.params, expected)


@hidden(STAGE, CHECKS, "MLP.train matches the reference", 2,
        "40 epochs of training on random data and architectures: the list of losses (each measured before "
        "its epoch's update), the final parameters, nothing printed with verbose=False")
def train_random(student, rng):
    sizes, activations, seed = _architecture(rng)
    m = int(rng.integers(4, 30))
    X = rng.normal(0, 1, (sizes[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    rate, epochs = float(rng.uniform(0.05, 0.8)), 40
    label = f"MLP({sizes}, {activations}, {rate:.4g}, seed={seed}).train(X, Y, epochs={epochs}, verbose=False)"
    model = student.MLP(list(sizes), list(activations), rate, seed)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        losses = model.train(X, Y, epochs=epochs, print_every=1, verbose=False)
    reference = ref.MLP(sizes, activations, learning_rate=rate, seed=seed)
    expected = reference.train(X, Y, epochs=epochs, verbose=False)
    if type(losses) is not list or len(losses) != epochs:
        raise CheckFailed(f"{label} should return a list of {epochs} losses; got {show(losses)}.")
    if printed.getvalue():
        raise CheckFailed(f"{label} printed {printed.getvalue()[:100]!r}; with verbose=False it prints nothing.")
    try:
        expect_array(f"the losses of {label}", np.array(losses, dtype=float), np.array(expected))
    except (CheckFailed, TypeError, ValueError) as error:
        error = error if isinstance(error, CheckFailed) else CheckFailed(f"{label} returned non-numbers: {error}")
        _fail_with_mistake(error, "MLP.train", (sizes, activations, rate, seed, X, Y, epochs), losses, expected)
    _params(f"self.params after {label}", model.params, reference.params)
    every = int(rng.integers(3, 15))
    verbose = student.MLP(list(sizes), list(activations), rate, seed)
    shown, expected_log = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(shown):
        verbose.train(X, Y, epochs=epochs, print_every=every, verbose=True)
    with contextlib.redirect_stdout(expected_log):
        ref.MLP(sizes, activations, learning_rate=rate, seed=seed).train(X, Y, epochs=epochs, print_every=every)
    if shown.getvalue() != expected_log.getvalue():
        raise CheckFailed(f"With verbose=True and print_every={every}, train should print the lines\n"
                          f"{expected_log.getvalue()[:400]}but printed\n{shown.getvalue()[:400]}\n"
                          "One line at every epoch divisible by print_every and at the last epoch, "
                          "in the docstring's format.")


@hidden(STAGE, CHECKS, "MLP.predict and evaluate", 1,
        "predict at several thresholds (and at probabilities of exactly the threshold) and evaluate: "
        "int labels of shape (1, m), accuracy as a float in [0, 1]")
def predict_random(student, rng):
    model, sizes, activations, params, x, y = _model_with(student, rng, m_max=12)
    flat = copy_tree(params)
    flat[f"W{len(activations)}"][:] = 0.0   # the output is sigmoid(0) = 0.5 exactly, for every sample
    flat[f"b{len(activations)}"][:] = 0.0
    for weights, threshold in ((params, 0.5), (params, float(rng.uniform(0.1, 0.9))), (flat, 0.5)):
        model.params = copy_tree(weights)
        probabilities, _ = ref.forward(x, weights, activations)
        labels = model.predict(x, threshold=threshold)
        expected = (probabilities >= threshold).astype(int)
        try:
            expect_array(f"predict(X, threshold={threshold:.4g})", labels, expected, integer=True)
        except CheckFailed as error:
            _fail_with_mistake(error, "MLP.predict", (probabilities, threshold), labels, expected)
    model.params = copy_tree(params)
    probabilities, _ = ref.forward(x, params, activations)
    accuracy = model.evaluate(x, y)
    predicted = (probabilities >= 0.5).astype(int)
    expected = float(np.mean(predicted == y))
    try:
        expect_number("evaluate(X, Y)", accuracy, expected, hint="the fraction of columns where predict(X) == Y.")
    except CheckFailed as error:
        _fail_with_mistake(error, "MLP.evaluate", (predicted, y), accuracy, expected)
