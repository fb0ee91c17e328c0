"""Every figure the tutorial prints, recomputed with the reference.

Each expected value below is the tutorial's printed text; the assertion
formats the reference's own result the way the tutorial printed it (an
f-string with N decimals, or NumPy's array printing) and compares the text.
Where the tutorial is wrong, the test asserts the correct figure, proves the
tutorial's figure is not what the maths gives, and docs/errata.md explains.
"""
import numpy as np
import pytest

import reference as R
from reference import experiments


def printed(value, text):
    """Assert ``value`` shows as ``text`` at the tutorial's precision:
    ``"0.7492"`` means 4 decimals; ``"98.50%"`` a percentage with 2."""
    if text.endswith("%"):
        decimals = len(text[:-1].split(".")[1]) if "." in text else 0
        assert f"{value:.{decimals}%}" == text
    else:
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert f"{value:.{decimals}f}" == text


def numpy_printed(array, text):
    """Assert NumPy prints ``array`` exactly as the tutorial shows it, with
    NumPy's default print options (whatever other code set globally)."""
    with np.printoptions(precision=8, threshold=1000, edgeitems=3, linewidth=75,
                         suppress=False, floatmode="maxprec", sign="-", legacy=False):
        assert str(np.asarray(array)) == text


# ---------------------------------------------------------------- Part 2

HAND_X = np.array([[1.0], [2.0]])
HAND_PARAMS = {
    "W1": np.array([[0.1, 0.2], [0.3, 0.4]]), "b1": np.array([[0.1], [0.2]]),
    "W2": np.array([[0.5, 0.6]]), "b2": np.array([[0.3]]),
}
PRACTICE_X = np.array([[0.5], [0.8]])
PRACTICE_PARAMS = {
    "W1": np.array([[0.2, 0.4], [0.6, 0.1]]), "b1": np.array([[0.0], [0.1]]),
    "W2": np.array([[0.3, 0.7]]), "b2": np.array([[0.2]]),
}


@pytest.fixture(scope="module")
def hand_forward():
    return R.forward(HAND_X, HAND_PARAMS, ["sigmoid", "sigmoid"])


def test_parameter_count_of_the_3_4_2_diagram():
    # "Total Parameters: W[1] (12) + b[1] (4) + W[2] (8) + b[2] (2) = 26"
    assert R.count_parameters([3, 4]) == 12 + 4
    assert R.count_parameters([4, 2]) == 8 + 2
    assert R.count_parameters([3, 4, 2]) == 26


def test_hand_forward_layer_1(hand_forward):
    _, cache = hand_forward
    linear = HAND_PARAMS["W1"] @ HAND_X
    printed(linear[0, 0], "0.50")
    printed(linear[1, 0], "1.10")
    numpy_printed(cache["Z1"].flatten(), "[0.6 1.3]")
    printed(cache["A1"][0, 0], "0.6457")
    printed(cache["A1"][1, 0], "0.7858")
    numpy_printed(cache["A1"].flatten(), "[0.64565631 0.78583498]")


def test_hand_forward_layer_2(hand_forward):
    a2, cache = hand_forward
    printed((HAND_PARAMS["W2"] @ cache["A1"])[0, 0], "0.7943")
    printed(cache["Z2"][0, 0], "1.0943")
    printed(a2[0, 0], "0.7492")
    numpy_printed(cache["Z2"].flatten(), "[1.09432914]")
    numpy_printed(a2.flatten(), "[0.74919605]")


def test_practice_problem_hidden_layer():
    _, cache = R.forward(PRACTICE_X, PRACTICE_PARAMS, ["tanh", "sigmoid"])
    printed(cache["Z1"][0, 0], "0.42")
    printed(cache["Z1"][1, 0], "0.48")
    printed(cache["A1"][0, 0], "0.3969")
    printed(cache["A1"][1, 0], "0.4462")


def test_practice_problem_output_erratum():
    """The tutorial prints z2 = 0.5312 and a2 = 0.6298 (errata E1)."""
    a2, cache = R.forward(PRACTICE_X, PRACTICE_PARAMS, ["tanh", "sigmoid"])
    by_hand = 0.3 * np.tanh(0.42) + 0.7 * np.tanh(0.48) + 0.2
    assert cache["Z2"][0, 0] == pytest.approx(by_hand, abs=1e-15)
    printed(cache["Z2"][0, 0], "0.6314")
    printed(a2[0, 0], "0.6528")
    assert f"{cache['Z2'][0, 0]:.4f}" != "0.5312"
    # The tutorial's a2 is consistent with its wrong z2: the slip is in z2.
    printed(R.sigmoid(np.array(0.5312)), "0.6298")


# ---------------------------------------------------------------- Part 3

