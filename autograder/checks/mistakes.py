"""Classic mistakes, each a deliberately wrong variant of a reference function.

When a student's answer is wrong, it is compared with every variant of
the same function on the same inputs; a match names the mistake and says
what to fix.  Variants take the reference function's arguments.  Keys of
the form ``"MLP.init"`` are not student functions but behaviours that the
hidden checks compute explicitly (see ``checks/mlp_class.py``).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import numpy as np

import reference as ref
from reference.activations import ACTIVATIONS, DERIVATIVES

from ..plaindata import close
from .inputs import optimiser_steps


@dataclass(frozen=True)
class Mistake:
    function: str
    name: str
    fix: str
    wrong: Callable

    def explain(self) -> str:
        return f"Likely mistake: {self.name}. {self.fix}"


# ------------------------------------------------------------------ 02 forward pass
def _no_bias(a_prev, W, b, activation):
    z = W @ a_prev
    return z, ACTIVATIONS[activation](z)


def _swapped(a_prev, W, b, activation):
    z, a = ref.layer_forward(a_prev, W, b, activation)
    return a, z


def _no_activation(a_prev, W, b, activation):
    z = W @ a_prev + b
    return z, z.copy()


def _first_activation_everywhere(x, params, activations):
    return ref.forward(x, params, [activations[0]] * len(activations))


def _last_activation_everywhere(x, params, activations):
    return ref.forward(x, params, [activations[-1]] * len(activations))


# ------------------------------------------------------------------ 03 backprop
def _bce_parts(y_hat, y):
    p = np.clip(y_hat, 1e-15, 1 - 1e-15)
    return y * np.log(p) + (1 - y) * np.log(1 - p)


def _not_averaged(y, params, cache, activations, **kwargs):
    m = y.shape[1]
    return {name: value * m for name, value in ref.backward(y, params, cache, activations, **kwargs).items()}


def _derivative_at_a(y, params, cache, activations, **kwargs):
    shifted = dict(cache)
    for l in range(1, len(activations)):
        shifted[f"Z{l}"] = cache[f"A{l}"]
    return ref.backward(y, params, shifted, activations, **kwargs)


def _wrong_layer_derivative(y, params, cache, activations, **kwargs):
    n = len(activations)
    m = y.shape[1]
    grads, dz = {}, cache[f"A{n}"] - y
    for l in range(n, 0, -1):
        grads[f"dW{l}"] = dz @ cache[f"A{l - 1}"].T / m
        grads[f"db{l}"] = np.sum(dz, axis=1, keepdims=True) / m
        if l > 1:
            name = activations[l - 1] if activations[l - 1] in DERIVATIVES else activations[l - 2]
            dz = (params[f"W{l}"].T @ dz) * DERIVATIVES[name](cache[f"Z{l - 1}"])
    return grads


# ------------------------------------------------------------------ 04 MLP class
# Behaviours of the class, computed explicitly by checks/mlp_class.py:
# "MLP.init" (layer_sizes, seed) -> params; "MLP.train" (layer_sizes,
# activations, learning_rate, seed, X, Y, epochs) -> losses;
# "MLP.predict" (probabilities, threshold) -> labels; "MLP.evaluate" (labels, Y) -> accuracy.

def _init(layer_sizes, seed, draw):
    rng = np.random.RandomState(seed)
    params = {}
    for l in range(1, len(layer_sizes)):
        params[f"W{l}"] = draw(rng, layer_sizes[l - 1], layer_sizes[l], l)
        params[f"b{l}"] = np.zeros((layer_sizes[l], 1))
    return params


def _loss_after_update(sizes, activations, learning_rate, seed, X, Y, epochs):
    model = ref.MLP(sizes, activations, learning_rate=learning_rate, seed=seed)
    losses = []
    for _ in range(epochs):
        model.forward(X)
        model.backward(Y)
        model.update_parameters()
        losses.append(model.compute_loss(model.forward(X), Y))
    return losses


# ------------------------------------------------------------------ 05 moons
def _test_statistics(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - X_test.mean(axis=0)) / X_test.std(axis=0), mean, std


def _row_statistics(X_train, X_test):
    mean, std = X_train.mean(axis=1, keepdims=True), X_train.std(axis=1, keepdims=True)
    return (X_train - mean) / std, (X_test - X_test.mean(axis=1, keepdims=True)) / \
        X_test.std(axis=1, keepdims=True), mean, std


def _no_shuffle(X, y, test_size=0.2, seed=42):
    n_test = int(len(y) * test_size)
    return X[n_test:], X[:n_test], y[n_test:], y[:n_test]


# ------------------------------------------------------------------ 06 extensions


# Optimisers: "<Name>.steps" (options, params, grads_list, rates) -> params after each step.
class _MomentumWithoutDamping(ref.Momentum):
    def step(self, params, grads, learning_rate):
        for name, value in params.items():
            v = self.beta * self.velocity.get(name, 0.0) + grads[f"d{name}"]
            self.velocity[name] = v
            value -= learning_rate * v


class _RMSpropEpsilonInside(ref.RMSprop):
    def step(self, params, grads, learning_rate):
        for name, value in params.items():
            g = grads[f"d{name}"]
            s = self.rho * self.square_avg.get(name, 0.0) + (1 - self.rho) * g * g
            self.square_avg[name] = s
            value -= learning_rate * g / np.sqrt(s + self.epsilon)


class _AdamUncorrected(ref.Adam):
    def step(self, params, grads, learning_rate):
        self.t += 1
        for name, value in params.items():
            g = grads[f"d{name}"]
            m = self.beta1 * self.first.get(name, 0.0) + (1 - self.beta1) * g
            v = self.beta2 * self.second.get(name, 0.0) + (1 - self.beta2) * g * g
            self.first[name], self.second[name] = m, v
            value -= learning_rate * m / (np.sqrt(v) + self.epsilon)


# ------------------------------------------------------------------ the catalogue
# Every named mistake, in the order they are tried: (function, name, fix, wrong variant).
MISTAKES: tuple[Mistake, ...] = (
    Mistake("sigmoid", "sigmoid with exp(z) instead of exp(-z)",
            "The sigmoid is 1 / (1 + exp(-z)); with exp(z) you get 1 - sigmoid(z).",
            lambda z: 1 / (1 + np.exp(np.clip(z, -500, 500)))),
    Mistake("sigmoid_derivative", "sigmoid derivative computed from z as if it were the activation",
            "z * (1 - z) needs a = sigmoid(z), but this function receives z: compute s = sigmoid(z), "
            "then s * (1 - s).",
            lambda z: z * (1 - z)),
    Mistake("sigmoid_derivative", "sigmoid derivative missing the (1 - s) factor",
            "The derivative is s * (1 - s) with s = sigmoid(z), not s alone.",
            lambda z: ref.sigmoid(z)),
    Mistake("tanh_derivative", "tanh derivative written as 1 - z^2",
            "1 - a^2 holds for the activation a = tanh(z); this function receives z: return 1 - tanh(z)**2.",
            lambda z: 1 - z ** 2),
    Mistake("tanh_derivative", "tanh derivative without the square",
            "The derivative is 1 - tanh(z)**2, not 1 - tanh(z).",
            lambda z: 1 - np.tanh(z)),
    Mistake("relu", "relu as min(0, z)",
            "ReLU keeps the positive part: np.maximum(0.0, z).",
            lambda z: np.minimum(0.0, z)),
    Mistake("relu_derivative", "relu derivative equal to 1 at z = 0",
            "The kit's convention is relu'(0) = 0: test z > 0, not z >= 0.",
            lambda z: (z >= 0).astype(float)),
    Mistake("relu_derivative", "relu derivative returning relu(z)",
            "The derivative is 1.0 where z > 0 and 0.0 elsewhere: (z > 0).astype(float).",
            lambda z: np.maximum(0.0, z)),
    Mistake("layer_forward", "bias left out of the layer",
            "z = W @ a_prev + b: add the bias column b (shape (n, 1)), which broadcasts over the m columns.",
            _no_bias),
    Mistake("layer_forward", "layer returns (a, z) instead of (z, a)",
            "Return the pre-activation first: return z, a.",
            _swapped),
    Mistake("layer_forward", "activation not applied",
            "After z = W @ a_prev + b, apply the layer's activation: a = ACTIVATIONS[activation](z).",
            _no_activation),
    Mistake("forward", "one activation used for every layer",
            "Layer l uses activations[l - 1]: look the name up inside the loop, once per layer.",
            _first_activation_everywhere),
    Mistake("forward", "last activation used for every layer",
            "Layer l uses activations[l - 1]: hidden layers and the output layer can differ.",
            _last_activation_everywhere),
    Mistake("count_parameters", "biases not counted",
            "Each layer has n_l * n_(l-1) weights and n_l biases: n_l * (n_(l-1) + 1).",
            lambda sizes: int(sum(n * p for p, n in zip(sizes[:-1], sizes[1:])))),
    Mistake("binary_cross_entropy", "loss summed instead of averaged over the batch",
            "Divide by the number of samples m: use np.mean (or the sum times 1/m).",
            lambda y_hat, y: float(-np.sum(_bce_parts(y_hat, y)))),
    Mistake("binary_cross_entropy", "loss with the wrong sign",
            "Cross-entropy is minus the mean log-likelihood: -(1/m) sum[y log p + (1 - y) log(1 - p)].",
            lambda y_hat, y: float(np.mean(_bce_parts(y_hat, y)))),
    Mistake("binary_cross_entropy", "predictions not clipped before the logarithm",
            "Clip y_hat to [1e-15, 1 - 1e-15] with np.clip before np.log, so a confident wrong "
            "prediction gives a large finite loss instead of inf or nan.",
            lambda y_hat, y: float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))),
    Mistake("backward", "gradients not averaged over the batch",
            "Multiply dW and db by 1/m, where m = y.shape[1] is the number of samples.",
            _not_averaged),
    Mistake("backward", "activation derivative evaluated at A instead of Z",
            "The derivatives take the pre-activation: use DERIVATIVES[...](cache['Z{l-1}']), not A.",
            _derivative_at_a),
    Mistake("backward", "derivative of the current layer used instead of the previous one",
            "dZ{l-1} = (W{l}.T @ dZ{l}) * g'_{l-1}(Z{l-1}): use activations[l - 2], the activation "
            "of layer l - 1.",
            _wrong_layer_derivative),
    Mistake("update_parameters", "gradient added instead of subtracted",
            "Gradient descent moves against the gradient: theta - learning_rate * d_theta.",
            lambda params, grads, learning_rate: {k: v + learning_rate * grads["d" + k] for k, v in params.items()}),
    Mistake("MLP.init", "Xavier scale sqrt(1 / n_prev) instead of He's sqrt(2 / n_prev)",
            "He initialisation for ReLU networks scales by sqrt(2 / n_(l-1)).",
            lambda sizes, seed: _init(sizes, seed, lambda rng, p, n, l: rng.randn(n, p) * np.sqrt(1 / p))),
    Mistake("MLP.init", "He scale computed from the layer's own width",
            "Scale by sqrt(2 / n_(l-1)), the number of inputs of the layer, not sqrt(2 / n_l).",
            lambda sizes, seed: _init(sizes, seed, lambda rng, p, n, l: rng.randn(n, p) * np.sqrt(2 / n))),
    Mistake("MLP.init", "weights drawn with shape (n_prev, n_l) and transposed",
            "Draw W{l} directly with rng.randn(n_l, n_(l-1)): the same numbers in another layout are other weights.",
            lambda sizes, seed: _init(sizes, seed, lambda rng, p, n, l: rng.randn(p, n).T * np.sqrt(2 / p))),
    Mistake("MLP.init", "a new generator for every layer",
            "Create rng = np.random.RandomState(seed) once, before the loop, and draw every layer from it.",
            lambda sizes, seed: _init(sizes, seed,
            lambda rng, p, n, l: np.random.RandomState(seed).randn(n, p) * np.sqrt(2 / p))),
    Mistake("MLP.train", "loss recorded after the update",
            "Record each epoch's loss from the forward pass before backward and update_parameters.",
            _loss_after_update),
    Mistake("MLP.predict", "a probability of exactly the threshold labelled 0",
            "Label 1 where the probability is >= threshold: use >=, not >.",
            lambda probabilities, threshold: (probabilities > threshold).astype(int)),
    Mistake("MLP.evaluate", "accuracy as a percentage",
            "Return the fraction of correct predictions, between 0 and 1, not a percentage.",
            lambda labels, Y: 100.0 * float(np.mean(labels == Y))),
    Mistake("standardize", "standardising with test-set statistics",
            "Scale X_test with the training set's mean and std: statistics of the test set leak "
            "information about it into the model.",
            _test_statistics),
    Mistake("standardize", "statistics taken over the features instead of the samples",
            "Rows are samples here (X is (n, d)): use mean(axis=0) and std(axis=0), one value per feature.",
            _row_statistics),
    Mistake("train_test_split", "split without shuffling",
            "Shuffle first: order = np.random.RandomState(seed).permutation(n), then split the shuffled rows.",
            _no_shuffle),
    Mistake("softmax", "softmax over the rows instead of the columns",
            "Each column is one sample: take max and sum with axis=0, keepdims=True.",
            lambda z: ref.softmax(np.asarray(z).T).T),
    Mistake("softmax", "softmax without subtracting the column maximum",
            "Subtract each column's maximum before np.exp: it changes nothing mathematically and "
            "keeps exp from overflowing.",
            lambda z: np.exp(z) / np.sum(np.exp(z), axis=0, keepdims=True)),
    Mistake("one_hot", "one-hot matrix transposed",
            "The kit is column-major: return shape (n_classes, m), one column per sample.",
            lambda y, n_classes: ref.one_hot(y, n_classes).T),
    Mistake("categorical_cross_entropy", "categorical loss summed instead of averaged",
            "Divide the sum by the number of samples m = y.shape[1].",
            lambda y_hat, y: float(-np.sum(y * np.log(np.clip(y_hat, 1e-15, 1 - 1e-15))))),
    Mistake("l2_penalty", "L2 penalty without the 1/2",
            "The penalty is lambda / (2m) times the sum of squared weights.",
            lambda params, l2_lambda, m: 2 * ref.l2_penalty(params, l2_lambda, m)),
    Mistake("l2_penalty", "biases included in the L2 penalty",
            "Only the weight matrices W1, W2, ... are penalised, not the biases.",
            lambda params, l2_lambda, m: float(l2_lambda / (2 * m) * sum(np.sum(v * v) for v in params.values()))),
    Mistake("l2_gradient", "L2 gradient with lambda/(2m) instead of lambda/m",
            "The derivative of lambda/(2m) ||W||^2 is (lambda/m) W: the 2 cancels.",
            lambda W, l2_lambda, m: (l2_lambda / (2 * m)) * W),
    Mistake("inverse_time_decay", "decay multiplied instead of divided",
            "The schedule is alpha_0 / (1 + decay_rate * epoch).",
            lambda learning_rate, epoch, decay_rate: learning_rate * (1 + decay_rate * epoch)),
    Mistake("Momentum.steps", "momentum without the (1 - beta) factor",
            "Average the gradients: v = beta * v + (1 - beta) * g.",
            lambda options, params, grads, rates: optimiser_steps(_MomentumWithoutDamping(**options), params, grads, rates)),
    Mistake("RMSprop.steps", "epsilon inside the square root",
            "Add epsilon after the root: g / (sqrt(s) + epsilon).",
            lambda options, params, grads, rates: optimiser_steps(_RMSpropEpsilonInside(**options), params, grads, rates)),
    Mistake("Adam.steps", "Adam without bias correction",
            "Divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting the steps from 1.",
            lambda options, params, grads, rates: optimiser_steps(_AdamUncorrected(**options), params, grads, rates)),
)


# ------------------------------------------------------------------ look-up
REFERENCES = {name: getattr(ref, name) for name in (
    "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative",
    "layer_forward", "forward", "count_parameters", "binary_cross_entropy", "backward",
    "update_parameters", "standardize", "train_test_split", "make_moons", "softmax", "one_hot",
    "categorical_cross_entropy", "l2_penalty", "l2_gradient", "inverse_time_decay", "make_circles")}


def _quietly(function, args, kwargs):
    try:
        with np.errstate(all="ignore"):
            return True, function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception:  # noqa: BLE001 - a variant may not apply to these inputs
        return False, None


def identify(function: str, args: tuple, kwargs: dict, got, expected=None) -> Mistake | None:
    """The named mistake whose variant gives ``got`` on these inputs, if
    ``got`` is wrong.  ``expected`` defaults to the reference's answer."""
    if expected is None:
        reference = REFERENCES.get(function)
        if reference is None:
            return None
        ok, expected = _quietly(reference, args, kwargs)
        if not ok:
            return None
    if close(got, expected):
        return None
    for candidate in MISTAKES:
        if candidate.function == function:
            ok, wrong = _quietly(candidate.wrong, args, kwargs)
            if ok and close(got, wrong):
                return candidate
    return None


def identify_calls(calls: list, function: str = "") -> Mistake | None:
    """The most recent recorded call whose answer matches a named mistake;
    with ``function``, only calls of that function count (a check of
    sigmoid_derivative that also called sigmoid must not name sigmoid's
    mistake)."""
    for call in reversed(calls):
        if function and call["name"] != function:
            continue
        if "result" in call and call["name"] in REFERENCES:
            found = identify(call["name"], call["args"], call["kwargs"], call["result"])
            if found:
                return found
    return None


def for_function(function: str) -> list:
    return [m for m in MISTAKES if m.function == function]
