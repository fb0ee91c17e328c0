"""Every stage notebook in a real Jupyter kernel (nbclient), top to bottom,
as Run All Cells would run it with every error allowed.

- The solutions notebook runs clean: no cell fails, and no graded test cell
  writes to stderr (nbgrader would score it 0).
- The release notebook, on its unfinished stubs and on answers broken the
  ways unfinished work breaks (raising some other error, returning None,
  returning an array of the wrong shape full of NaN), runs to the end: only
  graded test cells fail, and every other code cell shows or says something
  (a demo with nothing to show yet says so).
- The last cell, "Check everything", prints the same points table as the
  student's ``pytest`` on the same saved notebook: on the solutions, the
  stubs, one known mistake per stage and the broken answers.

Kernels start slowly, so the notebooks the selected tests need are run
once, two at a time (on two cores that halves the wall time; three at a
time is slower again), while the students' pytest runs go on beside them.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbclient import NotebookClient

from .support.handed_in import BREAKAGES, handed_in
from .support.stage_notebooks import STAGES, graded, need_solution, release_path, solution_path
from .support.student_env import points_table, start_pytest

pytestmark = pytest.mark.slow

WORKERS = 2
CELL_TIMEOUT = 300  # seconds
# What the comparison with pytest runs on: the solutions, as released, one
# known mistake per stage, and the broken answers.
COMPARED = ("solutions", "stubs", "mistakes-0", *BREAKAGES)
SUMMARY_CELL = "check-everything"


def execute(path):
    """The notebook executed in its own folder (as Jupyter does), and the
    seconds it took."""
    start = time.perf_counter()
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(notebook, timeout=CELL_TIMEOUT, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook, time.perf_counter() - start


def _selected(request) -> list[tuple[str, str, str]]:
    """(test, kind, stage) of every selected test of this module."""
    selected = []
    for item in request.session.items:
        if item.module.__name__ == __name__ and hasattr(item, "callspec"):
            params = item.callspec.params
            selected.append((item.originalname, params.get("kind", KIND_OF.get(item.originalname)),
                             params["stage"]))
    return selected


@pytest.fixture(scope="session")
def runs(request, tmp_path_factory):
    """{"kernel": {(kind, stage): executed notebook}, "pytest": {kind:
    (output, table)}} for what the selected tests need.  ``solutions`` runs
    the instructor's notebooks where they are (no student kit beside them);
    every other kind is a copy of the release as tests/support/handed_in.py
    makes it, which the comparison also gives to the student's pytest."""
    selected = _selected(request)
    jobs = sorted({(kind, stage) for _, kind, stage in selected if solution_path(stage).is_file()})
    compared = sorted({kind for test, kind, _ in selected if test == test_the_last_cell_prints_pytests_table.__name__})
    base = tmp_path_factory.mktemp("handed_in")
    folders = {kind: handed_in(base, kind) for kind in sorted({kind for kind, _ in jobs} | set(compared))}
    students = {kind: start_pytest(folders[kind], runner_folder=base) for kind in compared}
    paths = [solution_path(stage) if kind == "solutions" else release_path(folders[kind], stage)
             for kind, stage in jobs]
    with ThreadPoolExecutor(WORKERS) as pool:
        kernels = {job: notebook for job, (notebook, _) in zip(jobs, pool.map(execute, paths))}
    tables = {}
    for kind, process in students.items():
        output, _ = process.communicate(timeout=900)
        tables[kind] = (output, points_table(output))
    return {"kernel": kernels, "pytest": tables}


def code_cells(notebook):
    return [(number, cell) for number, cell in enumerate(
        (c for c in notebook.cells if c.cell_type == "code"), start=1)]


def name(number: int, cell) -> str:
    key = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id")
    return f"code cell {number}" + (f" ({key})" if key else "")


