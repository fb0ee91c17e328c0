"""Where the course teaches each function students write: the section of
the tutorial the kit follows (*Multi-Layer Perceptrons: From Mathematics to
Implementation*), and the stage whose notebook asks for it.

The class report uses these to say, for each classic mistake, what to
revisit in class.  Keys are the names of ``checks.mistakes.Mistake.function``;
a behaviour of a class (``"MLP.train"``) belongs to its class (``"MLP"``).
"""
from __future__ import annotations

from pathlib import Path

TUTORIAL = "Multi-Layer Perceptrons: From Mathematics to Implementation"

_ACTIVATIONS = "1.3 Common Activation Functions"
_NEXT = "7.3 What's Next?"
SECTIONS: dict[str, str] = {
    "sigmoid": _ACTIVATIONS, "sigmoid_derivative": _ACTIVATIONS, "tanh": _ACTIVATIONS,
    "tanh_derivative": _ACTIVATIONS, "relu": _ACTIVATIONS, "relu_derivative": _ACTIVATIONS,
    "count_parameters": "2.1 Notation Convention",
    "layer_forward": "2.2 Forward Propagation: Layer by Layer",
    "forward": "2.2 Forward Propagation: Layer by Layer",
    "binary_cross_entropy": "3.1 The Loss Function",
    "backward": "3.3 Deriving the Gradients",
    "update_parameters": "3.3 Deriving the Gradients",
    "MLP": "4.1 The MLP Class",
    "make_moons": "5.1 Creating the Dataset",
    "train_test_split": "5.1 Creating the Dataset",
    "standardize": "5.1 Creating the Dataset",
    "plot_decision_boundary": "5.3 Visualizing the Decision Boundary",
    "softmax": f"{_NEXT}, Problem 1: Multi-class Classification",
    "one_hot": f"{_NEXT}, Problem 1: Multi-class Classification",
    "categorical_cross_entropy": f"{_NEXT}, Problem 1: Multi-class Classification",
    "l2_penalty": f"{_NEXT}, Problem 2: Regularization",
    "l2_gradient": f"{_NEXT}, Problem 2: Regularization",
    "Momentum": f"{_NEXT}, Problem 3: Momentum",
    "RMSprop": f"{_NEXT}, Next steps: Optimization",
    "Adam": f"{_NEXT}, Next steps: Optimization",
    "inverse_time_decay": f"{_NEXT}, Problem 4: Learning Rate Decay",
    "make_circles": f"{_NEXT}, Problem 5: Different Dataset",
}


def owner(function: str) -> str:
    """The name a student defines for ``function``: "MLP" for "MLP.train"."""
    return function.partition(".")[0]


def section(function: str) -> str:
    """The tutorial section teaching ``function``, "" if none is known."""
    return SECTIONS.get(function) or SECTIONS.get(owner(function), "")


def function_stages(source: Path, stages) -> dict[str, str]:
    """{name: stage} of every function and class a student writes, read
    from the instructor notebooks' answer cells (the first stage asking for
    a name owns it)."""
    from ..course import instructor_path
    from ..notebooks import NotebookProblem, read_notebook, student_names

    owners: dict[str, str] = {}
    for stage in stages:
        try:
            names = student_names(read_notebook(instructor_path(source, stage)))
        except (NotebookProblem, OSError):
            continue
        for name in names:
            owners.setdefault(name, stage)
    return owners
