"""The "Check everything" cell in a real kernel, used as students use it.

On the made-up stage of tests/support/sample_course.py, with the last cell
of the real notebooks appended: after Run All Cells has stopped at a
failing test, with work the student has run but not saved, with the
student's own variables around, and with the notebook not where it should
be.  A kernel session here is driven cell by cell through nbclient, as
Jupyter drives it: a cell that raises stops the run, and the student then
runs the last cell on its own.
"""
from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .support import sample_course
from .support.stage_notebooks import cells, release_path, solution_path, source
from .support.student_env import points_table, release_sample, run_pytest, student_copy

pytestmark = pytest.mark.slow

RIGHT = {"answer_square": "    out = z * z", "answer_twice": "    out = 2 * z"}


@pytest.fixture(scope="session")
def sample_release(tmp_path_factory):
    return release_sample(tmp_path_factory)


def summary_source(stage: str) -> str:
    """The last cell of the real notebooks, for ``stage``."""
    (cell,) = [c for c in cells(solution_path("01_activations")) if c.get("id") == "check-everything"]
    return source(cell).replace('check_stage("01_activations"', f'check_stage("{stage}"')


class Session:
    """One kernel on a notebook: run its cells as Run All Cells does
    (stopping at the first error), or one cell at a time."""

    def __init__(self, notebook, folder):
        self.notebook = notebook
        self.last = len(notebook.cells) - 1     # the Check everything cell
        self.client = NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(folder)}})

    def run_all(self) -> int | None:
        """Run All Cells up to the Check everything cell: the index of the
        cell that stopped the run, or None."""
        for index, cell in enumerate(self.notebook.cells[:self.last]):
            if cell.cell_type != "code":
                continue
            try:
                self.client.execute_cell(cell, index)
            except CellExecutionError:
                return index
        return None

    def run(self, source: str) -> str:
        """Run a cell of the student's own; what it printed."""
        cell = nbformat.v4.new_code_cell(source)
        self.notebook.cells.append(cell)
        self.client.execute_cell(cell, len(self.notebook.cells) - 1)
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    def run_last(self) -> str:
        cell = self.notebook.cells[self.last]
        self.client.execute_cell(cell, self.last)
        assert not [o for o in cell.outputs if o.output_type == "error"]
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def notebook_of(folder):
    return nbformat.read(str(release_path(folder, sample_course.STAGE)), as_version=4)


def in_a_kernel(notebook, folder, work):
    """``work(session)`` with a kernel started in the notebook's folder."""
    session = Session(notebook, release_path(folder, sample_course.STAGE).parent)
    with session.client.setup_kernel():
        return work(session)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_after_run_all_stopped_the_last_cell_checks_everything(sample_release, tmp_path):
    """square is wrong, so Run All Cells stops at its test; twice's cell
    never runs, so the last cell checks it as saved, says so, and prints
    pytest's table."""
    folder = student_copy(sample_release, tmp_path, {**RIGHT, "answer_square": "    out = z + z"},
                          last_cell=summary_source(sample_course.STAGE))
    notebook = notebook_of(folder)

    def work(session):
        stopped = session.run_all()
        assert notebook.cells[stopped].metadata["nbgrader"]["grade_id"] == "test_square"
        return session.run_last()

    printed = in_a_kernel(notebook, folder, work)
    table = points_table(printed)[sample_course.STAGE]
    assert table["checks"] == {"test_square": ("FAIL", 0, 2, "square(3) should be 9.0, got 6.0"),
                               "test_twice": ("PASS", 1, 1, "")}
    assert "note: not run in this kernel, so checked as saved in 01_sample.ipynb: code cell 5 (defines twice)" in (
        flat(printed))
    _, output = run_pytest(folder, runner_folder=tmp_path)
    assert points_table(output)[sample_course.STAGE] == table
    assert "test_square (2 points): square(3) should be 9.0, got 6.0" in printed


def test_work_run_but_not_saved_is_checked_and_named(sample_release, tmp_path):
    """The file on disk holds the stubs; the kernel ran the right answers
    (typed in Jupyter, not saved yet)."""
    folder = student_copy(sample_release, tmp_path, last_cell=summary_source(sample_course.STAGE))
    on_screen = notebook_of(student_copy(sample_release, tmp_path / "screen", RIGHT))
    on_screen.cells.append(notebook_of(folder).cells[-1])

    def work(session):
        assert session.run_all() is None
        return session.run_last()

    printed = in_a_kernel(on_screen, folder, work)
    table = points_table(printed)[sample_course.STAGE]
    assert [status for status, *_ in table["checks"].values()] == ["PASS", "PASS"]
    assert ("note: this kernel's code differs from the saved 01_sample.ipynb for square (code cell 2), "
            "twice (code cell 5). pytest and the grader read the saved file: save the notebook "
            "(File > Save Notebook)") in flat(printed)
    _, output = run_pytest(folder, runner_folder=tmp_path)
    assert [status for status, *_ in points_table(output)[sample_course.STAGE]["checks"].values()] == [
        "FAIL", "FAIL"], "pytest checks the saved stubs"


