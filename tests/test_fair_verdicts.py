"""Fair verdicts (docs/grading.md, the grading policy): correct work in any
style earns every point, one defect costs once, the same code always scores
the same, and the student's pytest and the grader agree.

* the corpus of correct-but-different implementations
  (tests/support/fair_corpus) earns every point on a seeded sample of seeds,
  apart from exactly the one convention check where an implementation
  differs on purpose (the full run, 30 seeds and more, is
  ``python tools/fairness.py``);
* every check grades one function; a convention is graded once, by a
  public check of at most 1 point;
* the same submission graded 20 times gets one score, and ``mlpkit grade``
  and ``mlpkit grade-batch`` give it the same;
* the student's pytest (the student kit, in a copy of the release) and
  ``mlpkit grade`` give the same verdict on every public check, for every
  implementation of the corpus and every known mistake.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.checks import check_function, hidden_checks, public_checks, stage_module
from autograder.course import STAGES, find_course
from autograder.engine import Grader, default_seed
from autograder.notebooks import read_notebook
from tools import fairness

from .support import fair_corpus
from .support.fair_corpus import agreement
from .support.fair_corpus import BY_NAME, IMPLEMENTATIONS
from .support.hostile import builders
from .support.stage_notebooks import cells, graded, nbgrader, solution_path, source

pytestmark = pytest.mark.slow

SUITE_SEEDS = [fairness.FIRST_SEED + n for n in (0, 11, 23, 29)]   # a fixed sample of the tool's 30


@pytest.fixture(scope="module")
def grader():
    with Grader(fairness.LIMITS) as grader:
        yield grader


@pytest.fixture(scope="module")
def corpus_results(grader):
    """{implementation: [SeedResult per seed of SUITE_SEEDS]}, in one sandbox."""
    return {i.name: fairness.grade_implementation(i.name, SUITE_SEEDS, grader) for i in IMPLEMENTATIONS}


# ------------------------------------------------------------------ the checks themselves

def test_every_check_grades_one_function():
    source = find_course().source
    for stage in STAGES:
        module = stage_module(stage)
        notebook = read_notebook(source / stage / f"{stage}.ipynb")
        assert set(module.PUBLIC) == set(graded(solution_path(stage))), stage
        for check in public_checks(stage, notebook) + hidden_checks(stage):
            assert check.function, check.name
        answer_names = {name for cell in notebook.cells if cell.kind == "answer" for name in cell.names}
        for check in public_checks(stage, notebook) + hidden_checks(stage):
            assert check.function.split(".")[0] in answer_names, (check.name, check.function)


def test_every_public_check_says_what_it_checks():
    """The first line of every test cell is '# Test (N points): <what is checked>', N its points."""
    for stage in STAGES:
        for cell in cells(solution_path(stage)):
            grading = nbgrader(cell)
            if not grading.get("grade") or grading.get("solution"):   # a written answer is no test cell
                continue
            first = source(cell).splitlines()[0]
            match = re.match(r"^# Test \((\d+) points?\): (.+)$", first)
            assert match, (stage, grading["grade_id"], first)
            assert float(match[1]) == float(grading["points"]), (stage, grading["grade_id"])
            assert grading["grade_id"] not in match[2] and len(match[2].split()) >= 4, first


def test_a_convention_is_graded_once_by_one_public_check_of_one_point(corpus_results):
    for implementation in IMPLEMENTATIONS:
        for stage, grade_id in implementation.differs.items():
            notebook = graded(solution_path(stage))
            assert notebook[grade_id] <= 1, (stage, grade_id)
            assert grade_id.startswith("test_")
            for result in corpus_results[implementation.name]:
                assert result.failed == [f"{stage} {grade_id}"], (result.seed, result.failed)


# ------------------------------------------------------------------ the corpus

@pytest.mark.parametrize("name", [i.name for i in IMPLEMENTATIONS])
def test_correct_work_in_another_style_earns_every_point(corpus_results, name):
    """Every seed of the sample: every point, but the one convention check
    the implementation differs in on purpose."""
    differs = BY_NAME[name].differs
    for result in corpus_results[name]:
        assert result.unexpected(differs) == [], \
            [(check, result.messages[check]) for check in result.unexpected(differs)]
        assert len(result.failed) == len(differs)
        assert result.score == result.max_score - sum(graded(solution_path(s))[g] for s, g in differs.items())


def test_values_right_in_another_container_cost_nothing_and_are_noted(grader, tmp_path):
    """A 0-d array for a float, a list for a tuple, extra keys in the
    gradients: no points lost, one note per function."""
    for name, stage, function in (("compact", "03_backprop", "binary_cross_entropy"),
                                  ("compact", "02_forward_pass", "layer_forward"),
                                  ("objects", "03_backprop", "backward")):
        fair_corpus.write_submission(BY_NAME[name], tmp_path / name, [stage])
        result = grader.grade(tmp_path / name, stages=[stage], seed=SUITE_SEEDS[0]).stages[0]
        assert result.score == result.max_score
        notes = [problem for problem in result.problems if problem.startswith(f"note on {function} ")]
        assert len(notes) == 1 and "no points lost" in notes[0], result.problems


def test_strings_that_cross_to_the_sandbox_keep_their_identity(grader, tmp_path):
    """`if activation is "relu"` passes in the student's pytest (literals
    are interned): it must pass in the grader too.  (Made so by the
    sandbox, which interns the strings it receives as literals are.)"""
    identity = dict(BY_NAME["loops"].answers["02_forward_pass"])
    identity["layer_forward"] = '''
def layer_forward(a_prev, W, b, activation):
    z = W @ a_prev + b
    if activation is "relu":
        return z, np.maximum(0.0, z)
    if activation is "tanh":
        return z, np.tanh(z)
    return z, 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))
'''
    implementation = fair_corpus.Implementation("identity", "is-comparisons of names", {"02_forward_pass": identity})
    fair_corpus.write_submission(implementation, tmp_path)
    result = grader.grade(tmp_path, stages=["02_forward_pass"], seed=SUITE_SEEDS[0]).stages[0]
    assert result.score == result.max_score, "; ".join(c.name for c in result.checks if not c.passed)


def test_an_error_names_the_students_function_and_line(grader, tmp_path):
    """"in your backward, line 12", not "code cell 10".  (Made so by the
    sandbox, which reports where the student's code raised.)"""
    broken = dict(BY_NAME["loops"].answers["03_backprop"])
    broken["backward"] = broken["backward"].replace('grads["db" + str(l)] += delta', 'grads["db" + str(l)] += delta[9]')
    fair_corpus.write_submission(fair_corpus.Implementation("broken", "an index error", {"03_backprop": broken}),
                                 tmp_path)
    result = grader.grade(tmp_path, stages=["03_backprop"], seed=SUITE_SEEDS[0]).stages[0]
    failed = [c for c in result.checks if not c.passed]
    assert failed and all(check_function("03_backprop", c.name) == "backward" for c in failed)
    line = broken["backward"].strip("\n").splitlines().index('            grads["db" + str(l)] += delta[9]') + 1
    assert all(f"in your backward, line {line}" in c.message for c in failed), failed[0].message


# ------------------------------------------------------------------ one score per submission

# Wrong only for layer sizes above 50, which the hidden check draws on some seeds only:
# a verdict that depends on the seed, to show that the seed is the student's.
SOMETIMES_WRONG = ("02_forward_pass", "count_parameters", "    return total",
                   "    return total + (max(layer_sizes) > 50)")


def sometimes_wrong(folder: Path) -> Path:
    stage, cell, old, new = SOMETIMES_WRONG
    builders.write(builders.edit_answer(builders.solution(stage), cell, old, new), folder, stage)
    return folder


def test_the_same_submission_graded_twenty_times_gets_one_score(grader, tmp_path):
    folder = sometimes_wrong(tmp_path / "carol")
    reports = [grader.grade(folder, stages=["02_forward_pass"]) for _ in range(20)]
    assert {report.seed for report in reports} == {default_seed("carol")}
    assert len({report.score for report in reports}) == 1
    assert len({tuple(c.message for c in report.checks()) for report in reports}) == 1
    # The verdict does depend on the seed: other students' seeds give other scores.
    others = grader.grade_seeds(folder, [default_seed(f"student{n}") for n in range(12)], stages=["02_forward_pass"])
    assert len({report.score for report in others}) > 1


def run_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_grade_and_grade_batch_give_one_score(tmp_path):
    """Both commands, as an instructor runs them, without --seed."""
    root = tmp_path / "submitted"
    fair_corpus.write_submission(BY_NAME["compact"], root / "alice", ["02_forward_pass", "04_mlp_class"])
    sometimes_wrong(root / "bob")
    course = find_course().root
    batch = run_cli("grade-batch", str(root), "--out", str(tmp_path / "out"), "--jobs", "1", "--no-feedback",
                    "--no-progress", "--stage", "02_forward_pass", "--stage", "04_mlp_class", "--course", str(course),
                    cwd=tmp_path)
    assert batch.returncode == 0, batch.stderr
    for student in ("alice", "bob"):
        single = run_cli("grade", str(root / student), "--json", str(tmp_path / f"{student}.json"), "--stage",
                         "02_forward_pass", "--stage", "04_mlp_class", "--course", str(course), cwd=tmp_path)
        assert single.returncode == 0, single.stderr
        alone = json.loads((tmp_path / f"{student}.json").read_text())
        together = json.loads((tmp_path / "out" / student / "results.json").read_text())
        assert alone["extra_data"]["seed"] == together["extra_data"]["seed"] == default_seed(student)
        assert alone["score"] == together["score"]
        assert [(t["name"], t["score"]) for t in alone["tests"]] == [(t["name"], t["score"]) for t in together["tests"]]


# ------------------------------------------------------------------ the student's pytest and the grader

# Every implementation of the corpus; of the known mistakes, a fixed sample of groups (one
# group: one release copy, at most one mistake per stage) covering every stage.
# ``python tools/fairness.py --agreement`` runs every group.
SUITE_GROUPS = [0, 4, 9]
SUBMISSIONS = agreement.submissions(IMPLEMENTATIONS, SUITE_GROUPS)


@pytest.fixture(scope="module")
def local_and_grader(tmp_path_factory, grader):
    return agreement.compare(SUBMISSIONS, grader, tmp_path_factory.mktemp("agree"), SUITE_SEEDS[0])


@pytest.mark.parametrize("name", [s.name for s in SUBMISSIONS])
def test_the_students_pytest_and_the_grader_agree_on_every_public_check(local_and_grader, name):
    local, graded, output = local_and_grader[name]
    assert set(local) == set(graded) == set(next(s for s in SUBMISSIONS if s.name == name).stages), output[-3000:]
    assert agreement.disagreements(local, graded) == {}, output[-3000:]
    if name.startswith("mistakes-"):
        assert not all(all(checks.values()) for checks in graded.values()), "every mistake should lose points"
