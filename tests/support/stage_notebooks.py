"""Where the stage notebooks are, and what their cells hold.

Tests are parametrised over every stage of ``autograder.course.STAGES``; a
stage whose solutions notebook is not written yet is skipped with a reason,
so the suite passes while the notebooks are being written.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autograder.course import STAGES
from autograder.release import KIT_FILES, STUDENT_KIT  # noqa: F401 (re-exported for the tests)

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
# Left behind by tools (running pytest or Jupyter in the folder), never
# part of a release; nbgrader ignores the first three too.
IGNORED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".benchmarks"}


def solution_path(stage: str) -> Path:
    return SOLUTIONS / stage / f"{stage}.ipynb"


def release_path(release: Path, stage: str) -> Path:
    return release / stage / f"{stage}.ipynb"


def existing_stages() -> list[str]:
    return [stage for stage in STAGES if solution_path(stage).is_file()]


def need_solution(stage: str) -> Path:
    """The stage's solutions notebook, or a skip while it is not written."""
    path = solution_path(stage)
    if not path.is_file():
        pytest.skip(f"{stage}: solutions notebook {path.relative_to(ROOT)} not written yet")
    return path


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded(path: Path) -> dict[str, float]:
    """grade_id -> points of every graded test cell, in notebook order (a
    written answer, graded by hand, is not a test cell)."""
    return {nbgrader(c)["grade_id"]: float(nbgrader(c).get("points", 0))
            for c in cells(path) if nbgrader(c).get("grade") and not nbgrader(c).get("solution")}


def written(path: Path) -> dict[str, float]:
    """grade_id -> points of every written answer (an nbgrader manually
    graded cell), in notebook order."""
    return {nbgrader(c)["grade_id"]: float(nbgrader(c).get("points", 0))
            for c in cells(path) if nbgrader(c).get("grade") and nbgrader(c).get("solution")}


def regions(text: str, begin: str, end: str) -> list[str]:
    """The lines strictly between ``### BEGIN <x>`` and ``### END <x>``."""
    found = re.findall(rf"^[ \t]*### {begin}[ \t]*\n(.*?)^[ \t]*### {end}[ \t]*$", text, re.M | re.S)
    return [line for block in found for line in block.splitlines()]


def files_under(folder: Path) -> dict[str, bytes]:
    """relative path -> bytes of every file, tool leftovers excluded."""
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not IGNORED.intersection(relative.parts):
            found[relative.as_posix()] = path.read_bytes()
    return found
