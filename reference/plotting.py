"""Figures: activation curves, decision boundaries and loss curves.

Each function builds and returns a ``matplotlib.figure.Figure`` without
pyplot, so nothing is shown or kept open behind the caller's back; a
notebook displays the returned figure, a script saves it with ``savefig``.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .activations import ACTIVATIONS, DERIVATIVES


def plot_activations(names=("sigmoid", "tanh", "relu"), z=None) -> Figure:
    """Each activation (top row) and its derivative (bottom row) on z (default [-5, 5])."""
    z = np.linspace(-5, 5, 201) if z is None else z
    fig = Figure(figsize=(4 * len(names), 6), layout="constrained")
    axes = fig.subplots(2, len(names), squeeze=False)
    for col, name in enumerate(names):
        for row, (table, label) in enumerate([(ACTIVATIONS, name), (DERIVATIVES, f"{name}'")]):
            ax = axes[row, col]
            ax.plot(z, table[name](z), color="C0" if row == 0 else "C3", linewidth=2)
            ax.set_title(label)
            ax.axhline(0, color="k", linewidth=0.5)
            ax.axvline(0, color="k", linewidth=0.5)
            ax.grid(True, alpha=0.3)
    return fig


def boundary_grid(X: np.ndarray, resolution: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The plane a decision boundary is drawn on: each raw feature's range
    widened by 0.5 on both sides, ``resolution`` points per axis.

    X: (n, 2) raw points.  Returns (xx, yy), each (resolution, resolution),
    as ``np.meshgrid`` gives them."""
    x_min, x_max = X[:, 0].min() - 0.5, X[:, 0].max() + 0.5
    y_min, y_max = X[:, 1].min() - 0.5, X[:, 1].max() + 0.5
    return np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))


def plot_decision_boundary(model, X, y, mean, std, title="Decision boundary", resolution=200) -> Figure:
    """The model's predicted probability over the plane, with its 0.5 contour
    and the points.

    model: anything with ``forward(X)`` taking (2, m) standardised inputs and
    returning (1, m) probabilities; X: (n, 2) raw points; y: (n,) labels;
    mean, std: (2,) the training set's statistics used to standardise.
    """
    xx, yy = boundary_grid(X, resolution)
    grid = (np.column_stack([xx.ravel(), yy.ravel()]) - mean) / std
    probability = np.asarray(model.forward(grid.T))[0].reshape(xx.shape)

    fig = Figure(figsize=(8, 6.5), layout="constrained")
    ax = fig.subplots()
    filled = ax.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="RdYlBu", alpha=0.8)
    fig.colorbar(filled, ax=ax, label="P(class 1)")
    ax.contour(xx, yy, probability, levels=[0.5], colors="black", linewidths=2, linestyles="--")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdYlBu", edgecolors="black", s=40)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(title)
    return fig


def plot_losses(curves: dict, title="Training loss", log_scale=True) -> Figure:
    """One line per entry of ``curves`` ({label: sequence of per-epoch losses})."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    for label, losses in curves.items():
        ax.plot(np.asarray(losses), label=label, linewidth=1.5)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig
