"""Stand-ins for the grading engine in the batch tests: module-level
functions, so the batch's spawned workers can import them.

``fake_grader`` scores a stage by whether its notebook is there (2 points)
and by the seed's parity (1 point); a student folder named ``kit-bug``
makes it raise (the kit's failure), one named ``crash`` kills the worker
process outright.
"""
from __future__ import annotations

import os
from pathlib import Path


def fake_grader(folder: Path, stages: list, seed: int) -> dict:
    folder = Path(folder)
    if folder.name == "kit-bug":
        raise RuntimeError("the kit tripped over its own feet")
    if folder.name == "crash":
        os._exit(7)
    tests = []
    for stage in stages:
        present = any(folder.rglob(f"{stage}.ipynb"))
        tests.append({"name": f"{stage} notebook handed in", "score": 2.0 if present else 0.0, "max_score": 2.0,
                      "status": "passed" if present else "failed", "tags": [stage, "public"],
                      "output": "found" if present else f"no {stage}.ipynb", "visibility": "visible"})
        tests.append({"name": f"{stage} seed parity", "score": float(seed % 2), "max_score": 1.0,
                      "status": "passed" if seed % 2 else "failed", "tags": [stage, "hidden"],
                      "output": f"seed {seed}", "visibility": "after_published"})
    return {"score": sum(t["score"] for t in tests), "execution_time": 0.01, "output": f"Graded with seed {seed}.",
            "tests": tests, "extra_data": {"seed": seed, "max_score": 3.0 * len(stages)}}


def no_curves(folder, stages, seed, source=None) -> dict:
    return {}
