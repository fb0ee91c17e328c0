"""Gradescope's results.json, rendered from a ``GradeReport``.

Written for Gradescope and for people; never read back by the kit, which
keeps the ``GradeReport`` itself wherever it needs the results again."""
from __future__ import annotations

from typing import Any

from ..outcomes import GradeReport
from .text import clean, first_line, points

GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "after_published"}


def results_json(report: GradeReport) -> dict[str, Any]:
    """Gradescope's results.json: every test named after its stage."""
    tests = []
    for number, check in enumerate(report.checks(), start=1):
        output = check.description if check.passed else f"{check.message}\n\nChecked: {check.description}"
        tests.append({"name": check.name, "number": str(number), "score": check.points,
                      "max_score": check.max_points, "status": "passed" if check.passed else "failed",
                      "output": clean(output), "visibility": GRADESCOPE_VISIBILITY[check.visibility],
                      "tags": [check.stage, check.visibility]})
    notes = [f"{stage.stage}: {first_line(problem, 300)}" for stage in report.stages for problem in stage.problems]
    summary = [f"Graded with seed {report.seed}."] + [
        f"{stage.stage}: {points(stage.score)}/{points(stage.max_score)}" for stage in report.stages] + notes
    return {"score": report.score, "execution_time": round(report.seconds, 3), "output": clean("\n".join(summary)),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"seed": report.seed, "max_score": report.max_score,
                           "isolation": {s.stage: s.isolation for s in report.stages}}}
