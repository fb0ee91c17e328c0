"""What the notebooks' text claims, recomputed.

A claim a reader could check by running code (the moons' geometry, a loss
curve's shape, an accuracy) is computed here with ``reference`` and the
notebook's text is required to say what the numbers show, so that the text
cannot drift away from the code.  Where a notebook provides or asks for a
function that ``reference`` also has, the two are required to agree bit for
bit.
"""
from __future__ import annotations

import math
import re

import matplotlib
import numpy as np
import pytest

import reference as R
from reference import experiments

from .support.stage_notebooks import STAGES, cells, nbgrader, solution_path, source


def notebook_cells(stage: str) -> list[dict]:
    return cells(solution_path(stage))


def markdown(stage: str) -> str:
    """Every markdown cell of a stage's solutions notebook, one text."""
    return "\n\n".join(source(c) for c in notebook_cells(stage) if c["cell_type"] == "markdown")


def flat(text: str) -> str:
    """Text with every run of white space made one space, so that a phrase
    matches across the notebook's line breaks."""
    return re.sub(r"\s+", " ", text)


def cell(stage: str, key: str) -> dict:
    """A cell by its id or its nbgrader grade_id."""
    found = [c for c in notebook_cells(stage) if c.get("id") == key or nbgrader(c).get("grade_id") == key]
    assert len(found) == 1, f"{stage}: {len(found)} cells called {key!r}"
    return found[0]


def notebook_function(stage: str, key: str, name: str):
    """The function ``name`` defined by cell ``key`` of a stage's solutions
    notebook, run after the notebook's imports cell (``setup`` in stages 1-3,
    ``provided_imports`` in stages 4-6)."""
    matplotlib.use("Agg")
    imports = "setup" if stage < "04" else "provided_imports"
    namespace = {}
    for part in (imports, key):
        exec(compile(source(cell(stage, part)), f"{stage}:{part}", "exec"), namespace)
    return namespace[name]


# ------------------------------------------------------------ 05: the moons

def test_lower_moon_is_the_upper_one_upside_down_and_moved_half_up():
    X, y = R.make_moons(n_samples=202, noise=0.0, seed=0)   # t = pi / 2 is among the angles
    upper, lower = X[y == 0], X[y == 1]
    # (1 - cos t, 1/2 - sin t) = -(cos t, sin t) + (1, 1/2): centred at (1, 1/2).
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.allclose(np.sort(lower[:, 0]), np.sort(1.0 - upper[:, 0]))
    assert np.allclose(np.sort(lower[:, 1]), np.sort(0.5 - upper[:, 1]))
    assert lower[:, 1].min() == pytest.approx(-0.5) and lower[:, 1].max() == pytest.approx(0.5)
    text = flat(markdown("05_moons"))
    assert "turned upside down and moved 1 to the right and ½ up" in text
    assert "the unit circle around $(1, \\tfrac12)$" in text
    assert "½ down" not in text


# Sizes with an odd count among them: the first class gets n // 2 points.
DATA_SIZES = [(500, 0.2, 42), (7, 0.0, 0), (7, 0.3, 5), (101, 0.2, 42), (64, 0.1, 3), (3, 0.25, 11)]


@pytest.mark.parametrize("copy", [("05_moons", "make_moons"), ("06_extensions", "provided_datasets_and_plotting")],
                         ids=["05 answer", "06 provided"])
@pytest.mark.parametrize("n, noise, seed", DATA_SIZES)
def test_notebook_moons_equal_the_reference_bit_for_bit(copy, n, noise, seed):
    make_moons = notebook_function(*copy, "make_moons")
    X, y = make_moons(n_samples=n, noise=noise, seed=seed)
    X_ref, y_ref = R.make_moons(n, noise, seed)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert np.bincount(y).tolist() == [n // 2, n - n // 2]
    assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)
    assert np.issubdtype(y.dtype, np.integer)


