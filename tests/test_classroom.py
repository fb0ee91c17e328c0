"""GitHub Classroom: the runner result handed to the autograding reporter,
and the workflow template of docs/batch-grading.md, whose grading step is
run here as GitHub Actions would run it (the checkouts and installs aside)."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from autograder.outcomes import CheckResult, GradeReport, StageResult
from autograder.reports import classroom

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "batch-grading.md"


def report(*checks) -> GradeReport:
    """A report of one stage with checks (name, points, max_points, message)."""
    stage = StageResult("01_activations", checks=[
        CheckResult("01_activations", name, points, max_points, "public", points == max_points, "what", message)
        for name, points, max_points, message in checks])
    return GradeReport("submission", 1, [stage])


def test_partial_credit_reaches_the_reporter_as_scores():
    result = classroom.runner_result(report(("01_activations a", 2.0, 2.0, ""),
                                            ("01_activations b", 0.0, 3.0, "x" * 5000)))
    assert result["version"] == 1 and result["status"] == "fail" and result["max_score"] == 5.0
    assert [(t["status"], t["score"]) for t in result["tests"]] == [("pass", 2.0), ("fail", 0.0)]
    assert len(result["tests"][1]["message"]) < 2100
    decoded = json.loads(base64.b64decode(classroom.encode(result)))
    assert decoded == result
    assert classroom.runner_result(report(("s a", 1.0, 1.0, "")))["status"] == "pass"
    assert classroom.runner_result(report())["status"] == "fail"


def workflow() -> dict:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- classroom-workflow:start -->\s*```yaml\n(.*?)```\s*<!-- classroom-workflow:end -->",
                      text, re.S)
    assert block, f"{DOC.name} must hold the workflow between the classroom-workflow markers"
    return yaml.safe_load(block.group(1))


def test_the_workflow_template_wires_the_grade_step_to_the_reporter():
    flow = workflow()
    job = next(iter(flow["jobs"].values()))
    steps = job["steps"]
    grade = next(step for step in steps if "mlpkit classroom" in step.get("run", ""))
    reporter = next(step for step in steps if "autograding-grading-reporter" in step.get("uses", ""))
    runner = reporter["with"]["runners"]
    assert runner == grade["id"]
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == f"${{{{ steps.{grade['id']}.outputs.result }}}}"
    assert flow["permissions"]["checks"] == "write"
    assert steps.index(grade) < steps.index(reporter)


def test_the_workflows_grading_step_runs_and_reports_the_points(tmp_path):
    step = next(step for step in next(iter(workflow()["jobs"].values()))["steps"]
                if "mlpkit classroom" in step.get("run", ""))
    (tmp_path / "mlpkit").symlink_to(ROOT)   # what the workflow's checkout of the kit gives
    submission = tmp_path / "submission" / "01_activations"
    submission.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "01_activations" / "01_activations.ipynb", submission)
    output = tmp_path / "github_output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    result = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in output.read_text().splitlines() if line.startswith("result="))
    reported = json.loads(base64.b64decode(line[len("result="):]))
    assert sum(t["score"] for t in reported["tests"]) == reported["max_score"] > 0
    assert reported["status"] == "pass"
    assert all(line.startswith("result=") for line in output.read_text().splitlines()), (
        "every line written to $GITHUB_OUTPUT must be an output")
    assert "01_activations total" in result.stderr
