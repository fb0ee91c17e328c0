"""Copies of the student release as students hand it in: the stubs as
released, the solutions' answers pasted in, the solutions with a known
mistake, and answers broken in the ways unfinished work breaks.

Every copy is the committed ``assignments/`` folder (the student kit
included) with some answer cells edited; the test cells, the provided cells
and everything else stay as released.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .stage_notebooks import ASSIGNMENTS, STAGES, release_path, solution_path
from .student_mistakes import MISTAKES

# How unfinished or wrong work breaks, as a replacement for every stub's
# `raise NotImplementedError()`.
BREAKAGES = {
    "raises": 'raise RuntimeError("broken on purpose")',
    "returns_none": "return None",
    "returns_garbage": "return np.full((3, 7), np.nan)",
}
_STUB = re.compile(r"^(?P<indent>[ \t]*)raise NotImplementedError\(\)[ \t]*$", re.MULTILINE)


def copy_release(target: Path) -> Path:
    shutil.copytree(ASSIGNMENTS, target, ignore=shutil.ignore_patterns(
        "__pycache__", ".pytest_cache", ".ipynb_checkpoints"))
    return target


def _answer_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"]
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]


def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _edit(path: Path, change) -> None:
    """Apply ``change(grade_id, source) -> source`` to every answer cell."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in _answer_cells(notebook):
        cell["source"] = change(cell["metadata"]["nbgrader"]["grade_id"], _source(cell))
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def paste_answers(release_notebook: Path, solution_notebook: Path) -> None:
    """The release notebook as a student who wrote the solutions would hand
    it in: each answer cell replaced by the solutions notebook's cell of the
    same grade_id, everything else (tests without hidden parts) as released."""
    solution = json.loads(solution_notebook.read_text(encoding="utf-8"))
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: _source(cell) for cell in _answer_cells(solution)}
    _edit(release_notebook, lambda grade_id, source: answers[grade_id])


def make_mistake(notebook: Path, answer: str, old: str, new: str) -> None:
    """One known mistake: ``old`` replaced by ``new`` in answer cell ``answer``."""
    def change(grade_id: str, source: str) -> str:
        if grade_id != answer:
            return source
        assert old in source, f"{notebook.name}: {old!r} is not in answer cell {answer}"
        return source.replace(old, new, 1)
    _edit(notebook, change)


def apply_mistake(notebook: Path, mistake: tuple) -> None:
    """A MISTAKES entry: (stage, answer cell, old text, new text, ...)."""
    _, answer, old, new = mistake[:4]
    make_mistake(notebook, answer, old, new)


def break_answers(notebook: Path, breakage: str) -> None:
    """Every stub's ``raise NotImplementedError()`` replaced by ``breakage``."""
    _edit(notebook, lambda grade_id, source: _STUB.sub(lambda m: m["indent"] + breakage, source))


def mistakes_by_stage(round_: int) -> dict[str, tuple]:
    """The ``round_``-th known mistake (0-based) of every stage that has one."""
    found: dict[str, list[tuple]] = {}
    for mistake in MISTAKES:
        found.setdefault(mistake[0], []).append(mistake)
    return {stage: found[stage][round_] for stage in STAGES if len(found.get(stage, ())) > round_}


def with_a_mistake(target: Path, stage: str) -> tuple[Path, Path]:
    """A copy of the release at ``target`` where ``stage`` holds the
    solutions' answers with that stage's first known mistake (the other
    stages as released): (the folder, the stage's notebook)."""
    folder = copy_release(target)
    notebook = release_path(folder, stage)
    paste_answers(notebook, solution_path(stage))
    apply_mistake(notebook, next(mistake for mistake in MISTAKES if mistake[0] == stage))
    return folder, notebook


def handed_in(base: Path, kind: str) -> Path:
    """A copy of the release under ``base/kind``:

    * ``stubs``: as released;
    * ``solutions``: the solutions notebooks themselves (hidden tests too);
    * ``answers``: the solutions' answer cells pasted into the release;
    * ``mistakes-N``: the answers with the N-th known mistake of each stage;
    * a key of BREAKAGES: every stub broken that way.
    """
    folder = copy_release(base / kind)
    for stage in STAGES:
        notebook = release_path(folder, stage)
        if not notebook.is_file() or not solution_path(stage).is_file():
            continue
        if kind == "solutions":
            shutil.copyfile(solution_path(stage), notebook)
        elif kind == "answers" or kind.startswith("mistakes-"):
            paste_answers(notebook, solution_path(stage))
        elif kind in BREAKAGES:
            break_answers(notebook, BREAKAGES[kind])
        elif kind != "stubs":
            raise ValueError(f"unknown kind of hand-in: {kind}")
    if kind.startswith("mistakes-"):
        for stage, mistake in mistakes_by_stage(int(kind.split("-")[1])).items():
            apply_mistake(release_path(folder, stage), mistake)
    return folder
