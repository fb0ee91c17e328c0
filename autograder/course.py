"""The course: its stages, the folder in use, and where its notebooks live.

This module is the one home of these facts:

* ``STAGES``: the six stages, in course order;
* ``select_stages``: the stages a command was asked for, checked and
  without repeats;
* ``Course``: the course folder a command acts on (the one holding
  ``nbgrader_config.py``), whose instructor notebooks (nbgrader's
  ``source_directory``) and student release (``release_directory``) are
  read from that file, so nbgrader and the kit never disagree;
* ``find_course``: the course of ``--course DIR``, or else the nearest
  folder holding ``nbgrader_config.py`` from the current folder upwards;
* ``hidden_paths``: the kit's code, the instructor notebooks and the
  course folder, which student code must never see.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import CourseError, UsageError

STAGES: tuple[str, ...] = ("01_activations", "02_forward_pass", "03_backprop", "04_mlp_class", "05_moons",
                           "06_extensions")
CONFIG_NAME = "nbgrader_config.py"


def select_stages(stages: Iterable[str] | None = None) -> tuple[str, ...]:
    """The stages asked for, each once, in the order given; every stage when
    none is given.  Raises UsageError naming the valid stages otherwise."""
    chosen = tuple(dict.fromkeys(stages or STAGES))
    unknown = [stage for stage in chosen if stage not in STAGES]
    if unknown:
        raise UsageError(f"unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
    return chosen


def instructor_path(source: Path, stage: str) -> Path:
    """Where a stage's instructor notebook lives in a folder of them."""
    return Path(source) / stage / f"{stage}.ipynb"


def instructor_notebooks(source: Path, stages: Iterable[str]) -> dict[str, Path]:
    """{stage: notebook} for ``stages``; CourseError for the first missing one."""
    found = {}
    for stage in stages:
        path = instructor_path(source, stage)
        if not path.is_file():
            raise CourseError(f"no instructor notebook for {stage}: {path} does not exist")
        found[stage] = path
    return found


@dataclass(frozen=True)
class Course:
    """A course folder: ``nbgrader_config.py``, the instructor notebooks and
    the student release."""

    root: Path
    source: Path     # nbgrader's source_directory: the instructor notebooks
    release: Path    # nbgrader's release_directory: the student notebooks

    @classmethod
    def at(cls, root: Path) -> "Course":
        """The course whose ``nbgrader_config.py`` is in ``root``."""
        root = Path(root).resolve()
        config = root / CONFIG_NAME
        if not config.is_file():
            raise CourseError(f"{root} is not a course folder: it has no {CONFIG_NAME}")
        folders = _nbgrader_folders(root)
        return cls(root, root / folders["source_directory"], root / folders["release_directory"])

    def instructor_notebook(self, stage: str) -> Path:
        return instructor_path(self.source, stage)

    def describe(self) -> str:
        """One line naming the course in use, for a command to print."""
        return f"course: {self.root}"


def find_course(course: Path | None = None, start: Path | None = None) -> Course:
    """The course of ``--course`` if given, else the nearest folder holding
    ``nbgrader_config.py`` from ``start`` (the current folder) upwards."""
    if course is not None:
        if not Path(course).is_dir():
            raise CourseError(f"--course {course}: no such folder")
        return Course.at(Path(course))
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return Course.at(folder)
    raise CourseError(f"no course here: neither {here} nor a folder above it holds {CONFIG_NAME}; "
                      "run mlpkit in the course repository or pass --course DIR")


def _nbgrader_folders(root: Path) -> dict[str, str]:
    """nbgrader's source and release folder names, read from the course's
    own ``nbgrader_config.py`` with traitlets (what nbgrader itself does),
    defaulting as nbgrader does."""
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    folders = {"source_directory": "source", "release_directory": "release"}
    try:
        config = PyFileConfigLoader(CONFIG_NAME, path=str(root)).load_config()
    except ConfigFileNotFound:
        return folders
    except Exception as error:  # noqa: BLE001 - the instructor's file: say what is wrong with it
        raise CourseError(f"{root / CONFIG_NAME} cannot be read: {type(error).__name__}: {error}") from None
    directory = config.get("CourseDirectory", {})
    for key in folders:
        value = directory.get(key)
        if isinstance(value, str) and value:
            folders[key] = value
    return folders


def hidden_paths(source: Path) -> list[Path]:
    """Folders student code must never see: the kit's packages (the grader,
    the reference solution), the instructor notebooks, and the folders
    holding them when those are a course or a checkout of the kit."""
    from importlib.util import find_spec

    # Found, not imported: importing ``reference`` costs a few tenths of a second (Matplotlib).
    packages = [Path(find_spec(name).origin).resolve().parent for name in ("autograder", "reference")]
    paths = [*packages, Path(source).resolve()]
    for folder in (Path(source).resolve().parent, *(package.parent for package in packages)):
        if (folder / CONFIG_NAME).is_file() or (folder / "pyproject.toml").is_file():
            paths.append(folder)
    return [path for path in dict.fromkeys(paths) if path.exists()]
