"""What grading produces: plain dataclasses, rendered by ``report.py``.

Nothing here refers to the student's code or process; a report can be
serialised with ``dataclasses.asdict`` and compared in tests.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class CheckResult:
    stage: str
    name: str              # starts with the stage's name, e.g. "01_activations sigmoid on random inputs"
    points: float          # earned
    max_points: float
    visibility: str        # "public" (a test cell of the notebook) or "hidden"
    passed: bool
    description: str = ""  # what the check verifies
    message: str = ""      # why it failed and what to fix ("" when passed)
    mistake: str = ""      # the named classic mistake recognised, if any
    seconds: float = 0.0


@dataclass
class StageResult:
    stage: str
    notebook: str = ""                               # the graded file, "" when none was found
    checks: list = field(default_factory=list)       # CheckResult
    problems: list = field(default_factory=list)     # one-line notes: missing cells, cell errors, crashes
    output: str = ""                                 # what the student's code printed (truncated)
    isolation: list = field(default_factory=list)    # sandbox features in force
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def max_score(self) -> float:
        return sum(check.max_points for check in self.checks)


@dataclass
class GradeReport:
    submission: str
    seed: int
    stages: list = field(default_factory=list)       # StageResult
    seconds: float = 0.0
    limits: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(stage.score for stage in self.stages)

    @property
    def max_score(self) -> float:
        return sum(stage.max_score for stage in self.stages)

    def checks(self) -> list:
        return [check for stage in self.stages for check in stage.checks]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"], data["max_score"] = self.score, self.max_score
        return data
