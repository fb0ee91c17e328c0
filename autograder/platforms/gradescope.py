"""Gradescope: the autograder bundle (``mlpkit gradescope OUT.zip``) and
what runs inside it (``mlpkit gradescope-run``).

The zip holds, at its root:

* ``setup.sh``         run once when Gradescope builds the image: a Python
                       >= 3.11 virtual environment with the kit's runtime
                       dependencies in ``/autograder/venv``;
* ``run_autograder``   run for every submission: grades
                       ``/autograder/submission`` into
                       ``/autograder/results/results.json``;
* ``requirements.txt`` the kit's runtime dependencies (from pyproject.toml);
* ``mlpkit-gradescope.json``  the stages this assignment grades;
* ``mlpkit/``          the kit's grading code as it is in this checkout:
                       ``autograder/`` (with the hidden checks),
                       ``reference/``, ``pyproject.toml``, and the course:
                       its ``nbgrader_config.py`` and the instructor
                       notebooks of the bundled stages.

Gradescope unpacks the zip into ``/autograder/source``; ``run_autograder``
imports the kit from there (``PYTHONPATH``), so what grades is exactly
what was bundled.  The paths can be moved for a test:
``MLPKIT_AUTOGRADER_ROOT`` replaces ``/autograder`` and ``MLPKIT_PYTHON``
the virtual environment's interpreter.
"""
from __future__ import annotations

import json
import stat
import time
import tomllib
import traceback
import zipfile
from pathlib import Path

from ..course import Course, instructor_notebooks, select_stages
from ..errors import BundleError
from ..files import write_atomic

CONFIG_NAME = "mlpkit-gradescope.json"
KIT_FOLDER = "mlpkit"
ZIP_TIME = (2020, 1, 1, 0, 0, 0)   # fixed, so the same checkout gives the same zip

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image: a Python
# >= 3.11 virtual environment in /autograder/venv with the kit's dependencies.
# The kit itself is not installed: run_autograder imports it from
# /autograder/source/mlpkit, exactly as bundled.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get install -y -qq python3-venv python3-pip
    python=python3
else  # Ubuntu 22.04 images: python3 is 3.10, python3.11 is in universe
    apt-get install -y -qq python3.11 python3.11-venv
    python=python3.11
fi
"$python" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission (from /autograder/run_autograder):
# mlpkit grades /autograder/submission into /autograder/results/results.json.
# Whatever happens, a results.json is written: a kit that cannot start says
# so there instead of leaving Gradescope with "autograder failed".
# MLPKIT_AUTOGRADER_ROOT and MLPKIT_PYTHON move those paths, for tests.
set -u
root="${MLPKIT_AUTOGRADER_ROOT:-/autograder}"
python="${MLPKIT_PYTHON:-$root/venv/bin/python}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
cd "$root/source"
export PYTHONPATH="$root/source/mlpkit" PYTHONDONTWRITEBYTECODE=1
if [ -x "$python" ]; then
    "$python" -m autograder gradescope-run "$root"
    status=$?
    why="the grader stopped with exit status $status"
else
    why="its Python environment $python is missing: setup.sh failed when the image was built"
fi
if [ ! -s "$results" ]; then
    printf '{"score": 0, "visibility": "visible", "output": "mlpkit could not grade this submission: %s. This is a problem of the autograder, not of your work: your instructor can see it and regrade.", "tests": []}\\n' "$why" > "$results"
fi
exit 0
"""


# ------------------------------------------------------------------ the bundle

def _kit_root() -> Path:
    """The checkout the kit runs from: its packages and pyproject.toml."""
    return Path(__file__).resolve().parents[2]


def _project() -> dict:
    pyproject = _kit_root() / "pyproject.toml"
    if not pyproject.is_file():
        raise BundleError(f"the kit at {_kit_root()} is not a source checkout (no pyproject.toml): "
                          "build the bundle from a clone of the kit")
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]


def requirements() -> list:
    """The kit's runtime dependencies, from pyproject.toml."""
    return list(_project()["dependencies"])


