"""``mlpkit gradescope``: the bundle, and a submission graded by its
``run_autograder`` in a folder laid out as Gradescope lays out
``/autograder`` (``source/`` = the unzipped bundle, ``submission/``,
``results/``, and ``run_autograder`` copied beside them)."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.platforms import gradescope

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["01_activations", "05_moons"]
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def build(out: Path) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "autograder", "gradescope", str(out)]
    for stage in STAGES:
        args += ["--stage", stage]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = build(out)
    assert result.returncode == 0, result.stderr
    return out


def unpack(bundle: Path, root: Path) -> Path:
    """What Gradescope does with the zip: unzip into source/ (modes kept),
    copy run_autograder to the root."""
    source = root / "source"
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            target = source / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> tuple:
    env = {**os.environ, "MLPKIT_AUTOGRADER_ROOT": str(root), "MLPKIT_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, timeout=600,
                            env=env, cwd=root)
    results = root / "results" / "results.json"
    return result, json.loads(results.read_text()) if results.exists() else None


def test_the_bundle_holds_the_scripts_and_the_kit(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        config = json.loads(archive.read(gradescope.CONFIG_NAME))
        requirements = archive.read("requirements.txt").decode().split()
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & stat.S_IXUSR, f"{script} must be executable"
    names = set(infos)
    assert {"mlpkit/autograder/engine.py", "mlpkit/autograder/platforms/gradescope.py",
            "mlpkit/autograder/checks/moons.py", "mlpkit/reference/mlp.py", "mlpkit/pyproject.toml",
            "mlpkit/nbgrader_config.py"} <= names
    assert {name for name in names if name.startswith("mlpkit/solutions/")} == \
        {f"mlpkit/solutions/{stage}/{stage}.ipynb" for stage in STAGES}
    assert not [name for name in names if "__pycache__" in name or name.startswith(("mlpkit/tests", "tests"))]
    assert config["stages"] == STAGES
    assert requirements == gradescope.requirements()
    again = tmp_path / "again.zip"
    assert build(again).returncode == 0
    assert again.read_bytes() == bundle.read_bytes(), "the same checkout must give the same zip"
    with zipfile.ZipFile(bundle) as archive:
        setup = tmp_path / "setup.sh"
        setup.write_bytes(archive.read("setup.sh"))
    assert subprocess.run(["bash", "-n", str(setup)]).returncode == 0


def test_run_autograder_grades_a_submission_in_a_gradescope_layout(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    shutil.copy(ROOT / "solutions" / "05_moons" / "05_moons.ipynb", root / "submission")
    shutil.copy(ROOT / "assignments" / "01_activations" / "01_activations.ipynb", root / "submission")
    result, results = run_autograder(root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert results is not None, "no results.json written"
    tests = results["tests"]
    by_stage = {stage: [t for t in tests if t["name"].startswith(stage + " ")] for stage in STAGES}
    assert len(tests) == sum(map(len, by_stage.values())) and all(by_stage.values())
    assert all(t["score"] == t["max_score"] > 0 and t["status"] == "passed" for t in by_stage["05_moons"])
    assert all(t["score"] == 0 and t["status"] == "failed" for t in by_stage["01_activations"])
    assert results["score"] == sum(t["score"] for t in by_stage["05_moons"])
    for test in tests:
        assert test["visibility"] in VISIBILITY and isinstance(test["output"], str) and test["output"]
    assert results["execution_time"] > 0
    assert "points; results in" in result.stdout


def test_the_seed_is_the_submitters_so_a_resubmission_draws_the_same_inputs(bundle, tmp_path):
    from autograder.engine import default_seed

    seeds = []
    for attempt, email in enumerate(("ada@example.edu", "ada@example.edu", "bo@example.edu")):
        root = unpack(bundle, tmp_path / f"autograder{attempt}")
        shutil.copy(ROOT / "solutions" / "01_activations" / "01_activations.ipynb", root / "submission")
        (root / "submission_metadata.json").write_text(json.dumps(
            {"id": 1000 + attempt, "users": [{"email": email, "id": 7 + attempt, "name": "A"}]}))
        result, results = run_autograder(root)
        assert result.returncode == 0, result.stderr[-3000:]
        seeds.append(results["extra_data"]["seed"])
    assert seeds[0] == seeds[1] == default_seed("ada@example.edu") != seeds[2] == default_seed("bo@example.edu")


def test_the_bundled_kit_is_the_one_that_runs(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    env = {**os.environ, "PYTHONPATH": str(root / "source" / "mlpkit")}
    where = subprocess.run([sys.executable, "-c", "import autograder, reference; "
                            "print(autograder.__file__); print(reference.__file__)"],
                           capture_output=True, text=True, env=env, cwd=root / "source")
    for line in where.stdout.split():
        assert Path(line).is_relative_to(root / "source" / "mlpkit"), line
    assert 'PYTHONPATH="$root/source/mlpkit"' in (root / "run_autograder").read_text()


def test_a_failure_of_the_kit_still_writes_results_with_the_reason(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    shutil.copy(ROOT / "solutions" / "05_moons" / "05_moons.ipynb", root / "submission")
    (root / "source" / "mlpkit" / "solutions" / "05_moons" / "05_moons.ipynb").unlink()
    result, results = run_autograder(root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert results["score"] == 0
    assert "could not grade this submission" in results["output"] and "05_moons" in results["output"]
    assert results["tests"][0]["status"] == "failed"


def test_an_empty_upload_scores_zero_with_a_reason(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    result, results = run_autograder(root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert results["score"] == 0 and results["tests"]
    assert "no 05_moons.ipynb" in results["output"] + json.dumps(results["tests"])


def test_a_missing_instructor_notebook_is_a_one_line_error(tmp_path):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    result = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(tmp_path / "a.zip"),
                             "--course", str(course)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("mlpkit: error: no instructor notebook for 01_activations")
    assert not (tmp_path / "a.zip").exists()


def test_run_autograder_writes_results_even_when_setup_failed(bundle, tmp_path):
    """A broken image (setup.sh failed: no Python environment) still gives
    Gradescope a results.json that says what happened."""
    root = unpack(bundle, tmp_path / "autograder")
    env = {**os.environ, "MLPKIT_AUTOGRADER_ROOT": str(root), "MLPKIT_PYTHON": str(root / "no-such-python")}
    result = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, timeout=60,
                            env=env, cwd=root)
    assert result.returncode == 0, result.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "setup.sh failed" in results["output"]
    assert "not of your work" in results["output"]