@pytest.fixture(scope="module")
def hand_backward(hand_forward):
    a2, cache = hand_forward
    y = np.array([[1.0]])
    grads = R.backward(y, HAND_PARAMS, cache, ["sigmoid", "sigmoid"])
    return y, a2, cache, grads


def test_stale_comment_values_erratum(hand_forward):
    """Part 3.4's comment says z2 ≈ 0.9941, a2 ≈ 0.7299 (errata E2)."""
    a2, cache = hand_forward
    assert f"{cache['Z2'][0, 0]:.4f}" != "0.9941"
    assert f"{a2[0, 0]:.4f}" != "0.7299"
    printed(cache["Z2"][0, 0], "1.0943")
    printed(a2[0, 0], "0.7492")


def test_hand_loss(hand_backward):
    y, a2, _, _ = hand_backward
    printed(1 - a2[0, 0], "0.2508")
    printed(R.binary_cross_entropy(a2, y), "0.2888")
    printed(-np.log(a2[0, 0]), "0.2888")


def test_hand_output_gradients(hand_backward):
    y, a2, cache, grads = hand_backward
    printed((a2 - y)[0, 0], "-0.2508")
    printed(grads["dW2"][0, 0], "-0.1619")
    printed(grads["dW2"][0, 1], "-0.1971")
    printed(grads["db2"][0, 0], "-0.2508")
    numpy_printed(0.1 * grads["dW2"], "[[-0.01619332 -0.01970905]]")
    numpy_printed(grads["dW2"], "[[-0.16193315 -0.19709052]]")


def test_hand_hidden_gradients(hand_backward):
    y, a2, cache, grads = hand_backward
    da1 = HAND_PARAMS["W2"].T @ (a2 - y)
    printed(da1[0, 0], "-0.1254")
    printed(da1[1, 0], "-0.1505")
    a1 = cache["A1"]
    printed(1 - a1[0, 0], "0.3543")
    printed(1 - a1[1, 0], "0.2142")
    slope = R.sigmoid_derivative(cache["Z1"])
    printed(slope[0, 0], "0.2288")
    printed(slope[1, 0], "0.1683")
    printed(grads["db1"][0, 0], "-0.0287")
    printed(grads["db1"][1, 0], "-0.0253")
    numpy_printed(grads["dW1"], "[[-0.02869    -0.05737999]\n [-0.02532594 -0.05065187]]")
    numpy_printed(grads["db1"].flatten(), "[-0.02869    -0.02532594]")


def test_hand_update(hand_backward):
    *_, grads = hand_backward
    new = R.update_parameters(HAND_PARAMS, grads, 0.1)
    numpy_printed(new["W2"], "[[0.51619332 0.61970905]]")
    numpy_printed(new["W1"], "[[0.102869   0.205738  ]\n [0.30253259 0.40506519]]")
    assert HAND_PARAMS["W2"].tolist() == [[0.5, 0.6]], "update_parameters must not modify its input"


# ---------------------------------------------------------------- Part 4: XOR

XOR_LOG = """\
Epoch     0 | Loss: 0.694109 | Accuracy: 50.00%
Epoch  1000 | Loss: 0.006024 | Accuracy: 100.00%
Epoch  2000 | Loss: 0.002652 | Accuracy: 100.00%
Epoch  3000 | Loss: 0.001695 | Accuracy: 100.00%
Epoch  4000 | Loss: 0.001244 | Accuracy: 100.00%
Epoch  4999 | Loss: 0.000983 | Accuracy: 100.00%
"""


@pytest.fixture(scope="module")
def xor():
    return experiments.xor_run()


def test_xor_architecture(xor):
    assert xor.model.summary() == (
        "Architecture: 2 → 4 → 1\nActivations: ['tanh', 'sigmoid']\nTotal parameters: 17")


def test_xor_training_log(xor):
    assert xor.log == XOR_LOG


def test_xor_final_predictions(xor):
    for value, text in zip(xor.extra["predictions"], ["0.0001", "0.9989", "0.9989", "0.0016"]):
        printed(value, text)
    assert [int(p > 0.5) for p in xor.extra["predictions"]] == [0, 1, 1, 0]


# ---------------------------------------------------------------- Part 5: moons

MOONS_LOG = """\
Epoch     0 | Loss: 1.035364 | Accuracy: 49.75%
Epoch   200 | Loss: 0.237045 | Accuracy: 90.25%
Epoch   400 | Loss: 0.181440 | Accuracy: 91.75%
Epoch   600 | Loss: 0.131691 | Accuracy: 95.50%
Epoch   800 | Loss: 0.097807 | Accuracy: 97.00%
Epoch  1000 | Loss: 0.077548 | Accuracy: 98.25%
Epoch  1200 | Loss: 0.066954 | Accuracy: 98.50%
Epoch  1400 | Loss: 0.060750 | Accuracy: 98.50%
Epoch  1600 | Loss: 0.056776 | Accuracy: 98.50%
Epoch  1800 | Loss: 0.053972 | Accuracy: 98.50%
Epoch  1999 | Loss: 0.051922 | Accuracy: 98.50%
"""