@pytest.mark.parametrize("n, noise, seed", DATA_SIZES)
def test_notebook_circles_equal_the_reference_bit_for_bit(n, noise, seed):
    make_circles = notebook_function("06_extensions", "make_circles", "make_circles")
    for factor in (0.5, 0.3):
        X, y = make_circles(n_samples=n, noise=noise, factor=factor, seed=seed)
        X_ref, y_ref = R.make_circles(n, noise, factor, seed)
        assert X.shape == (n, 2) and np.bincount(y).tolist() == [n // 2, n - n // 2]
        assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)


def test_bit_for_bit_is_claimed_only_with_the_order_of_arithmetic():
    """Stage 5 says a student's 1/2 - sin t matches the course to 1e-6 but
    not bit for bit, because (1 - sin t) - 1/2 rounds differently for some
    angles; both halves of that must stay true."""
    angles = np.linspace(0, np.pi, 250)
    differ = int(np.sum((1 - np.sin(angles)) - 0.5 != 0.5 - np.sin(angles)))
    assert differ == 31
    X, y = R.make_moons(250 * 2, 0.0, 0)
    lower = X[y == 1]
    assert np.array_equal(np.sort(lower[:, 1]), np.sort((1 - np.sin(angles)) - 0.5))
    text = flat(markdown("05_moons"))
    assert text.count("bit for bit") == 1
    assert "Equality *bit for bit* would also need the same order of arithmetic" in text
    assert "$(1 - \\sin t) - \\tfrac12$" in text


# ---------------------------------------------------------- 06: the circles

def best_straight_line(X: np.ndarray, y: np.ndarray, directions: int) -> float:
    """The largest share of points any straight line classifies right: for
    each direction, every cut between the points sorted along it, either
    class on either side."""
    best = 0.0
    for angle in np.linspace(0, np.pi, directions, endpoint=False):
        labels = y[np.argsort(X @ np.array([np.cos(angle), np.sin(angle)]))]
        ones_below = np.concatenate([[0], np.cumsum(labels)])
        right = (np.arange(labels.size + 1) - ones_below) + (labels.sum() - ones_below)
        best = max(best, right.max() / labels.size, 1 - right.min() / labels.size)
    return best


@pytest.fixture(scope="module")
def circles():
    X, y = R.make_circles(500, 0.1, 0.5, 42)
    X_train, X_test, y_train, y_test = R.train_test_split(X, y, test_size=0.2, seed=42)
    train_s, test_s, _, _ = R.standardize(X_train, X_test)
    return X, y, train_s.T, y_train.reshape(1, -1), test_s.T, y_test.reshape(1, -1)


def test_the_best_straight_line_on_the_circles_gets_about_two_thirds(circles):
    X, y = circles[:2]
    coarse = best_straight_line(X, y, 360)      # what the notebook's cell tries
    fine = best_straight_line(X, y, 3600)
    assert f"{coarse:.0%}" == "66%"
    assert 0.64 < coarse <= fine < 0.69          # about two thirds, and 360 directions miss little
    text = flat(markdown("06_extensions"))
    assert "The best one gets only about two thirds of the points right" in text
    assert f"finds one that gets {coarse:.0%} of the 500 points right" in text
    for false_claim in ("whichever line you draw", "every line cuts through both rings"):
        assert false_claim not in text


def test_logistic_regression_on_the_circles_stays_a_coin_toss(circles):
    X_train, Y_train, X_test, Y_test = circles[2:]
    gradient_at_zero = (0.5 - Y_train) @ X_train.T / Y_train.shape[1]
    model = R.MLP([2, 1], learning_rate=0.1, seed=42)
    losses = model.train(X_train, Y_train, epochs=2000, verbose=False)
    probabilities = model.forward(X_train)
    assert np.abs(gradient_at_zero).max() < 0.02
    assert np.abs(model.params["W1"]).max() < 0.1 and abs(model.params["b1"][0, 0]) < 0.1
    assert abs(losses[-1] - math.log(2)) < 0.001
    assert 0.45 < probabilities.min() and probabilities.max() < 0.55
    assert model.evaluate(X_train, Y_train) == pytest.approx(0.5025)
    assert model.evaluate(X_test, Y_test) == pytest.approx(0.40)
    text = flat(markdown("06_extensions"))
    assert (f"probabilities between {probabilities.min():.2f} and {probabilities.max():.2f} on the "
            f"training points, and a loss of {losses[-1]:.4f}") in text
    assert f"$\\ln 2 \\approx {math.log(2):.4f}$" in text
    assert "about half of the training points and 40% of the test points right" in text


