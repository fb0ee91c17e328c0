"""The kit as a package: a wheel built from this checkout, installed (not
editable) into a fresh virtual environment, grades and releases the course
it is run in, not the checkout it was built from."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from autograder.release import KIT_FILES

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The kit's wheel, built from this checkout as `pip install .` builds it."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=600)
    (built,) = wheels.glob("mlpkit-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin/ folder of a virtual environment holding the kit's wheel.
    The environment sees this interpreter's packages (NumPy, nbgrader...)
    but the kit itself only from the wheel."""
    environment = tmp_path_factory.mktemp("packaging") / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=True).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--force-reinstall", str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    return environment / "bin"


def clean_env() -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return env


def test_the_wheel_holds_every_subpackage_and_the_student_kit(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {path.parent.relative_to(ROOT).as_posix() for path in (ROOT / "autograder").rglob("__init__.py")}
    for package in packages | {"reference"}:
        assert f"{package}/__init__.py" in names, f"the wheel leaves out {package}"
    for name in KIT_FILES:
        assert f"autograder/student_kit/{name}" in names
    assert "autograder/sandbox/runner.py" in names
    assert not [name for name in names if name.startswith(("tests/", "tools/", "benchmarks/"))]


def test_the_installed_kit_grades_the_course_it_is_run_in(installed):
    where = subprocess.run([installed / "python", "-c", "import autograder; print(autograder.__file__)"],
                           capture_output=True, text=True, cwd="/", env=clean_env(), timeout=60)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), "the kit must come from the wheel"
    result = subprocess.run([installed / "mlpkit", "grade", "solutions", "--json", "/dev/stdout"],
                            capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines()[0] == f"mlpkit: course: {ROOT}"
    results = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert results["score"] == results["extra_data"]["max_score"] > 100


def test_outside_a_course_the_command_says_so_in_one_line(installed, tmp_path):
    result = subprocess.run([installed / "mlpkit", "grade", str(tmp_path)], capture_output=True, text=True,
                            cwd=tmp_path, env=clean_env(), timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"mlpkit: error: no course here: neither {tmp_path} nor a folder above it holds nbgrader_config.py; "
        "run mlpkit in the course repository or pass --course DIR"]


def test_release_from_a_second_clone_writes_that_clones_assignments(installed, tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", clone)
    shutil.copytree(ROOT / "solutions" / "01_activations", clone / "solutions" / "01_activations")
    ours = ROOT / "assignments" / "01_activations" / "01_activations.ipynb"
    before = (ours.stat().st_mtime_ns, ours.read_bytes())
    result = subprocess.run([installed / "mlpkit", "release", "--stage", "01_activations"], capture_output=True,
                            text=True, cwd=clone / "solutions", env=clean_env(), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines()[0] == f"mlpkit: course: {clone}"
    written = clone / "assignments" / "01_activations" / "01_activations.ipynb"
    assert written.read_bytes() == ours.read_bytes()
    assert (ours.stat().st_mtime_ns, ours.read_bytes()) == before, "the checkout's release must not be touched"