def bundle_files(course: Course, stages) -> dict[str, Path]:
    """{name in the zip: Path on disk} of the kit's part of the bundle."""
    kit, files = _kit_root(), {}
    for package in ("autograder", "reference"):
        for path in sorted((kit / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files[f"{KIT_FOLDER}/{path.relative_to(kit).as_posix()}"] = path
    files[f"{KIT_FOLDER}/pyproject.toml"] = kit / "pyproject.toml"
    files[f"{KIT_FOLDER}/nbgrader_config.py"] = course.root / "nbgrader_config.py"
    source = course.source.relative_to(course.root).as_posix()
    for stage, notebook in instructor_notebooks(course.source, stages).items():
        files[f"{KIT_FOLDER}/{source}/{stage}/{stage}.ipynb"] = notebook
    return files


def build_bundle(out: Path, course: Course, stages=None) -> tuple[Path, list[str], list[str]]:
    """Write the zip; returns (its path, the names it holds, the stages)."""
    stages = list(select_stages(stages))
    files = bundle_files(course, stages)
    texts = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER,
             "requirements.txt": "\n".join(requirements()) + "\n",
             CONFIG_NAME: json.dumps({"stages": stages, "kit_version": _project()["version"]}, indent=2) + "\n"}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, text in texts.items():
            executable = name in ("setup.sh", "run_autograder")
            bundle.writestr(_entry(name, executable), text)
        for name, path in files.items():
            bundle.writestr(_entry(name, False), path.read_bytes())
    temporary.replace(out)
    return out, [*texts, *files], stages


def _entry(name: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


# ------------------------------------------------------------------ grading

def gradescope_student(root: Path) -> str | None:
    """The submitter as Gradescope names them in ``submission_metadata.json``
    (first user's email, else id), so that a resubmission or a regrade draws
    the same hidden inputs; None when the file says nothing usable."""
    try:
        metadata = json.loads((Path(root) / "submission_metadata.json").read_text(encoding="utf-8"))
        user = (metadata.get("users") or [])[0]
        student = user.get("email") or user.get("id")
    except (OSError, ValueError, IndexError, AttributeError, TypeError):
        return None
    return str(student) if student not in (None, "") else None


def grade(root: Path) -> dict:
    """Grade ``root/submission`` with the bundled kit: results.json data.
    A failure of the kit itself still gives a results.json, scoring 0 and
    saying so, so Gradescope shows a reason instead of "autograder failed"."""
    from ..engine import default_seed, grade_submission
    from ..reports.results_json import results_json

    try:
        config = json.loads((root / "source" / CONFIG_NAME).read_text(encoding="utf-8"))
        course = Course.at(root / "source" / KIT_FOLDER)
        student = gradescope_student(root)
        report = grade_submission(root / "submission", config.get("stages"),
                                  default_seed(student) if student else None, source=course.source)
        return results_json(report)
    except Exception as error:  # noqa: BLE001 - reported in results.json, never lost
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        message = (f"mlpkit could not grade this submission ({detail}). This is a problem of the autograder, "
                   "not of your work: your instructor can see it and regrade.")
        return {"score": 0.0, "output": message, "visibility": "visible", "stdout_visibility": "hidden",
                "tests": [{"name": "grading", "score": 0.0, "max_score": 0.0, "status": "failed",
                           "output": message, "visibility": "visible"}],
                "extra_data": {"error": traceback.format_exc(limit=5)}}


def run_autograder(root: Path) -> tuple[dict, Path]:
    """Grade Gradescope's ``root/submission`` into ``root/results/results.json``."""
    root = Path(root)
    started = time.monotonic()
    results = grade(root)
    results.setdefault("execution_time", round(time.monotonic() - started, 3))
    path = root / "results" / "results.json"
    write_atomic(path, json.dumps(results, indent=2) + "\n")
    return results, path