# ------------------------------------------------- 05: the moons' loss curve

def test_the_spirals_need_a_hidden_layer_as_the_text_says():
    """Stage 6, "Three classes: the spirals": 100 points an arm, 240 to
    train and 60 to test; without a hidden layer the accuracy stays near
    one half, with 64 hidden ReLU units all or nearly all test points are
    right (softmax, Adam at 0.01, 1000 epochs)."""
    X, y = R.make_spirals(n_per_class=100, n_classes=3, noise=0.2, seed=0)
    X_train, X_test, y_train, y_test = R.train_test_split(X, y, test_size=0.2, seed=42)
    assert (len(y_train), len(y_test)) == (240, 60)
    X_train, X_test, _, _ = R.standardize(X_train, X_test)
    accuracy = {}
    for hidden in ([], [64]):
        net = R.MLP([2, *hidden, 3], ["relu"] * len(hidden) + ["softmax"], learning_rate=0.01, seed=42,
                    optimizer="adam")
        net.train(X_train.T, R.one_hot(y_train, 3), epochs=1000, verbose=False)
        accuracy[len(hidden)] = (net.evaluate(X_train.T, R.one_hot(y_train, 3)),
                                 net.evaluate(X_test.T, R.one_hot(y_test, 3)))
    assert all(0.4 < value < 0.65 for value in accuracy[0])
    assert accuracy[1][1] >= 59 / 60 and accuracy[1][0] >= 0.98


def test_the_moons_loss_curve_has_the_phases_the_text_describes(moons_run):
    losses = np.asarray(moons_run.losses)
    assert len(losses) == 2000

    def drop(start, end):
        return losses[start] - losses[min(end, len(losses) - 1)]

    per_100 = [drop(start, start + 100) for start in range(0, 2000, 100)]
    # 1. a steep fall: three quarters of a unit in 50 epochs
    assert drop(0, 50) > 0.7
    # 2. a near stall: the next 250 epochs fall by a tenth of that
    assert drop(50, 300) < drop(0, 50) / 10
    # 3. a second drop: the fall per 100 epochs grows again after epoch 300,
    #    and 300-900 lowers the loss more than 50-300 did
    assert per_100[3] > 1.3 * per_100[2]
    assert drop(300, 900) > 1.5 * drop(50, 300)
    # 4. then slow: every later 100 epochs fall less than any before epoch 900
    assert max(per_100[9:]) < min(per_100[1:9])
    text = flat(markdown("05_moons"))
    for phrase in (f"The loss falls from {losses[0]:.3f} to {losses[50]:.3f} in the first 50 epochs.",
                   f"the next 250 epochs only take it to {losses[300]:.3f}.",
                   f"(the drop per 100 epochs grows from {per_100[2]:.3f} to {per_100[3]:.3f})",
                   f"by epoch 900 the loss is down to {losses[900]:.3f}.",
                   f"slows down for good and ends at {losses[-1]:.3f}."):
        assert phrase in text, phrase
    assert "for a few hundred epochs" not in text


# ------------------------------------- 05: depth against width, same size

def test_the_architecture_table_as_the_text_reads_it(moons):
    runs = experiments.architecture_runs(moons)
    one_layer, two_layers = runs[:3], runs[3:]
    final = [run.losses[-1] for run in runs]
    assert [R.count_parameters(run.model.layer_sizes) for run in runs] == [17, 33, 65, 105, 193]
    assert max(final[3:]) < 0.6 * min(final[:3])                 # about half the best one-layer loss
    best_one = max(run.test_accuracy for run in one_layer)
    gaps = [round(100 * (run.test_accuracy - best_one)) for run in two_layers]
    assert sorted(gaps) == [2, 3]                                # "two or three points"
    text = flat(markdown("05_moons"))
    assert (f"({final[3]:.3f} and {final[4]:.3f} against {min(final[:3]):.3f}). Their test scores, "
            f"{two_layers[0].test_accuracy:.0%} and {two_layers[1].test_accuracy:.0%}, are only two or three "
            f"points above the best one-layer network's {best_one:.0%}") in text
    assert "Depth helps more than width" not in text


