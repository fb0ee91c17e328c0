"""Every stage notebook in a real Jupyter kernel (nbclient), top to bottom.

- The solutions notebook runs clean: no cell fails, and no graded test cell
  writes to stderr (nbgrader would score it 0).
- The release notebook, on its unfinished stubs, runs to the end: every
  graded test cell fails with NotImplementedError and no other cell fails.

Kernels start slowly, so the notebooks the selected tests need are run
once, two at a time (on two cores that halves the wall time, ~13 s instead
of ~23 s for ten notebooks; three at a time is slower again).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from nbclient import NotebookClient

from .support.stage_notebooks import ASSIGNMENTS, STAGES, need_solution, release_path, solution_path

pytestmark = pytest.mark.slow

WORKERS = 2
CELL_TIMEOUT = 300  # seconds


def notebook_path(kind: str, stage: str):
    return solution_path(stage) if kind == "solution" else release_path(ASSIGNMENTS, stage)


def execute(path, workdir):
    """The executed notebook and the seconds it took."""
    start = time.perf_counter()
    notebook = nbformat.read(str(path), as_version=4)
    NotebookClient(notebook, timeout=CELL_TIMEOUT, allow_errors=True,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return notebook, time.perf_counter() - start


@pytest.fixture(scope="session")
def executed(request, tmp_path_factory):
    """(kind, stage) -> executed notebook, for the notebooks the selected
    tests of this module ask for and that exist."""
    wanted = {(KIND_OF[item.originalname], item.callspec.params["stage"])
              for item in request.session.items
              if getattr(item, "originalname", None) in KIND_OF and item.module.__name__ == __name__}
    jobs = sorted((kind, stage) for kind, stage in wanted if notebook_path(kind, stage).is_file())
    workdir = tmp_path_factory.mktemp("kernels")
    with ThreadPoolExecutor(WORKERS) as pool:
        done = pool.map(lambda job: execute(notebook_path(*job), workdir), jobs)
        return dict(zip(jobs, done))


def code_cells(notebook):
    return [(number, cell) for number, cell in enumerate(
        (c for c in notebook.cells if c.cell_type == "code"), start=1)]


def name(number: int, cell) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"code cell {number}" + (f" ({grade_id})" if grade_id else "")


def is_graded(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def errors(cell) -> list:
    return [output for output in cell.outputs if output.output_type == "error"]


def stderr(cell) -> str:
    return "".join(output.text for output in cell.outputs
                   if output.output_type == "stream" and output.name == "stderr")


def ran_to_the_end(notebook) -> bool:
    return all(cell.execution_count is not None for _, cell in code_cells(notebook))


@pytest.mark.parametrize("stage", STAGES)
def test_solution_runs_clean_in_a_kernel(stage, executed):
    need_solution(stage)
    notebook, _ = executed["solution", stage]
    cells = code_cells(notebook)
    assert any(is_graded(cell) for _, cell in cells), "the stage has no graded test cell"
    failed = [f"{name(n, c)}: {e.ename}: {e.evalue}" for n, c in cells for e in errors(c)]
    assert failed == [], "cells failed on the solutions"
    noisy = {name(n, c): stderr(c) for n, c in cells if is_graded(c) and stderr(c)}
    assert noisy == {}, "graded cells wrote to stderr: nbgrader scores them 0"
    assert ran_to_the_end(notebook)


@pytest.mark.parametrize("stage", STAGES)
def test_release_stub_fails_only_its_graded_cells(stage, executed):
    need_solution(stage)
    if ("release", stage) not in executed:
        pytest.fail(f"{stage} has a solutions notebook but no release: run `mlpkit release`")
    notebook, _ = executed["release", stage]
    cells = code_cells(notebook)
    assert ran_to_the_end(notebook)
    graded = [(n, c) for n, c in cells if is_graded(c)]
    assert graded, "the stage has no graded test cell"
    not_stubbed = {name(n, c): [f"{e.ename}: {e.evalue}" for e in errors(c)] for n, c in graded
                   if [e.ename for e in errors(c)] != ["NotImplementedError"]}
    assert not_stubbed == {}, "every graded cell must fail on the stubs with NotImplementedError"
    other = {name(n, c): [f"{e.ename}: {e.evalue}" for e in errors(c)] for n, c in cells
             if not is_graded(c) and errors(c)}
    assert other == {}, ("only graded test cells may fail on the stubs: catch NotImplementedError "
                         "in the others and print a hint")


KIND_OF = {
    test_solution_runs_clean_in_a_kernel.__name__: "solution",
    test_release_stub_fails_only_its_graded_cells.__name__: "release",
}
