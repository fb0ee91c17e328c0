"""Submissions built from the solution notebooks: the stubs, a solution
with one answer replaced, a cell injected, a test cell edited...  Each
builder returns a new notebook (a dict); ``write`` lays it out on disk."""
import copy
import json
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]
SOLUTIONS = PROJECT / "solutions"
ASSIGNMENTS = PROJECT / "assignments"
SOLUTION_REGION = re.compile(r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION\n?", re.S)


def solution(stage: str) -> dict:
    return json.loads((SOLUTIONS / stage / f"{stage}.ipynb").read_text())


def stub(stage: str) -> dict:
    """The student release of a stage: assignments/ when released, else the
    solution with every solution region replaced as nbgrader does."""
    released = ASSIGNMENTS / stage / f"{stage}.ipynb"
    if released.exists():
        return json.loads(released.read_text())
    notebook = solution(stage)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            cell["source"] = SOLUTION_REGION.sub(r"\1# YOUR CODE HERE\n\1raise NotImplementedError()\n", source)
    return notebook


def write(notebook: dict, folder: Path, stage: str, layout: str = "release") -> Path:
    """Write a notebook as the release layout (<folder>/<stage>/<stage>.ipynb),
    nbgrader's (<folder>/submitted/<student>/<stage>/...) or flat."""
    base = {"release": folder / stage, "flat": folder,
            "nbgrader": folder / "submitted" / "student1" / stage}[layout]
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"{stage}.ipynb"
    path.write_text(json.dumps(notebook, indent=1))
    return path


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def cell(notebook: dict, grade_id: str) -> dict:
    for candidate in notebook["cells"]:
        if candidate.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return candidate
    raise KeyError(grade_id)


def replace_answer(notebook: dict, grade_id: str, source: str) -> dict:
    notebook = copy.deepcopy(notebook)
    cell(notebook, grade_id)["source"] = source
    return notebook


def edit_answer(notebook: dict, grade_id: str, old: str, new: str) -> dict:
    """Replace ``old`` by ``new`` in an answer cell (``old`` must be there)."""
    notebook = copy.deepcopy(notebook)
    target = cell(notebook, grade_id)
    source = _source(target)
    assert old in source, f"{old!r} not in answer cell {grade_id}"
    target["source"] = source.replace(old, new)
    return notebook


def inject(notebook: dict, source: str, after: str | None = None, grade_id: str | None = None) -> dict:
    """Add a code cell (after the cell ``after``, else at the end); with a
    ``grade_id`` it is an answer cell, else a plain scratch cell."""
    notebook = copy.deepcopy(notebook)
    metadata = {}
    if grade_id:
        metadata = {"nbgrader": {"schema_version": 3, "grade": False, "solution": True, "locked": False,
                                 "task": False, "grade_id": grade_id}}
    new = {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}
    index = len(notebook["cells"])
    if after:
        index = notebook["cells"].index(cell(notebook, after)) + 1
    notebook["cells"].insert(index, new)
    return notebook


def prepend_to_answer(notebook: dict, grade_id: str, source: str) -> dict:
    notebook = copy.deepcopy(notebook)
    target = cell(notebook, grade_id)
    target["source"] = source + "\n" + _source(target)
    return notebook


def test_cells(notebook: dict) -> list:
    return [c for c in notebook["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")]


def set_tests(notebook: dict, source: str | None) -> dict:
    """Rewrite every test cell to ``source``, or delete them all (None)."""
    notebook = copy.deepcopy(notebook)
    for test in test_cells(notebook):
        if source is None:
            notebook["cells"].remove(test)
        else:
            test["source"] = source
    return notebook


def strip_metadata(notebook: dict) -> dict:
    """A notebook whose editor dropped every cell's metadata."""
    notebook = copy.deepcopy(notebook)
    for candidate in notebook["cells"]:
        candidate["metadata"] = {}
    return notebook