def test_equal_parameter_counts_depth_trains_faster_but_tests_the_same(moons):
    """2-48-1 and 2-16-8-1 both have 193 parameters; over seeds 0-9 the deep
    one always ends with the lower training loss, the test accuracies agree
    within a point."""
    assert R.count_parameters([2, 48, 1]) == R.count_parameters([2, 16, 8, 1]) == 193
    results = {}
    for sizes in ([2, 48, 1], [2, 16, 8, 1]):
        finals, scores = [], []
        for seed in range(10):
            model = R.MLP(sizes, learning_rate=0.1, seed=seed)
            finals.append(model.train(moons.X_train, moons.y_train, epochs=1500, verbose=False)[-1])
            scores.append(model.evaluate(moons.X_test, moons.y_test))
        results[len(sizes)] = np.array(finals), np.array(scores)
    (wide_loss, wide_test), (deep_loss, deep_test) = results[3], results[4]
    assert np.all(deep_loss < wide_loss)
    assert abs(deep_test.mean() - wide_test.mean()) <= 0.01
    text = flat(markdown("05_moons"))
    assert (f"lower training loss from every seed ({deep_loss.min():.3f} to {deep_loss.max():.3f}, against "
            f"{wide_loss.min():.3f} to {wide_loss.max():.3f} for one layer of 48)") in text
    assert (f"within a point: {deep_test.min():.0%} to {deep_test.max():.0%} against {wide_test.min():.0%} to "
            f"{wide_test.max():.0%}, means {deep_test.mean():.1%} and {wide_test.mean():.1%}.") in text


# ------------------------------------------------------------ 03: XOR's log

def test_the_xor_loss_the_text_cites_is_the_last_one_recorded():
    losses = experiments.xor_run().losses
    assert len(losses) == 5000
    text = flat(markdown("03_backprop"))
    assert f"loss {losses[0]:.4f} at step 0 and {losses[4999]:.5f} at step 4999, the last loss recorded" in text


# ------------------------------------------- one name, one contract

def test_each_gradient_checker_name_has_one_contract():
    """numerical_gradient(f, x) passes the array to f (stage 3, as in
    reference); numerical_gradient_in_place(f, x) calls f() and nudges x
    itself (stages 4 and 6)."""
    defined = {stage: re.findall(r"^def (numerical_gradient\w*)\(", "\n".join(
                   source(c) for c in notebook_cells(stage) if c["cell_type"] == "code"), re.M)
               for stage in STAGES}
    assert defined == {"01_activations": [], "02_forward_pass": [], "03_backprop": ["numerical_gradient"],
                       "04_mlp_class": ["numerical_gradient_in_place"], "05_moons": [],
                       "06_extensions": ["numerical_gradient_in_place"]}
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    expected = R.numerical_gradient(lambda v: float(np.sum(np.sin(v) * v)), x.copy())
    passing = notebook_function("03_backprop", "gradcheck", "numerical_gradient")
    assert np.array_equal(passing(lambda v: float(np.sum(np.sin(v) * v)), x), expected)
    for stage, key in (("04_mlp_class", "provided_test_helpers"), ("06_extensions", "provided_gradient_checker")):
        in_place = notebook_function(stage, key, "numerical_gradient_in_place")
        y = x.copy()
        assert np.array_equal(in_place(lambda: float(np.sum(np.sin(y) * y)), y), expected)
        assert np.array_equal(y, x)          # restored after the nudges


# ------------------------------------------ gradient-check thresholds

