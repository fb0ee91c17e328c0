"""A submission's notebooks and the instructor's: finding them, reading
their cells, and planning what the student's process runs.

Cells are read by ``student_kit/nbcells.py`` (the kit's one reader of
nbgrader metadata), whose roles decide what happens to each:

* answer cell: the student's code, taken from the submission, matched by
  ``grade_id`` (or, if the metadata was lost, by the names the cell defines);
* test cell: never taken from the submission; the instructor's copy
  becomes a public check;
* provided cell: taken from the instructor's copy;
* anything else (markdown, demos, plots, scratch cells) is not run.

The instructor notebook's manually graded cells (``Notebook.manual``:
written answers and tasks) are questions a person grades in formgrader;
the engine reports them as pending until someone has.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .student_kit import nbcells
from .student_kit.nbcells import ANSWER, OTHER, PROVIDED, TEST, ManualCell, NotebookProblem

__all__ = ["ANSWER", "OTHER", "PROVIDED", "TEST", "Cell", "ManualCell", "Notebook", "NotebookProblem",
           "find_submission", "plan_cells", "read_notebook", "student_names"]


@dataclass(frozen=True)
class Cell:
    kind: str                  # ANSWER, TEST, PROVIDED or OTHER
    source: str
    grade_id: str = ""
    points: float = 0.0

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Top-level names the cell defines (functions, classes), parsed
        when first asked: only a notebook whose metadata was stripped, and
        the similarity report, need them, and parsing every cell of every
        notebook cost a batch 6 % of its time (profiled)."""
        return _defined_names(self.source)


@dataclass
class Notebook:
    path: Path
    cells: list[Cell] = field(default_factory=list)
    manual: list[ManualCell] = field(default_factory=list)   # graded by a person, not by the kit

    def of_kind(self, kind: str) -> list[Cell]:
        return [cell for cell in self.cells if cell.kind == kind]


def find_submission(submission: Path, stage: str) -> Path | None:
    """The stage's notebook anywhere under ``submission`` (release layout,
    nbgrader's ``submitted/<student>/<stage>/``, or a flat upload); the
    shallowest match wins, checkpoints are ignored."""
    submission = Path(submission)
    if submission.is_file():
        return submission if submission.name == f"{stage}.ipynb" else None
    matches = [path for path in submission.rglob(f"{stage}.ipynb")
               if ".ipynb_checkpoints" not in path.parts]
    if not matches:
        return None
    return min(matches, key=lambda path: (len(path.parts), str(path)))


def _defined_names(source: str) -> tuple[str, ...]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    return tuple(node.name for node in tree.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def read_notebook(path: Path) -> Notebook:
    """Parse a notebook's code cells; raise NotebookProblem with a one-line reason."""
    path = Path(path)
    cells, manual = nbcells.read_all(path)
    return Notebook(path, [Cell(cell.role, cell.source, cell.grade_id, cell.points)
                           for cell in cells], manual)


def plan_cells(instructor: Notebook, student: Notebook) -> tuple:
    """The cells the student's process runs, in the instructor's order:
    provided cells from the instructor's copy, answer cells from the
    student's.  Returns (cells, problems): cells as ``{"id", "source"}``,
    problems as one-line strings (a missing answer cell, for example)."""
    by_id, problems, cells = {}, [], []
    for cell in student.cells:
        if cell.kind == ANSWER and cell.grade_id and cell.grade_id not in by_id:
            by_id[cell.grade_id] = cell
    for cell in instructor.cells:
        if cell.kind == PROVIDED:
            cells.append({"id": cell.grade_id, "source": cell.source})
        elif cell.kind == ANSWER:
            answer = by_id.get(cell.grade_id) or _match_by_names(cell, student)
            if answer is None:
                problems.append(f"answer cell {cell.grade_id!r} (defining {', '.join(cell.names) or 'code'}) "
                                "is missing from the notebook")
                continue
            cells.append({"id": cell.grade_id, "source": answer.source})
    return cells, problems


def _match_by_names(cell: Cell, student: Notebook):
    """The last student code cell defining the same names, for a notebook
    whose cell metadata was stripped by an editor."""
    if not cell.names:
        return None
    matches = [other for other in student.cells
               if other.kind in (ANSWER, OTHER) and set(cell.names) <= set(other.names)]
    return matches[-1] if matches else None


def student_names(instructor: Notebook) -> dict:
    """{name: "class" or "function"} for every name the answer cells define."""
    names = {}
    for cell in instructor.of_kind(ANSWER):
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                names[node.name] = "class"
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names[node.name] = "function"
    return names
