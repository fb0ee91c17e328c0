"""Planning a batch: who the students are, who needs grading and why,
their seeds, how many at once.

ROOT holds one folder per student (nbgrader's ``submitted/`` layout,
``ROOT/<student>/<stage>/<stage>.ipynb``, or a flat
``ROOT/<student>/*.ipynb``).  Mistakes about ROOT are refused in one line
before anything is graded: a ROOT without student folders, a ROOT that is
one student's folder (its folders are stages, or it holds the notebooks),
``--jobs`` below 1.  An output folder inside ROOT (this run's, or an
earlier run's: it holds a gradebook) is not a student, and the run says so.
"""
from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..course import STAGES
from ..errors import BatchError, UsageError
from .gradebook import ERROR, Recorded, Why

GRADEBOOK_NAME = "gradebook.sqlite"


@dataclass(frozen=True)
class Job:
    """One student to grade (or, with ``report``, only to render again):
    everything a worker needs, picklable."""
    student: str
    folder: Path
    out: Path
    stages: tuple[str, ...]
    seed: int
    source: Path
    feedback: bool
    why: str = Why.NEW.value
    digest: str = ""
    instructor: str = ""
    hidden: str = "full"               # what the files show of the hidden checks (reports/visibility.py)
    report: dict | None = None         # render these results again without grading (GradeReport.to_dict)
    human: tuple = ()                  # the scores given by hand (grades.HumanGrade), merged before rendering
    curves: bytes | None = None        # with ``report``: the curves recorded when graded (``curves.pack``)


@dataclass
class Students:
    """The student folders of ROOT, and the folders left out with why."""
    folders: list[tuple[str, Path]]
    excluded: list[str]


def find_students(root: Path, out: Path | None = None) -> Students:
    """Every folder of ROOT whose name does not start with '.' or '_'
    (checkpoints, caches), sorted by name, except output folders."""
    root = Path(root)
    if not root.is_dir():
        raise BatchError(f"{root} is not a folder of student folders")
    out_resolved = Path(out).resolve() if out is not None else None
    folders, excluded = [], []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.name.startswith((".", "_")):
            continue
        if out_resolved is not None and entry.resolve() == out_resolved:
            excluded.append(f"{entry.name}/: the output folder of this run, not a student")
        elif (entry / GRADEBOOK_NAME).is_file():
            excluded.append(f"{entry.name}/: holds {GRADEBOOK_NAME}, the output of an earlier grade-batch, "
                            "not a student")
        else:
            folders.append((entry.name, entry))
    _refuse_one_student(root, folders)
    if not folders:
        raise BatchError(f"{root} holds no student folders: grade-batch wants one folder per student "
                         "(nbgrader's submitted/ folder, or ROOT/<student>/<stage>.ipynb)")
    return Students(folders, excluded)


def _refuse_one_student(root: Path, folders: list) -> None:
    """ROOT pointed at one student's folder instead of the class's."""
    stages = [name for name, _ in folders if name in STAGES]
    if stages:
        raise BatchError(f"{root} looks like one student's submission, not a class: its folders "
                         f"{', '.join(stages[:3])}{'...' if len(stages) > 3 else ''} are stages. Point grade-batch "
                         "at the folder holding one folder per student (or grade this one with mlpkit grade)")
    notebooks = sorted(path.name for path in root.glob("*.ipynb"))
    students_hold_notebooks = any(next(folder.rglob("*.ipynb"), None) for _, folder in folders)
    if any(name[:-len(".ipynb")] in STAGES for name in notebooks) and not students_hold_notebooks:
        raise BatchError(f"{root} holds notebooks itself ({', '.join(notebooks[:3])}): it looks like one "
                         "student's submission. Point grade-batch at the folder holding one folder per student "
                         "(or grade this one with mlpkit grade)")


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


def check_jobs(jobs) -> int:
    """``--jobs`` as a number of processes: a whole number, at least 1; the
    number of cores when None."""
    if jobs is None:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"--jobs must be a whole number of 1 or more, not {jobs!r}")
    return jobs


def why_grade(recorded: Recorded | None, digest: str, instructor: str, asked: bool) -> Why | None:
    """Why a student must be graded now, None if their record stands."""
    if recorded is None:
        return Why.NEW
    if recorded.status == ERROR:
        return Why.RETRY
    if not recorded.digest:
        return Why.NO_DIGEST
    if recorded.instructor != instructor:
        return Why.INSTRUCTOR
    if recorded.digest != digest:
        return Why.WORK_CHANGED
    return Why.ASKED if asked else None


def check_names(asked, students) -> list[str]:
    """The students named by ``--regrade``, each a student folder; a
    one-line error with a "did you mean" otherwise."""
    names = [name for name, _ in students]
    for name in asked:
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise UsageError(f"--regrade {name}: no such student folder{hint}")
    return list(dict.fromkeys(asked))
