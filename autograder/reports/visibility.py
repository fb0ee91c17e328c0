"""What students may see of the hidden checks before grades are published.

Gradescope keeps hidden tests back until the instructor publishes the
grades (``after_published``).  Files the kit writes for students
(results.json, the feedback pages) follow one of three policies:

* ``full``:   every check with its message, which may quote the hidden
              inputs (after grades are published);
* ``points``: hidden checks by name, with their points and verdict, and
              nothing of what they tried or found;
* ``none``:   hidden checks left out: the points shown are the public
              checks' (and the written answers'), with one line saying how
              many points are still to be shown.

``shown(report, policy)`` gives the report as students may see it; the
renderers draw that, so no renderer decides visibility by itself.  The
gradebook always keeps the whole report.
"""
from __future__ import annotations

from dataclasses import replace
from enum import Enum

from ..outcomes import HIDDEN, GradeReport, StageResult

POINTS_ONLY_TEXT = "A hidden check: what it tried is shown once grades are published."


class HiddenDetails(str, Enum):
    FULL = "full"
    POINTS = "points"
    NONE = "none"

    @classmethod
    def parse(cls, value: "HiddenDetails | str | None") -> "HiddenDetails":
        return cls(value or cls.FULL)


def shown(report: GradeReport, policy: HiddenDetails | str = HiddenDetails.FULL) -> GradeReport:
    """A copy of ``report`` holding what students may see under ``policy``."""
    policy = HiddenDetails.parse(policy)
    if policy is HiddenDetails.FULL:
        return report
    stages = [replace(stage, checks=[_check(check, policy) for check in stage.checks
                                     if not (policy is HiddenDetails.NONE and check.visibility == HIDDEN)])
              for stage in report.stages]
    return replace(report, stages=stages)


def _check(check, policy: HiddenDetails):
    if check.visibility != HIDDEN or policy is HiddenDetails.FULL:
        return check
    return replace(check, description=POINTS_ONLY_TEXT, message="", mistake="")


def withheld(stage: StageResult, policy: HiddenDetails | str) -> float:
    """The points of ``stage``'s hidden checks left out under ``policy``."""
    if HiddenDetails.parse(policy) is not HiddenDetails.NONE:
        return 0.0
    return sum(check.max_points for check in stage.checks if check.visibility == HIDDEN)


def withheld_note(points: float) -> str:
    """The line a page or results.json shows for withheld hidden checks."""
    from .text import points as shown_points

    return (f"Hidden checks worth {shown_points(points)} more points are graded; their results are shown "
            "once grades are published.")
