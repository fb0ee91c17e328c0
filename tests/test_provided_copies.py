"""Every provided copy of earlier work in the notebooks equals ``reference``,
so that it cannot drift: each provided cell is taken from the solutions
notebook, run on its own (after the notebook's imports), and compared with
the reference on several inputs.

Copies: the activations and their derivatives (stages 2, 3, 4, and the
hidden-layer table of stage 6), the loss (stages 4 and 6), the forward pass
(stage 3), the gradient checkers (stages 1, 3, 4, 6), the MLP of stage 5
and the MLP with options of stage 6 (run with the reference's softmax,
losses, L2 and optimisers in place of the student's), plain SGD, and the
moons, spirals, split and standardisation of stage 6 (make_moons and make_circles
are also compared bit for bit in test_notebook_claims.py).

And the test helpers are one vocabulary: the same code in all six stages,
every helper hiding its frames, a named likely mistake kept on the error.
"""
from __future__ import annotations

import contextlib
import io
import re

import matplotlib
import numpy as np
import pytest

import reference as R

from .support.stage_notebooks import STAGES, cells, nbgrader, solution_path, source

matplotlib.use("Agg")


def cell_source(stage: str, key: str) -> str:
    found = [c for c in cells(solution_path(stage)) if c.get("id") == key or nbgrader(c).get("grade_id") == key]
    assert len(found) == 1, f"{stage}: {len(found)} cells called {key!r}"
    return source(found[0])


def run_cells(stage: str, *keys: str, namespace: dict | None = None) -> dict:
    """The namespace after the stage's imports cell and then ``keys``, in order."""
    namespace = {"__name__": "__provided__"} if namespace is None else namespace
    imports = "setup" if stage < "04" else "provided_imports"
    for key in (imports, *keys):
        exec(compile(cell_source(stage, key), f"{stage}:{key}", "exec"), namespace)
    return namespace


def samples(rng) -> list[np.ndarray]:
    """Arrays of several shapes, with zeros and extreme values."""
    return [rng.normal(0, 3, (4, 5)), rng.normal(0, 1, (1, 7)), np.array([[-1e4, -710.0, -1.0, 0.0, 1e-9, 2.0, 1e4]]),
            rng.normal(0, 10, (3,))]


def quietly(function, *args):
    with np.errstate(all="ignore"):
        return function(*args)


ACTIVATION_COPIES = [("02_forward_pass", "activations", ("sigmoid", "tanh", "relu")),
                     ("03_backprop", "activations", ("sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative",
                                                     "relu", "relu_derivative")),
                     ("04_mlp_class", "provided_activations_and_loss", ("sigmoid", "sigmoid_derivative", "tanh",
                                                                        "tanh_derivative", "relu", "relu_derivative"))]


@pytest.mark.parametrize("stage, key, names", ACTIVATION_COPIES, ids=[c[0] for c in ACTIVATION_COPIES])
def test_provided_activations_equal_the_reference(stage, key, names):
    namespace = run_cells(stage, key)
    rng = np.random.RandomState(0)
    for name in names:
        for z in samples(rng):
            got, expected = quietly(namespace[name], z.copy()), getattr(R, name)(z)
            assert got.shape == expected.shape and np.allclose(got, expected, rtol=1e-12, atol=1e-15), (stage, name)
    for table, reference in (("ACTIVATIONS", R.ACTIVATIONS), ("DERIVATIVES", R.DERIVATIVES)):
        if table in namespace:
            assert set(namespace[table]) == set(reference) - {"softmax"}
            for name, function in namespace[table].items():
                z = rng.normal(0, 3, (3, 4))
                assert np.allclose(function(z), reference[name](z), rtol=1e-12), (stage, table, name)
    if "get_activation" in namespace:
        assert namespace["get_activation"]("tanh") is namespace["ACTIVATIONS"]["tanh"]
        with pytest.raises(ValueError, match="relu, sigmoid, tanh"):
            namespace["get_activation"]("softplus")


