"""GitHub Classroom: a ``GradeReport`` as a runner result of
``classroom-resources/autograding-grading-reporter``.

The reporter reads, for every runner id listed in its ``runners`` input,
the environment variable ``<ID>_RESULTS``: base64 of a JSON object
``{"version": 1, "status": "pass"|"fail"|"error", "max_score": N,
"tests": [{"name", "status", "score", "message", ...}]}``.  It reports
the sum of the tests' ``score`` over the sum of ``max_score`` to
Classroom, so partial credit per check is kept.  ``mlpkit classroom``
prints ``result=<base64>`` for ``$GITHUB_OUTPUT`` (docs/batch-grading.md
has the whole workflow).
"""
from __future__ import annotations

import base64
import json
from typing import Any

from ..outcomes import GradeReport

MESSAGE_CAP = 2000   # characters of a check's message kept (the step output must stay small)


def runner_result(report: GradeReport) -> dict[str, Any]:
    """The reporter's runner result for a report."""
    tests = []
    for check in report.checks():
        if check.pending:   # a written answer: graded by hand, never by the Classroom run
            continue
        message = check.description if check.passed else f"{check.message}\n\nChecked: {check.description}"
        tests.append({"name": check.name, "status": "pass" if check.passed else "fail",
                      "score": float(check.points), "max_score": float(check.max_points),
                      "message": message if len(message) <= MESSAGE_CAP else message[:MESSAGE_CAP] + " [...]",
                      "test_code": "", "filename": "", "line_no": 0, "duration": 0})
    status = "pass" if tests and all(test["status"] == "pass" for test in tests) else "fail"
    return {"version": 1, "status": status, "max_score": sum(test["max_score"] for test in tests), "tests": tests}


def encode(result: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(result, separators=(",", ":")).encode()).decode("ascii")
