"""The hostile corpora graded for real, in every isolation mode.

* The single-submission corpus (``support/hostile/corpus.py``): each case
  gains no points it should not, the grader finishes in bounded time with
  the expected note, and nothing the submission started is left running.
* The class-level corpus (``support/hostile/class_corpus.py``), each run
  inside a PID namespace of its own on a size-capped tmpfs
  (``support/hostile/containment.py``), so that a failure cannot harm the
  machine: what student code can do in each mode is exactly the isolation
  table of docs/grading.md, and a hostile student graded by
  ``grade-batch`` between two classmates reaches none of their work, the
  gradebook, the grader or the machine.
* Where the kernel refuses namespaces (a seccomp filter, as in a default
  Docker container), ``mlpkit grade`` still grades and says what was not
  in force, and ``mlpkit grade-batch`` refuses a class unless told
  ``--allow-unconfined``."""
import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest

from autograder.engine import Grader
from autograder.sandbox import CONFINEMENT, Limits
from autograder.sandbox.runner import PidsCgroups

from .support.hostile import builders, class_corpus, containment, corpus, processes, scenarios

LIMITS = Limits(call_seconds=1.5, load_seconds=1.5, check_seconds=20, submission_seconds=120)
MODES = ["namespaces", "user-namespace", "basic"]
DOC = builders.PROJECT / "docs" / "grading.md"
CONTAINED = containment.available()
# What needs namespaces (the process limit may still hold without: a pids cgroup).
NAMESPACED = set(CONFINEMENT) - {"process-limit"}


@pytest.fixture(scope="module", params=MODES)
def grader(request):
    limits = dataclasses.replace(LIMITS, namespaces=request.param != "basic",
                                 user_namespace=request.param == "user-namespace")
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


# ---------------------------------------------------------------- the class-level corpus

def run_contained(*arguments: str, only_user_refused: bool = False) -> dict:
    """A scenario of ``support/hostile/scenarios.py`` in a PID namespace of its own."""
    command = [sys.executable, "-m", "tests.support.hostile.scenarios", *arguments]
    if only_user_refused:
        command = containment.refusing(command, only_user=True)
    with containment.safety_net(scenarios.TASKS) as join:
        result = subprocess.run(containment.contained(command), capture_output=True, text=True, timeout=900,
                                cwd=builders.PROJECT, env={**os.environ, "PYTHONPATH": str(builders.PROJECT)},
                                preexec_fn=join)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def expected_capabilities(mode: str) -> dict:
    """The isolation table's column for ``mode`` as this test suite runs it
    (a cell marked ² holds where a pids cgroup can be made, as here)."""
    column = class_corpus.column_for(mode, root=os.getuid() == 0)
    cgroups = PidsCgroups().base is not None
    return {key: cells[column].startswith("yes") or (cells[column].endswith("²") and not cgroups)
            for key, cells in class_corpus.isolation_table(DOC).items()}


@pytest.mark.skipif(bool(CONTAINED), reason=CONTAINED)
@pytest.mark.parametrize("mode", MODES)
def test_what_student_code_can_do_is_the_isolation_table(mode, tmp_path):
    found = run_contained("probe", mode, str(tmp_path / "work"), str(tmp_path / "work" / "class"))
    assert found == expected_capabilities(mode)


@pytest.mark.skipif(bool(CONTAINED), reason=CONTAINED)
def test_root_without_user_namespaces_still_runs_student_code_unprivileged(tmp_path):
    """Where root may not make user namespaces (user.max_user_namespaces =
    0), the runner becomes uid 65534 directly: the same table holds."""
    found = run_contained("probe", "namespaces", str(tmp_path / "work"), str(tmp_path / "work" / "class"),
                          only_user_refused=True)
    assert found == expected_capabilities("namespaces")