def test_saved_work_gets_no_note(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, RIGHT, last_cell=summary_source(sample_course.STAGE))
    notebook = notebook_of(folder)
    printed = in_a_kernel(notebook, folder, lambda session: (session.run_all(), session.run_last())[1])
    assert "note:" not in printed
    assert points_table(printed)[sample_course.STAGE]["total"] == (3, 3)
    assert "Every public check passes" in printed


def test_the_students_variables_and_random_state_are_left_alone(sample_release, tmp_path):
    """The test cells assign ``got``; the student's own ``got`` survives,
    and so does NumPy's global random state."""
    drawing = "np.random.rand(3)\nassert np.allclose(twice(np.array([1.0, 2.5])), [2.0, 5.0])"
    folder = student_copy(sample_release, tmp_path, RIGHT, tests={"test_twice": drawing},
                          last_cell=summary_source(sample_course.STAGE))
    notebook = notebook_of(folder)

    def work(session):
        session.run_all()
        session.run("got = 'mine'\nnp.random.seed(7)\nnp.random.rand()")
        session.run_last()
        return session.run("print(repr(got), np.random.rand() == np.random.RandomState(7).rand(2)[1])")

    assert in_a_kernel(notebook, folder, work).split() == ["'mine'", "True"]


def test_plots_made_by_the_checks_are_not_shown(sample_release, tmp_path):
    """A test cell whose function calls plt.show() draws nothing in the
    last cell's output."""
    plotting = "    plt.plot(z)\n    plt.show()\n    out = z * z"
    folder = student_copy(sample_release, tmp_path, {**RIGHT, "answer_square": plotting},
                          last_cell=summary_source(sample_course.STAGE))
    notebook = notebook_of(folder)
    in_a_kernel(notebook, folder, lambda session: (session.run_all(), session.run_last()))
    assert {o.output_type for o in notebook.cells[-1].outputs} == {"stream"}


def test_a_notebook_away_from_its_folder_says_so(sample_release, tmp_path):
    folder = student_copy(sample_release, tmp_path, RIGHT, last_cell=summary_source(sample_course.STAGE))
    notebook = notebook_of(folder)
    release_path(folder, sample_course.STAGE).rename(release_path(folder, sample_course.STAGE).with_name("mine.ipynb"))
    printed = in_a_kernel(notebook, folder, lambda session: (session.run_all(), session.run_last())[1])
    assert printed.startswith(f"Cannot check {sample_course.STAGE}: the saved notebook "
                              f"{sample_course.STAGE}.ipynb is not in ")


def test_the_check_finds_a_renamed_notebook_by_its_session(sample_release, tmp_path):
    """Jupyter names the notebook of a kernel (``__session__``): a copy
    under another name is checked, and the table says pytest checks the
    original."""
    folder = student_copy(sample_release, tmp_path, RIGHT, last_cell=summary_source(sample_course.STAGE))
    original = release_path(folder, sample_course.STAGE)
    copy = original.with_name("Copy of 01_sample.ipynb")
    data = json.loads(original.read_text(encoding="utf-8"))
    copy.write_text(json.dumps(data), encoding="utf-8")
    notebook = notebook_of(folder)

    def work(session):
        session.run_all()
        session.run(f"__session__ = {str(copy)!r}")
        return session.run_last()

    printed = in_a_kernel(notebook, folder, work)
    assert "these are the checks of Copy of 01_sample.ipynb; pytest and the grader check 01_sample.ipynb" in (
        flat(printed))
    assert points_table(printed)[sample_course.STAGE]["total"] == (3, 3)


def test_without_the_kit_above_it_the_last_cell_says_so(sample_release, tmp_path):
    """A notebook taken out of the course folder (or graded by nbgrader in
    its own folder) runs its last cell without an error."""
    folder = student_copy(sample_release, tmp_path, RIGHT, last_cell=summary_source(sample_course.STAGE))
    alone = tmp_path / "alone" / sample_course.STAGE
    alone.mkdir(parents=True)
    shutil.copyfile(release_path(folder, sample_course.STAGE), alone / f"{sample_course.STAGE}.ipynb")
    notebook = nbformat.read(str(alone / f"{sample_course.STAGE}.ipynb"), as_version=4)
    session = Session(notebook, alone)
    with session.client.setup_kernel():
        session.run_all()
        printed = session.run_last()
    assert printed.startswith("Cannot check: the course kit (stagechecks.py) is not in the folder above")
