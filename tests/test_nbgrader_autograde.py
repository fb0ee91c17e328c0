"""nbgrader, as an instructor runs it, gives the solutions full marks and
the unfinished stubs 0.

A temporary course gets the repository's nbgrader_config.py (its root is
the file's own folder, so the copy points at the copy) and the stages that
have solutions.  ``mlpkit release`` generates the stages into its gradebook;
two students submit, one the solutions notebooks, one the release stubs,
and ``nbgrader autograde`` grades them.  The two students live in two
copies of the course so that their two autograde runs (about 2 s a notebook,
one notebook after another) can go side by side.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder import release

from .support.stage_notebooks import ROOT, STAGES, existing_stages, graded, need_solution, solution_path, written

pytestmark = pytest.mark.slow

STUDENTS = {"solver": "solutions notebook", "stubber": "release stub"}


def make_course(folder: Path, stages: list[str]) -> Path:
    folder.mkdir(parents=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    for stage in stages:
        shutil.copytree(ROOT / "solutions" / stage, folder / "solutions" / stage,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    release.make_release(folder)
    return folder


def submit(course: Path, student: str, stage: str) -> None:
    if student == "solver":
        notebook = solution_path(stage)
    else:
        notebook = course / "assignments" / stage / f"{stage}.ipynb"
    folder = course / "submitted" / student / stage
    folder.mkdir(parents=True)
    shutil.copyfile(notebook, folder / f"{stage}.ipynb")


def read_grades(course: Path, student: str, stages: list[str]) -> dict:
    """stage -> (score, max_score, {grade_id: score})."""
    grades = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for stage in stages:
            submission = gradebook.find_submission(stage, student)
            cells = {grade.name: grade.score for notebook in submission.notebooks
                     for grade in notebook.grades}
            grades[stage] = (submission.score, submission.max_score, cells)
    return grades


@pytest.fixture(scope="session")
def autograded(tmp_path_factory):
    """student -> stage -> (score, max_score, {grade_id: score})."""
    stages = existing_stages()
    if not stages:
        pytest.skip("no solutions notebook written yet")
    base = tmp_path_factory.mktemp("nbgrader")
    runs = {}
    # The kernels inherit this environment: it must not silence warnings,
    # or a test cell's stderr (which nbgrader scores 0) would go unseen.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"}
    for student in STUDENTS:
        course = make_course(base / student, stages)
        for stage in stages:
            submit(course, student, stage)
        runs[student] = (course, subprocess.Popen(
            ["nbgrader", "autograde", "*", "--force"], cwd=course, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env))
    results = {}
    for student, (course, process) in runs.items():
        log, _ = process.communicate(timeout=900)
        assert process.returncode == 0, f"nbgrader autograde failed for {student}:\n{log[-3000:]}"
        results[student] = read_grades(course, student, stages)
    return results


@pytest.mark.parametrize("stage", STAGES)
def test_the_solutions_get_full_marks(stage, autograded):
    points, answers = graded(need_solution(stage)), written(need_solution(stage))
    score, max_score, cells = autograded["solver"][stage]
    assert max_score == sum(points.values()) + sum(answers.values()) > 0
    assert cells == {**points, **dict.fromkeys(answers, 0.0)}, "every test cell scores its full points"
    assert score == sum(points.values()), "written answers wait for a grader in formgrader"


@pytest.mark.parametrize("stage", STAGES)
def test_the_stubs_score_zero(stage, autograded):
    points, answers = graded(need_solution(stage)), written(need_solution(stage))
    score, max_score, cells = autograded["stubber"][stage]
    assert max_score == sum(points.values()) + sum(answers.values())
    assert cells == dict.fromkeys({**points, **answers}, 0.0)
    assert score == 0
