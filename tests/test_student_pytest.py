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

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from .support import sample_course
from .support.handed_in import handed_in
from .support.stage_notebooks import ASSIGNMENTS, STAGES, graded, need_solution, release_path
from .support.student_env import points_table, release_sample, run_pytest, start_pytest, student_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def student_runs(tmp_path_factory):
    """{"stubs": (exit code, output, table), "solutions": ..., "answers": ...}:
    pytest in a copy of assignments/ as released, with the solutions
    notebooks copied over the stubs, and with only the answers pasted in."""
    if not ASSIGNMENTS.is_dir():
        pytest.fail("no assignments/ folder: run `mlpkit release`")
    base = tmp_path_factory.mktemp("student")
    running = {kind: start_pytest(handed_in(base, kind), runner_folder=base)
               for kind in ("stubs", "solutions", "answers")}
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

@pytest.fixture(scope="session")
def sample_release(tmp_path_factory):
    return release_sample(tmp_path_factory)


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
                                                     "answer_twice": "    import nbgrader\n    out = 2 * z"})
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"][3].startswith("ModuleNotFoundError: No module named 'reference'")
    assert "No module named 'reference' (not in the release's requirements.txt)" in output
    assert table["checks"]["test_twice"][3].startswith("ModuleNotFoundError: No module named 'nbgrader'")


def test_an_endless_loop_fails_its_check_and_the_run_goes_on(sample_release, tmp_path):
    stubborn = "    while True:\n        try:\n            sum(range(10**6))\n        except Exception:\n            pass"
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z * z", "answer_twice": stubborn})
    code, output, table = run(folder, tmp_path, env={"MLPKIT_CELL_TIME_LIMIT": "1"})
    assert table["checks"]["test_square"] == ("PASS", 2, 2, "")
    status, earned, _, reason = table["checks"]["test_twice"]
    assert (status, earned) == ("FAIL", 0)
    assert reason.startswith("this cell ran for more than 1 s"), reason


def test_a_likely_mistake_the_test_names_is_in_the_table(sample_release, tmp_path):
    """A test's AssertionError may carry ``likely_mistake``: the table shows
    it under the failed check."""
    test_square = (
        "got = square(np.array([3.0]))\n"
        "if got[0] != 9.0:\n"
        "    problem = AssertionError(f'square(3) should be 9.0, got {got[0]}')\n"
        "    problem.likely_mistake = 'you added z to itself; a square multiplies it by itself'\n"
        "    raise problem")
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z + z",
                                                     "answer_twice": "    out = 2 * z"},
                          tests={"test_square": test_square})
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"] == ("FAIL", 0, 2, "square(3) should be 9.0, got 6.0")
    lines = output.splitlines()
    row = lines.index(next(line for line in lines if line.startswith("  FAIL  test_square")))
    assert lines[row + 1] == "        likely mistake: you added z to itself; a square multiplies it by itself"


def flat(text: str) -> str:
    return " ".join(text.split())


def run_and_save(folder):
    """The sample notebook run in a real kernel and saved with its outputs,
    as Jupyter saves it."""
    path = release_path(folder, sample_course.STAGE)
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(notebook, timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, str(path))
    return path


def test_a_notebook_saved_without_outputs_gets_a_note(sample_release, tmp_path):
    code, output, table = run(student_copy(sample_release, tmp_path, {"answer_square": "    out = z * z"}), tmp_path)
    assert (f"note: {sample_course.STAGE}.ipynb holds no outputs: it was saved before it was run"
            in flat(output))
    assert "save it there first (File > Save Notebook)" in flat(output)
    assert table["checks"]["test_square"][0] == "PASS", "a note changes no verdict"


def test_saved_outputs_that_agree_get_no_note(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z * z"})
    run_and_save(folder)
    code, output, table = run(folder, tmp_path)
    assert "note:" not in output
    assert [status for status, *_ in table["checks"].values()] == ["PASS", "FAIL"]


def test_saved_outputs_that_disagree_get_a_note(sample_release, tmp_path):
    """Run and saved with a right square, then edited (and autosaved) to a
    wrong one without running it again: the saved test output says passed."""
    folder = student_copy(sample_release, tmp_path, {"answer_square": "    out = z * z"})
    path = run_and_save(folder)
    notebook = nbformat.read(str(path), as_version=4)
    (answer,) = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_square"]
    answer.source = answer.source.replace("out = z * z", "out = z + z")
    nbformat.write(notebook, str(path))
    code, output, table = run(folder, tmp_path)
    assert table["checks"]["test_square"][0] == "FAIL"
    text = flat(output)
    assert (f"note: the outputs saved in {sample_course.STAGE}.ipynb disagree with this run "
            "(test_square passed in Jupyter and failed here)") in text
    assert "Kernel > Restart Kernel and Run All Cells" in text
