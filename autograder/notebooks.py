"""Finding and reading notebooks: the student's submission and the
instructor's copy in ``solutions/``.

Notebooks are read as plain JSON, not validated: a notebook that Jupyter
would open is graded even if ``nbformat`` would complain about a detail.
Cells are classified by their nbgrader metadata (schema 3):

* answer cell: ``solution: true`` -- the student's code, taken from the
  submission, matched by ``grade_id`` (or, if the metadata was lost, by the
  names the cell defines);
* test cell: ``grade: true`` -- never taken from the submission; the
  instructor's copy becomes a public check;
* provided cell: ``locked: true`` with a ``grade_id`` -- taken from the
  instructor's copy;
* anything else (markdown, demos, plots, scratch cells) is not run.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

STAGES = ("01_activations", "02_forward_pass", "03_backprop", "04_mlp_class", "05_moons", "06_extensions")
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class NotebookProblem(Exception):
    """A notebook that cannot be graded: missing, unreadable or corrupt."""


@dataclass
class Cell:
    kind: str            # "answer", "test", "provided" or "other"
    source: str
    grade_id: str = ""
    points: float = 0.0
    names: tuple = ()    # top-level names the cell defines (functions, classes)


@dataclass
class Notebook:
    path: Path
    cells: list = field(default_factory=list)

    def of_kind(self, kind: str) -> list:
        return [cell for cell in self.cells if cell.kind == kind]


def default_source() -> Path:
    """The instructor notebooks of a source checkout: ``<project>/solutions``."""
    return PROJECT_ROOT / "solutions"


def instructor_path(source: Path, stage: str) -> Path:
    return Path(source) / stage / f"{stage}.ipynb"


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


def _defined_names(source: str) -> tuple:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    return tuple(node.name for node in tree.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def read_notebook(path: Path) -> Notebook:
    """Parse a notebook's code cells; raise NotebookProblem with a one-line reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookProblem(f"{path.name} is {size // 2**20} MiB, over the "
                                  f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except NotebookProblem:
        raise
    except OSError as error:
        raise NotebookProblem(f"{path.name} cannot be read: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise NotebookProblem(f"{path.name} is not a valid notebook (not JSON: {error})") from None
    if type(data) is not dict or type(data.get("cells")) is not list:
        raise NotebookProblem(f"{path.name} is not a valid notebook (no list of cells; "
                              "was it saved by Jupyter in nbformat 4?)")
    notebook = Notebook(path)
    for raw in data["cells"]:
        if type(raw) is not dict or raw.get("cell_type") != "code":
            continue
        source = raw.get("source", "")
        if type(source) is list:
            source = "".join(part for part in source if type(part) is str)
        if type(source) is not str:
            continue
        metadata = raw.get("metadata")
        nbgrader = metadata.get("nbgrader") if type(metadata) is dict else None
        nbgrader = nbgrader if type(nbgrader) is dict else {}
        grade_id = nbgrader.get("grade_id")
        grade_id = grade_id if type(grade_id) is str else ""
        if nbgrader.get("solution") is True:
            kind = "answer"
        elif nbgrader.get("grade") is True:
            kind = "test"
        elif nbgrader.get("locked") is True and grade_id:
            kind = "provided"
        else:
            kind = "other"
        points = nbgrader.get("points", 0)
        points = float(points) if type(points) in (int, float) else 0.0
        notebook.cells.append(Cell(kind, source, grade_id, points, _defined_names(source)))
    return notebook


def plan_cells(instructor: Notebook, student: Notebook) -> tuple:
    """The cells the student's process runs, in the instructor's order:
    provided cells from the instructor's copy, answer cells from the
    student's.  Returns (cells, problems): cells as ``{"id", "source"}``,
    problems as one-line strings (a missing answer cell, for example)."""
    by_id, problems, cells = {}, [], []
    for cell in student.cells:
        if cell.kind == "answer" and cell.grade_id and cell.grade_id not in by_id:
            by_id[cell.grade_id] = cell
    for cell in instructor.cells:
        if cell.kind == "provided":
            cells.append({"id": cell.grade_id, "source": cell.source})
        elif cell.kind == "answer":
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
               if other.kind in ("answer", "other") and set(cell.names) <= set(other.names)]
    return matches[-1] if matches else None


def student_names(instructor: Notebook) -> dict:
    """{name: "class" or "function"} for every name the answer cells define."""
    names = {}
    for cell in instructor.of_kind("answer"):
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
