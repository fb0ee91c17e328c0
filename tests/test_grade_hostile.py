"""The hostile corpus (tests/hostile/corpus.py) graded for real: each case
gains no points it should not, the grader finishes in bounded time with
the expected note, and nothing the submission started is left running."""
import dataclasses
import json
import subprocess
import sys
import time

import pytest

from autograder.engine import Grader
from autograder.sandbox import Limits

from .support.hostile import builders, corpus, processes

LIMITS = Limits(call_seconds=1.5, load_seconds=1.5, check_seconds=20, submission_seconds=120)


@pytest.fixture(scope="module", params=["namespaces", "basic"])
def grader(request):
    limits = dataclasses.replace(LIMITS, namespaces=request.param == "namespaces")
    with Grader(limits, stages=[corpus.STAGE, "02_forward_pass"]) as grader:
        yield grader


def materialise(notebook, folder, marker, stage=corpus.STAGE):
    text = json.dumps(notebook).replace("{marker}", marker).replace("{kit}", str(builders.PROJECT))
    return builders.write(json.loads(text), folder, stage)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c["name"] for c in corpus.CASES])
def test_hostile_submission(grader, tmp_path, case):
    marker = processes.new_marker()
    materialise(case["build"](), tmp_path, marker)
    started = time.monotonic()
    stage = grader.grade(tmp_path, stages=[corpus.STAGE], seed=1).stages[0]
    elapsed = time.monotonic() - started
    if case["needs"] and case["needs"] not in stage.isolation:
        pytest.skip(f"needs {case['needs']} (isolation here: {stage.isolation})")
    assert elapsed < case["seconds"]
    assert processes.wait_until_gone(marker, 2.0) == []
    failed = sorted(c.name.split(" ", 1)[1] for c in stage.checks if not c.passed)
    if case["lost"] == ["*"]:
        assert stage.score == 0
    else:
        assert failed == sorted(case["lost"]), [(c.name, c.message) for c in stage.checks if not c.passed]
    if case["full"]:
        assert stage.score == stage.max_score
    if case["note"]:
        assert any(case["note"] in problem for problem in stage.problems), stage.problems
    assert len(stage.output) <= LIMITS.output_bytes + 100


def test_a_notebook_that_kills_its_process_while_loading_costs_only_its_stage(grader, tmp_path):
    materialise(builders.prepend_to_answer(builders.solution(corpus.STAGE), "tanh", "import os\nos._exit(3)\n"),
                tmp_path, "unused")
    builders.write(builders.solution("02_forward_pass"), tmp_path, "02_forward_pass")
    first, second = grader.grade(tmp_path, stages=[corpus.STAGE, "02_forward_pass"], seed=1).stages
    assert first.score == 0 and first.max_score > 0
    assert second.score == second.max_score > 0


def test_planted_and_forged_result_files_have_no_effect(tmp_path):
    """A results.json and a conftest.py in the submission, and a notebook
    that writes results files (even at the grader's real output path) from
    its cells and from a process left in the background."""
    submission, out = tmp_path / "submission", tmp_path / "out"
    out.mkdir()
    marker = processes.new_marker()
    forged = json.dumps({"score": 1000, "tests": []})
    writer = (f"import os, subprocess, sys\n"
              f"for path in ['results.json', {str(submission / 'results.json')!r}, {str(out / 'results.json')!r}]:\n"
              f"    try:\n        open(path, 'w').write({forged!r})\n    except OSError:\n        pass\n"
              f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(2); "
              f"open({str(out / 'results.json')!r}, \"w\").write({forged!r})', {marker!r}], start_new_session=True)\n")
    notebook = builders.prepend_to_answer(
        builders.edit_answer(builders.solution(corpus.STAGE), "relu", "np.maximum(0.0, z)", "np.minimum(0.0, z)"),
        "sigmoid", writer)
    builders.write(notebook, submission, corpus.STAGE)
    (submission / "results.json").write_text(forged)
    (submission / "conftest.py").write_text("import pytest\n@pytest.hookimpl(hookwrapper=True)\n"
                                            "def pytest_runtest_makereport(item, call):\n"
                                            "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n")
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submission), "--stage", corpus.STAGE,
                             "--json", str(out / "results.json"), "--seed", "1"],
                            capture_output=True, text=True, timeout=120, cwd=builders.PROJECT)
    assert result.returncode == 0, result.stderr
    time.sleep(2.5)  # the background writer would have fired by now
    assert processes.matching(marker) == []
    written = json.loads((out / "results.json").read_text())
    assert 0 < written["score"] < max(t["max_score"] for t in written["tests"]) * len(written["tests"])
    assert any(t["status"] == "failed" and "relu" in t["name"] for t in written["tests"])