def test_what_the_gradient_check_bounds_separate():
    """Stage 1: correct derivatives give 1e-9 or less on its test, z(1 - z)
    for sigmoid' gives 1.0.  Stage 3: correct backward agrees to about 1e-9
    except on tiny entries, a missing 1/m gives 0.6 with m = 4."""
    rng = np.random.RandomState(0)      # the stage-1 test's points
    z = rng.uniform(0.1, 4.0, size=(3, 5)) * rng.choice([-1.0, 1.0], size=(3, 5))
    for g, g_prime in ((R.sigmoid, R.sigmoid_derivative), (R.tanh, R.tanh_derivative), (R.relu, R.relu_derivative)):
        assert R.relative_error(g_prime(z), R.elementwise_gradient(g, z)) <= 1e-9
    wrong = R.relative_error(z * (1 - z), R.elementwise_gradient(R.sigmoid, z))
    text = flat(markdown("01_activations"))
    assert "prints values of $10^{-9}$ or less" in text
    assert f"gives a relative error of {wrong:.1f} on that test" in text

    rng = np.random.RandomState(7)      # the stage-3 test's network
    sizes, names = [3, 5, 4, 3, 1], ["relu", "tanh", "sigmoid", "sigmoid"]
    params = {}
    for l in range(1, 5):
        params[f"W{l}"], params[f"b{l}"] = rng.randn(sizes[l], sizes[l - 1]), 0.5 * rng.randn(sizes[l], 1)
    X, Y = rng.randn(3, 4), np.array([[1.0, 0.0, 0.0, 1.0]])
    grads = R.backward(Y, params, R.forward(X, params, names)[1], names)
    for name in params:
        numeric = R.numerical_gradient(
            lambda value: R.binary_cross_entropy(R.forward(X, {**params, name: value}, names)[0], Y),
            params[name].copy())
        exact = grads["d" + name]
        big = np.abs(numeric) > 1e-3
        if big.any():
            assert R.relative_error(exact[big], numeric[big]) < 3e-9
        assert np.all(np.abs(exact - numeric) < 1e-10)
        assert R.relative_error(4 * exact, numeric) == pytest.approx(0.6, abs=1e-3)
    text = flat(markdown("03_backprop"))
    assert ("each entry differs from the estimate only by rounding noise, under $10^{-10}$, so the relative "
            "error is about $10^{-9}$ or less for entries above $10^{-3}$") in text
    assert "give $(m-1)/(m+1) = 0.6$ for its $m = 4$" in text


# ------------------------------------------------- titles and point totals

@pytest.mark.parametrize("stage", STAGES)
def test_intro_gives_the_title_and_the_point_total(stage):
    first = 1 if stage == "01_activations" else 0   # stage 1 opens with "About this course"
    intro = source(notebook_cells(stage)[first])
    assert re.match(rf"# Stage {int(stage[:2])} · \S", intro)
    points = sum(float(nbgrader(c).get("points", 0)) for c in notebook_cells(stage)
                 if nbgrader(c).get("grade") and c["cell_type"] == "code")     # the test cells; written answers
    assert f"{points:g} points in all" in flat(intro)                           # give their points themselves


# ------------------------------------------- 05: the standardising example

def test_neither_test_column_is_centred_in_the_standardising_example():
    X_train = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])     # the notebook's worked example
    X_test = np.array([[7.0, 30.0], [1.0, -10.0]])
    train_s, test_s, _, _ = R.standardize(X_train, X_test)
    assert np.allclose(train_s.mean(axis=0), 0.0)
    assert np.all(np.abs(test_s.mean(axis=0)) > 0.5)
    assert "neither column of the test set is centred afterwards" in flat(markdown("05_moons"))
    assert "X_test_ex = np.array([[7.0, 30.0], [1.0, -10.0]])" in source(cell("05_moons", "b66d7db9"))


def test_withdrawn_statements_stay_withdrawn():
    """Sentences the review of the notebooks found wrong or misleading."""
    text = flat(" ".join(markdown(stage) for stage in STAGES))
    for phrase in ("each sigmoid layer shrinks the gradient by a factor of at least 4",
                   "holds for a **sigmoid output with binary cross-entropy** only",
                   "about 0.00098 after the last step",
                   "makes the test score look better",
                   "are the defaults in the deep-learning libraries",
                   "adding the same constant $c$",
                   "optimisers that adapt their steps",
                   "second moment",
                   "\\text{decay\\_rate}",
                   "the test set's second column is *not* centred"):
        assert phrase not in text, phrase
    code = " ".join(source(c) for stage in STAGES for c in notebook_cells(stage))
    assert "so two tiny numbers do not look far apart" not in flat(code)     # relative_error's docstring
