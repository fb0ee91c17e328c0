"""Checks of stage 05: the data functions on other sizes, noise levels,
fractions and seeds, against the reference, and the decision boundary on
another model and data set.

The decision boundary is graded on what it shows, not how it is drawn: the
grid reaches the model standardised and covers the data, the model's 0.5
boundary is marked (and, for a line, in the right place), the
probabilities fill the plane and every data point is drawn in raw units.
Grid resolution, margins, contour levels, colours, labels, the title and
the number of scatter calls are the student's choice (see
docs/grading.md)."""
from __future__ import annotations

import numpy as np

import reference as ref
from .base import CheckFailed, hidden
from .expect import expect_array, expect_unchanged, show, expect_tuple, global_random_untouched
from ..plaindata import copy_tree

STAGE = "05_moons"
CHECKS = []

PUBLIC = {
    "test_make_moons": "make_moons",
    "test_train_test_split": "train_test_split",
    "test_standardize": "standardize",
    "test_plot_decision_boundary": "plot_decision_boundary",
}


@hidden(STAGE, CHECKS, "make_moons with other sizes, noise and seeds", 1,
        "make_moons for random sizes, noise levels and seeds: the reference's points and labels, float X and "
        "int y, the global random state untouched", "make_moons")
def moons_random(student, rng):
    # One even and one odd size: the upper moon gets n // 2 points, the lower one the rest.
    for n in (int(rng.integers(4, 60)) * 2, int(rng.integers(4, 60)) * 2 + 1):
        noise, seed = float(rng.uniform(0.0, 0.4)), int(rng.integers(0, 10000))
        label = f"make_moons(n_samples={n}, noise={noise:.3g}, seed={seed})"
        got = global_random_untouched(label, lambda: student.make_moons(n_samples=n, noise=noise, seed=seed))
        got = expect_tuple(label, got, 2)
        X, y = ref.make_moons(n, noise, seed)
        expect_array(f"X of {label}", got[0], X, atol=1e-9)
        expect_array(f"y of {label}", got[1], y, integer=True)


@hidden(STAGE, CHECKS, "train_test_split with other sizes and seeds", 1,
        "train_test_split for random sizes, fractions and seeds: the reference's four parts, inputs unchanged",
        "train_test_split")
def split_random(student, rng):
    for _ in range(3):
        n, d = int(rng.integers(5, 80)), int(rng.integers(1, 4))
        X, y = rng.normal(0, 1, (n, d)), rng.integers(0, 2, n)
        test_size, seed = float(rng.uniform(0.1, 0.5)), int(rng.integers(0, 10000))
        before = copy_tree((X, y))
        label = f"train_test_split(X {X.shape}, y, test_size={test_size:.3g}, seed={seed})"
        got = global_random_untouched(label, lambda: student.train_test_split(X, y, test_size=test_size, seed=seed))
        got = expect_tuple(label, got, 4)
        for name, part, expected in zip(("X_train", "X_test", "y_train", "y_test"), got,
                                        ref.train_test_split(*before, test_size=test_size, seed=seed)):
            expect_array(f"{name} of {label}", part, expected, integer=name.startswith("y"))
        expect_unchanged(label, before, (X, y))


@hidden(STAGE, CHECKS, "standardize with other data", 1,
        "standardize on random data with several features and scales: the training statistics applied "
        "to both sets, inputs unchanged", "standardize")
def standardize_random(student, rng):
    for _ in range(3):
        d = int(rng.integers(1, 5))
        scale, shift = rng.uniform(0.1, 50, d), rng.normal(0, 20, d)
        X_train = rng.normal(0, 1, (int(rng.integers(3, 40)), d)) * scale + shift
        X_test = rng.normal(0.5, 2, (int(rng.integers(2, 20)), d)) * scale + shift
        before = copy_tree((X_train, X_test))
        label = f"standardize(X_train {X_train.shape}, X_test {X_test.shape})"
        got = expect_tuple(label, student.standardize(X_train, X_test), 4)
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
    """A model lent to the student's plot: P(class 1) = sigmoid(s_1 + s_2) of
    the standardised features s; it records the points it was asked about."""

    def __init__(self):
        self.calls = []

    def forward(self, points):
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[0] != 2:
            raise ValueError(f"the model takes points of shape (2, k), one column per point; got {points.shape}")
        self.calls.append(points)
        return 1.0 / (1.0 + np.exp(-(points[0:1] + points[1:2])))


def boundary_verdict(fig, calls: list, X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> str:
    """Why a decision-boundary figure drawn with a ``ProbeModel`` is wrong,
    or "" when it is right.  X: (n, 2) raw points; mean, std: (2,)."""
    from matplotlib.contour import ContourSet
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        return f"plot_decision_boundary returned {show(fig)}; return the matplotlib Figure."
    if not calls:
        return "plot_decision_boundary never called model.forward on the grid."
    grid = np.hstack(calls)
    raw = grid.T * std + mean          # the grid in raw units, if it was standardised
    if np.any(raw.min(axis=0) > X.min(axis=0) + 1e-9) or np.any(raw.max(axis=0) < X.max(axis=0) - 1e-9):
        return ("The points passed to model.forward, taken back to raw units with mean and std, do not cover "
                "the data: build the grid from each raw feature's range (widened a little, by 0.5 for "
                "example), then standardise it, (points - mean) / std, before model.forward.")
    collections = [c for ax in fig.axes for c in ax.collections]
    contours = [c for c in collections if isinstance(c, ContourSet)]
    if not any(c.filled for c in contours) and not any(ax.images for ax in fig.axes):
        return "The figure does not show the probabilities: draw them with ax.contourf over the grid."
    marked = [c for c in contours if np.any(np.isclose(np.asarray(c.levels, dtype=float), 0.5, atol=1e-9))]
    if not marked:
        return ("The figure does not mark the decision boundary, where the probability is 0.5: draw it with "
                "ax.contour(..., levels=[0.5]).")
    lines = [c for c in marked if not c.filled]
    if lines:
        # The probe's boundary is s_1 + s_2 = 0; allow a few grid cells of interpolation.
        cells = np.ptp(grid, axis=1).sum() / max(np.sqrt(grid.shape[1]) - 1, 1)
        vertices = [c.get_paths()[index].vertices for c in lines
                    for index in np.flatnonzero(np.isclose(np.asarray(c.levels, dtype=float), 0.5, atol=1e-9))
                    if index < len(c.get_paths()) and len(c.get_paths()[index].vertices)]
        if vertices:
            points = (np.vstack(vertices) - mean) / std
            if np.max(np.abs(points.sum(axis=1))) > 0.05 + 3 * cells:
                return ("The 0.5 line is not where the model's probability is 0.5: reshape the probabilities "
                        "to the grid's shape in the order of the grid's points (reshape(xx.shape)), and draw "
                        "them over the raw grid (xx, yy).")
    drawn = [np.asarray(c.get_offsets(), dtype=float) for c in collections if not isinstance(c, ContourSet)]
    drawn = np.vstack([d for d in drawn if d.ndim == 2 and d.shape[1] == 2] or [np.empty((0, 2))])
    missing = [point for point in X if not np.any(np.all(np.abs(drawn - point) <= 1e-9 * (1 + np.abs(point)),
                                                         axis=1))]
    if missing:
        return (f"{len(missing)} of the {len(X)} data points are not drawn: draw them in raw units with "
                "ax.scatter (all at once, or one class at a time).")
    return ""


@hidden(STAGE, CHECKS, "plot_decision_boundary on other data", 1,
        "plot_decision_boundary with another model and data set: a Figure whose grid reaches the model "
        "standardised and covers the data, the probabilities, the 0.5 boundary where the model puts it, and "
        "every data point", "plot_decision_boundary")
def plot_random(student, rng):
    n = int(rng.integers(20, 60))
    # Features far from mean 0 and std 1, so that raw and standardised grids differ,
    # over a few units, so that any grid resolution (0.01 steps too) travels well.
    X = rng.normal(0, 1, (n, 2)) * rng.uniform(0.3, 0.7, 2) + rng.choice([-1, 1], 2) * rng.uniform(3, 8, 2)
    y = rng.integers(0, 2, n)
    mean, std = X.mean(axis=0), X.std(axis=0)
    model = ProbeModel()
    fig = student.plot_decision_boundary(model, X, y, mean, std, title="hidden check")
    problem = boundary_verdict(fig, model.calls, X, mean, std)
    if problem:
        raise CheckFailed(problem)