def test_stage_6_hidden_activations_equal_the_reference():
    table = run_cells("06_extensions", "provided_mlp", namespace={"__name__": "x", "SGD": R.SGD})["HIDDEN_ACTIVATIONS"]
    assert set(table) == {"sigmoid", "tanh", "relu"}
    rng = np.random.RandomState(1)
    for name, (function, derivative) in table.items():
        for z in samples(rng):
            assert np.allclose(quietly(function, z), getattr(R, name)(z), rtol=1e-12, atol=1e-15), name
            assert np.allclose(quietly(derivative, z), R.DERIVATIVES[name](z), rtol=1e-12, atol=1e-15), name


@pytest.mark.parametrize("stage, key", [("04_mlp_class", "provided_activations_and_loss"),
                                        ("06_extensions", "provided_mlp")])
def test_provided_losses_equal_the_reference(stage, key):
    namespace = run_cells(stage, key, namespace={"__name__": "x", "SGD": R.SGD})
    rng = np.random.RandomState(2)
    for y_hat in (rng.uniform(0, 1, (1, 9)), np.array([[0.0, 1.0, 0.5, 1e-300, 1 - 1e-17]])):
        y = (rng.uniform(0, 1, y_hat.shape) < 0.5).astype(float)
        assert namespace["binary_cross_entropy"](y_hat, y) == pytest.approx(R.binary_cross_entropy(y_hat, y), rel=1e-12)


def test_stage_3s_forward_equals_the_reference():
    forward = run_cells("03_backprop", "activations", "forward")["forward"]
    rng = np.random.RandomState(3)
    for sizes, names in (([3, 5, 4, 1], ["relu", "tanh", "sigmoid"]), ([2, 1], ["sigmoid"]),
                         ([4, 6, 6, 2], ["sigmoid", "relu", "tanh"])):
        params = {}
        for l in range(1, len(sizes)):
            params[f"W{l}"], params[f"b{l}"] = rng.randn(sizes[l], sizes[l - 1]), rng.randn(sizes[l], 1)
        x = rng.randn(sizes[0], 6)
        a_L, cache = forward(x, params, names)
        expected_a, expected_cache = R.forward(x, params, names)
        assert np.allclose(a_L, expected_a, rtol=1e-12) and cache.keys() == expected_cache.keys()
        assert all(np.allclose(cache[k], expected_cache[k], rtol=1e-12) for k in cache)


GRADIENT_CHECKERS = [("01_activations", "gradcheck"), ("03_backprop", "gradcheck"),
                     ("04_mlp_class", "provided_test_helpers"), ("06_extensions", "provided_gradient_checker")]


@pytest.mark.parametrize("stage, key", GRADIENT_CHECKERS, ids=[c[0] for c in GRADIENT_CHECKERS])
def test_provided_gradient_checkers_equal_the_reference(stage, key):
    namespace = run_cells(stage, key)
    rng = np.random.RandomState(4)
    for _ in range(3):
        a, b = rng.normal(0, 1, (3, 4)), rng.normal(0, 1, (3, 4))
        b[0, 0] = a[0, 0] = 0.0
        assert namespace["relative_error"](a, b) == R.relative_error(a, b)
        assert namespace["relative_error"](a, a + 1e-9) == R.relative_error(a, a + 1e-9)
    z = rng.normal(0, 2, (2, 5))
    if "elementwise_gradient" in namespace:
        assert np.array_equal(namespace["elementwise_gradient"](np.sin, z), R.elementwise_gradient(np.sin, z))
        assert np.array_equal(namespace["elementwise_gradient"](R.sigmoid, z, 1e-4),
                              R.elementwise_gradient(R.sigmoid, z, 1e-4))
    if "numerical_gradient" in namespace:
        f = lambda v: float(np.sum(np.tanh(v) * v))          # noqa: E731
        assert np.array_equal(namespace["numerical_gradient"](f, z), R.numerical_gradient(f, z.copy()))
    if "numerical_gradient_in_place" in namespace:
        x = z.copy()
        got = namespace["numerical_gradient_in_place"](lambda: float(np.sum(np.tanh(x) * x)), x)
        assert np.array_equal(got, R.numerical_gradient(lambda v: float(np.sum(np.tanh(v) * v)), z.copy()))
        assert np.array_equal(x, z)


def training_problems(rng):
    yield [2, 4, 1], ["tanh", "sigmoid"], 0.5, 42, np.array([[0, 0, 1, 1], [0, 1, 0, 1]]), np.array([[0, 1, 1, 0]])
    for sizes in ([2, 16, 8, 1], [3, 5, 1], [2, 1]):
        X = rng.randn(sizes[0], 30)
        yield sizes, None, 0.1, 7, X, (X[:1] + 0.3 * rng.randn(1, 30) > 0).astype(float)


