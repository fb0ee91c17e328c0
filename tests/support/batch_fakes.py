"""Stand-ins for the grading engine in the batch tests: module-level
functions, so the batch's spawned workers can import them.

``fake_grade`` scores a stage by whether its notebook is there (2 points)
and by the seed's parity (1 point); a student folder named ``kit-bug``
makes it raise (the kit's failure), one named ``crash`` kills the worker
process outright.
"""
from __future__ import annotations

import os
from pathlib import Path

from autograder.outcomes import CheckResult, GradeReport, StageResult


def fake_grade(folder: Path, stages: list, seed: int, source: Path | None = None) -> GradeReport:
    folder = Path(folder)
    if folder.name == "kit-bug":
        raise RuntimeError("the kit tripped over its own feet")
    if folder.name == "crash":
        os._exit(7)
    report = GradeReport(str(folder), seed)
    for stage in stages:
        present = any(folder.rglob(f"{stage}.ipynb"))
        report.stages.append(StageResult(stage, checks=[
            CheckResult(stage, f"{stage} notebook handed in", 2.0 if present else 0.0, 2.0, "public", present,
                        "the notebook is there", "" if present else f"no {stage}.ipynb"),
            CheckResult(stage, f"{stage} seed parity", float(seed % 2), 1.0, "hidden", bool(seed % 2),
                        "the seed is odd", "" if seed % 2 else f"seed {seed}")]))
    return report


def no_curves(folder, stages, seed, source=None) -> dict:
    return {}
