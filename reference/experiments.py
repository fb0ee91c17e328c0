"""The tutorial's experiments as data: XOR, the moons run and Part 6's tables.

Each function returns plain results (dataclasses of numbers); the CLI and
the notebooks format them, the fidelity tests compare them with the
tutorial's printed figures.
"""
from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field

import numpy as np

from .datasets import make_moons, standardize, train_test_split
from .mlp import MLP

XOR_X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])
XOR_Y = np.array([[0, 1, 1, 0]])

# Part 6.1: (layer sizes, activations, label) at lr 0.1, 1500 epochs.
ARCHITECTURES = [
    ([2, 4, 1], ["relu", "sigmoid"], "Shallow (2→4→1)"),
    ([2, 8, 1], ["relu", "sigmoid"], "Medium (2→8→1)"),
    ([2, 16, 1], ["relu", "sigmoid"], "Wide (2→16→1)"),
    ([2, 8, 8, 1], ["relu", "relu", "sigmoid"], "Deep (2→8→8→1)"),
    ([2, 16, 8, 1], ["relu", "relu", "sigmoid"], "Wide-Deep (2→16→8→1)"),
]
# Part 6.2: learning rates for [2, 16, 8, 1] at 1000 epochs.
LEARNING_RATES = [0.001, 0.01, 0.1, 0.5, 1.0]


@dataclass
class MoonsData:
    """The moons split, standardised and transposed for the network.

    X_train (2, 400), y_train (1, 400), X_test (2, 100), y_test (1, 100);
    raw_* are the row-major points before standardising; mean, std (2,).
    """
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray


@dataclass
class Run:
    """One training run: its model, per-epoch losses, the log it printed
    and the final accuracies."""
    label: str
    model: MLP
    losses: list
    log: str
    train_accuracy: float
    test_accuracy: float = float("nan")
    extra: dict = field(default_factory=dict)


def moons_data(n_samples=500, noise=0.2, seed=42) -> MoonsData:
    """make_moons -> train_test_split -> standardize, as in the tutorial."""
    X, y = make_moons(n_samples, noise, seed)
    raw_train, raw_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=seed)
    train_s, test_s, mean, std = standardize(raw_train, raw_test)
    return MoonsData(train_s.T, y_train.reshape(1, -1), test_s.T, y_test.reshape(1, -1),
                     raw_train, raw_test, mean, std)


def _train(label, model, X, Y, epochs, print_every) -> Run:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        losses = model.train(X, Y, epochs=epochs, print_every=print_every, verbose=True)
    return Run(label, model, losses, buffer.getvalue(), model.evaluate(X, Y))


def xor_run() -> Run:
    """Part 4.2: [2, 4, 1] tanh/sigmoid, lr 0.5, 5000 epochs on XOR."""
    model = MLP([2, 4, 1], ["tanh", "sigmoid"], learning_rate=0.5, seed=42)
    run = _train("XOR", model, XOR_X, XOR_Y, 5000, 1000)
    run.extra["predictions"] = model.forward(XOR_X)[0]
    return run


def moons_run(data: MoonsData | None = None) -> Run:
    """Part 5.2: [2, 16, 8, 1] relu/relu/sigmoid, lr 0.1, 2000 epochs."""
    data = data or moons_data()
    model = MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=0.1, seed=42)
    run = _train("moons", model, data.X_train, data.y_train, 2000, 200)
    run.test_accuracy = model.evaluate(data.X_test, data.y_test)
    return run


def architecture_runs(data: MoonsData | None = None) -> list:
    """Part 6.1: each of ARCHITECTURES for 1500 epochs at lr 0.1."""
    data = data or moons_data()
    runs = []
    for sizes, activations, label in ARCHITECTURES:
        model = MLP(sizes, activations, learning_rate=0.1, seed=42)
        run = _train(label, model, data.X_train, data.y_train, 1500, 1500)
        run.test_accuracy = model.evaluate(data.X_test, data.y_test)
        runs.append(run)
    return runs


def learning_rate_runs(data: MoonsData | None = None) -> list:
    """Part 6.2: [2, 16, 8, 1] for 1000 epochs at each of LEARNING_RATES."""
    data = data or moons_data()
    runs = []
    for lr in LEARNING_RATES:
        model = MLP([2, 16, 8, 1], ["relu", "relu", "sigmoid"], learning_rate=lr, seed=42)
        run = _train(f"lr={lr}", model, data.X_train, data.y_train, 1000, 1000)
        run.test_accuracy = model.evaluate(data.X_test, data.y_test)
        run.extra["learning_rate"] = lr
        runs.append(run)
    return runs


def format_moons_report(data: MoonsData, run: Run, architectures: list, rates: list) -> str:
    """The tutorial's results as text: data summary, training log, final
    accuracies, the architecture table and the learning-rate table."""
    rule = "=" * 70
    lines = [rule, "MOONS DATA SET", rule,
             f"Training samples: {data.X_train.shape[1]}   Test samples: {data.X_test.shape[1]}"
             f"   Features: {data.X_train.shape[0]}",
             f"Class counts (train): {np.bincount(data.y_train[0]).tolist()}", "",
             run.model.summary(), "", run.log.rstrip(), "", rule, "FINAL RESULTS", rule,
             f"Training accuracy: {run.train_accuracy:.2%}",
             f"Test accuracy:     {run.test_accuracy:.2%}", "", rule,
             "ARCHITECTURES (lr 0.1, 1500 epochs)", rule,
             f"{'Architecture':<25} {'Train Acc':>12} {'Test Acc':>12} {'Final Loss':>12}"]
    lines += [f"{r.label:<25} {r.train_accuracy:>11.2%} {r.test_accuracy:>11.2%} {r.losses[-1]:>12.6f}"
              for r in architectures]
    lines += ["", rule, "LEARNING RATES ([2, 16, 8, 1], 1000 epochs)", rule]
    lines += [f"lr = {r.extra['learning_rate']:5} -> test accuracy {r.test_accuracy:.2%}" for r in rates]
    return "\n".join(lines + [rule])
