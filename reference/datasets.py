"""Toy data sets made from scratch, a seeded split and standardisation.

Every function draws from its own ``np.random.RandomState(seed)``, which
produces the same numbers as ``np.random.seed(seed)`` followed by the
module-level functions (as the tutorial does) without touching NumPy's
global random state.  Data come row-major, ``X`` of shape (n, 2) and labels
``y`` of shape (n,); transpose for the network.
"""
from __future__ import annotations

import numpy as np


def make_moons(n_samples: int = 500, noise: float = 0.2, seed: int = 42):
    """Two interleaving half circles.

    Returns X (n_samples, 2) with Gaussian noise of standard deviation
    ``noise``, and y (n_samples,) of ints: 0 for the upper moon (n_samples
    // 2 points), 1 for the lower; rows shuffled.
    """
    rng = np.random.RandomState(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = np.linspace(0, np.pi, n_upper)
    lower = np.linspace(0, np.pi, n_lower)
    # (1 - sin) - 0.5 rather than 0.5 - sin: the tutorial's order, same bits.
    X = np.vstack([
        np.column_stack([np.cos(upper), np.sin(upper)]),
        np.column_stack([1 - np.cos(lower), 1 - np.sin(lower) - 0.5]),
    ])
    X = X + rng.normal(0, noise, X.shape)
    y = np.hstack([np.zeros(n_upper), np.ones(n_lower)]).astype(int)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_circles(n_samples: int = 500, noise: float = 0.1, factor: float = 0.5, seed: int = 42):
    """Two concentric circles: class 0 on the unit circle, class 1 on a
    circle of radius ``factor`` (0 < factor < 1).

    Returns X (n_samples, 2) with Gaussian noise and y (n_samples,) ints,
    rows shuffled.  The outer circle gets n_samples // 2 points.
    """
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie strictly between 0 and 1; got {factor}")
    rng = np.random.RandomState(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    inner = np.linspace(0, 2 * np.pi, n_inner, endpoint=False)
    X = np.vstack([
        np.column_stack([np.cos(outer), np.sin(outer)]),
        factor * np.column_stack([np.cos(inner), np.sin(inner)]),
    ])
    X = X + rng.normal(0, noise, X.shape)
    y = np.hstack([np.zeros(n_outer), np.ones(n_inner)]).astype(int)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0):
    """Interleaved spiral arms, one per class, starting evenly spaced around
    the origin and winding outwards: a data set no straight line separates
    (stage 6's three-class example; the notebook's provided copy is this one,
    tests/test_provided_copies.py).  Returns X (n_per_class * n_classes, 2)
    and y ints, shuffled."""
    rng = np.random.RandomState(seed)
    radius = np.linspace(0.05, 1.0, n_per_class)
    arms, labels = [], []
    for k in range(n_classes):
        angle = 2 * np.pi * k / n_classes + 4.0 * radius + rng.normal(0, noise, n_per_class)
        arms.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        labels.append(np.full(n_per_class, k))
    X, y = np.vstack(arms), np.concatenate(labels)
    order = rng.permutation(len(y))
    return X[order], y[order]


def train_test_split(X: np.ndarray, y: np.ndarray, test_size: float = 0.2, seed: int = 42):
    """Shuffle with ``seed`` and hold out int(n * test_size) rows for testing.

    X: (n, d); y: (n,).  Returns (X_train, X_test, y_train, y_test).
    """
    n = len(y)
    n_test = int(n * test_size)
    order = np.random.RandomState(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def standardize(X_train: np.ndarray, X_test: np.ndarray):
    """Scale both sets with the *training* set's column mean and std.

    X_train: (n_train, d); X_test: (n_test, d).  Returns
    (X_train_scaled, X_test_scaled, mean (d,), std (d,)).  Using the test
    set's own statistics would leak information from it into training.
    """
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std, mean, std
