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

from autograder import classroom

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "batch-grading.md"


def results_json(*tests) -> dict:
    return {"score": sum(t[1] for t in tests), "tests": [
        {"name": name, "score": score, "max_score": max_score, "status": "passed" if score == max_score else "failed",
         "output": output} for name, score, max_score, output in tests]}


def test_partial_credit_reaches_the_reporter_as_scores():
    result = classroom.runner_result(results_json(("01_activations a", 2.0, 2.0, "ok"),
                                                  ("01_activations b", 0.0, 3.0, "x" * 5000)))
    assert result["version"] == 1 and result["status"] == "fail" and result["max_score"] == 5.0
    assert [(t["status"], t["score"]) for t in result["tests"]] == [("pass", 2.0), ("fail", 0.0)]
    assert len(result["tests"][1]["message"]) < 2100
    decoded = json.loads(base64.b64decode(classroom.encode(result)))
    assert decoded == result
    assert classroom.runner_result(results_json(("s a", 1.0, 1.0, "")))["status"] == "pass"
    assert classroom.runner_result({"tests": []})["status"] == "fail"


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
    grade = next(step for step in steps if "mlpkit grade" in step.get("run", ""))
    reporter = next(step for step in steps if "autograding-grading-reporter" in step.get("uses", ""))
    runner = reporter["with"]["runners"]
    assert runner == grade["id"]
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == f"${{{{ steps.{grade['id']}.outputs.result }}}}"
    assert flow["permissions"]["checks"] == "write"
    assert steps.index(grade) < steps.index(reporter)


def test_the_workflows_grading_step_runs_and_reports_the_points(tmp_path):
    step = next(step for step in next(iter(workflow()["jobs"].values()))["steps"]
                if "mlpkit grade" in step.get("run", ""))
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
    graded = json.loads((tmp_path / "results.json").read_text())
    assert sum(t["score"] for t in reported["tests"]) == graded["score"] == reported["max_score"] > 0
    assert reported["status"] == "pass"
