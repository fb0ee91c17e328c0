"""``mlpkit gradescope OUT.zip``: a Gradescope autograder bundle.

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
                       ``reference/``, ``pyproject.toml`` and the instructor
                       notebooks ``solutions/<stage>/<stage>.ipynb``.

Gradescope unpacks the zip into ``/autograder/source``; ``run_autograder``
imports the kit from there (``PYTHONPATH``), so what grades is exactly
what was bundled.  The paths can be moved for a test:
``MLPKIT_AUTOGRADER_ROOT`` replaces ``/autograder`` and ``MLPKIT_PYTHON``
the virtual environment's interpreter.
"""
from __future__ import annotations

import json
import secrets
import stat
import sys
import time
import tomllib
import traceback
import zipfile
from pathlib import Path

from .notebooks import PROJECT_ROOT, STAGES, default_source, instructor_path

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
# MLPKIT_AUTOGRADER_ROOT and MLPKIT_PYTHON move those paths, for tests.
set -u
root="${MLPKIT_AUTOGRADER_ROOT:-/autograder}"
python="${MLPKIT_PYTHON:-$root/venv/bin/python}"
mkdir -p "$root/results"
cd "$root/source"
export PYTHONPATH="$root/source/mlpkit" PYTHONDONTWRITEBYTECODE=1
exec "$python" -m autograder.gradescope "$root"
"""


# ------------------------------------------------------------------ the bundle

def add_arguments(parser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT.zip", help="the autograder zip to write")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable; one Gradescope assignment per stage is usual); "
                             "default: all six")
    parser.add_argument("--source", type=Path, metavar="DIR",
                        help="folder of the instructor notebooks (default: the kit's solutions/)")


def run(args) -> int:
    from .cli import UserError

    try:
        path, names = build_bundle(args.out, args.stages, args.source)
    except (BundleError, OSError) as error:
        raise UserError(str(error)) from None
    print(f"mlpkit gradescope: wrote {path} ({len(names)} files, stages: {', '.join(args.stages or STAGES)})")
    print("  upload it as the assignment's autograder (Configure Autograder > Zip file upload)")
    return 0


class BundleError(Exception):
    """The bundle cannot be built (a missing instructor notebook...)."""


def _project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirements() -> list:
    """The kit's runtime dependencies, from pyproject.toml."""
    return list(_project()["dependencies"])


def bundle_files(stages, source: Path | None = None) -> dict:
    """{name in the zip: Path on disk} of the kit's part of the bundle."""
    source = Path(source) if source else default_source()
    files = {}
    for package in ("autograder", "reference"):
        for path in sorted((PROJECT_ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files[f"{KIT_FOLDER}/{path.relative_to(PROJECT_ROOT).as_posix()}"] = path
    files[f"{KIT_FOLDER}/pyproject.toml"] = PROJECT_ROOT / "pyproject.toml"
    for stage in stages:
        notebook = instructor_path(source, stage)
        if not notebook.is_file():
            raise BundleError(f"no instructor notebook for {stage}: {notebook} does not exist")
        files[f"{KIT_FOLDER}/solutions/{stage}/{stage}.ipynb"] = notebook
    return files


def build_bundle(out: Path, stages=None, source: Path | None = None) -> tuple:
    """Write the zip; returns (its path, the names it holds)."""
    stages = list(dict.fromkeys(stages or STAGES))
    files = bundle_files(stages, source)
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
    return out, [*texts, *files]


def _entry(name: str, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


# ------------------------------------------------------------------ grading

def grade(root: Path) -> dict:
    """Grade ``root/submission`` with the bundled kit: results.json data.
    A failure of the kit itself still gives a results.json, scoring 0 and
    saying so, so Gradescope shows a reason instead of "autograder failed"."""
    from .batch import engine_grader

    config = json.loads((root / "source" / CONFIG_NAME).read_text(encoding="utf-8"))
    stages = list(config.get("stages") or STAGES)
    try:
        return engine_grader(root / "submission", stages, secrets.randbelow(2 ** 31))
    except Exception as error:  # noqa: BLE001 - reported in results.json, never lost
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        message = (f"mlpkit could not grade this submission ({detail}). This is a problem of the autograder, "
                   "not of your work: your instructor can see it and regrade.")
        return {"score": 0.0, "output": message, "visibility": "visible", "stdout_visibility": "hidden",
                "tests": [{"name": "grading", "score": 0.0, "max_score": 0.0, "status": "failed",
                           "output": message, "visibility": "visible"}],
                "extra_data": {"error": traceback.format_exc(limit=5)}}


def main(argv=None) -> int:
    """``python -m autograder.gradescope ROOT``, as run_autograder calls it."""
    from .gradebook import write_atomic

    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "/autograder")
    started = time.monotonic()
    results = grade(root)
    results.setdefault("execution_time", round(time.monotonic() - started, 3))
    write_atomic(root / "results" / "results.json", json.dumps(results, indent=2) + "\n")
    print(f"mlpkit: {results.get('score', 0):g} points; results in {root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
