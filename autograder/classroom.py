"""GitHub Classroom: ``mlpkit grade``'s results.json as a runner result of
``classroom-resources/autograding-grading-reporter``.

The reporter reads, for every runner id listed in its ``runners`` input,
the environment variable ``<ID>_RESULTS``: base64 of a JSON object
``{"version": 1, "status": "pass"|"fail"|"error", "max_score": N,
"tests": [{"name", "status", "score", "message", ...}]}``.  It reports
the sum of the tests' ``score`` over the sum of ``max_score`` to
Classroom, so partial credit per check is kept.

    mlpkit grade . --json results.json
    python -m autograder.classroom results.json >> "$GITHUB_OUTPUT"   # prints result=<base64>

(docs/batch-grading.md has the whole workflow.)
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

MESSAGE_CAP = 2000   # characters of a check's message kept (the step output must stay small)


def runner_result(results: dict) -> dict:
    """The reporter's runner result for a results.json (Gradescope schema)."""
    tests = []
    for test in results.get("tests", []):
        passed = test.get("status") == "passed"
        message = str(test.get("output", ""))
        tests.append({"name": str(test.get("name", "")), "status": "pass" if passed else "fail",
                      "score": float(test.get("score") or 0.0), "max_score": float(test.get("max_score") or 0.0),
                      "message": message if len(message) <= MESSAGE_CAP else message[:MESSAGE_CAP] + " [...]",
                      "test_code": "", "filename": "", "line_no": 0, "duration": 0})
    status = "pass" if tests and all(test["status"] == "pass" for test in tests) else "fail"
    return {"version": 1, "status": status, "max_score": sum(test["max_score"] for test in tests), "tests": tests}


def encode(result: dict) -> str:
    return base64.b64encode(json.dumps(result, separators=(",", ":")).encode()).decode("ascii")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m autograder.classroom results.json  (prints result=<base64> for $GITHUB_OUTPUT)",
              file=sys.stderr)
        return 2
    try:
        results = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"mlpkit classroom: cannot read {argv[0]}: {error}", file=sys.stderr)
        return 2
    result = runner_result(results)
    print(f"result={encode(result)}")
    earned = sum(test["score"] for test in result["tests"])
    print(f"mlpkit: {earned:g}/{result['max_score']:g} points", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