def same_training(model, reference, X, Y, epochs=60):
    for key in reference.params:
        assert np.array_equal(model.params[key], reference.params[key]), key
    assert model.activations == reference.activations
    printed, expected = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed):
        losses = model.train(X, Y, epochs=epochs, print_every=20)
    with contextlib.redirect_stdout(expected):
        expected_losses = reference.train(X, Y, epochs=epochs, print_every=20)
    assert np.allclose(losses, expected_losses, rtol=1e-10, atol=1e-14)
    assert printed.getvalue() == expected.getvalue()
    for key in reference.params:
        assert np.allclose(model.params[key], reference.params[key], rtol=1e-9, atol=1e-12), key
    for threshold in (0.5, 0.3):
        assert np.array_equal(model.predict(X, threshold), reference.predict(X, threshold))
    assert model.evaluate(X, Y) == reference.evaluate(X, Y)


def test_stage_5s_mlp_trains_as_the_reference():
    MLP = run_cells("05_moons", "provided_mlp")["MLP"]
    rng = np.random.RandomState(5)
    for sizes, activations, rate, seed, X, Y in training_problems(rng):
        model = MLP(sizes, activations, learning_rate=rate, seed=seed)
        same_training(model, R.MLP(sizes, activations, learning_rate=rate, seed=seed), X, Y)


def test_stage_6s_mlp_with_options_trains_as_the_reference():
    """The provided class, with the reference's functions in place of the
    student's (softmax, the losses, L2, the decay and the optimisers)."""
    namespace = {"__name__": "x", "softmax": R.softmax, "categorical_cross_entropy": R.categorical_cross_entropy,
                 "l2_penalty": R.l2_penalty, "l2_gradient": R.l2_gradient, "inverse_time_decay": R.inverse_time_decay}
    MLP = run_cells("06_extensions", "provided_sgd", "provided_mlp", namespace=namespace)["MLP"]
    rng = np.random.RandomState(6)
    for sizes, activations, rate, seed, X, Y in training_problems(rng):
        for options in ({}, {"l2_lambda": 0.7}, {"decay_rate": 0.01}):
            model = MLP(sizes, activations, learning_rate=rate, seed=seed, **options)
            same_training(model, R.MLP(sizes, activations, learning_rate=rate, seed=seed, **options), X, Y)
        for name, optimiser in (("momentum", R.Momentum), ("rmsprop", R.RMSprop), ("adam", R.Adam)):
            model = MLP(sizes, activations, learning_rate=rate / 10, seed=seed, optimizer=optimiser())
            same_training(model, R.MLP(sizes, activations, learning_rate=rate / 10, seed=seed, optimizer=name), X, Y)
    X, labels = rng.randn(2, 40), rng.randint(0, 3, 40)
    for activations in (["softmax"], ["relu", "softmax"]):
        sizes = [2, 3] if len(activations) == 1 else [2, 6, 3]
        model = MLP(sizes, activations, learning_rate=0.2, seed=3, l2_lambda=0.1)
        same_training(model, R.MLP(sizes, activations, learning_rate=0.2, seed=3, l2_lambda=0.1), X,
                      R.one_hot(labels, 3))


