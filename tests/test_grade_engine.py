"""``grade_submission`` end to end: the solutions earn full marks, the
release stubs earn 0, typical mistakes lose points in the checks of the
function that has them (and are named), every layout is found, broken
notebooks score 0 for their stage only, the public checks are exactly the
notebooks' test cells, and the default seed is the student's."""
import json
import xml.etree.ElementTree as ET

import pytest

from autograder.reports.junit import junit
from autograder.reports.results_json import results_json
from autograder.reports.table import table
from autograder.outcomes import PUBLIC
from autograder.checks import check_function
from autograder.engine import Grader, default_seed, grade_submission, student_of
from autograder.errors import GradingError, UserError
from autograder.course import STAGES, find_course, instructor_path
from autograder.notebooks import read_notebook
from autograder.sandbox import Limits

from .support.hostile import builders
from .support.student_mistakes import MISTAKES

SEED = 20240601


@pytest.fixture(scope="module")
def grader():
    with Grader(Limits(call_seconds=5, check_seconds=30, submission_seconds=300)) as grader:
        yield grader


@pytest.fixture(scope="module")
def solutions_report(grader):
    return grader.grade(builders.SOLUTIONS, seed=SEED)


def test_the_solutions_earn_full_marks(solutions_report):
    assert [stage.stage for stage in solutions_report.stages] == list(STAGES)
    failed = [(c.name, c.message) for c in solutions_report.checks() if not c.passed and not c.pending]
    assert failed == []
    for stage in solutions_report.stages:   # written answers wait for a person: pending, not failed
        assert all(check.manual for check in stage.pending)
        assert stage.max_score > 0 and stage.score == stage.max_score - sum(c.max_points for c in stage.pending)
        assert stage.problems == []
        assert any(c.visibility == "hidden" for c in stage.checks), f"{stage.stage} has no hidden checks"


def test_the_release_stubs_earn_zero(grader, tmp_path):
    for stage in STAGES:
        builders.write(builders.stub(stage), tmp_path, stage)
    graded = grader.grade(tmp_path, seed=SEED)
    for stage in graded.stages:
        assert stage.max_score > 0
        assert stage.score == 0, [c.name for c in stage.checks if c.passed]
    messages = [c.message for c in graded.checks()]
    assert sum("not implemented yet" in m for m in messages) > len(messages) / 2


@pytest.mark.parametrize("layout", ["nbgrader", "flat"])
def test_every_layout_is_found(grader, tmp_path, solutions_report, layout):
    for stage in ("01_activations", "04_mlp_class"):
        builders.write(builders.solution(stage), tmp_path, stage, layout=layout)
    graded = grader.grade(tmp_path, stages=["01_activations", "04_mlp_class"], seed=SEED)
    for stage in graded.stages:
        assert stage.score == stage.max_score > 0
        assert stage.notebook.endswith(f"{stage.stage}.ipynb")


