"""Correct-but-different implementations of every answer cell, written for
the fairness tests (issue 10): each is right by the notebooks' docstrings
and earns every point on every seed, except, for two of them, the one
convention check where they deliberately differ.

An implementation maps each stage to its answer cells (grade_id -> the
cell's whole source), in a style of its own:

* ``loops``: per-sample and per-element Python loops everywhere;
* ``objects``: layer classes and properties, derivatives from the
  activations, a numerically stable sigmoid, log1p, eps = machine epsilon,
  a 0.01-step grid with 25 contour levels;
* ``compact``: vectorised one-liners, sigmoid through tanh, losses as 0-d
  arrays, Keras' eps = 1e-7, lists for tuples, an image of the
  probabilities, its own print format;
* ``tie_above``: ``compact`` with ``p > threshold`` (differs only in
  ``test_mlp_predict_at_the_threshold``);
* ``relu_prime_one``: ``loops`` with relu'(0) = 1 (differs only in
  ``test_relu_derivative_at_zero``).

The implementations live in one module per style; ``IMPLEMENTATIONS`` lists
them.  They are kept in the tests, never in the kit, so that no check is
tuned to them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import compact, loops, objects


@dataclass(frozen=True)
class Implementation:
    name: str
    style: str
    answers: dict[str, dict[str, str]]                # stage -> grade_id -> the answer cell's source
    differs: dict[str, str] = field(default_factory=dict)   # stage -> the one public check it fails on purpose


def _changed(answers: dict, stage: str, grade_id: str, old: str, new: str) -> dict:
    """A copy of ``answers`` with one edit in one cell."""
    source = answers[stage][grade_id]
    assert source.count(old) == 1, (stage, grade_id, old)
    copy = {key: dict(cells) for key, cells in answers.items()}
    copy[stage][grade_id] = source.replace(old, new)
    return copy


IMPLEMENTATIONS = [
    Implementation("loops", loops.STYLE, loops.ANSWERS),
    Implementation("objects", objects.STYLE, objects.ANSWERS),
    Implementation("compact", compact.STYLE, compact.ANSWERS),
    Implementation("tie_above", "compact, with the tie rule p > threshold",
                   _changed(compact.ANSWERS, "04_mlp_class", "mlp_class", compact.TIE_RULE,
                            compact.TIE_RULE.replace(">=", ">")),
                   differs={"04_mlp_class": "test_mlp_predict_at_the_threshold"}),
    Implementation("relu_prime_one", "loops, with relu'(0) = 1",
                   _changed(_changed(loops.ANSWERS, "01_activations", "relu_derivative", loops.RELU_PRIME,
                                     loops.RELU_PRIME.replace("> 0", ">= 0")),
                            "04_mlp_class", "mlp_class", loops.RELU_PRIME_MLP,
                            loops.RELU_PRIME_MLP.replace("> 0", ">= 0")),
                   differs={"01_activations": "test_relu_derivative_at_zero"}),
]

BY_NAME = {implementation.name: implementation for implementation in IMPLEMENTATIONS}


def submission(implementation: Implementation, stage: str) -> dict:
    """The stage's notebook as this implementation hands it in: the
    solutions notebook with every answer cell replaced by the
    implementation's (the engine takes nothing else from a submission)."""
    from ..hostile import builders

    notebook = builders.solution(stage)
    for grade_id, source in implementation.answers[stage].items():
        notebook = builders.replace_answer(notebook, grade_id, source.strip("\n") + "\n")
    return notebook


def write_submission(implementation: Implementation, folder, stages=None) -> None:
    """Every stage (or ``stages``) of the implementation in the release
    layout under ``folder``."""
    from ..hostile import builders

    for stage in stages or implementation.answers:
        builders.write(submission(implementation, stage), folder, stage)


def paste_into_release(implementation: Implementation, release) -> None:
    """The implementation's answers pasted into the answer cells of a copy
    of the student release (tests as released), as a student hands it in."""
    import json
    from pathlib import Path

    for stage, answers in implementation.answers.items():
        path = Path(release) / stage / f"{stage}.ipynb"
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and grade_id in answers:
                cell["source"] = answers[grade_id].strip("\n") + "\n"
        path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
