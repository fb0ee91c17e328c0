"""Check definitions: one ``Check`` per verdict, public or hidden.

* Public checks are the test cells of the instructor's notebook, found at
  grading time (same cases, same points, same messages by construction):
  the cell's code runs in the grading process, with the student's
  functions replaced by stand-ins that call into the sandbox.
* Hidden checks are defined in this package, one module per stage, each a
  function ``run(student, rng)`` that calls the student's code with inputs
  drawn from ``rng`` (seeded per run and per check) and compares the plain
  data that comes back with the reference package.  A check passes when
  ``run`` returns and fails when it raises ``CheckFailed`` (or when the
  student's code raises, times out or crashes).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..notebooks import Notebook

PUBLIC, HIDDEN = "public", "hidden"


@dataclass(frozen=True)
class Check:
    stage: str
    name: str                      # full name, starting with the stage's name
    points: float
    visibility: str                # PUBLIC or HIDDEN
    description: str               # what is verified, one line
    run: Callable | None = None    # hidden checks: run(student, rng)
    grade_id: str = ""             # public checks: the test cell they are
    source: str = ""               # public checks: the instructor's code of that cell

    def rng(self, seed: int) -> np.random.Generator:
        """This check's random generator for a run's seed: independent of
        which other checks run and in what order."""
        return np.random.default_rng([seed, zlib.crc32(self.name.encode())])


class CheckFailed(AssertionError):
    """A hidden check's verdict: the message says what was wrong and what to
    do; ``mistake`` is the named classic mistake recognised, if any."""

    def __init__(self, message: str, mistake=None):
        if mistake is not None:
            message = f"{message}\n{mistake.explain()}"
        super().__init__(message)
        self.mistake = mistake


def public_checks(stage: str, instructor: Notebook) -> list:
    """One check per graded test cell of the instructor's notebook."""
    checks = []
    for cell in instructor.of_kind("test"):
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        description = first.lstrip("# ").split(":", 1)[-1].strip() if first.startswith("#") else cell.grade_id
        checks.append(Check(stage, f"{stage} {cell.grade_id}", cell.points, PUBLIC, description,
                            grade_id=cell.grade_id, source=cell.source))
    return checks


def hidden_checks(stage: str) -> list:
    from . import activations, backprop, extensions, forward_pass, mlp_class, moons
    modules = {module.STAGE: module for module in (activations, forward_pass, backprop, mlp_class,
                                                  moons, extensions)}
    module = modules.get(stage)
    return list(module.CHECKS) if module else []


def hidden(stage: str, registry: list, title: str, points: float, description: str):
    """Decorator: register ``run(student, rng)`` as the hidden check
    ``"<stage> <title>"``."""
    def register(run):
        registry.append(Check(stage, f"{stage} {title}", points, HIDDEN, description, run=run))
        return run
    return register
