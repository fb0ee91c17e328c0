"""A synthetic class of submissions, built from the instructor notebooks.

Each student hands in every stage as one of: the solution as written, the
release stub (not started), the solution with a random mistake in one
answer cell (a flipped sign, a dropped transpose, an unfinished function, a
syntax error...), or nothing.  Solution markers are removed, as in a real
submission.  Half the students use nbgrader's layout
(``<student>/<stage>/<stage>.ipynb``), half a flat folder
(``<student>/<stage>.ipynb``).  Everything follows from the seed.

Used by the batch tests (small classes) and ``benchmarks/bench_batch.py``.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ROOT / "assignments"
REGION = re.compile(r"(?P<indent>[ \t]*)### BEGIN SOLUTION\n(?P<body>.*?)[ \t]*### END SOLUTION\n?", re.S)

# (find, replace): applied to the first occurrence inside a solution region.
MUTATIONS = [
    ("np.exp(-", "np.exp("),
    (" - ", " + "),
    (" + ", " - "),
    ("keepdims=True", "keepdims=False"),
    (") / m", ")"),
    (".T", ""),
    ("(z > 0)", "(z >= 0)"),
    ("axis=0", "axis=1"),
    ("1.0 - ", ""),
    ("np.sqrt(", "("),
]
# What a student hands in for a stage, with its weight.
KINDS = {"solution": 0.45, "mistake": 0.35, "stub": 0.15, "missing": 0.05}


def _source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _strip_markers(source: str) -> str:
    return REGION.sub(lambda m: m.group("body"), source)


def _mutate_region(body: str, indent: str, rng: random.Random) -> tuple:
    options = [(find, replace) for find, replace in MUTATIONS if find in body]
    choice = rng.random()
    if choice < 0.15 or not options:
        return f"{indent}raise NotImplementedError()\n", "unfinished function"
    if choice < 0.22:
        return f"{indent}this line is not python\n" + body, "syntax error"
    find, replace = rng.choice(options)
    return body.replace(find, replace, 1), f"{find.strip()!r} -> {replace.strip()!r}"


def mistaken_notebook(stage: str, rng: random.Random) -> tuple:
    """The stage's solution with one mistake in one answer cell: (notebook, what)."""
    notebook = json.loads((SOLUTIONS / stage / f"{stage}.ipynb").read_text(encoding="utf-8"))
    answers = [cell for cell in notebook["cells"]
               if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and REGION.search(_source(cell))]
    target = rng.choice(answers)
    regions = list(REGION.finditer(_source(target)))
    chosen = rng.choice(regions)
    what = ""
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = _source(cell)
        if cell is target:
            body, what = _mutate_region(chosen.group("body"), chosen.group("indent"), rng)
            text = text[:chosen.start()] + body + text[chosen.end():]
        cell["source"] = _strip_markers(text)
        cell["outputs"], cell["execution_count"] = [], None
    grade_id = target["metadata"]["nbgrader"]["grade_id"]
    return notebook, f"{grade_id}: {what}"


def _plain(path: Path) -> dict:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell.get("cell_type") == "code":
            cell["source"] = _strip_markers(_source(cell))
    return notebook


def make_class(root: Path, students: int, seed: int = 0, stages=None) -> dict:
    """Write ``students`` submission folders under ``root``; returns
    {student: {stage: kind or mistake}} describing what each handed in."""
    from autograder.course import STAGES

    rng = random.Random(seed)
    stages = list(stages or STAGES)
    root = Path(root)
    manifest = {}
    for number in range(1, students + 1):
        student = f"student{number:03d}"
        manifest[student] = {}
        nested = number % 2 == 1
        (root / student).mkdir(parents=True, exist_ok=True)
        for stage in stages:
            kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
            if kind == "missing":
                manifest[student][stage] = kind
                continue
            if kind == "solution":
                notebook, what = _plain(SOLUTIONS / stage / f"{stage}.ipynb"), kind
            elif kind == "stub":
                notebook, what = json.loads((ASSIGNMENTS / stage / f"{stage}.ipynb").read_text("utf-8")), kind
            else:
                notebook, what = mistaken_notebook(stage, rng)
            folder = root / student / stage if nested else root / student
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{stage}.ipynb").write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
            manifest[student][stage] = what
    return manifest


# ------------------------------------------------- one student at a time

def notebook_of(stage: str, kind: str = "solution", seed: int = 0) -> dict:
    """A stage's notebook as a student hands it in: "solution" (markers
    removed), "stub" (the release) or "mistake" (one random mistake)."""
    if kind == "solution":
        return _plain(SOLUTIONS / stage / f"{stage}.ipynb")
    if kind == "stub":
        return json.loads((ASSIGNMENTS / stage / f"{stage}.ipynb").read_text("utf-8"))
    if kind == "mistake":
        return mistaken_notebook(stage, random.Random(seed))[0]
    raise ValueError(f"unknown kind {kind!r}")


def hand_in(root: Path, student: str, stage: str, kind: str = "solution", layout: str = "nbgrader",
            name: str | None = None, timestamp: str | None = None, seed: int = 0) -> Path:
    """Write one student's notebook for one stage; returns its path.
    layout "nbgrader" (``<student>/<stage>/<stage>.ipynb``, with nbgrader's
    ``timestamp.txt`` beside it if given) or "flat" (``<student>/<name>``)."""
    folder = Path(root) / student / stage if layout == "nbgrader" else Path(root) / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{stage}.ipynb")
    path.write_text(json.dumps(notebook_of(stage, kind, seed), indent=1) + "\n", encoding="utf-8")
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp + "\n", encoding="utf-8")
    return path


def copy_course(folder: Path, stages, config_lines: str = "") -> Path:
    """A course folder: the repository's nbgrader_config.py (plus
    ``config_lines``) and the solutions notebooks of ``stages``."""
    import shutil

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
                                               + config_lines, encoding="utf-8")
    for stage in stages:
        shutil.copytree(SOLUTIONS / stage, folder / "solutions" / stage,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return folder
