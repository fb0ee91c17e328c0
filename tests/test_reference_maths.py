"""The reference's maths: every activation, loss and extension gradient
against centred differences, and the interface promises of the stage API."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference as R

ELEMENTWISE = ["sigmoid", "tanh", "relu"]


def _away_from_kink(z):
    """ReLU has no derivative at 0: keep samples a step away from it."""
    return np.where(np.abs(z) < 1e-3, 0.5, z)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_derivative_matches_centred_differences(name, rng):
    z = _away_from_kink(rng.randn(7, 5) * 3)
    analytic = R.DERIVATIVES[name](z)
    numeric = R.elementwise_gradient(R.ACTIVATIONS[name], z)
    assert R.relative_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (2, 257)])
def test_shape_type_and_input_untouched(name, shape, rng):
    z = rng.randn(*shape)
    before = z.copy()
    out = R.ACTIVATIONS[name](z)
    assert type(out) is np.ndarray and out.dtype == np.float64 and out.shape == shape
    assert np.array_equal(z, before)
    if name in R.DERIVATIVES:
        d = R.DERIVATIVES[name](z)
        assert type(d) is np.ndarray and d.dtype == np.float64 and d.shape == shape
        assert np.array_equal(z, before)


@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative",
                                  "relu", "relu_derivative"])
def test_no_warning_at_extreme_inputs(name):
    z = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = getattr(R, name)(z)
    assert np.all(np.isfinite(out))


def test_known_values():
    z = np.array([[-1e4, 0.0, 1e4]])
    assert R.sigmoid(z).tolist() == [[0.0 + R.sigmoid(np.array(-500.0)), 0.5, 1.0]]
    assert R.sigmoid_derivative(np.array(0.0)) == 0.25
    assert R.tanh_derivative(np.array(0.0)) == 1.0
    assert R.relu_derivative(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
                  elements=st.floats(-1e4, 1e4)))
@settings(max_examples=60, deadline=None)
def test_sigmoid_and_softmax_properties(z):
    s = R.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    assert np.allclose(R.sigmoid(-z), 1 - s, atol=1e-12)
    p = R.softmax(z)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=0), 1.0)
    assert np.allclose(R.softmax(z + 123.0), p)


def test_unknown_names_raise_one_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'swish'; choose one of: relu, sigmoid, softmax, tanh"):
        R.layer_forward(np.zeros((2, 1)), np.zeros((1, 2)), np.zeros((1, 1)), "swish")
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        R.MLP([2, 1], optimizer="adamw")
    with pytest.raises(ValueError, match="unknown output activation 'relu'"):
        R.MLP([2, 3, 1], ["relu", "relu"])


# ------------------------------------------------------------------ losses

def test_binary_cross_entropy_is_clipped_and_a_float():
    y = np.array([[1.0, 0.0]])
    loss = R.binary_cross_entropy(np.array([[0.0, 1.0]]), y)
    assert type(loss) is float
    # y = 1 with y_hat = 0 clips to 1e-15; y = 0 with y_hat = 1 clips to 1 - 1e-15.
    assert loss == pytest.approx(-(np.log(1e-15) + np.log(1 - (1 - 1e-15))) / 2)
    assert 30 < loss < 40


def test_one_hot_and_categorical_cross_entropy():
    Y = R.one_hot(np.array([2, 0, 1]), 3)
    assert Y.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert R.one_hot(np.array([[1, 0]]), 2).shape == (2, 2)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        R.one_hot(np.array([3]), 3)
    p = np.array([[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]])
    Y = R.one_hot(np.array([0, 2]), 3)
    assert R.categorical_cross_entropy(p, Y) == pytest.approx(-(np.log(0.7) + np.log(0.3)) / 2)


def test_softmax_cross_entropy_gradient_is_prediction_minus_target(rng):
    Z = rng.randn(4, 6)
    Y = R.one_hot(rng.randint(0, 4, 6), 4)
    m = Y.shape[1]
    numeric = R.numerical_gradient(lambda z: R.categorical_cross_entropy(R.softmax(z), Y), Z.copy())
    assert R.relative_error((R.softmax(Z) - Y) / m, numeric) < 1e-7


def test_sigmoid_cross_entropy_gradient_is_prediction_minus_target(rng):
    Z = rng.randn(1, 9)
    Y = (rng.rand(1, 9) > 0.5).astype(float)
    numeric = R.numerical_gradient(lambda z: R.binary_cross_entropy(R.sigmoid(z), Y), Z.copy())
    assert R.relative_error((R.sigmoid(Z) - Y) / 9, numeric) < 1e-7


def test_l2_penalty_and_its_gradient(rng):
    params = {"W1": rng.randn(3, 2), "b1": rng.randn(3, 1), "W2": rng.randn(1, 3), "b2": rng.randn(1, 1)}
    lam, m = 0.7, 5
    expected = lam / (2 * m) * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert R.l2_penalty(params, lam, m) == pytest.approx(expected)

    def penalty_of(W):
        return R.l2_penalty({**params, "W1": W}, lam, m)
    numeric = R.numerical_gradient(penalty_of, params["W1"].copy())
    assert R.relative_error(R.l2_gradient(params["W1"], lam, m), numeric) < 1e-7


# ------------------------------------------------------------------ backprop

NETWORKS = [
    ([3, 4, 1], ["sigmoid", "sigmoid"], 0.0),
    ([3, 5, 4, 1], ["tanh", "relu", "sigmoid"], 0.0),
    ([2, 6, 3, 1], ["relu", "sigmoid", "sigmoid"], 0.3),
    ([4, 5, 3], ["tanh", "softmax"], 0.0),
    ([4, 6, 5, 3], ["relu", "tanh", "softmax"], 0.5),
]


@pytest.mark.parametrize("sizes,activations,lam", NETWORKS, ids=lambda v: str(v))
def test_backward_matches_numerical_gradient(sizes, activations, lam, rng):
    m = 7
    model = R.MLP(sizes, activations, seed=3, l2_lambda=lam)
    X = rng.randn(sizes[0], m)
    if activations[-1] == "softmax":
        Y = R.one_hot(rng.randint(0, sizes[-1], m), sizes[-1])
    else:
        Y = (rng.rand(1, m) > 0.5).astype(float)
    model.forward(X)
    grads = model.backward(Y)
    for name in model.params:
        def loss_of(value, name=name):
            saved = model.params[name]
            model.params[name] = value
            try:
                return model.compute_loss(model.forward(X), Y)
            finally:
                model.params[name] = saved
        numeric = R.numerical_gradient(loss_of, model.params[name].copy())
        assert grads[f"d{name}"].shape == model.params[name].shape
        assert R.relative_error(grads[f"d{name}"], numeric) < 1e-6, name


def test_gradients_are_batch_means(rng):
    """Doubling the batch by repeating it leaves every gradient unchanged."""
    params = R.MLP([3, 4, 1], ["tanh", "sigmoid"], seed=1).params
    X, Y = rng.randn(3, 5), (rng.rand(1, 5) > 0.5).astype(float)
    _, cache = R.forward(X, params, ["tanh", "sigmoid"])
    once = R.backward(Y, params, cache, ["tanh", "sigmoid"])
    _, cache2 = R.forward(np.hstack([X, X]), params, ["tanh", "sigmoid"])
    twice = R.backward(np.hstack([Y, Y]), params, cache2, ["tanh", "sigmoid"])
    for key in once:
        assert np.allclose(once[key], twice[key])


def test_forward_cache_and_stage_functions_do_not_modify_inputs(rng):
    params = R.MLP([2, 3, 1], seed=5).params
    frozen = {k: v.copy() for k, v in params.items()}
    X = rng.randn(2, 4)
    X0 = X.copy()
    a, cache = R.forward(X, params, ["relu", "sigmoid"])
    assert sorted(cache) == ["A0", "A1", "A2", "Z1", "Z2"] and cache["A0"] is X
    grads = R.backward(np.ones((1, 4)), params, cache, ["relu", "sigmoid"])
    R.update_parameters(params, grads, 0.5)
    assert np.array_equal(X, X0)
    assert all(np.array_equal(params[k], frozen[k]) for k in params)
