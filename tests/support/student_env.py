"""Run pytest in a release folder the way a student would: a fresh Python
that can import only what the release's requirements.txt installs.

Every top-level module of an installed distribution outside the
requirements (and what they depend on) is blocked: importing nbgrader,
nbclient, IPython, hypothesis, the kit's ``reference`` or ``autograder``
raises ModuleNotFoundError, as on a student's machine.  Third-party pytest
plugins are not auto-loaded either.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from autograder import release

from . import sample_course
from .stage_notebooks import release_path

RUNNER = '''
import importlib.abc
import sys

BLOCKED = frozenset({blocked!r})


class OnlyTheRequirements(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in the release's requirements.txt)",
                                      name=name)
        return None


sys.meta_path.insert(0, OnlyTheRequirements())
import pytest

sys.exit(pytest.main())
'''


def requirements(release: Path) -> list[str]:
    lines = (release / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [re.split(r"[<>=!~; ]", line.strip())[0] for line in lines
            if line.strip() and not line.lstrip().startswith("#")]


def with_dependencies(names) -> set[str]:
    """The distributions ``names`` install, dependencies included."""
    seen, todo = set(), [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return seen


@cache
def blocked_modules(allowed: tuple[str, ...]) -> frozenset[str]:
    installed = with_dependencies(allowed)
    blocked = {"reference", "autograder", "tests"}
    for module, distributions in metadata.packages_distributions().items():
        if module in sys.stdlib_module_names or not module.isidentifier():
            continue
        if not any(canonicalize_name(d) in installed for d in distributions):
            blocked.add(module)
    return frozenset(blocked)


def start_pytest(release: Path, *args: str, runner_folder: Path, env: dict | None = None) -> subprocess.Popen:
    """``python -m pytest ARGS`` in ``release``, started, not waited for;
    ``env`` adds environment variables."""
    blocked = blocked_modules(tuple(sorted(requirements(release))))
    # One file per content, written whole before it is used: pytest runs
    # started one after another must never read a file another is rewriting.
    text = RUNNER.format(blocked=sorted(blocked))
    runner = runner_folder / f"student_pytest_{hashlib.sha256(text.encode()).hexdigest()[:12]}.py"
    if not runner.is_file():
        partial = runner.with_name(f"{runner.stem}.{os.getpid()}.{threading.get_ident()}.partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, runner)
    extra = env or {}
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "PYTHON"))}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", COLUMNS="120", **extra)
    return subprocess.Popen([sys.executable, "-I", str(runner), "-p", "no:cacheprovider", *args],
                            cwd=release, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_pytest(release: Path, *args: str, runner_folder: Path, timeout: float = 600, env: dict | None = None):
    """(exit code, output) of a student's pytest run in ``release``."""
    process = start_pytest(release, *args, runner_folder=runner_folder, env=env)
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


# ---------------------------------------------------------------- the points table

CHECK = re.compile(r"^  (PASS|FAIL)  (\S+)\s+(\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)(?:\s+(.*))?$")
TOTAL = re.compile(r"^\s+(\S+) total\s+(\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)$")
OVERALL = re.compile(r"^\s+all stages\s+(\d+(?:\.\d+)?) / (\d+(?:\.\d+)?)$")


def points_table(output: str) -> dict:
    """{stage: {"checks": {name: (status, earned, possible, reason)},
    "total": (earned, possible)}, "all stages": (earned, possible)} read
    from the table at the end of the run."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "points per check" in line)
    table, stage = {}, None
    for line in lines[start + 1:]:
        if line.startswith("="):
            break
        if match := CHECK.match(line):
            status, name, earned, possible, reason = match.groups()
            table[stage]["checks"][name] = (status, float(earned), float(possible), reason or "")
        elif match := TOTAL.match(line):
            assert match[1] == stage, line
            table[stage]["total"] = (float(match[2]), float(match[3]))
        elif match := OVERALL.match(line):
            table["all stages"] = (float(match[1]), float(match[2]))
        elif line and not line.startswith(" "):
            stage = line.strip()
            table[stage] = {"checks": {}, "total": None}
    return table


# ---------------------------------------------------------------- the made-up stage

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"


def release_sample(tmp_path_factory) -> Path:
    """The made-up stage of tests/support/sample_course.py released with the
    real nbgrader, the student kit beside it."""
    base = tmp_path_factory.mktemp("sample")
    course = sample_course.make_course(base / "course")
    return release.make_release(course, out=base / "release").out


def student_copy(sample_release: Path, tmp_path: Path, answers: dict[str, str] | None = None,
                 first_cell: str = "", tests: dict[str, str] | None = None, last_cell: str = "") -> Path:
    """A copy of the sample release with some stubs replaced by ``answers``
    (grade_id -> body), some test cells replaced by ``tests`` (grade_id ->
    source), a cell of the student's own put first and one put last."""
    folder = tmp_path / "student"
    shutil.copytree(sample_release, folder)
    path = release_path(folder, sample_course.STAGE)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            text = "".join(cell["source"])
            assert STUB in text
            cell["source"] = text.replace(STUB, answers[grade_id])
        if tests and grade_id in tests:
            cell["source"] = tests[grade_id]
    for index, key, source in ((0, "student-first", first_cell), (len(notebook["cells"]), "check-everything",
                                                                   last_cell)):
        if source:
            notebook["cells"].insert(index, {"cell_type": "code", "execution_count": None, "id": key,
                                             "metadata": {}, "outputs": [], "source": source})
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return folder
