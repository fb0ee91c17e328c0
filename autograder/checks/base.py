"""The two kinds of check, and one way to run either.

* ``PublicCheck``: a test cell of the instructor's notebook, found at
  grading time (same cases, same points, same messages by construction).
  Its code runs in the grading process, in the namespace of the
  instructor's provided cells, with the student's names bound to
  stand-ins that call into the sandbox.
* ``HiddenCheck``: a function ``run(student, rng)`` of this package (one
  module per stage) that calls the student's code with inputs drawn from
  ``rng`` (seeded per submission and per check) and compares the plain
  data that comes back with the reference package.

Both have ``execute(context)``: the check passes when it returns and fails
when it raises (``CheckFailed`` or any ``AssertionError`` with the reason,
the student's own exception, a time limit, a lost session).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..outcomes import HIDDEN, PUBLIC, Visibility


class CheckFailed(AssertionError):
    """A hidden check's verdict: the message says what was wrong and what to
    do; ``mistake`` is the named classic mistake recognised, if any."""

    def __init__(self, message: str, mistake=None):
        if mistake is not None:
            message = f"{message}\n{mistake.explain()}"
        super().__init__(message)
        self.mistake = mistake


@dataclass
class CheckContext:
    """What a check runs against: the instructor's namespace (for public
    checks), the student's names as attributes (for hidden checks) and the
    submission's seed."""
    namespace: dict[str, Any]
    student: Any
    seed: int


@dataclass(frozen=True)
class PublicCheck:
    stage: str
    name: str                      # "<stage> <grade_id>"
    points: float
    description: str               # what is verified, one line
    grade_id: str
    source: str                    # the instructor's code of the test cell
    visibility: Visibility = field(default=PUBLIC, init=False)

    def execute(self, context: CheckContext) -> None:
        exec(compile(self.source, f"<test {self.grade_id}>", "exec"), context.namespace)


@dataclass(frozen=True)
class HiddenCheck:
    stage: str
    name: str                      # "<stage> <title>"
    points: float
    description: str
    run: Callable[[Any, np.random.Generator], None]
    visibility: Visibility = field(default=HIDDEN, init=False)

    def rng(self, seed: int) -> np.random.Generator:
        """This check's random generator for a submission's seed: independent
        of which other checks run and in what order."""
        return np.random.default_rng([seed, zlib.crc32(self.name.encode())])

    def execute(self, context: CheckContext) -> None:
        saved = np.random.get_state()   # the check's own draws must not move the global state
        try:
            self.run(context.student, self.rng(context.seed))
        finally:
            np.random.set_state(saved)


Check = PublicCheck | HiddenCheck


def hidden(stage: str, registry: list, title: str, points: float, description: str):
    """Decorator: register ``run(student, rng)`` as the hidden check
    ``"<stage> <title>"`` in a stage module's ``registry`` (its ``CHECKS``)."""
    def register(run):
        registry.append(HiddenCheck(stage, f"{stage} {title}", points, description, run))
        return run
    return register