@pytest.mark.skipif(bool(CONTAINED), reason=CONTAINED)
@pytest.mark.parametrize("mode", ["namespaces", "user-namespace"])
def test_a_hostile_student_reaches_nothing_of_the_class(mode, tmp_path):
    outcome = run_contained("class", mode, str(tmp_path / "work"))
    # The grader and every student's grading survived the SIGKILL to all.
    assert outcome["returncode"] == 0, outcome["stderr"]
    assert outcome["summary"] == {"graded": 3, "errors": {}}
    # The classmates' notebooks are byte for byte what they handed in, and
    # they score exactly what they score alone.
    assert outcome["after"] == outcome["before"]
    for name in class_corpus.CLASSMATES:
        assert outcome["results"][name]["score"] == outcome["alone"][name] > 0
    # Nothing of any other file reaches what the hostile student is shown
    # (its results.json and feedback pages), though its messages do.
    shown = outcome["shown"]
    messages = "\n".join(test["output"] for test in outcome["results"][class_corpus.HOSTILE]["tests"])
    assert "KILLED=" in messages and "KILLED=" in shown
    for secret in outcome["secrets"].values():
        assert secret not in shown
    assert outcome["class"] not in shown and outcome["out"] not in shown
    assert class_corpus.found(messages, "DISCOVERED") == ""
    for name in ("KEY", "SHADOW"):
        assert class_corpus.found(messages, name) == "<FileNotFoundError>"
    assert class_corpus.found(messages, "WRECKED") == "0" and not outcome["home_written"]
    assert class_corpus.found(messages, "HOME") == "/home/student:1"    # its own scratch folder
    # Its processes and its disk were capped.
    assert int(class_corpus.found(messages, "FORKED")) < scenarios.LIMITS.processes
    assert 0 < int(class_corpus.found(messages, "FILLED")) <= scenarios.LIMITS.scratch_bytes


@pytest.mark.skipif(bool(CONTAINED), reason=CONTAINED)
def test_without_confinement_the_same_student_harms_the_class(tmp_path):
    """What ``--allow-unconfined`` accepts, shown on the same class: the
    classmates' notebooks are overwritten and the batch is SIGKILLed."""
    outcome = run_contained("class", "basic", str(tmp_path / "work"))
    assert outcome["returncode"] != 0
    assert sorted(path for path in outcome["before"] if outcome["after"].get(path) != outcome["before"][path]) == \
        sorted(f"{name}/{class_corpus.STAGE}/{class_corpus.STAGE}.ipynb" for name in class_corpus.CLASSMATES)
    assert outcome["home_written"]


# ---------------------------------------------------------------- where the kernel refuses namespaces

def two_students(tmp_path):
    root = tmp_path / "class"
    for name in ("ann", "bob"):
        builders.write(builders.solution(corpus.STAGE), root / name, corpus.STAGE)
    return root


def test_grade_batch_refuses_a_class_it_cannot_confine(tmp_path):
    root, out = two_students(tmp_path), tmp_path / "graded"
    command = [sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out), "--stage",
               corpus.STAGE, "--jobs", "1", "--seed", "3", "--no-progress", "--no-feedback"]
    refused = subprocess.run(containment.refusing(command), capture_output=True, text=True, timeout=300,
                             cwd=builders.PROJECT)
    assert refused.returncode == 2, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("mlpkit: error:")]
    assert len(errors) == 1 and "Traceback" not in refused.stderr
    assert "cannot be confined" in errors[0] and "unshare: Operation not permitted" in errors[0]
    assert "--allow-unconfined" in errors[0]
    assert not out.exists()                                   # refused before anything was written
    allowed = subprocess.run(containment.refusing(command + ["--allow-unconfined"]), capture_output=True,
                             text=True, timeout=300, cwd=builders.PROJECT)
    assert allowed.returncode == 0, allowed.stderr
    for name in ("ann", "bob"):
        results = json.loads((out / name / "results.json").read_text())
        assert results["score"] == sum(test["max_score"] for test in results["tests"])
        assert not NAMESPACED & set(results["extra_data"]["isolation"][corpus.STAGE])


def test_grade_still_grades_one_submission_and_says_what_was_not_in_force(tmp_path):
    submission, out = tmp_path / "submission", tmp_path / "results.json"
    builders.write(builders.solution(corpus.STAGE), submission, corpus.STAGE)
    command = [sys.executable, "-m", "autograder", "grade", str(submission), "--stage", corpus.STAGE, "--json",
               str(out), "--seed", "3"]
    result = subprocess.run(containment.refusing(command), capture_output=True, text=True, timeout=300,
                            cwd=builders.PROJECT)
    assert result.returncode == 0, result.stderr
    results = json.loads(out.read_text())
    assert results["score"] == sum(test["max_score"] for test in results["tests"]) > 0
    isolation = results["extra_data"]["isolation"][corpus.STAGE]
    assert "rlimits" in isolation and not NAMESPACED & set(isolation)
