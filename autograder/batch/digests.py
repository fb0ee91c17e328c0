"""What a stage's grades depend on, as digests a gradebook records.

Per stage:

* ``notebook``: the instructor notebook's grading content: every code cell
  the engine uses (provided, answer and test cells: role, ``grade_id``,
  points, source) and the manually graded cells (``grade_id``, points).
  Markdown and demo cells are left out: rewording an explanation or a plot
  regrades nobody.
* ``checks``: the code that decides the hidden checks' verdicts: the
  stage's module of ``autograder/checks/``, the helpers every check uses
  (``base``, ``expect``, ``inputs``) and the reference solution the checks
  compare with.  The catalogue of named mistakes only words messages and
  is left out.
* ``points``: every check's points, so that a change can be said in words
  ("test_make_moons: 3 -> 4 points").

``fingerprint`` condenses them into one value stored with each student's
grades: a student graded with another fingerprint was graded with other
instructor notebooks or checks, and is never mixed with the rest.
"""
from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

from ..course import instructor_path
from ..notebooks import OTHER, read_notebook
from ..reports.text import points as shown


def _sha(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _files_digest(paths) -> str:
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        digest.update(Path(path).name.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def _check_files(stage: str) -> list[Path]:
    from .. import checks
    from ..checks import base, expect, inputs
    import reference

    files = [Path(inspect.getsourcefile(check.run)) for check in checks.hidden_checks(stage)]
    files += [Path(inspect.getsourcefile(module)) for module in (base, expect, inputs)]
    files += sorted(Path(reference.__file__).resolve().parent.glob("*.py"))
    return files


def stage_digest(source: Path, stage: str) -> dict:
    """{"notebook", "checks", "points"} of one stage."""
    from ..checks import hidden_checks, public_checks

    notebook = read_notebook(instructor_path(source, stage))
    cells = [(cell.kind, cell.grade_id, cell.points, cell.source) for cell in notebook.cells if cell.kind != OTHER]
    manual = [(cell.grade_id, cell.points) for cell in notebook.manual]
    points = {check.name: check.points for check in public_checks(stage, notebook) + hidden_checks(stage)}
    points.update({f"{stage} {cell.grade_id}": cell.points for cell in notebook.manual})
    return {"notebook": _sha([cells, manual]), "checks": _files_digest(_check_files(stage)), "points": points}


def instructor_digests(source: Path, stages) -> dict:
    """{stage: stage_digest} for ``stages``."""
    return {stage: stage_digest(source, stage) for stage in stages}


def fingerprint(digests: dict) -> str:
    """One value for all of ``digests``."""
    return _sha(digests)


def describe_change(old: dict, new: dict) -> str:
    """What changed between two ``instructor_digests``, in a few words."""
    parts = []
    for stage in new:
        before, after = old.get(stage), new[stage]
        if before is None or before == after:
            continue
        said = []
        changed = sorted(name for name in set(before["points"]) | set(after["points"])
                         if before["points"].get(name) != after["points"].get(name))
        for name in changed[:3]:
            was, now = before["points"].get(name), after["points"].get(name)
            short = name.split(" ", 1)[-1]
            said.append(f"{short} added ({shown(now)} points)" if was is None
                        else f"{short} removed" if now is None
                        else f"{short}: {shown(was)} -> {shown(now)} points")
        if len(changed) > 3:
            said.append(f"{len(changed) - 3} more checks")
        if before["notebook"] != after["notebook"] and not changed:
            said.append("its instructor notebook changed")
        if before["checks"] != after["checks"]:
            said.append("its hidden checks' code changed")
        total = (sum(before["points"].values()), sum(after["points"].values()))
        if total[0] != total[1]:
            said.append(f"{shown(total[0])} -> {shown(total[1])} points in all")
        parts.append(f"{stage} ({', '.join(said)})")
    return "; ".join(parts) or "nothing"
