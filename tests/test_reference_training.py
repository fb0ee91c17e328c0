"""Optimisers worked by hand, randomness, the MLP class and its options."""
import numpy as np
import pytest

import reference as R
from reference import experiments


def _one_param(theta, g):
    return {"W1": np.array(theta, dtype=float)}, {"dW1": np.array(g, dtype=float)}


# ------------------------------------------------------------ optimisers by hand

def test_sgd_step_by_hand():
    params, grads = _one_param([1.0, -2.0], [0.5, -1.0])
    R.SGD().step(params, grads, 0.1)
    assert params["W1"].tolist() == pytest.approx([0.95, -1.9])


def test_momentum_two_steps_by_hand():
    # beta 0.9, lr 0.1.  Step 1: v = 0.1 * g = [0.05, -0.1]; theta = [0.995, -1.99].
    # Step 2 with g = [1, 1]: v = 0.9 [0.05, -0.1] + 0.1 [1, 1] = [0.145, 0.01];
    # theta = [0.995 - 0.0145, -1.99 - 0.001] = [0.9805, -1.991].
    params, grads = _one_param([1.0, -2.0], [0.5, -1.0])
    opt = R.Momentum(beta=0.9)
    opt.step(params, grads, 0.1)
    assert params["W1"].tolist() == pytest.approx([0.995, -1.99])
    opt.step(params, {"dW1": np.array([1.0, 1.0])}, 0.1)
    assert opt.velocity["W1"].tolist() == pytest.approx([0.145, 0.01])
    assert params["W1"].tolist() == pytest.approx([0.9805, -1.991])


def test_rmsprop_first_step_by_hand():
    # rho 0.9: s = 0.1 g^2, so the step is lr g / (sqrt(0.1) |g|) = lr sign(g) / 0.31622777.
    params, grads = _one_param([0.0, 0.0], [2.0, -0.5])
    R.RMSprop(rho=0.9, epsilon=0.0).step(params, grads, 0.01)
    assert params["W1"].tolist() == pytest.approx([-0.0316227766, 0.0316227766])


def test_adam_two_steps_by_hand():
    # Step 1: m = 0.1 g, v = 0.001 g^2; bias-corrected m_hat = g, v_hat = g^2,
    # so theta moves by lr * sign(g): [-0.001, +0.001] with lr 0.001.
    params, grads = _one_param([0.0, 0.0], [4.0, -0.25])
    opt = R.Adam(epsilon=0.0)
    opt.step(params, grads, 0.001)
    assert params["W1"].tolist() == pytest.approx([-0.001, 0.001])
    # Step 2 with the same g: m = 0.19 g, v = 0.001999 g^2; m_hat = 0.19/0.19 g = g,
    # v_hat = 0.001999/0.001999 g^2 = g^2: again lr * sign(g).
    opt.step(params, grads, 0.001)
    assert opt.t == 2
    assert opt.first["W1"].tolist() == pytest.approx([0.76, -0.0475])
    assert params["W1"].tolist() == pytest.approx([-0.002, 0.002])


def test_inverse_time_decay_by_hand():
    assert R.inverse_time_decay(0.3, 0, 0.5) == 0.3
    assert R.inverse_time_decay(0.3, 1, 0.5) == pytest.approx(0.2)
    assert R.inverse_time_decay(0.3, 4, 0.5) == pytest.approx(0.1)


def test_optimizer_table_has_one_interface():
    for name, cls in R.OPTIMIZERS.items():
        opt = R.make_optimizer(name)
        assert isinstance(opt, cls) and callable(opt.step)
    custom = R.Momentum(beta=0.5)
    assert R.make_optimizer(custom) is custom


# ------------------------------------------------------------ randomness

