"""What each student handed in, read from their folder before any grading.

For every student and stage: the notebook the engine will grade (found as
``notebooks.find_submission`` finds it, so the two never disagree), or
nothing; a notebook whose name is close to a missing stage's
(``01_activations (1).ipynb``, ``01_Activations.ipynb``,
``01-activations.ipynb.json``...) with what it probably is; nbgrader's
``timestamp.txt``; and a digest of the notebooks that will be graded, by
which a rerun knows whose work changed.

Reading is all this module does: the files are never moved or renamed.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..notebooks import find_submission

TIMESTAMP_NAME = "timestamp.txt"          # written by nbgrader's submit and collect
_COPY_MARKS = re.compile(r"\s*\(\d+\)|\bcopy(\s+of)?\b|[-_ ]copy\d*", re.I)
_SUFFIXES = (".ipynb", ".json", ".txt", ".py")
_CLOSE = 0.75                             # difflib ratio of normalised names taken as "did you mean"


@dataclass(frozen=True)
class Misnamed:
    """A notebook that is not graded because of its name, and the stage it
    probably holds."""

    path: str          # relative to the student's folder
    stage: str

    def describe(self) -> str:
        return f"{self.path!r} is not graded: did you mean {self.stage}.ipynb?"


@dataclass
class Submission:
    """One student's folder, as the grading will see it."""

    student: str
    folder: Path
    found: dict[str, Path] = field(default_factory=dict)       # stage -> the notebook to grade
    missing: list[str] = field(default_factory=list)           # stages without a notebook
    misnamed: list[Misnamed] = field(default_factory=list)
    timestamps: dict[str, str] = field(default_factory=dict)   # stage -> timestamp.txt as written
    digest: str = ""                                           # of the notebooks to grade, names included


def survey(student: str, folder: Path, stages) -> Submission:
    """What ``folder`` holds for ``stages``."""
    folder = Path(folder)
    submission = Submission(student, folder)
    digest = hashlib.sha256()
    for stage in stages:
        notebook = find_submission(folder, stage)
        if notebook is None:
            submission.missing.append(stage)
            digest.update(f"{stage}\0-\0".encode())
            continue
        submission.found[stage] = notebook
        digest.update(f"{stage}\0{notebook.relative_to(folder).as_posix()}\0".encode())
        digest.update(_file_digest(notebook).encode())
        stamp = _timestamp(notebook.parent, folder)
        if stamp:
            submission.timestamps[stage] = stamp
    submission.misnamed = _misnamed(folder, submission.missing, set(stages))
    submission.digest = digest.hexdigest()
    return submission


def _file_digest(path: Path) -> str:
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as error:   # unreadable: the engine will say so; the digest records that it was
        return f"unreadable: {error.strerror}"


def _timestamp(notebook_folder: Path, student_folder: Path) -> str:
    """nbgrader's timestamp.txt beside the notebook, else at the top of the
    student's folder (a flat upload)."""
    for folder in dict.fromkeys((notebook_folder, student_folder)):
        path = folder / TIMESTAMP_NAME
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    return ""


def _normal(name: str) -> str:
    """A file name reduced to what a person meant: lower case, no copy
    marks, no extensions, letters and digits only."""
    stem = name
    while stem.lower().endswith(_SUFFIXES):
        stem = stem[: stem.rfind(".")]
    return re.sub(r"[^0-9a-z]", "", _COPY_MARKS.sub("", stem).lower())


def did_you_mean(name: str, stages) -> str | None:
    """The stage a notebook called ``name`` most probably is, if any."""
    wanted = {_normal(stage): stage for stage in stages}
    normal = _normal(name)
    if normal in wanted:
        return wanted[normal]
    close = difflib.get_close_matches(normal, list(wanted), n=1, cutoff=_CLOSE)
    return wanted[close[0]] if close else None


def _misnamed(folder: Path, missing: list[str], stages: set[str]) -> list[Misnamed]:
    if not missing or not folder.is_dir():
        return []
    expected = {f"{stage}.ipynb" for stage in stages}
    found = []
    for path in sorted(folder.rglob("*")):
        if (not path.is_file() or path.name in expected or ".ipynb_checkpoints" in path.parts
                or ".ipynb" not in path.name.lower()):
            continue
        stage = did_you_mean(path.name, missing)
        if stage is not None:
            found.append(Misnamed(path.relative_to(folder).as_posix(), stage))
    return found
