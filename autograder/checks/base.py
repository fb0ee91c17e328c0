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

Every check grades one function of the student's (its ``function``, e.g.
``"sigmoid"`` or ``"MLP.train"``): a defect costs points only in the
checks of the function that has it (see docs/grading.md, the grading
policy).  A check may also leave a ``note`` that costs nothing (a loss
returned as a 0-d array instead of a float, say); the engine lists it with
the stage's notes.
"""
from __future__ import annotations

import functools
import contextvars
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


_NOTES: contextvars.ContextVar[list | None] = contextvars.ContextVar("mlpkit_check_notes", default=None)


def note(text: str) -> None:
    """Record a remark about the check running now that costs no points."""
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)


class collecting_notes:
    """``with collecting_notes() as notes:`` gathers the ``note`` calls of
    the check run inside the block."""

    def __enter__(self) -> list[str]:
        self.notes: list[str] = []
        self.token = _NOTES.set(self.notes)
        return self.notes

    def __exit__(self, *exc) -> None:
        _NOTES.reset(self.token)


@dataclass
class CheckContext:
    """What a check runs against: the instructor's namespace (for public
    checks), the student's names as attributes (for hidden checks) and the
    submission's seed."""
    namespace: dict[str, Any]
    student: Any
    seed: int


@functools.lru_cache(maxsize=1024)
def compiled(source: str, filename: str):
    """The code of an instructor's cell, compiled once per process (a class
    runs the same test cells for every student)."""
    return compile(source, filename, "exec")


@dataclass(frozen=True)
class PublicCheck:
    stage: str
    name: str                      # "<stage> <grade_id>"
    points: float
    description: str               # what is verified, one line
    grade_id: str
    source: str                    # the instructor's code of the test cell
    function: str = ""             # the student's function it grades (see the stage module's PUBLIC)
    visibility: Visibility = field(default=PUBLIC, init=False)

    def execute(self, context: CheckContext) -> None:
        exec(compiled(self.source, f"<test {self.grade_id}>"), context.namespace)


@dataclass(frozen=True)
class HiddenCheck:
    stage: str
    name: str                      # "<stage> <title>"
    points: float
    description: str
    run: Callable[[Any, np.random.Generator], None]
    function: str = ""             # the student's function it grades
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


def hidden(stage: str, registry: list, title: str, points: float, description: str, function: str):
    """Decorator: register ``run(student, rng)`` as the hidden check
    ``"<stage> <title>"`` of the student's ``function`` in a stage module's
    ``registry`` (its ``CHECKS``)."""
    def register(run):
        registry.append(HiddenCheck(stage, f"{stage} {title}", points, description, run, function))
        return run
    return register
