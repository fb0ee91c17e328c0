"""``mlpkit grade`` as a user runs it: exit 0 whenever grading completed,
a table, Gradescope JSON and JUnit XML; one line and exit 2 otherwise."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

from .support.hostile import builders


def grade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *args],
                          capture_output=True, text=True, timeout=300, cwd=builders.PROJECT)


def test_grading_the_solutions_writes_a_table_json_and_junit(tmp_path):
    results, junit = tmp_path / "results.json", tmp_path / "report.xml"
    result = grade(str(builders.SOLUTIONS), "--stage", "01_activations", "--stage", "02_forward_pass",
                   "--json", str(results), "--junit", str(junit), "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "01_activations total" in result.stdout and "TOTAL" in result.stdout and "(seed 5)" in result.stdout
    data = json.loads(results.read_text())
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    assert data["extra_data"]["seed"] == 5
    assert all(t["name"].startswith(("01_activations ", "02_forward_pass ")) for t in data["tests"])
    assert {t["status"] for t in data["tests"]} == {"passed"}
    suites = ET.parse(junit).getroot()
    assert [suite.get("name") for suite in suites] == ["01_activations", "02_forward_pass"]


def test_a_failing_submission_still_exits_zero(tmp_path):
    builders.write(builders.stub("01_activations"), tmp_path, "01_activations")
    result = grade(str(tmp_path), "--stage", "01_activations", "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0


def test_a_missing_folder_is_one_line_and_exit_two(tmp_path):
    result = grade(str(tmp_path / "nowhere"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    # The course in use, then one line of error.
    assert lines[0].startswith("mlpkit: course: ") and len(lines) == 2, lines
    assert lines[1].startswith("mlpkit: error: ") and "does not exist" in lines[1]
