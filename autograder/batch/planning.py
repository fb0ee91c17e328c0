"""Planning a batch: who the students are, their seeds, how many at once.

ROOT holds one folder per student (nbgrader's ``submitted/`` layout,
``ROOT/<student>/<stage>/<stage>.ipynb``, or a flat ``ROOT/<student>/*.ipynb``).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import BatchError


@dataclass(frozen=True)
class Job:
    """One student to grade: everything a worker needs, picklable."""
    student: str
    folder: Path
    out: Path
    stages: tuple[str, ...]
    seed: int
    source: Path
    feedback: bool


def find_students(root: Path) -> list[tuple[str, Path]]:
    """[(student, folder)] sorted by name: every folder of ROOT whose name
    does not start with '.' or '_' (checkpoints, caches)."""
    root = Path(root)
    if not root.is_dir():
        raise BatchError(f"{root} is not a folder of student folders")
    return sorted((entry.name, entry) for entry in root.iterdir()
                  if entry.is_dir() and not entry.name.startswith((".", "_")))


def student_seed(batch_seed: int | None, student: str) -> int:
    """The student's seed of the hidden checks: without a batch seed, the
    one ``mlpkit grade`` gives the same student (``engine.default_seed``),
    so both commands give one score; with one, fixed by it and the name.
    Either way it does not depend on the order or run that grades them."""
    if batch_seed is None:
        from ..engine import default_seed

        return default_seed(student)
    digest = hashlib.sha256(f"{batch_seed}/{student}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2 ** 31)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
