"""A student's ``pytest`` in the release folder.

On a copy of the committed ``assignments/``, with only the packages of the
release's requirements.txt importable: the unfinished stubs score 0 on
every check, and with the solutions notebooks copied over the stubs every
public check scores its points.  The table at the end lists one line per
check (its grade_id and points) and a total per stage.

The kit's behaviour on a student's typical mistakes is tested on a small
made-up stage (tests/sample_course.py), whose every cell is known.
"""
from __future__ import annotations

import json
import shutil

import pytest

from autograder import release

from .support import sample_course
from .support.stage_notebooks import ASSIGNMENTS, STAGES, graded, need_solution, release_path, solution_path
from .support.student_env import points_table, run_pytest, start_pytest

pytestmark = pytest.mark.slow


def copy_release(target):
    shutil.copytree(ASSIGNMENTS, target, ignore=shutil.ignore_patterns(
        "__pycache__", ".pytest_cache", ".ipynb_checkpoints"))
    return target


def paste_answers(release_notebook, solution_notebook) -> None:
    """The release notebook as a student who wrote the solutions would hand
    it in: each answer cell replaced by the solutions notebook's cell of the
    same grade_id, everything else (tests without hidden parts) as released."""
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"]
               for c in json.loads(solution_notebook.read_text(encoding="utf-8"))["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    notebook = json.loads(release_notebook.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("solution"):
            cell["source"] = answers[grading["grade_id"]]
    release_notebook.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


@pytest.fixture(scope="session")
def student_runs(tmp_path_factory):
    """{"stubs": (exit code, output, table), "solutions": ..., "answers": ...}:
    pytest in a copy of assignments/ as released, with the solutions
    notebooks copied over the stubs, and with only the answers pasted in."""
    if not ASSIGNMENTS.is_dir():
        pytest.fail("no assignments/ folder: run `mlpkit release`")
    base = tmp_path_factory.mktemp("student")
    stubs = copy_release(base / "stubs")
    solved = copy_release(base / "solutions")
    answered = copy_release(base / "answers")
    for stage in STAGES:
        if solution_path(stage).is_file() and release_path(solved, stage).is_file():
            shutil.copyfile(solution_path(stage), release_path(solved, stage))
            paste_answers(release_path(answered, stage), solution_path(stage))
    running = {name: start_pytest(folder, runner_folder=base)
               for name, folder in (("stubs", stubs), ("solutions", solved), ("answers", answered))}
    results = {}
    for name, process in running.items():
        output, _ = process.communicate(timeout=900)
        results[name] = (process.returncode, output, points_table(output))
    return results


def released_checks(stage: str) -> dict[str, float]:
    need_solution(stage)
    path = release_path(ASSIGNMENTS, stage)
    if not path.is_file():
        pytest.fail(f"{stage} has a solutions notebook but no release: run `mlpkit release`")
    return graded(path)


@pytest.mark.parametrize("stage", STAGES)
def test_the_stubs_score_zero(stage, student_runs):
    checks = released_checks(stage)
    _, output, table = student_runs["stubs"]
    assert stage in table, output[-3000:]
    rows = table[stage]["checks"]
    assert list(rows) == list(checks), "one line per graded cell, in notebook order"
    for name, (status, earned, possible, reason) in rows.items():
        assert (status, earned, possible) == ("FAIL", 0, checks[name])
        assert reason.startswith("not implemented yet: "), reason
    assert table[stage]["total"] == (0, sum(checks.values()))


@pytest.mark.parametrize("run", ["solutions", "answers"])
@pytest.mark.parametrize("stage", STAGES)
def test_the_solutions_score_every_public_point(stage, run, student_runs):
    """With the solutions notebook copied over the stub, and with the
    solutions' answer cells pasted into the released notebook."""
    checks = released_checks(stage)
    _, output, table = student_runs[run]
    assert stage in table, output[-3000:]
    rows = table[stage]["checks"]
    assert rows == {name: ("PASS", points, points, "") for name, points in checks.items()}, output[-3000:]
    assert table[stage]["total"] == (sum(checks.values()), sum(checks.values()))


def test_the_overall_totals_and_exit_codes(student_runs):
    stubs_code, stubs_output, stubs = student_runs["stubs"]
    solved_code, solved_output, solved = student_runs["solutions"]
    possible = sum(sum(graded(path).values()) for path in ASSIGNMENTS.glob("*/*.ipynb"))
    if len([s for s in stubs if s != "all stages"]) > 1:
        assert stubs["all stages"] == (0, possible)
        assert solved["all stages"] == (possible, possible)
    assert stubs_code == 1 and "Traceback" not in stubs_output
    assert solved_code == 0, solved_output[-3000:]


# ---------------------------------------------------------------- on a made-up stage

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"


@pytest.fixture(scope="session")
def sample_release(tmp_path_factory):
    """The made-up stage released with the real nbgrader."""
    base = tmp_path_factory.mktemp("sample")
    course = sample_course.make_course(base / "course")
    return release.make_release(course, out=base / "release").out


def student_copy(sample_release, tmp_path, answers: dict[str, str] | None = None, first_cell: str = ""):
    """A copy of the sample release with some stubs replaced by ``answers``
    (grade_id -> body), and a cell of the student's own put first."""
    folder = tmp_path / "student"
    shutil.copytree(sample_release, folder)
    path = release_path(folder, sample_course.STAGE)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            text = "".join(cell["source"])
            assert STUB in text
            cell["source"] = text.replace(STUB, answers[grade_id])
    if first_cell:
        notebook["cells"].insert(0, {"cell_type": "code", "execution_count": None, "metadata": {},
                                     "outputs": [], "source": first_cell})
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return folder


def run(folder, tmp_path, *args, env=None):
    code, output = run_pytest(folder, *args, runner_folder=tmp_path, env=env)
    table = points_table(output)
    return code, output, table[sample_course.STAGE]


def test_a_stub_says_what_is_not_implemented(sample_release, tmp_path):
    code, output, table = run(student_copy(sample_release, tmp_path), tmp_path)
    assert code == 1
    assert table["checks"]["test_square"] == ("FAIL", 0, 2, "not implemented yet: square")
    assert table["checks"]["test_twice"] == ("FAIL", 0, 1, "not implemented yet: twice")
    assert "test_square (2 points): not implemented yet: square" in output
    assert "Traceback" not in output and "raise NotImplementedError" in output
    assert "finish `square` above" not in output, "what cells before a check print is not shown"
    assert table["total"] == (0, 3)


def test_a_wrong_value_shows_the_tests_own_message(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z + z",
                                                     "answer_twice": "    out = 2 * z"})
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"] == ("FAIL", 0, 2, "square(3) should be 9.0, got 6.0")
    assert table["checks"]["test_twice"] == ("PASS", 1, 1, "")
    assert "test_square (2 points): square(3) should be 9.0, got 6.0" in output
    assert table["total"] == (1, 3)