def test_random_state_matches_the_tutorials_global_stream():
    state = np.random.get_state()
    try:
        np.random.seed(42)
        tutorial_draw = np.random.randn(16, 2) * np.sqrt(2 / 2)
        np.random.seed(42)
        tutorial_normal = np.random.normal(0, 0.2, (500, 2))
        tutorial_perm = np.random.permutation(500)
    finally:
        np.random.set_state(state)
    rs = np.random.RandomState(42)
    assert np.array_equal(rs.randn(16, 2) * np.sqrt(2 / 2), tutorial_draw)
    rs = np.random.RandomState(42)
    assert np.array_equal(rs.normal(0, 0.2, (500, 2)), tutorial_normal)
    assert np.array_equal(rs.permutation(500), tutorial_perm)
    assert np.array_equal(R.MLP([2, 16, 8, 1], seed=42).params["W1"], tutorial_draw)


def test_reference_never_touches_the_global_random_state():
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    R.make_moons()
    R.make_circles()
    R.train_test_split(*R.make_moons())
    R.MLP([2, 3, 1], seed=1).train(np.zeros((2, 4)), np.zeros((1, 4)), epochs=3, verbose=False)
    assert np.array_equal(np.random.get_state()[1], before)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = R.make_moons(seed=1), R.make_moons(seed=1), R.make_moons(seed=2)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


def test_make_moons_odd_sizes_and_split_sizes():
    X, y = R.make_moons(n_samples=101)
    assert X.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    parts = R.train_test_split(X, y, test_size=0.2)
    assert [len(p) for p in parts] == [81, 20, 81, 20]


def test_standardize_uses_training_statistics(rng):
    train, test = rng.randn(50, 2) * 3 + 1, rng.randn(20, 2) + 10
    train_s, test_s, mean, std = R.standardize(train, test)
    assert np.allclose(train_s.mean(axis=0), 0) and np.allclose(train_s.std(axis=0), 1)
    assert np.allclose(test_s, (test - train.mean(axis=0)) / train.std(axis=0))
    assert mean.shape == std.shape == (2,)


def test_make_circles():
    X, y = R.make_circles(n_samples=400, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert X.shape == (400, 2) and np.bincount(y).tolist() == [200, 200]
    assert np.allclose(radius[y == 0], 1.0) and np.allclose(radius[y == 1], 0.3)
    with pytest.raises(ValueError, match="factor must lie strictly between 0 and 1"):
        R.make_circles(factor=1.5)


# ------------------------------------------------------------ the MLP class

def test_defaults_are_bit_for_bit_the_stage_functions(moons):
    """The class with default options equals a plain loop over the stage functions."""
    model = R.MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=0.1, seed=42)
    params = {k: v.copy() for k, v in model.params.items()}
    losses = model.train(moons.X_train, moons.y_train, epochs=50, verbose=False)
    by_hand = []
    for _ in range(50):
        a, cache = R.forward(moons.X_train, params, ["relu", "relu", "sigmoid"])
        by_hand.append(R.binary_cross_entropy(a, moons.y_train))
        params = R.update_parameters(params, R.backward(moons.y_train, params, cache,
                                                        ["relu", "relu", "sigmoid"]), 0.1)
    assert losses == by_hand
    assert all(np.array_equal(model.params[k], params[k]) for k in params)


@pytest.mark.parametrize("options", [
    {}, {"optimizer": "sgd"}, {"l2_lambda": 0.0}, {"decay_rate": 0.0},
    {"optimizer": R.SGD(), "l2_lambda": 0.0, "decay_rate": 0.0},
])
def test_neutral_options_leave_training_unchanged(moons, options):
    base = R.MLP([2, 8, 1], learning_rate=0.1).train(moons.X_train, moons.y_train, 30, verbose=False)
    other = R.MLP([2, 8, 1], learning_rate=0.1, **options).train(moons.X_train, moons.y_train, 30, verbose=False)
    assert other == base


def test_defaults_equal_the_tutorials_own_class(tutorial, quiet, moons):
    """Bit for bit against the tutorial's code, loaded from ../shared at run time."""
    with quiet():
        theirs = tutorial.MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=0.1, seed=42)
        their_losses = theirs.train(moons.X_train, moons.y_train, epochs=300, verbose=False)
    mine = R.MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=0.1, seed=42)
    assert mine.train(moons.X_train, moons.y_train, epochs=300, verbose=False) == [float(v) for v in their_losses]
    X, y = tutorial.make_moons_manual(500, 0.2, 42)
    assert all(np.array_equal(a, b) for a, b in zip((X, y), R.make_moons(500, 0.2, 42)))


