"""What results.json and the feedback pages show of the hidden checks:
everything, their points only, or nothing until grades are published
(Gradescope's ``after_published``); and ``grade-batch --hidden`` changed
on a graded class writes every student's files again without regrading."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from autograder.checks import hidden_checks
from autograder.outcomes import CheckResult, GradeReport, StageResult
from autograder.reports import feedback
from autograder.reports.results_json import results_json

from .support.synthetic_class import ROOT, hand_in

SECRET = "called sigmoid([-731.2, 0.004]) and got [nan, 0.501]"


def report() -> GradeReport:
    stage = "01_activations"
    return GradeReport("alice", 5, [StageResult(stage, checks=[
        CheckResult(stage, f"{stage} test_sigmoid_values", 2.0, 2.0, "public", True, "sigmoid at z1"),
        CheckResult(stage, f"{stage} test_relu_values", 0.0, 2.0, "public", False, "relu at z", "relu(0) is 0"),
        CheckResult(stage, f"{stage} sigmoid on random inputs", 0.0, 3.0, "hidden", False,
                    "sigmoid on random arrays and extreme values", SECRET, "overflow"),
        CheckResult(stage, f"{stage} tanh on random inputs", 1.0, 1.0, "hidden", True, "tanh on random arrays"),
    ])])


def test_full_shows_the_hidden_checks_messages_for_after_publishing():
    data = results_json(report(), "full")
    hidden = [test for test in data["tests"] if "hidden" in test["tags"]]
    assert [test["visibility"] for test in hidden] == ["after_published", "after_published"]
    assert SECRET in hidden[0]["output"]
    assert data["score"] == 3 and data["extra_data"]["max_score"] == 8


def test_points_show_the_hidden_checks_names_and_points_but_nothing_they_tried():
    data = results_json(report(), "points")
    text = json.dumps(data)
    assert SECRET not in text and "extreme values" not in text and "overflow" not in text
    hidden = {test["name"]: test for test in data["tests"] if "hidden" in test["tags"]}
    assert {name: (test["score"], test["max_score"], test["status"]) for name, test in hidden.items()} == {
        "01_activations sigmoid on random inputs": (0, 3, "failed"),
        "01_activations tanh on random inputs": (1, 1, "passed")}
    assert data["score"] == 3
    assert "relu(0) is 0" in text, "public checks keep their messages"


def test_none_leaves_the_hidden_checks_out_and_says_how_many_points_wait():
    data = results_json(report(), "none")
    text = json.dumps(data)
    assert "random inputs" not in text and SECRET not in text
    assert [test["name"] for test in data["tests"]] == ["01_activations test_sigmoid_values",
                                                        "01_activations test_relu_values"]
    assert data["score"] == 2 and data["extra_data"]["max_score"] == 4
    assert ("01_activations: Hidden checks worth 4 more points are graded; their results are shown once grades "
            "are published.") in data["output"]


@pytest.mark.parametrize("policy", ["full", "points", "none"])
def test_the_feedback_pages_follow_the_same_policy(tmp_path, policy):
    feedback.write_student(tmp_path, "alice", report(), {}, ["01_activations"], policy)
    page = (tmp_path / "feedback" / "01_activations.html").read_text()
    rows = re.findall(r'<tr class="check [a-z]+" id="check-\d+" data-check="([^"]+)"', page)
    score = re.search(r'<strong id="stage-score">([^<]+)</strong>', page).group(1)
    withheld = 'id="withheld"' in page
    expected = {
        "full": (4, "3 / 8", False, True),
        "points": (4, "3 / 8", False, False),
        "none": (2, "2 / 4", True, False),
    }[policy]
    assert (len(rows), score, withheld, SECRET in page) == expected
    index = (tmp_path / "feedback" / "index.html").read_text()
    assert f'<strong id="total">{score}</strong>' in index


@pytest.mark.slow
def test_changing_hidden_on_a_graded_class_rewrites_its_files_without_regrading(tmp_path):
    root = tmp_path / "submitted"
    hand_in(root, "ann", "01_activations", "mistake", seed=2)
    hand_in(root, "ben", "01_activations", "solution")
    out = tmp_path / "graded"

    def grade_batch(hidden):
        return subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out),
                               "--stage", "01_activations", "--seed", "3", "--no-progress", "--no-feedback",
                               "--hidden", hidden, "--course", str(ROOT)], capture_output=True, text=True,
                              timeout=300)

    first = grade_batch("none")
    assert first.returncode == 0, first.stderr
    hidden_tests = lambda: [t for t in json.loads((out / "ben" / "results.json").read_text())["tests"]
                            if "hidden" in t["tags"]]
    assert hidden_tests() == []
    published = grade_batch("full")
    assert "2 students, 2 graded before, 0 graded now" in published.stdout
    assert "  files written again (no regrade): 2 students" in published.stdout.splitlines()
    assert len(hidden_tests()) == len(hidden_checks("01_activations")) and \
        all(t["score"] == t["max_score"] for t in hidden_tests())
