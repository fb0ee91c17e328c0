"""Gradescope's results.json, rendered from a ``GradeReport``.

Written for Gradescope and for people; never read back by the kit, which
keeps the ``GradeReport`` itself wherever it needs the results again.

``hidden`` chooses what the file shows of the hidden checks (see
``visibility.py``): all of it (for Gradescope, which holds hidden tests
back until grades are published), their points only, or nothing (a file
handed to students before grades are published).  Written answers still
awaiting a grader are not tests yet: the summary names them."""
from __future__ import annotations

from typing import Any

from ..outcomes import GradeReport
from .text import clean, first_line, number, points
from .visibility import HiddenDetails, shown, withheld, withheld_note

GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "after_published"}


def results_json(report: GradeReport, hidden: HiddenDetails | str = HiddenDetails.FULL) -> dict[str, Any]:
    """Gradescope's results.json: every test named after its stage."""
    policy = HiddenDetails.parse(hidden)
    visible = shown(report, policy)
    tests = []
    for check in visible.checks():
        if check.pending:
            continue
        output = check.description if check.passed or not check.message \
            else f"{check.message}\n\nChecked: {check.description}"
        tests.append({"name": check.name, "number": str(len(tests) + 1), "score": number(check.points),
                      "max_score": number(check.max_points), "status": "passed" if check.passed else "failed",
                      "output": clean(output), "visibility": GRADESCOPE_VISIBILITY[check.visibility],
                      "tags": [check.stage, check.visibility]})
    notes = [f"{stage.stage}: {first_line(problem, 300)}" for stage in report.stages for problem in stage.problems]
    summary = [f"Graded with seed {report.seed}."]
    for stage, original in zip(visible.stages, report.stages):
        line = f"{stage.stage}: {points(stage.score)}/{points(stage.max_score)}"
        if stage.awaiting_manual:
            waiting = sum(check.max_points for check in stage.pending)
            line += f" (written answers worth {points(waiting)} points await grading by hand)"
        summary.append(line)
        if withheld(original, policy):
            summary.append(f"{stage.stage}: {withheld_note(withheld(original, policy))}")
    extra = {"seed": report.seed, "max_score": number(sum(test["max_score"] for test in tests)),
             "isolation": {s.stage: s.isolation for s in report.stages}, "hidden_details": policy.value}
    if visible.awaiting_manual:
        extra["awaiting_manual_grading"] = visible.awaiting_manual
    return {"score": number(visible.score), "execution_time": round(report.seconds, 3),
            "output": clean("\n".join(summary + notes)), "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests, "extra_data": extra}
