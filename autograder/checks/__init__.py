"""The checks: what each stage is graded on.

* ``base``      ``PublicCheck`` and ``HiddenCheck``, run the same way;
* ``expect``    comparisons that fail with a message that teaches;
* ``inputs``    random networks and batches, and optimiser drivers;
* ``mistakes``  the catalogue of classic mistakes, each a wrong variant;
* one module per stage with its hidden checks (``activations`` ...
  ``extensions``), each registering them in its ``CHECKS``.
"""
from __future__ import annotations

from types import ModuleType

from ..notebooks import TEST, Notebook
from .base import Check, CheckContext, CheckFailed, HiddenCheck, PublicCheck, collecting_notes, hidden, note

__all__ = ["Check", "CheckContext", "CheckFailed", "HiddenCheck", "PublicCheck", "check_function", "collecting_notes",
           "hidden", "hidden_checks", "note", "public_checks", "stage_module"]


def stage_module(stage: str) -> ModuleType | None:
    """The module of a stage's hidden checks (``CHECKS``) and of the
    functions its public checks grade (``PUBLIC``: grade_id -> function)."""
    from . import activations, backprop, extensions, forward_pass, mlp_class, moons
    modules = {module.STAGE: module for module in (activations, forward_pass, backprop, mlp_class,
                                                  moons, extensions)}
    return modules.get(stage)


def public_checks(stage: str, instructor: Notebook) -> list[PublicCheck]:
    """One check per graded test cell of the instructor's notebook; its
    description is the cell's first comment line (after "Test (N points):"),
    its function the one the stage module's ``PUBLIC`` names."""
    module = stage_module(stage)
    subjects = getattr(module, "PUBLIC", {})
    checks = []
    for cell in instructor.of_kind(TEST):
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        description = first.lstrip("# ").split(":", 1)[-1].strip() if first.startswith("#") else cell.grade_id
        checks.append(PublicCheck(stage, f"{stage} {cell.grade_id}", cell.points, description,
                                  cell.grade_id, cell.source, subjects.get(cell.grade_id, "")))
    return checks


def check_function(stage: str, name: str) -> str:
    """The student's function a check grades, from the check's full name
    (``"<stage> <grade_id or title>"``); "" for a check this kit does not know."""
    module = stage_module(stage)
    if module is None:
        return ""
    short = name[len(stage) + 1:] if name.startswith(stage + " ") else name
    if short in getattr(module, "PUBLIC", {}):
        return module.PUBLIC[short]
    return next((check.function for check in module.CHECKS if check.name == name), "")


def hidden_checks(stage: str) -> list[HiddenCheck]:
    module = stage_module(stage)
    return list(module.CHECKS) if module else []