def test_moons_data_set(moons):
    assert moons.X_train.shape == (2, 400)   # "Training samples: 400", "Features: 2"
    assert moons.X_test.shape == (2, 100)    # "Test samples: 100"
    assert np.bincount(moons.y_train[0]).tolist() == [201, 199]
    X, y = R.make_moons(500, 0.2, 42)
    assert np.bincount(y).tolist() == [250, 250]


def test_moons_training_log(moons_run):
    assert moons_run.model.summary().endswith("Total parameters: 193")
    assert moons_run.log == MOONS_LOG


def test_moons_final_accuracies(moons_run):
    printed(moons_run.train_accuracy, "98.50%")
    printed(moons_run.test_accuracy, "96.00%")


def test_decision_boundary_title_and_contour(moons, moons_run):
    title = f"MLP Decision Boundary (Test Accuracy: {moons_run.test_accuracy:.2%})"
    assert title.endswith("(Test Accuracy: 96.00%)")
    fig = R.plot_decision_boundary(moons_run.model, moons.raw_test, moons.y_test[0],
                                   moons.mean, moons.std, title=title)
    ax = fig.axes[0]
    assert ax.get_title() == title
    assert len(ax.collections) >= 3  # filled contours, the 0.5 line, the points


# ---------------------------------------------------------------- Part 6

ARCHITECTURE_TABLE = [
    # label, parameters, train, test, final loss (as printed)
    ("Shallow (2→4→1)", 17, "95.50%", "93.00%", "0.123278"),
    ("Medium (2→8→1)", 33, "93.25%", "90.00%", "0.165954"),
    ("Wide (2→16→1)", 65, "96.50%", "94.00%", "0.102576"),
    ("Deep (2→8→8→1)", 105, "98.00%", "97.00%", "0.057835"),
    ("Wide-Deep (2→16→8→1)", 193, "98.50%", "96.00%", "0.058604"),
]
LEARNING_RATE_TABLE = [(0.001, "80.00%", "⚠️"), (0.01, "83.00%", "✅"), (0.1, "96.00%", "✅"),
                       (0.5, "96.00%", "✅"), (1.0, "96.00%", "✅")]


def _status(accuracy):
    """The tutorial's marks: above 80% good, above 60% a warning."""
    return "✅" if accuracy > 0.8 else "⚠️" if accuracy > 0.6 else "❌"


@pytest.fixture(scope="module")
def architecture_runs(moons):
    return experiments.architecture_runs(moons)


@pytest.mark.parametrize("row", range(len(ARCHITECTURE_TABLE)), ids=[r[0] for r in ARCHITECTURE_TABLE])
def test_architecture_table(architecture_runs, row):
    label, n_params, train, test, loss = ARCHITECTURE_TABLE[row]
    run = architecture_runs[row]
    assert run.label == label
    assert R.count_parameters(run.model.layer_sizes) == n_params
    printed(run.train_accuracy, train)
    printed(run.test_accuracy, test)
    printed(run.losses[-1], loss)
    assert len(run.losses) == 1500


def test_learning_rate_table(moons):
    runs = experiments.learning_rate_runs(moons)
    assert [r.extra["learning_rate"] for r in runs] == [lr for lr, _, _ in LEARNING_RATE_TABLE]
    for run, (lr, accuracy, mark) in zip(runs, LEARNING_RATE_TABLE):
        printed(run.test_accuracy, accuracy)
        assert _status(run.test_accuracy) == mark, f"lr={lr}"


def test_activation_summary_ranges():
    """Part 1.3's table: sigmoid in (0, 1), tanh in (-1, 1), ReLU in [0, inf)."""
    z = np.linspace(-30, 30, 601)
    s, t, r = R.sigmoid(z), R.tanh(z), R.relu(z)
    assert 0 < s.min() and s.max() < 1 + 1e-12 and s[0] < 1e-12
    assert -1 <= t.min() and t.max() <= 1
    assert r.min() == 0 and r.max() == 30


def test_moons_report_of_the_cli(moons, moons_run, architecture_runs):
    text = experiments.format_moons_report(moons, moons_run, architecture_runs, [])
    assert "Training accuracy: 98.50%" in text and "Test accuracy:     96.00%" in text
    for label, _, train, test, loss in ARCHITECTURE_TABLE:
        assert f"{label:<25} {train:>11} {test:>11} {loss:>12}" in text
