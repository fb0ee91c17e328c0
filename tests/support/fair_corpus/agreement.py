"""The student's pytest against ``mlpkit grade``: copies of the student
release with answers pasted in (an implementation of the corpus, or a group
of known mistakes, at most one per stage), run by the student kit, and
graded; the verdicts of every public check compared.

Used by tests/test_fair_verdicts.py (every implementation, a sample of the
mistake groups) and ``python tools/fairness.py --agreement`` (all)."""
from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..hostile import builders
from ..stage_notebooks import ASSIGNMENTS
from ..student_env import points_table, start_pytest
from ..student_mistakes import MISTAKES
from . import Implementation, paste_into_release


@dataclass
class Submission:
    """One release copy: an implementation, or a group of mistakes."""
    name: str
    stages: list[str]
    implementation: Implementation | None = None
    mistakes: tuple = ()

    def write(self, folder: Path) -> Path:
        shutil.copytree(ASSIGNMENTS, folder, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        if self.implementation is not None:
            paste_into_release(self.implementation, folder)
        for stage, cell, old, new, *_ in self.mistakes:
            _paste_mistake(folder, stage, cell, old, new)
        return folder


def mistake_groups() -> list[tuple]:
    """The known mistakes in groups of at most one per stage (stages are
    graded apart, so one release copy holds a group)."""
    groups: list[list] = []
    for mistake in MISTAKES:
        group = next((g for g in groups if all(other[0] != mistake[0] for other in g)), None)
        if group is None:
            groups.append(group := [])
        group.append(mistake)
    return [tuple(group) for group in groups]


def submissions(implementations: list[Implementation], groups: list[int] | None = None) -> list[Submission]:
    """The implementations, then the mistake groups (all, or those numbered)."""
    every = mistake_groups()
    chosen = range(len(every)) if groups is None else groups
    return ([Submission(f"corpus-{i.name}", sorted(i.answers), implementation=i) for i in implementations] +
            [Submission(f"mistakes-{n}", sorted({m[0] for m in every[n]}), mistakes=every[n]) for n in chosen])


def _paste_mistake(release: Path, stage: str, cell: str, old: str, new: str) -> None:
    """The solution's answer cells, one of them edited, pasted into a stage of a release copy."""
    edited = builders.edit_answer(builders.solution(stage), cell, old, new)
    answers = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in edited["cells"]
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    path = release / stage / f"{stage}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for c in notebook["cells"]:
        grading = c.get("metadata", {}).get("nbgrader", {})
        if grading.get("solution") and grading.get("grade_id") in answers:
            c["source"] = answers[grading["grade_id"]]
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def compare(chosen: list[Submission], grader, base: Path, seed: int, workers: int = 2) -> dict:
    """{submission name: (local verdicts, grader verdicts, the student's pytest output)},
    verdicts as {stage: {grade_id: passed}}: the student kit runs ``workers``
    copies at a time while ``grader`` grades the same answers here."""
    folders = {s.name: s.write(base / s.name) for s in chosen}

    def student(submission: Submission):
        runner = base / "runners" / submission.name
        runner.mkdir(parents=True)
        process = start_pytest(folders[submission.name], *submission.stages, runner_folder=runner)
        output, _ = process.communicate(timeout=900)
        table = points_table(output)
        local = {stage: {check: row[0] == "PASS" for check, row in table[stage]["checks"].items()}
                 for stage in submission.stages if stage in table}
        return local, output

    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {s.name: pool.submit(student, s) for s in chosen}
        graded = {}
        for submission in chosen:
            report = grader.grade(folders[submission.name], stages=submission.stages, seed=seed)
            graded[submission.name] = {stage.stage: {c.name.split(" ", 1)[1]: c.passed for c in stage.checks
                                                     if c.visibility == "public" and not c.manual} for stage in report.stages}
        results = {}
        for submission in chosen:
            local, output = running[submission.name].result()
            results[submission.name] = (local, graded[submission.name], output)
    return results


def disagreements(local: dict, graded: dict) -> dict:
    """{stage: {grade_id: (local passed, grader passed)}} where they differ
    (a stage or a check missing on one side counts)."""
    found = {}
    for stage in sorted(set(local) | set(graded)):
        mine, theirs = local.get(stage, {}), graded.get(stage, {})
        differ = {check: (mine.get(check), theirs.get(check)) for check in sorted(set(mine) | set(theirs))
                  if mine.get(check) != theirs.get(check)}
        if differ:
            found[stage] = differ
    return found
