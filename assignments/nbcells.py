"""Reading a stage notebook's code cells and their nbgrader roles.

The one reader of nbgrader's cell metadata (schema 3) in the kit: the
students' ``conftest.py`` uses it beside this file, and the grader imports
it as ``autograder.student_kit.nbcells``.  Standard library only.

A cell's role:

* ``answer``: ``solution: true``, the student's code;
* ``test``: ``grade: true``, a check worth ``points``;
* ``provided``: ``locked: true`` with a ``grade_id``, code the instructor
  gives (imports, helpers, earlier stages' functions);
* ``other``: markdown is skipped; any other code cell (demos, plots,
  scratch work) is ``other``.

Cells a person grades (``manual_cells``): nbgrader's manually graded
answers (``grade`` and ``solution``, usually markdown) and tasks
(``task``), each worth ``points``; nobody's code checks them.

Each code cell also says what its saved outputs show: whether it ran
before the notebook was saved (``execution_count``), and whether that run
failed (``error``, the exception's name) or wrote to stderr.

Notebooks are read as plain JSON, not validated: a notebook Jupyter opens
is read even if a strict validator would complain about a detail.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ANSWER, TEST, PROVIDED, OTHER = "answer", "test", "provided", "other"
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


class NotebookProblem(Exception):
    """A notebook that cannot be read: missing, unreadable or corrupt."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell: its place among the code cells (1-based), its source
    and its nbgrader role, id and points."""

    number: int
    source: str
    role: str = OTHER
    grade_id: str = ""
    points: float = 0.0
    execution_count: int | None = None   # None: not run when the notebook was saved
    error: str = ""                      # the saved outputs' exception name, e.g. "AssertionError"
    stderr: bool = False                 # the saved outputs hold text written to stderr


def role_of(metadata) -> tuple[str, str, float]:
    """(role, grade_id, points) from a cell's ``metadata`` dict."""
    grading = metadata.get("nbgrader") if type(metadata) is dict else None
    grading = grading if type(grading) is dict else {}
    grade_id = grading.get("grade_id")
    grade_id = grade_id if type(grade_id) is str else ""
    points = grading.get("points", 0)
    points = float(points) if type(points) in (int, float) and not isinstance(points, bool) else 0.0
    if grading.get("solution") is True:
        return ANSWER, grade_id, points
    if grading.get("grade") is True:
        return TEST, grade_id, points
    if grading.get("locked") is True and grade_id:
        return PROVIDED, grade_id, points
    return OTHER, grade_id, points


def code_cells(notebook) -> list[CodeCell]:
    """The code cells of a notebook given as parsed JSON (a dict)."""
    if type(notebook) is not dict or type(notebook.get("cells")) is not list:
        raise NotebookProblem("not a valid notebook (no list of cells; was it saved by Jupyter in nbformat 4?)")
    cells = []
    for raw in notebook["cells"]:
        if type(raw) is not dict or raw.get("cell_type") != "code":
            continue
        source = raw.get("source", "")
        if type(source) is list:
            source = "".join(part for part in source if type(part) is str)
        if type(source) is not str:
            source = ""
        role, grade_id, points = role_of(raw.get("metadata"))
        count = raw.get("execution_count")
        count = count if type(count) is int else None
        error, stderr = saved_outputs(raw.get("outputs"))
        cells.append(CodeCell(len(cells) + 1, source, role, grade_id, points, count, error, stderr))
    return cells


@dataclass(frozen=True)
class ManualCell:
    """A cell graded by a person in formgrader: a written answer or a task."""

    grade_id: str
    points: float
    cell_type: str     # "markdown" or "code"


def manual_cells(notebook) -> list[ManualCell]:
    """The manually graded cells of a notebook given as parsed JSON, in order."""
    if type(notebook) is not dict or type(notebook.get("cells")) is not list:
        raise NotebookProblem("not a valid notebook (no list of cells; was it saved by Jupyter in nbformat 4?)")
    found = []
    for raw in notebook["cells"]:
        grading = raw.get("metadata", {}).get("nbgrader") if type(raw) is dict and type(raw.get("metadata")) is dict \
            else None
        if type(grading) is not dict:
            continue
        manual = (grading.get("grade") is True and grading.get("solution") is True) or grading.get("task") is True
        _, grade_id, points = role_of(raw["metadata"])
        if manual and grade_id:
            found.append(ManualCell(grade_id, points, "markdown" if raw.get("cell_type") == "markdown" else "code"))
    return found


def saved_outputs(outputs) -> tuple[str, bool]:
    """(name of the first exception, whether anything went to stderr) in a
    code cell's saved ``outputs`` list."""
    error, stderr = "", False
    for output in outputs if type(outputs) is list else ():
        if type(output) is not dict:
            continue
        if output.get("output_type") == "error" and not error:
            name = output.get("ename")
            error = name if type(name) is str and name else "an error"
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            stderr = True
    return error, stderr


def load(path: Path) -> dict:
    """A notebook file as parsed JSON; NotebookProblem with a one-line reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookProblem(f"{path.name} is {size // 2**20} MiB, over the "
                                  f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit")
        return json.loads(path.read_bytes().decode("utf-8"))
    except NotebookProblem:
        raise
    except OSError as error:
        raise NotebookProblem(f"{path.name} cannot be read: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise NotebookProblem(f"{path.name} is not a valid notebook (not JSON: {error})") from None


def read(path: Path) -> list[CodeCell]:
    """The code cells of a notebook file; NotebookProblem with a one-line reason."""
    return read_all(path)[0]


def read_all(path: Path) -> tuple[list[CodeCell], list[ManualCell]]:
    """The code cells and the manually graded cells of a notebook file;
    NotebookProblem with a one-line reason."""
    try:
        notebook = load(path)
        return code_cells(notebook), manual_cells(notebook)
    except NotebookProblem as problem:
        text = str(problem)
        raise NotebookProblem(text if text.startswith(Path(path).name) else f"{Path(path).name} is {text}") from None
