"""Hidden checks of stage 05: the data functions on other sizes, noise
levels, fractions and seeds, against the reference, and the decision
boundary on another model and data set."""
from __future__ import annotations

import numpy as np

import reference as ref
from .base import CheckFailed, hidden
from .expect import expect_array, expect_unchanged, show, expect_tuple, global_random_untouched
from ..plaindata import copy_tree

STAGE = "05_moons"
CHECKS = []


@hidden(STAGE, CHECKS, "make_moons with other sizes, noise and seeds", 1,
        "make_moons for random sizes, noise levels and seeds: the reference's points and labels, float X and "
        "int y, the global random state untouched")
def moons_random(student, rng):
    # One even and one odd size: the upper moon gets n // 2 points, the lower one the rest.
    for n in (int(rng.integers(4, 60)) * 2, int(rng.integers(4, 60)) * 2 + 1):
        noise, seed = float(rng.uniform(0.0, 0.4)), int(rng.integers(0, 10000))
        label = f"make_moons(n_samples={n}, noise={noise:.3g}, seed={seed})"
        got = global_random_untouched(label, lambda: student.make_moons(n_samples=n, noise=noise, seed=seed))
        expect_tuple(label, got, 2)
        X, y = ref.make_moons(n, noise, seed)
        expect_array(f"X of {label}", got[0], X, atol=1e-9)
        expect_array(f"y of {label}", got[1], y, integer=True)


@hidden(STAGE, CHECKS, "train_test_split with other sizes and seeds", 1,
        "train_test_split for random sizes, fractions and seeds: the reference's four parts, inputs unchanged")
def split_random(student, rng):
    for _ in range(3):
        n, d = int(rng.integers(5, 80)), int(rng.integers(1, 4))
        X, y = rng.normal(0, 1, (n, d)), rng.integers(0, 2, n)
        test_size, seed = float(rng.uniform(0.1, 0.5)), int(rng.integers(0, 10000))
        before = copy_tree((X, y))
        label = f"train_test_split(X {X.shape}, y, test_size={test_size:.3g}, seed={seed})"
        got = global_random_untouched(label, lambda: student.train_test_split(X, y, test_size=test_size, seed=seed))
        expect_tuple(label, got, 4)
        for name, part, expected in zip(("X_train", "X_test", "y_train", "y_test"), got,
                                        ref.train_test_split(*before, test_size=test_size, seed=seed)):
            expect_array(f"{name} of {label}", part, expected, integer=name.startswith("y"))
        expect_unchanged(label, before, (X, y))


@hidden(STAGE, CHECKS, "standardize with other data", 1,
        "standardize on random data with several features and scales: the training statistics applied "
        "to both sets, inputs unchanged")
def standardize_random(student, rng):
    for _ in range(3):
        d = int(rng.integers(1, 5))
        scale, shift = rng.uniform(0.1, 50, d), rng.normal(0, 20, d)
        X_train = rng.normal(0, 1, (int(rng.integers(3, 40)), d)) * scale + shift
        X_test = rng.normal(0.5, 2, (int(rng.integers(2, 20)), d)) * scale + shift
        before = copy_tree((X_train, X_test))
        label = f"standardize(X_train {X_train.shape}, X_test {X_test.shape})"
        got = student.standardize(X_train, X_test)
        expect_tuple(label, got, 4)
        expected = ref.standardize(*before)
        if all(type(part) is np.ndarray for part in got) and got[1].shape == expected[1].shape and \
                np.allclose(got[1], (X_test - X_test.mean(axis=0)) / X_test.std(axis=0)) and \
                not np.allclose(got[1], expected[1]):
            from . import mistakes
            found = mistakes.identify("standardize", before, {}, got)
            raise CheckFailed(f"X_test_s of {label} was scaled with the test set's own mean and std.", found)
        for name, part, value in zip(("X_train_s", "X_test_s", "mean", "std"), got, expected):
            expect_array(f"{name} of {label}", part, value)
        expect_unchanged(label, before, (X_train, X_test))


class ProbeModel:
    """A model lent to the student's plot: P(class 1) rises with the sum of the
    standardised features; it records the points it was asked about."""

    def __init__(self):
        self.calls = []

    def forward(self, points):
        points = np.asarray(points, dtype=float)
        self.calls.append(points)
        if points.ndim != 2 or points.shape[0] != 2:
            raise ValueError(f"the model takes points of shape (2, k); got {points.shape}")
        return 1.0 / (1.0 + np.exp(-(points[0:1] + points[1:2])))


@hidden(STAGE, CHECKS, "plot_decision_boundary on other data", 1,
        "plot_decision_boundary with another model and data set: a Figure whose grid covers the "
        "standardised data, with contours and the data points")
def plot_random(student, rng):
    n = int(rng.integers(20, 60))
    X = rng.normal(0, 1, (n, 2)) * rng.uniform(0.2, 5, 2) + rng.normal(0, 10, 2)
    y = rng.integers(0, 2, n)
    mean, std = X.mean(axis=0), X.std(axis=0)
    model = ProbeModel()
    fig = student.plot_decision_boundary(model, X, y, mean, std, title="hidden check")
    from matplotlib.figure import Figure
    if not isinstance(fig, Figure):
        raise CheckFailed(f"plot_decision_boundary returned {show(fig)}; return the matplotlib Figure.")
    if not model.calls:
        raise CheckFailed("plot_decision_boundary never called model.forward.")
    grid = np.hstack(model.calls)
    xx, yy = ref.boundary_grid(X, 200)
    expected = ((np.column_stack([xx.ravel(), yy.ravel()]) - mean) / std).T
    if grid.shape != expected.shape or not np.allclose(np.sort(grid, axis=1), np.sort(expected, axis=1)):
        raise CheckFailed(f"The points passed to model.forward ({grid.shape[1]} of them) are not the docstring's "
                          "grid: 200 x 200 points spanning each raw feature from its minimum - 0.5 to its "
                          "maximum + 0.5, standardised with mean and std, in one (2, 40000) array.")
    collections = [c for ax in fig.axes for c in ax.collections]
    from matplotlib.contour import ContourSet
    filled = [c for c in collections if isinstance(c, ContourSet) and c.filled]
    if not filled:
        raise CheckFailed("The figure has no filled contour plot (ax.contourf) of the probabilities.")
    if not any(np.allclose(c.levels, np.linspace(0, 1, 11)) for c in filled if len(c.levels) == 11):
        raise CheckFailed("The filled contours should use the levels 0, 0.1, ..., 1: np.linspace(0, 1, 11).")
    if not any(isinstance(c, ContourSet) and not c.filled and np.allclose(c.levels, [0.5]) for c in collections):
        raise CheckFailed("The figure has no line where the probability is 0.5 (ax.contour with levels=[0.5]).")
    if not any(not isinstance(c, ContourSet) and len(c.get_offsets()) == n and np.allclose(c.get_offsets(), X)
               for c in collections):
        raise CheckFailed("The data points are not drawn (in raw units) with ax.scatter.")