def test_missing_unreadable_and_corrupt_notebooks_score_zero_for_their_stage_only(grader, tmp_path):
    (tmp_path / "02_forward_pass").mkdir()
    (tmp_path / "02_forward_pass" / "02_forward_pass.ipynb").write_text('{"cells": [')
    (tmp_path / "03_backprop" / "03_backprop.ipynb").mkdir(parents=True)  # a folder, not a file
    (tmp_path / "04_mlp_class").mkdir()
    (tmp_path / "04_mlp_class" / "04_mlp_class.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "05_moons").mkdir()
    (tmp_path / "05_moons" / "05_moons.ipynb").write_text('{"worksheets": []}')
    builders.write(builders.solution("06_extensions"), tmp_path, "06_extensions")
    graded = grader.grade(tmp_path, seed=SEED)
    reasons = {stage.stage: stage.problems for stage in graded.stages}
    assert reasons["01_activations"] == ["no 01_activations.ipynb found in the submission"]
    assert "not a valid notebook (not JSON" in reasons["02_forward_pass"][0]
    assert "cannot be read" in reasons["03_backprop"][0]
    assert "not a valid notebook" in reasons["04_mlp_class"][0]
    assert "no list of cells" in reasons["05_moons"][0]
    for stage in graded.stages[:5]:
        assert stage.score == 0 and stage.max_score > 0 and len(stage.problems) == 1
        assert "\n" not in stage.problems[0]
        assert all(c.message == stage.problems[0] for c in stage.checks)
    assert graded.stages[5].score == graded.stages[5].max_score


def test_public_checks_are_the_notebooks_test_cells_with_their_points(solutions_report):
    for stage in solutions_report.stages:
        notebook = read_notebook(instructor_path(find_course().source, stage.stage))
        cells = {c.grade_id: c.points for c in notebook.of_kind("test")}
        public = {c.name.split(" ", 1)[1]: c.max_points for c in stage.checks
                  if c.visibility == PUBLIC and not c.manual}
        assert public == cells
        assert all(c.name.startswith(stage.stage + " ") for c in stage.checks)


def test_a_seed_makes_grading_reproducible(grader, tmp_path):
    notebook = builders.edit_answer(builders.solution("01_activations"), "tanh_derivative",
                                    "dadz = 1.0 - t * t", "dadz = 1.0 - t")
    builders.write(notebook, tmp_path, "01_activations")
    first = grader.grade(tmp_path, stages=["01_activations"], seed=7)
    again = grader.grade(tmp_path, stages=["01_activations"], seed=7)
    other = grader.grade(tmp_path, stages=["01_activations"], seed=8)
    assert first.seed == 7
    assert [c.message for c in first.checks()] == [c.message for c in again.checks()]
    hidden = [c.message for c in first.checks() if c.visibility == "hidden" and not c.passed]
    assert hidden and hidden != [c.message for c in other.checks() if c.visibility == "hidden" and not c.passed]


@pytest.mark.parametrize("stage, cell, old, new, name, function", MISTAKES,
                         ids=[f"{m[0][:2]}-{m[1]}-{i}" for i, m in enumerate(MISTAKES)])
def test_typical_mistakes_cost_points_in_their_functions_checks_only(grader, tmp_path, stage, cell, old, new, name,
                                                                     function):
    """Each classic mistake loses points, is named where it was named
    before, and costs points only in the checks of the function that has
    it (on two seeds)."""
    builders.write(builders.edit_answer(builders.solution(stage), cell, old, new), tmp_path, stage)
    for graded in grader.grade_seeds(tmp_path, [SEED, SEED + 1], stages=[stage]):
        failed = [c for c in graded.stages[0].checks if not c.passed and not c.manual]   # written answers aside
        assert failed, f"the mistake in {cell} went unnoticed"
        assert all(c.message for c in failed)
        assert {check_function(stage, c.name) for c in failed} == {function}, [c.name for c in failed]
        if name:
            assert any(name in c.mistake for c in failed), [c.message for c in failed]


def test_the_default_seed_is_the_students(grader, tmp_path):
    """Without --seed the hidden checks' seed depends on the student's name
    alone: every layout of one student's work gets it, and it is recorded."""
    alice = tmp_path / "submitted" / "alice"
    notebook = builders.write(builders.solution("01_activations"), alice, "01_activations")
    assert student_of(alice) == student_of(notebook) == student_of(notebook.parent) == "alice"
    assert default_seed("alice") == default_seed("alice") != default_seed("bob")
    assert 0 <= default_seed("alice") < 2 ** 31
    assert grader.grade(alice, stages=["01_activations"]).seed == default_seed("alice")
    assert grader.grade(notebook, stages=["01_activations"]).seed == default_seed("alice")


def test_renderers(solutions_report, tmp_path):
    data = results_json(solutions_report)
    json.dumps(data)
    assert data["score"] == solutions_report.score == data["extra_data"]["max_score"]   # written answers wait
    assert data["extra_data"]["seed"] == SEED
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["name"].split(" ")[0] in STAGES
        assert test["status"] == "passed" and test["visibility"] in ("visible", "after_published")
    root = ET.fromstring(junit(solutions_report))
    assert root.tag == "testsuites" and len(root) == len(STAGES)
    assert int(root.get("tests")) == len(solutions_report.checks()) and root.get("failures") == "0"
    text = table(solutions_report)
    assert "TOTAL" in text and f"{solutions_report.score:g}/{solutions_report.max_score:g}" in text


def test_grading_errors_are_one_line():
    with pytest.raises(GradingError, match="does not exist"):
        grade_submission("/no/such/folder")
    with pytest.raises(UserError, match="unknown stage"):
        grade_submission(builders.SOLUTIONS, stages=["07_transformers"])
