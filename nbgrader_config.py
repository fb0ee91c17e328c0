"""nbgrader settings of the course: run nbgrader from this folder.

`solutions/` holds the instructor notebooks (nbgrader's source) and
`assignments/` the student version (nbgrader's release), which is committed
and written by `mlpkit release`.  The course root is this file's folder, so
nbgrader finds it wherever it is started from (`nbgrader --config`).
"""
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# Never copied from solutions/<stage>/ into the release.  nbgrader copies
# every other non-notebook file verbatim, so no solution code may live in a
# .py file there (tests/test_release.py checks it).
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".DS_Store",
    "feedback",
]
