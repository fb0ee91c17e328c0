"""Checks of stage 04: the MLP class, one method per check, on random
architectures with mixed activations, against ``reference.MLP``.

Each check gives the method under test what the others would have made,
from the reference: backward gets the reference cache, the update fixed
gradients, predict and evaluate are judged against what the student's own
forward and predict give.  ``train`` runs everything: it passes when its
losses and final weights are the reference's, or when they are what the
student's own forward, compute_loss, backward and update_parameters give
epoch after epoch (then a defect of those costs points in their checks,
not here).  Inputs stay clear of the conventions (relu'(0), the >= tie
rule, the clipping epsilon), which their own public checks grade.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

import reference as ref
from . import mistakes
from .base import CheckFailed, hidden
from .expect import expect_array, expect_keys, expect_number, global_random_untouched, show
from ..plaindata import close, copy_tree
from .inputs import TIE_MARGIN, architecture, describe_network, network, training_problem

STAGE = "04_mlp_class"
CHECKS = []

PUBLIC = {
    "test_mlp_init": "MLP.__init__",
    "test_mlp_forward": "MLP.forward",
    "test_mlp_compute_loss": "MLP.compute_loss",
    "test_mlp_backward": "MLP.backward",
    "test_mlp_update_parameters": "MLP.update_parameters",
    "test_mlp_predict": "MLP.predict",
    "test_mlp_predict_at_the_threshold": "MLP.predict",
    "test_mlp_evaluate": "MLP.evaluate",
    "test_mlp_train_xor": "MLP.train",
}

EPOCHS = 40


def _fail_with_mistake(error: CheckFailed, key: str, args: tuple, got, expected):
    found = mistakes.identify(key, args, {}, got, expected=expected)
    if found:
        raise CheckFailed(str(error), found) from None
    raise error


def _params(label, got, expected):
    expect_keys(label, got, expected, extra_ok=False)
    for key in expected:
        expect_array(f"{label}[{key!r}]", got[key], expected[key])


@hidden(STAGE, CHECKS, "MLP initialisation of random architectures", 2,
        "MLP(...) for random layer sizes, activations and seeds: He-initialised weights and zero biases as "
        "the reference draws them, default activations, NumPy's global random state untouched", "MLP.__init__")
def init_random(student, rng):
    for index in range(3):
        sizes, activations, seed = architecture(rng)
        if index == 0:
            label, expected_activations = f"MLP({sizes}, seed={seed})", ["relu"] * (len(sizes) - 2) + ["sigmoid"]
            model = global_random_untouched(label, lambda: student.MLP(list(sizes), seed=seed))
        else:
            label, expected_activations = f"MLP({sizes}, {activations}, 0.1, seed={seed})", activations
            model = global_random_untouched(label, lambda: student.MLP(list(sizes), list(activations), 0.1, seed))
        if list(model.activations) != expected_activations:
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
        "forward of random networks given their parameters: the output and every cache entry", "MLP.forward")
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


@hidden(STAGE, CHECKS, "MLP.compute_loss on random predictions", 1,
        "compute_loss of random predictions in (0, 1) against random labels: one float, the mean "
        "binary cross-entropy", "MLP.compute_loss")
def compute_loss_random(student, rng):
    model, *_ = _model_with(student, rng)
    for m in (1, int(rng.integers(2, 30))):
        y_hat = rng.uniform(0.01, 0.99, (1, m))
        y = (rng.random((1, m)) < 0.5).astype(float)
        expect_number(f"MLP.compute_loss for m = {m}", model.compute_loss(y_hat.copy(), y.copy()),
                      ref.binary_cross_entropy(y_hat, y), hint="the mean binary cross-entropy of the batch.")


@hidden(STAGE, CHECKS, "MLP.backward on random networks", 2,
        "backward of random networks (mixed activations) from the reference's cache: every gradient in "
        "self.grads", "MLP.backward")
def backward_random(student, rng):
    for _ in range(3):
        model, sizes, activations, params, x, y = _model_with(student, rng)
        label = f"{describe_network(sizes, activations)}, m = {x.shape[1]}"
        a_L, cache = ref.forward(x, params, activations)
        try:
            model.forward(x)             # whatever else the student's forward keeps for backward
        except Exception:  # noqa: BLE001 - a broken forward costs points in its own checks
            pass
        model.cache = copy_tree(cache)   # backward is graded on the right cache
        model.backward(y)
        got = model.grads
        expected = ref.backward(y, params, cache, activations)
        expect_keys(f"self.grads after backward on {label}", got, expected)
        for key in expected:
            expect_array(f"self.grads[{key!r}] after backward on {label}", got[key], expected[key],
                         hint="average over the batch (1/m); each derivative takes its own layer's Z.")


@hidden(STAGE, CHECKS, "MLP.update_parameters on random networks", 1,
        "one update of random networks with given gradients: every parameter moves by -learning_rate * its "
        "gradient", "MLP.update_parameters")
def update_random(student, rng):
    model, sizes, activations, params, x, y = _model_with(student, rng)
    rate = float(rng.uniform(0.05, 1.0))
    grads = {f"d{name}": rng.normal(0, 1, value.shape) for name, value in params.items()}
    model.lr = rate
    model.grads = copy_tree(grads)
    model.update_parameters()
    expected = ref.update_parameters(params, grads, rate)
    _params(f"self.params after one update with self.lr = {rate:.4g} on {describe_network(sizes, activations)}",
            model.params, expected)


def own_training(student, sizes, activations, rate, seed, X, Y, epochs):
    """(losses, final params) of the student's own methods run one epoch
    after another as train should run them, or None if they fail."""
    model = student.MLP(list(sizes), list(activations), rate, seed)
    losses = []
    for _ in range(epochs):
        losses.append(model.compute_loss(model.forward(X), Y))
        model.backward(Y)
        model.update_parameters()
    return losses, model.params


@hidden(STAGE, CHECKS, "MLP.train on random data and architectures", 2,
        f"{EPOCHS} epochs of training on random data and architectures: the list of losses (each measured "
        "before its epoch's update) and the final parameters, as the reference's or as your own methods give "
        "them", "MLP.train")
def train_random(student, rng):
    sizes, activations, seed, X, Y, rate = training_problem(rng, EPOCHS)
    label = f"MLP({sizes}, {activations}, {rate:.4g}, seed={seed}).train(X, Y, epochs={EPOCHS}, verbose=False)"
    model = student.MLP(list(sizes), list(activations), rate, seed)
    with contextlib.redirect_stdout(io.StringIO()):      # what it prints is not graded
        losses = model.train(X, Y, epochs=EPOCHS, print_every=1, verbose=False)
    reference = ref.MLP(sizes, activations, learning_rate=rate, seed=seed)
    expected = reference.train(X, Y, epochs=EPOCHS, verbose=False)
    if type(losses) not in (list, tuple) or len(losses) != EPOCHS:
        raise CheckFailed(f"{label} should return a list of {EPOCHS} losses; got {show(losses)}.")
    try:
        values = np.array(losses, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{label} returned non-numbers: {show(losses)}") from None
    if close(values, np.array(expected)) and close(model.params, reference.params):
        return
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            own = own_training(student, sizes, activations, rate, seed, X, Y, EPOCHS)
    except Exception:  # noqa: BLE001 - a method that fails costs points in its own check
        own = None
    if own is not None and close(values, np.array(own[0], dtype=float)) and close(model.params, own[1]):
        return   # train runs the student's own methods as it should; their checks say what is wrong
    try:
        expect_array(f"the losses of {label}", values, np.array(expected),
                     hint="each epoch: loss of forward(X), then backward, then update_parameters, once each, "
                          "on the whole data set.")
    except CheckFailed as error:
        _fail_with_mistake(error, "MLP.train", (sizes, activations, rate, seed, X, Y, EPOCHS),
                           [float(value) for value in values], list(expected))
    _params(f"self.params after {label}", model.params, reference.params)


def _predict_problem(student, rng):
    """A model and data whose reference probabilities are clear of the
    thresholds asked (the tie rule has its own public check)."""
    for _ in range(100):
        model, sizes, activations, params, x, y = _model_with(student, rng, m_max=12)
        thresholds = (0.5, float(rng.uniform(0.1, 0.9)))
        probabilities, _ = ref.forward(x, params, activations)
        if all(np.all(np.abs(probabilities - t) > TIE_MARGIN) for t in thresholds):
            return model, params, activations, x, y, thresholds, probabilities
    raise RuntimeError("no predict problem clear of the thresholds was found")


@hidden(STAGE, CHECKS, "MLP.predict at several thresholds", 1,
        "predict of random networks at 0.5 and another threshold: int labels of shape (1, m), 1 where the "
        "probability is above the threshold", "MLP.predict")
def predict_random(student, rng):
    model, params, activations, x, y, thresholds, probabilities = _predict_problem(student, rng)
    for threshold in thresholds:
        labels = model.predict(x, threshold=threshold)
        expected = (probabilities >= threshold).astype(int)
        if type(labels) is np.ndarray and labels.dtype.kind in "iu" and labels.shape == expected.shape \
                and not np.array_equal(labels, expected):
            with np.errstate(all="ignore"):
                own = model.forward(x)
            if type(own) is np.ndarray and own.shape == expected.shape and \
                    np.array_equal(labels, (own >= threshold).astype(int)):
                continue   # predict thresholds the student's own forward right; forward's checks say more
        try:
            expect_array(f"predict(X, threshold={threshold:.4g})", labels, expected, integer=True)
        except CheckFailed as error:
            _fail_with_mistake(error, "MLP.predict", (probabilities, threshold), labels, expected)


@hidden(STAGE, CHECKS, "MLP.evaluate on random networks", 1,
        "evaluate of random networks: the accuracy as a float in [0, 1]", "MLP.evaluate")
def evaluate_random(student, rng):
    model, params, activations, x, y, _, probabilities = _predict_problem(student, rng)
    accuracy = model.evaluate(x, y)
    predicted = (probabilities >= 0.5).astype(int)
    expected = float(np.mean(predicted == y))
    try:
        expect_number("evaluate(X, Y)", accuracy, expected, hint="the fraction of columns where predict(X) == Y.")
    except CheckFailed as error:
        own = model.predict(x)
        if type(own) is np.ndarray and own.shape == y.shape and not np.array_equal(own, predicted):
            try:
                expect_number("evaluate(X, Y)", accuracy, float(np.mean(own == y)))
                return   # evaluate scores the student's own predict right; predict's checks say more
            except CheckFailed:
                pass
        _fail_with_mistake(error, "MLP.evaluate", (predicted, y), accuracy, expected)
