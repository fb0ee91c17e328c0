"""A student's set-up, word for word as the release README says it.

In a copy of the release: the README's Linux and macOS commands, run by
bash exactly as written (a fresh virtual environment without the system's
packages, then the one install line, from PyPI), with the oldest Python the
README allows where this machine has it.  Then, inside that environment, a
stage notebook with a student's answers (one of them a known mistake) is
run by the environment's own Jupyter and kernel and saved, as "Run All
Cells" and "Save" would, and the environment's pytest checks it: its table
must be the notebook's last cell's table, with no note about unsaved work.

The Windows commands cannot run here; they are required to end with the
same install line.  About 30 s, most of it pip.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from .support.handed_in import with_a_mistake
from .support.stage_notebooks import ASSIGNMENTS, STUDENT_KIT
from .support.student_env import points_table

pytestmark = pytest.mark.slow

README = STUDENT_KIT / "README.md"
STAGE = "01_activations"


def commands(platform: str) -> list[str]:
    """The command lines of the README's set-up block for ``platform``."""
    text = README.read_text(encoding="utf-8")
    block = re.search(rf"<!-- setup:{platform}:start -->\s*```\n(.*?)```\s*<!-- setup:{platform}:end -->", text, re.S)
    assert block, f"README.md has no setup:{platform} block"
    return [line for line in block[1].splitlines() if line.strip()]


def minimum_python() -> tuple[int, int]:
    found = re.search(r"You need Python (\d+)\.(\d+) or newer", README.read_text(encoding="utf-8"))
    assert found, "README.md names the minimum Python"
    return int(found[1]), int(found[2])


def version_of(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return tuple(int(part) for part in done.stdout.split()) if done.returncode == 0 else None


def oldest_allowed_python() -> str:
    """An interpreter of the README's minimum version if this machine has
    one (on PATH or under pyenv), else the one running the tests."""
    major, minor = minimum_python()
    candidates = [shutil.which(f"python{major}.{minor}") or ""]
    candidates += sorted(str(p) for p in (Path.home() / ".pyenv" / "versions").glob(f"{major}.{minor}.*/bin/python3"))
    for candidate in candidates:
        if candidate and version_of(candidate) == (major, minor):
            return candidate
    return sys.executable


def students_shell() -> dict[str, str]:
    """This process's environment without what points Python, Jupyter or
    pytest at the kit's own checkout (PYTHONPATH, an active venv, ...)."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA", "JUPYTER", "MPLBACKEND", "PYTEST"))}


def test_the_readme_gives_one_install_line_everywhere():
    posix, windows = commands("posix"), commands("windows")
    assert posix[-1] == windows[-1] == "python -m pip install -r requirements.txt"
    assert posix[0] == "python3 -m venv .venv" and windows[0] == "py -m venv .venv"
    text = README.read_text(encoding="utf-8")
    for menu in ("Run > Run All Cells", "Kernel > Restart Kernel and Run All", "File > Save Notebook"):
        assert menu in " ".join(text.split()), menu
    assert "Jupyter Notebook 7" in text and "JupyterLab 4" in text


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """The release set up as the README says, a stage run and saved in the
    environment's Jupyter, and the environment's pytest: (folder, Python
    used, the executed notebook, pytest's output)."""
    if not ASSIGNMENTS.is_dir():
        pytest.fail("no assignments/ folder: run `mlpkit release`")
    base = tmp_path_factory.mktemp("student_setup")
    folder, notebook = with_a_mistake(base / "course", STAGE)

    python = oldest_allowed_python()
    bin_dir = base / "bin"          # `python3` on the PATH is the interpreter chosen above
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    script = "\n".join(["set -euo pipefail", *commands("posix"),
                        f"python -m jupyter nbconvert --to notebook --execute --allow-errors --inplace "
                        f"{STAGE}/{STAGE}.ipynb",
                        f"python -m pytest -p no:cacheprovider {STAGE} || true"])
    env = {**students_shell(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "120"}
    done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return folder, python, nbformat.read(str(notebook), as_version=4), done.stdout


def test_a_fresh_environment_has_only_what_the_readme_installs(student):
    folder, python, _, _ = student
    venv = folder / ".venv"
    config = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = false" in config
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                            env=students_shell(), capture_output=True, text=True, check=True).stdout.lower()
    installed = {line.split("==")[0].replace("_", "-") for line in listed.splitlines()}
    assert {"numpy", "matplotlib", "pytest", "notebook", "jupyterlab", "ipykernel"} <= installed
    assert not {"mlpkit", "nbgrader", "hypothesis"} & installed


def test_the_stage_runs_in_the_environments_own_kernel(student):
    folder, python, notebook, _ = student
    assert notebook.metadata.language_info.version.startswith("{}.{}.".format(*version_of(python)))
    graded = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    failing = [cell for cell in graded if any(o.output_type == "error" for o in cell.outputs)]
    assert 0 < len(failing) < len(graded), "the known mistake fails some checks, not all"
    others = [cell for cell in notebook.cells if cell.cell_type == "code"
              and not cell.metadata.get("nbgrader", {}).get("grade")]
    assert not [o for cell in others for o in cell.outputs if o.output_type == "error"]


def test_the_last_cell_and_pytest_print_the_same_table(student):
    _, _, notebook, output = student
    printed = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream")
    in_the_notebook = points_table(printed)[STAGE]
    assert points_table(output)[STAGE] == in_the_notebook, output[-3000:]
    assert {status for status, *_ in in_the_notebook["checks"].values()} == {"PASS", "FAIL"}
    assert "note:" not in printed and "note:" not in output, "run and saved: nothing to warn about"
