"""The grade a student ends with, stage by stage.

A stage's points are, in this order:

1. the kit's checks (public and hidden), from the ``GradeReport``;
2. the written answers, graded by a person in formgrader (``HumanGrade``,
   read back from nbgrader's gradebook); a check re-scored there by hand
   takes that score too, exactly as nbgrader counts it (the person's score,
   else the kit's, plus any extra credit);
3. minus the late penalty (``Late``), computed with nbgrader's late
   submission plugin from ``timestamp.txt`` and the assignment's due date;
4. unless the instructor overrode the stage (``Override``): then its
   points are the override's, whatever 1-3 say.

``merge`` applies 2 to a report; ``stage_grades`` applies 3 and 4.
Everything here is plain data: the gradebook stores it, the exports
(grades.csv, the LMS file, nbgrader) read it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..outcomes import GradeReport, StageResult, StageStatus
from ..reports.text import points as shown

GRADED, AWAITING, MISSING, INVALID = "graded", "awaiting manual grading", "missing", "invalid"
OVERRIDDEN = "overridden"
STAGE_STATUS = {StageStatus.GRADED: GRADED, StageStatus.MISSING: MISSING, StageStatus.INVALID: INVALID}


@dataclass(frozen=True)
class HumanGrade:
    """What a person gave a check in formgrader."""

    stage: str
    check: str                  # the check's name, "<stage> <grade_id>"
    score: float | None         # the person's score; None: not scored by hand
    extra_credit: float = 0.0
    comment: str = ""


@dataclass(frozen=True)
class Override:
    """An instructor's grade for a stage, replacing the computed one."""

    stage: str
    points: float
    reason: str
    at: str = ""                # when it was given, ISO 8601


@dataclass(frozen=True)
class Late:
    """A stage handed in after its due date, with nbgrader's semantics."""

    stage: str
    submitted: str              # nbgrader's timestamp, UTC, ISO 8601
    due: str                    # the due date (extension included), UTC, ISO 8601
    seconds_late: float
    penalty: float              # points taken off (0 <= penalty <= the stage's points)

    def describe(self) -> str:
        return f"{self.stage} {late_note(self.seconds_late, self.penalty)}"


def late_note(seconds: float, penalty: float) -> str:
    """How late, and what it cost: "2 h 5 min late, -3 points"."""
    return f"{duration(seconds)} late, " + (f"-{shown(penalty)} points" if penalty else "no penalty")


def override_note(points: float, reason: str) -> str:
    return f"overridden to {shown(points)}: {reason}"


def duration(seconds: float) -> str:
    """3 d 4 h, 2 h 5 min, 40 min, 12 s."""
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"


def merge(report: GradeReport, human: list[HumanGrade]) -> GradeReport:
    """``report`` with the scores people gave in formgrader."""
    if not human:
        return report
    given = {grade.check: grade for grade in human}
    stages = []
    for stage in report.stages:
        checks = []
        for check in stage.checks:
            grade = given.get(check.name)
            if grade is None or (grade.score is None and not grade.extra_credit):
                checks.append(check)
                continue
            points = (check.points if grade.score is None else grade.score) + grade.extra_credit
            if check.pending or check.manual:
                message = grade.comment or ("" if points >= check.max_points else "graded by hand")
            else:
                message = (f"{check.message}\n" if check.message else "") + \
                          f"Re-scored by hand: {shown(points)} of {shown(check.max_points)} points." + \
                          (f" {grade.comment}" if grade.comment else "")
            checks.append(replace(check, points=points, passed=points >= check.max_points, message=message,
                                  manual=True, pending=False))
        stages.append(replace(stage, checks=checks))
    return replace(report, stages=stages)


@dataclass
class StageGrade:
    """One stage of one student, as exported."""

    stage: str
    points: float               # the work: checks and written answers
    max_points: float
    status: str                 # GRADED, AWAITING, MISSING, INVALID or OVERRIDDEN
    late: Late | None = None
    override: Override | None = None

    @property
    def final(self) -> float:
        if self.override is not None:
            return self.override.points
        return max(0.0, self.points - (self.late.penalty if self.late else 0.0))

    @property
    def penalty(self) -> float:
        return self.late.penalty if self.late is not None and self.override is None else 0.0


@dataclass
class StudentGrade:
    """Everything exported about one student."""

    student: str
    status: str                 # "graded", "error" or "outdated" (graded with other instructor notebooks)
    stages: list[StageGrade] = field(default_factory=list)
    error: str = ""

    @property
    def total(self) -> float:
        return sum(stage.final for stage in self.stages)

    @property
    def max_total(self) -> float:
        return sum(stage.max_points for stage in self.stages)

    @property
    def awaiting(self) -> list[str]:
        return [stage.stage for stage in self.stages if stage.status == AWAITING]

    @property
    def label(self) -> str:
        """The status a spreadsheet shows."""
        return AWAITING if self.status == "graded" and self.awaiting else self.status

    def stage(self, name: str) -> StageGrade | None:
        return next((stage for stage in self.stages if stage.stage == name), None)

    def notes(self) -> list[str]:
        """One line per late penalty and override."""
        lines = [stage.late.describe() for stage in self.stages if stage.penalty]
        lines += [f"{stage.stage} {override_note(stage.override.points, stage.override.reason)}"
                  for stage in self.stages if stage.override is not None]
        return lines


def stage_grade(result: StageResult, late: Late | None = None, override: Override | None = None) -> StageGrade:
    status = OVERRIDDEN if override is not None else AWAITING if result.awaiting_manual \
        else STAGE_STATUS[result.status]
    return StageGrade(result.stage, result.score, result.max_score, status, late, override)


def student_grade(student: str, report: GradeReport, stages, late: dict, overrides: dict) -> StudentGrade:
    """The grade of a graded student: ``late`` and ``overrides`` by stage."""
    grades = []
    for stage in stages:
        result = report.stage(stage) or StageResult(stage)
        grades.append(stage_grade(result, late.get(stage), overrides.get(stage)))
    return StudentGrade(student, "graded", grades)
