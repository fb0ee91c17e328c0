"""What grading produces: plain dataclasses, from the engine to every report.

``GradeReport`` holds a ``StageResult`` per stage, which holds a
``CheckResult`` per check.  They round-trip through plain JSON data
(``to_dict`` / ``from_dict``): the batch workers send them to the
gradebook, which stores them, and the tables, results.json, JUnit,
feedback pages and class reports are all rendered from their fields, never
from each other's text.

Why something did not go as planned is a typed field, never a phrase to
search for in a message: ``StageStatus`` for a stage's notebook,
``Interruption`` for a check the student's process did not finish.

A written question graded by a person (an nbgrader "manual" cell) is a
``CheckResult`` with ``manual`` set; until someone grades it (in
formgrader) it is ``pending``: it earns nothing yet, counts in the stage's
maximum, and its stage is awaiting manual grading rather than complete.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Literal

Visibility = Literal["public", "hidden"]
PUBLIC: Visibility = "public"
HIDDEN: Visibility = "hidden"


class StageStatus(str, Enum):
    """Whether a stage's notebook could be graded at all."""

    GRADED = "graded"      # found and read (its checks may still fail)
    MISSING = "missing"    # no notebook of that name in the submission
    INVALID = "invalid"    # found but unreadable (not JSON, too big, no cells)


class Interruption(str, Enum):
    """Why a check did not reach its own verdict."""

    NONE = ""
    CALL_TIME_LIMIT = "call-time-limit"               # one call into the student's code did not return
    CHECK_TIME_LIMIT = "check-time-limit"             # the check's calls together took too long
    SUBMISSION_TIME_LIMIT = "submission-time-limit"   # the whole submission's time was used up
    PROCESS_ENDED = "process-ended"                   # the student's process died (os._exit, memory, crash)
    UNREADABLE_REPLY = "unreadable-reply"             # the student's process broke the protocol
    NOT_LOADED = "not-loaded"                         # the notebook's cells could not be loaded
    NO_NOTEBOOK = "no-notebook"                       # the stage's notebook is missing or invalid
    TOO_MANY_RESTARTS = "too-many-restarts"           # the process was lost too often to go on

    @property
    def is_limit(self) -> bool:
        """A time or resource limit (as opposed to a crash or a missing notebook)."""
        return self in (Interruption.CALL_TIME_LIMIT, Interruption.CHECK_TIME_LIMIT,
                        Interruption.SUBMISSION_TIME_LIMIT)


@dataclass
class CheckResult:
    stage: str
    name: str                  # starts with the stage's name, e.g. "01_activations sigmoid on random inputs"
    points: float              # earned
    max_points: float
    visibility: Visibility
    passed: bool
    description: str = ""      # what the check verifies
    message: str = ""          # why it failed and what to fix ("" when passed)
    mistake: str = ""          # the named classic mistake recognised, "" if none
    interruption: Interruption = Interruption.NONE
    seconds: float = 0.0
    manual: bool = False       # its points are given by a person (a written answer), not by the kit
    pending: bool = False      # no verdict yet: a manual question nobody has graded

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        data = dict(data)
        data["interruption"] = Interruption(data.get("interruption", ""))
        return cls(**data)


@dataclass
class StageResult:
    stage: str
    notebook: str = ""                                          # the graded file, "" when none was found
    status: StageStatus = StageStatus.GRADED
    checks: list[CheckResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)           # one-line notes: missing cells, cell errors
    output: str = ""                                            # what the student's code printed (capped)
    isolation: list[str] = field(default_factory=list)          # sandbox features in force
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def max_score(self) -> float:
        return sum(check.max_points for check in self.checks)

    @property
    def pending(self) -> list[CheckResult]:
        """The manual questions nobody has graded yet."""
        return [check for check in self.checks if check.pending]

    @property
    def awaiting_manual(self) -> bool:
        """Whether a person still has to grade part of this stage: its score
        is not final."""
        return bool(self.pending)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StageResult":
        data = {key: value for key, value in data.items() if key not in ("score", "max_score", "awaiting_manual")}
        data["status"] = StageStatus(data.get("status", StageStatus.GRADED))
        data["checks"] = [CheckResult.from_dict(check) for check in data.get("checks", [])]
        return cls(**data)


@dataclass
class GradeReport:
    submission: str
    seed: int
    stages: list[StageResult] = field(default_factory=list)
    seconds: float = 0.0
    limits: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(stage.score for stage in self.stages)

    @property
    def max_score(self) -> float:
        return sum(stage.max_score for stage in self.stages)

    def checks(self) -> list[CheckResult]:
        return [check for stage in self.stages for check in stage.checks]

    @property
    def awaiting_manual(self) -> list[str]:
        """The stages with a manual question nobody has graded yet."""
        return [stage.stage for stage in self.stages if stage.awaiting_manual]

    def stage(self, name: str) -> StageResult | None:
        return next((stage for stage in self.stages if stage.stage == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (enums as their values), with the totals added
        for readers that do not recompute them."""
        data = asdict(self)
        for stage, result in zip(data["stages"], self.stages):
            stage["status"] = result.status.value
            stage["score"], stage["max_score"] = result.score, result.max_score
            stage["awaiting_manual"] = result.awaiting_manual
            for check in stage["checks"]:
                check["interruption"] = Interruption(check["interruption"]).value
        data["score"], data["max_score"] = self.score, self.max_score
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GradeReport":
        return cls(submission=str(data["submission"]), seed=int(data["seed"]),
                   stages=[StageResult.from_dict(stage) for stage in data.get("stages", [])],
                   seconds=float(data.get("seconds", 0.0)), limits=dict(data.get("limits", {})))