def test_stage_6s_sgd_and_data_helpers_equal_the_reference():
    namespace = run_cells("06_extensions", "provided_sgd", "provided_datasets_and_plotting")
    rng = np.random.RandomState(7)
    params = {"W1": rng.randn(3, 2), "b1": rng.randn(3, 1)}
    grads = {"dW1": rng.randn(3, 2), "db1": rng.randn(3, 1)}
    mine, theirs = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
    namespace["SGD"]().step(mine, grads, 0.3)
    R.SGD().step(theirs, grads, 0.3)
    assert all(np.array_equal(mine[k], theirs[k]) for k in params)
    for n, test_size, seed in ((500, 0.2, 42), (37, 0.3, 1), (10, 0.5, 0)):
        X, y = rng.randn(n, 2), rng.randint(0, 2, n)
        for got, expected in zip(namespace["train_test_split"](X, y, test_size, seed),
                                 R.train_test_split(X, y, test_size, seed)):
            assert np.array_equal(got, expected)
        X_test = rng.randn(7, 2) * 3
        for got, expected in zip(namespace["standardize"](X, X_test), R.standardize(X, X_test)):
            assert np.array_equal(got, expected)
    for n, noise, seed in ((500, 0.2, 42), (7, 0.3, 5), (64, 0.1, 3)):
        for got, expected in zip(namespace["make_moons"](n, noise, seed), R.make_moons(n, noise, seed)):
            assert np.array_equal(got, expected)
    for per_class, classes, noise, seed in ((100, 3, 0.2, 0), (7, 2, 0.0, 5), (30, 5, 0.4, 42)):
        for got, expected in zip(namespace["make_spirals"](per_class, classes, noise, seed),
                                 R.make_spirals(per_class, classes, noise, seed)):
            assert np.array_equal(got, expected)
    assert all(np.array_equal(a, b) for a, b in zip(namespace["make_spirals"](), R.make_spirals()))


# ------------------------------------------------------------------ the test helpers

HELPER_BLOCK = re.compile(r"# ---- Test helpers, the same in every stage -+\n.*?(?=\n\n\ndef numerical_gradient|\Z)",
                          re.S)
HELPER_CELLS = {"01_activations": "setup", "02_forward_pass": "setup", "03_backprop": "setup",
                "04_mlp_class": "provided_test_helpers", "05_moons": "provided_test_helpers",
                "06_extensions": "provided_test_helpers"}


def helpers(stage: str) -> str:
    match = HELPER_BLOCK.search(cell_source(stage, HELPER_CELLS[stage]))
    assert match, f"{stage}: no test-helper block"
    return match.group(0)


def test_the_test_helpers_are_one_vocabulary_in_all_six_stages():
    blocks = {stage: helpers(stage) for stage in STAGES}
    assert len(set(blocks.values())) == 1, "the helper blocks differ between stages"
    names = re.findall(r"^def (\w+)\(", blocks[STAGES[0]], re.M)
    assert {"expect", "expect_array", "expect_close", "expect_number", "fail", "no_float_warnings",
            "global_random_state_unchanged"} <= set(names)
    for stage in STAGES:   # the old dialects are gone
        code = "\n".join(source(c) for c in cells(solution_path(stage)) if c["cell_type"] == "code")
        assert not re.search(r"\b(check_close|call_strictly|no_numpy_warnings|describe)\(", code), stage
        assert not re.search(r"^\s*check\(", code, re.M), stage


def test_every_helper_hides_its_frames_and_keeps_the_likely_mistake():
    namespace = {}
    exec(compile(helpers("01_activations"), "helpers", "exec"), namespace)
    block = helpers("01_activations")
    for name in re.findall(r"^def (\w+)\(", block, re.M):
        body = block.split(f"def {name}(", 1)[1].split("\ndef ", 1)[0]
        assert "__tracebackhide__ = True" in body, name
    with pytest.raises(AssertionError) as raised:
        namespace["expect_close"]("relu(z)", np.array([0.0, -1.0]), [0.0, 1.0],
                                  mistakes=[([0.0, -1.0], "relu as min(0, z): it is max(0, z).")])
    assert raised.value.likely_mistake == "relu as min(0, z): it is max(0, z)."
    assert "Likely mistake: relu as min(0, z)" in str(raised.value)
    with pytest.raises(AssertionError) as raised:
        namespace["expect_close"]("relu(z)", np.array([5.0, 5.0]), [0.0, 1.0], hint="np.maximum(0.0, z)")
    assert raised.value.likely_mistake == "" and "Hint: np.maximum" in str(raised.value)
    with pytest.raises(AssertionError, match="the transpose"):
        namespace["expect_array"]("W", np.zeros((3, 2)), (2, 3))
    with pytest.raises(AssertionError, match="overflow"):
        with namespace["no_float_warnings"]("exp"):
            np.exp(np.array([1000.0]))
    with namespace["no_float_warnings"]("a stable sigmoid"):       # underflow is no fault
        np.exp(-np.abs(np.array([1e4])))
    namespace["expect_number"]("loss", np.array(0.25), 0.25)       # a 0-d array is accepted, with a note