@pytest.mark.parametrize("options", [
    {"l2_lambda": 0.1}, {"optimizer": "momentum", "beta": 0.9}, {"decay_rate": 0.01},
    {"optimizer": "adam"}, {"optimizer": "rmsprop"},
])
def test_each_extension_option_changes_training_and_still_learns(moons, options):
    lr = 0.01 if options.get("optimizer") in ("adam", "rmsprop") else 0.1
    base = R.MLP([2, 16, 8, 1], learning_rate=lr).train(moons.X_train, moons.y_train, 300, verbose=False)
    model = R.MLP([2, 16, 8, 1], learning_rate=lr, **options)
    losses = model.train(moons.X_train, moons.y_train, 300, verbose=False)
    assert losses != base
    assert losses[-1] < 0.5 * losses[0]
    assert model.evaluate(moons.X_test, moons.y_test) > 0.8


def test_l2_shrinks_the_weights(moons):
    plain = R.MLP([2, 16, 8, 1], learning_rate=0.1)
    plain.train(moons.X_train, moons.y_train, 500, verbose=False)
    ridge = R.MLP([2, 16, 8, 1], learning_rate=0.1, l2_lambda=5.0)
    ridge.train(moons.X_train, moons.y_train, 500, verbose=False)
    norm = lambda m: sum(np.sum(m.params[k] ** 2) for k in m.params if k.startswith("W"))
    assert norm(ridge) < 0.7 * norm(plain)


def test_decay_schedule_is_applied_per_epoch():
    model = R.MLP([1, 1], ["sigmoid"], learning_rate=1.0, decay_rate=1.0, optimizer="sgd")
    X, Y = np.ones((1, 1)), np.ones((1, 1))
    steps = []
    for epoch in range(3):
        before = model.params["b1"].copy()
        model.forward(X)
        model.backward(Y)
        model.update_parameters(epoch)
        steps.append(float((before - model.params["b1"])[0, 0] / model.grads["db1"][0, 0]))
    assert steps == pytest.approx([1.0, 0.5, 1 / 3])


def test_softmax_model_on_three_spirals():
    X, y = R.make_spirals(n_per_class=100, n_classes=3, seed=42)
    Y = R.one_hot(y, 3)
    deep = R.MLP([2, 32, 3], ["relu", "softmax"], learning_rate=1.0, seed=0)
    losses = deep.train(X.T, Y, epochs=2000, verbose=False)
    linear = R.MLP([2, 3], ["softmax"], learning_rate=1.0, seed=0)
    linear.train(X.T, Y, epochs=2000, verbose=False)
    assert deep.predict(X.T).shape == (1, 300)
    assert set(np.unique(deep.predict(X.T))) == {0, 1, 2}
    assert deep.evaluate(X.T, Y) > 0.95 > 0.6 > linear.evaluate(X.T, Y)
    assert deep.evaluate(X.T, y.reshape(1, -1)) == deep.evaluate(X.T, Y)
    assert losses[-1] < 0.1


def test_train_prints_the_tutorials_log_format(capsys):
    model = R.MLP([2, 4, 1], ["tanh", "sigmoid"], learning_rate=0.5)
    model.train(experiments.XOR_X, experiments.XOR_Y, epochs=3, print_every=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("|")[0] for line in lines] == ["Epoch     0 ", "Epoch     2 "]
    assert lines[0] == "Epoch     0 | Loss: 0.694109 | Accuracy: 50.00%"


def test_predict_threshold_and_types():
    model = R.MLP([2, 4, 1], ["tanh", "sigmoid"], learning_rate=0.5)
    model.train(experiments.XOR_X, experiments.XOR_Y, epochs=2000, verbose=False)
    labels = model.predict(experiments.XOR_X)
    assert labels.dtype.kind == "i" and labels.tolist() == [[0, 1, 1, 0]]
    assert model.predict(experiments.XOR_X, threshold=0.0).tolist() == [[1, 1, 1, 1]]
    assert type(model.evaluate(experiments.XOR_X, experiments.XOR_Y)) is float
