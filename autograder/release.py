"""``mlpkit release``: the student version of the course, from the solutions.

The release is a pipeline of small steps, run in this order:

1. ``choose_stages``       which stages to release, and which are not written yet;
2. ``refuse_code_files``   no ``.py`` file in ``solutions/<stage>/`` (nbgrader
                           would copy it, solution code and all, to students);
3. ``generate_notebooks``  nbgrader's ``generate_assignment`` for every stage:
                           each ``<out>/<stage>/`` is exactly nbgrader's output;
4. ``remove_stale_stages`` a full release drops stage folders whose solutions
                           notebook is gone;
5. ``copy_student_kit``    the students' test harness, requirements and README,
                           copied verbatim from ``autograder/student_kit/`` to
                           the release root.

nbgrader runs in this process through ``NbGraderAPI`` with the course's own
``nbgrader_config.py`` (about 0.1 s a stage after a 2 s import, against
2.5-3 s a stage for ``nbgrader generate_assignment`` in a subprocess); the
output is the same file, byte for byte.  Releasing into the course's own
``assignments/`` records the stages in the course gradebook, as the
``nbgrader`` command does (``nbgrader autograde`` needs that record); a
release into any other folder (``--out``) leaves the gradebook alone.
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .course import STAGES, Course, instructor_path
from .errors import ReleaseError
from .student_kit.nbcells import TEST, code_cells

STUDENT_KIT = Path(__file__).resolve().parent / "student_kit"
# What the students get beside the stage folders, copied verbatim.
KIT_FILES = ("conftest.py", "stagechecks.py", "nbcells.py", "pytest.ini", "requirements.txt", "README.md")


@dataclass
class StageRelease:
    """One released stage: where its notebook went and what it is worth."""

    stage: str
    notebook: Path
    checks: int
    points: float


@dataclass
class Release:
    """Everything the steps need, and what they did."""

    course: Course
    out: Path                       # the release folder
    requested: list[str] = field(default_factory=list)  # empty: every stage that exists
    stages: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)    # known stages without a notebook yet
    released: list[StageRelease] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    kit: list[Path] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return not self.requested

    @property
    def into_course(self) -> bool:
        """Whether this is the course's own release folder (then nbgrader
        records the stages in the course gradebook)."""
        return self.out.resolve() == self.course.release.resolve()

    @property
    def root(self) -> Path:
        return self.course.root

    def notebook(self, stage: str) -> Path:
        return instructor_path(self.course.source, stage)


# ---------------------------------------------------------------- the steps

def choose_stages(release: Release) -> None:
    """The stages to release: those asked for, or every stage whose
    solutions notebook exists.  Unknown names and missing notebooks asked
    for by name are the caller's mistakes."""
    source = release.course.source
    present = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
    known = sorted(set(STAGES) | set(present))
    if release.requested:
        for stage in release.requested:
            if stage not in known:
                raise ReleaseError(f"unknown stage {stage!r}; the stages are: {', '.join(known)}")
            if not release.notebook(stage).is_file():
                raise ReleaseError(f"stage {stage} has no solutions notebook "
                                f"({release.notebook(stage).relative_to(release.root)})")
        release.stages = list(dict.fromkeys(release.requested))
    else:
        release.stages = [s for s in known if release.notebook(s).is_file()]
        release.missing = [s for s in known if not release.notebook(s).is_file()]
        if not release.stages:
            raise ReleaseError(f"no instructor notebook found: expected <stage>/<stage>.ipynb "
                               f"under {release.course.source}")


def refuse_code_files(release: Release) -> None:
    """nbgrader copies every non-notebook file of a stage folder to the
    students unchanged, so a .py file there would hand out its code."""
    for stage in release.stages:
        folder = release.course.source / stage
        for path in sorted(folder.rglob("*.py")):
            if "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
                continue
            raise ReleaseError(f"{path.relative_to(release.root)} would be copied to students as it is; "
                            f"put its code in the notebook (or outside {release.course.source.name}/)")