def test_an_error_in_student_code_points_at_the_line(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z @ z.T @ 'x'"})
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"][0] == "FAIL"
    assert "Where it happened" in output
    assert "in square" in output and "out = z @ z.T @ 'x'" in output


def test_a_syntax_error_is_named_as_the_cause_of_later_failures(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = (z * z"})
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"][3] == "NameError: name 'square' is not defined"
    assert "(defines square) stopped with SyntaxError" in output
    assert "so square was never defined" in output


def test_a_warning_in_a_check_fails_it_as_nbgrader_would(sample_release, tmp_path):
    noisy = "    import warnings\n    warnings.warn('overflow somewhere', RuntimeWarning)\n    out = z * z"
    folder = student_copy(sample_release, tmp_path, {"answer_square": noisy, "answer_twice": "    out = 2 * z"})
    code, output, table = run(folder, tmp_path)
    status, earned, _, reason = table["checks"]["test_square"]
    assert (status, earned) == ("FAIL", 0)
    assert "wrote warnings or errors to stderr" in reason
    assert "RuntimeWarning: overflow somewhere" in output and "nbgrader scores such a cell 0" in output


def test_ipython_magics_are_skipped(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z * z",
                                                     "answer_twice": "    out = 2 * z"},
                          first_cell="%matplotlib inline\n!pip list\nimport numpy as np")
    code, output, table = run(folder, tmp_path)
    assert code == 0, output
    assert table["total"] == (3, 3)


def test_one_stage_alone(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path)
    other = folder / "02_other"
    shutil.copytree(folder / sample_course.STAGE, other)
    (other / f"{sample_course.STAGE}.ipynb").rename(other / "02_other.ipynb")
    code, output, _ = run(folder, tmp_path, sample_course.STAGE)
    assert "02_other" not in output
    code, output, _ = run(folder, tmp_path)
    assert "02_other total" in output and "all stages" in output


def test_the_students_python_has_only_the_requirements(sample_release, tmp_path):
    """The runs above cannot lean on anything a student lacks."""
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    import reference\n    out = z * z",
                                                     "answer_twice": "    import nbclient\n    out = 2 * z"})
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"][3].startswith("ModuleNotFoundError: No module named 'reference'")
    assert "No module named 'reference' (not in the release's requirements.txt)" in output
    assert table["checks"]["test_twice"][3].startswith("ModuleNotFoundError: No module named 'nbclient'")


def test_an_endless_loop_fails_its_check_and_the_run_goes_on(sample_release, tmp_path):
    stubborn = "    while True:\n        try:\n            sum(range(10**6))\n        except Exception:\n            pass"
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z * z", "answer_twice": stubborn})
    code, output, table = run(folder, tmp_path, env={"MLPKIT_CELL_TIME_LIMIT": "1"})
    assert table["checks"]["test_square"] == ("PASS", 2, 2, "")
    status, earned, _, reason = table["checks"]["test_twice"]
    assert (status, earned) == ("FAIL", 0)
    assert reason.startswith("this cell ran for more than 1 s"), reason
