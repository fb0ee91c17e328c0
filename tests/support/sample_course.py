"""A tiny course with one made-up stage, built in a temporary folder.

It lets the release pipeline and the students' pytest kit be tested on
notebooks whose every cell is known, independently of the real stage
notebooks (which may not all exist yet).  The stage follows the authoring
rules: answer cells with solution regions, locked public test cells with
points, one hidden test, a provided cell that catches NotImplementedError.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
STAGE = "01_sample"

SQUARE_SOLUTION = "    out = z * z"
TWICE_SOLUTION = "    out = z + z"


def _meta(grade_id: str, **flags) -> dict:
    nbgrader = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                "task": False, "grade_id": grade_id}
    nbgrader.update(flags)
    return {"nbgrader": nbgrader}


def sample_notebook() -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[
        new_markdown_cell("# A sample stage\n\nWrite `square` and `twice`."),
        new_code_cell("import numpy as np\nimport matplotlib.pyplot as plt", metadata=_meta("imports", locked=True)),
        new_code_cell('def square(z):\n    """z * z, element-wise.  Shape in = shape out."""\n'
                      f"    ### BEGIN SOLUTION\n{SQUARE_SOLUTION}\n    ### END SOLUTION\n    return out",
                      metadata=_meta("answer_square", solution=True)),
        new_code_cell("try:\n    plt.plot([0, 1, 2], square(np.arange(3.0)))\n    plt.show()\n"
                      "except NotImplementedError:\n    print('finish `square` above to see this plot')",
                      metadata=_meta("plot_square", locked=True)),
        new_code_cell('got = square(np.array([3.0]))\n'
                      'assert got.shape == (1,), f"square keeps the shape: expected (1,), got {got.shape}"\n'
                      'assert np.isclose(got[0], 9.0), f"square(3) should be 9.0, got {got[0]}"\n'
                      "### BEGIN HIDDEN TESTS\n"
                      'assert np.isclose(square(np.array([-2.0]))[0], 4.0), "hidden: negative input"\n'
                      "### END HIDDEN TESTS",
                      metadata=_meta("test_square", grade=True, locked=True, points=2)),
        new_code_cell('def twice(z):\n    """2 z, element-wise."""\n'
                      f"    ### BEGIN SOLUTION\n{TWICE_SOLUTION}\n    ### END SOLUTION\n    return out",
                      metadata=_meta("answer_twice", solution=True)),
        new_code_cell('assert np.allclose(twice(np.array([1.0, 2.5])), [2.0, 5.0]), "twice doubles every entry"',
                      metadata=_meta("test_twice", grade=True, locked=True, points=1)),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def make_course(folder: Path) -> Path:
    """A course folder: the repository's nbgrader_config.py and one stage."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    stage = folder / "solutions" / STAGE
    stage.mkdir(parents=True)
    nbformat.write(sample_notebook(), stage / f"{STAGE}.ipynb")
    return folder