def generate_notebooks(release: Release) -> None:
    """nbgrader generate_assignment STAGE --force, for every chosen stage."""
    api = _nbgrader_api(release)
    for stage in release.stages:
        # Only the stage's own notebook: the gradebook may hold another one for
        # the stage, the kit's hidden checks (batch/nbgrader_link.py), which
        # nbgrader would otherwise refuse to keep once students have submitted.
        api.coursedir.notebook_id = stage
        result = api.generate_assignment(stage, force=True, create=True)
        if not result["success"]:
            raise ReleaseError(f"nbgrader could not generate {stage}: {_nbgrader_error(result)}")
        notebook = release.out / stage / f"{stage}.ipynb"
        checks, points = _graded_cells(notebook)
        release.released.append(StageRelease(stage, notebook, checks, points))


def remove_stale_stages(release: Release) -> None:
    """A full release removes ``<out>/<stage>/`` folders of stages that have
    no solutions notebook any more, so the release matches solutions/.  Only
    folders that look like a stage (holding ``<stage>.ipynb``) are touched."""
    if not release.full or not release.out.is_dir():
        return
    for folder in sorted(release.out.iterdir()):
        if (folder.is_dir() and folder.name not in release.stages
                and (folder / f"{folder.name}.ipynb").is_file()):
            shutil.rmtree(folder)
            release.removed.append(folder)


def copy_student_kit(release: Release) -> None:
    """The students' test harness and its papers, at the release root."""
    release.out.mkdir(parents=True, exist_ok=True)
    for name in KIT_FILES:
        target = release.out / name
        shutil.copyfile(STUDENT_KIT / name, target)
        release.kit.append(target)


STEPS = (choose_stages, refuse_code_files, generate_notebooks, remove_stale_stages, copy_student_kit)


def make_release(course: Course | Path, out: Path | None = None, stages=()) -> Release:
    """Run every step; ``out`` defaults to the course's release folder."""
    course = course if isinstance(course, Course) else Course.at(Path(course))
    release = Release(course=course, out=Path(out).resolve() if out else course.release,
                      requested=list(stages or ()))
    for step in STEPS:
        step(release)
    return release


# ---------------------------------------------------------------- nbgrader

def _nbgrader_api(release: Release):
    """An NbGraderAPI on the course's own nbgrader_config.py, writing into
    ``release.out``.  User-wide Jupyter configuration is not read, so the
    release depends on the repository only."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(release.root)).load_config()
    config.CourseDirectory.root = str(release.root)
    if not release.into_course:
        config.CourseDirectory.release_directory = str(release.out)
        config.GenerateAssignment.no_database = True   # what `--no-db` sets
        config.SaveCells.enabled = False
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


_EXCEPTION_LINE = re.compile(r"^\s*(?:\w+\.)*(\w+(?:Error|Exception)): (.+)$")


def _nbgrader_error(result: dict) -> str:
    """One line from nbgrader's captured log: its first exception (for
    instance "ValidationError: Duplicate grade id: test_relu"), else its
    first error message."""
    log = result.get("log", "").splitlines()
    for line in log:
        if match := _EXCEPTION_LINE.match(line):
            return f"{match[1]}: {match[2].strip()}"
    for line in log:
        if line.startswith(("[ERROR]", "[CRITICAL]")) and "Traceback" not in line:
            return line.split("]", 1)[1].strip()
    lines = [line for line in result.get("error", "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


def _graded_cells(notebook: Path) -> tuple[int, float]:
    graded = [cell for cell in code_cells(json.loads(notebook.read_text(encoding="utf-8"))) if cell.role == TEST]
    return len(graded), float(sum(cell.points for cell in graded))


def summary(release: Release) -> str:
    def shown(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    lines = []
    for done in release.released:
        lines.append(f"released {done.stage}: {shown(done.notebook)} "
                     f"({done.checks} checks, {done.points:g} points)")
    for stage in release.missing:
        lines.append(f"skipped  {stage}: no {shown(release.notebook(stage))} yet")
    for folder in release.removed:
        lines.append(f"removed  {shown(folder)}: its solutions notebook is gone")
    lines.append(f"student kit: {', '.join(p.name for p in release.kit)} in {shown(release.out)}")
    return "\n".join(lines)
