"""The ``mlpkit`` command as a user runs it: a real subprocess."""
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *args],
                          capture_output=True, text=True, timeout=300)


def test_moons_prints_the_tutorials_results():
    result = run("moons", "--no-experiments")
    assert result.returncode == 0, result.stderr
    assert "Epoch  1999 | Loss: 0.051922 | Accuracy: 98.50%" in result.stdout
    assert "Training accuracy: 98.50%" in result.stdout
    assert "Test accuracy:     96.00%" in result.stdout
    assert "Class counts (train): [201, 199]" in result.stdout
    assert "ARCHITECTURES" in result.stdout and "Shallow" not in result.stdout


def test_unknown_command_is_one_usage_error_without_traceback():
    result = run("nonsense")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice: 'nonsense'" in result.stderr