def is_graded(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def is_instructors(cell) -> bool:
    """Any cell nbgrader knows: answers, tests, provided code."""
    return bool(cell.metadata.get("nbgrader"))


def errors(cell) -> list:
    return [output for output in cell.outputs if output.output_type == "error"]


def stderr(cell) -> str:
    return "".join(output.text for output in cell.outputs
                   if output.output_type == "stream" and output.name == "stderr")


def stdout(cell) -> str:
    return "".join(output.text for output in cell.outputs
                   if output.output_type == "stream" and output.name == "stdout")


def ran_to_the_end(notebook) -> bool:
    return all(cell.execution_count is not None for _, cell in code_cells(notebook))


def summary_cell(notebook):
    found = [cell for cell in notebook.cells if cell.get("id") == SUMMARY_CELL]
    assert len(found) == 1, f"one cell with id {SUMMARY_CELL!r}"
    assert found[0] is notebook.cells[-1], "Check everything is the notebook's last cell"
    return found[0]


def executed(runs, kind: str, stage: str):
    need_solution(stage)
    if (kind, stage) not in runs["kernel"]:
        pytest.fail(f"{stage} has a solutions notebook but no release: run `mlpkit release`")
    return runs["kernel"][kind, stage]


def only_graded_cells_fail(notebook) -> None:
    cells = code_cells(notebook)
    assert ran_to_the_end(notebook)
    other = {name(n, c): [f"{e.ename}: {e.evalue}" for e in errors(c)] for n, c in cells
             if not is_graded(c) and errors(c)}
    assert other == {}, ("only graded test cells may fail: a demo cell catches every exception "
                         "from student code and says there is nothing to show yet")
    silent = [name(n, c) for n, c in cells if not is_instructors(c) and not c.outputs]
    assert silent == [], "every demo cell shows or says something, even with nothing to show yet"


@pytest.mark.parametrize("stage", STAGES)
def test_solution_runs_clean_in_a_kernel(stage, runs):
    notebook = executed(runs, "solutions", stage)
    cells = code_cells(notebook)
    assert any(is_graded(cell) for _, cell in cells), "the stage has no graded test cell"
    failed = [f"{name(n, c)}: {e.ename}: {e.evalue}" for n, c in cells for e in errors(c)]
    assert failed == [], "cells failed on the solutions"
    noisy = {name(n, c): stderr(c) for n, c in cells if is_graded(c) and stderr(c)}
    assert noisy == {}, "graded cells wrote to stderr: nbgrader scores them 0"
    assert ran_to_the_end(notebook)


@pytest.mark.parametrize("stage", STAGES)
def test_release_stub_fails_only_its_graded_cells(stage, runs):
    notebook = executed(runs, "stubs", stage)
    graded_cells = [(n, c) for n, c in code_cells(notebook) if is_graded(c)]
    assert graded_cells, "the stage has no graded test cell"
    not_stubbed = {name(n, c): [f"{e.ename}: {e.evalue}" for e in errors(c)] for n, c in graded_cells
                   if [e.ename for e in errors(c)] != ["NotImplementedError"]}
    assert not_stubbed == {}, "every graded cell must fail on the stubs with NotImplementedError"
    only_graded_cells_fail(notebook)


@pytest.mark.parametrize("kind", sorted(BREAKAGES))
@pytest.mark.parametrize("stage", STAGES)
def test_broken_answers_fail_only_graded_cells(stage, kind, runs):
    notebook = executed(runs, kind, stage)
    assert any(errors(c) for _, c in code_cells(notebook) if is_graded(c)), "the breakage reached no test"
    only_graded_cells_fail(notebook)


@pytest.mark.parametrize("kind", COMPARED)
@pytest.mark.parametrize("stage", STAGES)
def test_the_last_cell_prints_pytests_table(stage, kind, runs):
    """Every check, its status, points and one-line reason, and the total:
    the same in the notebook's last cell and in pytest's report."""
    cell = summary_cell(executed(runs, kind, stage))
    assert not errors(cell) and not stderr(cell)
    printed = stdout(cell)
    assert "Traceback" not in printed
    in_the_notebook = points_table(printed)[stage]
    output, table = runs["pytest"][kind]
    assert table[stage] == in_the_notebook, output[-3000:]
    checks = graded(solution_path(stage))
    assert list(in_the_notebook["checks"]) == list(checks), "one line per graded test cell, in order"
    statuses = {status for status, *_ in in_the_notebook["checks"].values()}
    expected = {"solutions": {"PASS"}, "stubs": {"FAIL"}}.get(kind)
    if expected:
        assert statuses == expected
    else:
        assert "FAIL" in statuses, "a mistake or a broken answer costs points"
    for check, (status, *_) in in_the_notebook["checks"].items():
        if status == "FAIL" and kind != "stubs":
            assert f"{check} (" in printed, "what a failed check says is printed below the table"


KIND_OF = {
    test_solution_runs_clean_in_a_kernel.__name__: "solutions",
    test_release_stub_fails_only_its_graded_cells.__name__: "stubs",
}
