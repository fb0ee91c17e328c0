"""Regrades without SQL, with the real ``mlpkit grade-batch`` and engine on a
small class (stage 01 only, a few seconds a run).

* A student who hands in again is regraded, alone, and the run names them;
  their previous grade stays in the history with when and why.
* ``--regrade NAME`` and ``--regrade-all`` ask for more; an unknown name
  is a one-line error with a "did you mean".
* Instructor notebooks whose checks changed are never mixed with the old
  grades: the run is refused in one line saying what changed; with
  ``--regrade-all`` everyone is regraded, and a regrade interrupted half
  way leaves the students not yet regraded "outdated", without points,
  until the next run finishes them.
* A record half-written by hand (a row deleted with the sqlite3 shell, a
  report overwritten) is repaired with a message, never a traceback.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .support.gradebook_rows import wait_for_rows
from .support.synthetic_class import ROOT, copy_course, hand_in

STAGE = "01_activations"
pytestmark = pytest.mark.slow


def mlpkit(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def grade_batch(root, out, *extra, course=ROOT, jobs=2):
    return mlpkit("grade-batch", root, "--out", out, "--stage", STAGE, "--seed", 7, "--jobs", jobs,
                  "--no-progress", "--no-feedback", "--course", course, *extra)


def grades(out) -> dict:
    return {row["student"]: row for row in csv.DictReader((Path(out) / "grades.csv").open())}


def one_line_error(result) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("mlpkit: error: ") and len(lines) == 2, lines   # the course line, the error
    return lines[-1]


@pytest.fixture
def klass(tmp_path):
    root = tmp_path / "submitted"
    hand_in(root, "ann", STAGE, "solution")
    hand_in(root, "ben", STAGE, "stub")
    hand_in(root, "cat", STAGE, "mistake", layout="flat", seed=3)
    return root


def test_a_resubmission_is_regraded_alone_and_named_and_the_old_grade_is_kept(klass, tmp_path):
    out = tmp_path / "graded"
    first = grade_batch(klass, out)
    assert first.returncode == 0, first.stderr
    before = grades(out)
    assert before["ann"]["total"] == "22" and before["ben"]["total"] == "0"

    unchanged = grade_batch(klass, out)
    assert "3 students, 3 graded before, 0 graded now" in unchanged.stdout
    assert "regraded" not in unchanged.stdout

    hand_in(klass, "ben", STAGE, "solution")           # ben finishes the stage and hands in again
    again = grade_batch(klass, out)
    assert again.returncode == 0, again.stderr
    assert "3 students, 2 graded before, 1 graded now" in again.stdout
    assert "  regraded (their notebooks changed): ben" in again.stdout.splitlines()
    after = grades(out)
    assert after["ben"]["total"] == "22"
    assert {name: row for name, row in after.items() if name != "ben"} == \
        {name: row for name, row in before.items() if name != "ben"}

    history = mlpkit("history", "ben", "--out", out)
    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[1].startswith("  now:      graded 22/22, graded ") and "(their notebooks changed)" in lines[1]
    assert lines[2].startswith("  earlier:  0/22, graded ") and "(first grading)" in lines[2]
    assert "because their notebooks changed" in lines[2]


def test_regrading_named_students_or_everyone(klass, tmp_path):
    out = tmp_path / "graded"
    assert grade_batch(klass, out).returncode == 0
    named = grade_batch(klass, out, "--regrade", "cat")
    assert "  regraded (a regrade was asked for): cat" in named.stdout.splitlines()
    assert "3 students, 2 graded before, 1 graded now" in named.stdout
    everyone = grade_batch(klass, out, "--regrade-all")
    assert "  regraded (a regrade was asked for): ann, ben, cat" in everyone.stdout.splitlines()
    error = one_line_error(grade_batch(klass, out, "--regrade", "bne"))
    assert error == "mlpkit: error: --regrade bne: no such student folder; did you mean ben?"
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        kept = db.execute("SELECT student, replaced_by FROM history ORDER BY id").fetchall()
    assert kept[0] == ("cat", "a regrade was asked for")     # then the three of --regrade-all, as they finished
    assert sorted(kept[1:]) == [(name, "a regrade was asked for") for name in ("ann", "ben", "cat")]


def change_points(course: Path, grade_id: str, points: int) -> None:
    path = course / "solutions" / STAGE / f"{STAGE}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["metadata"]["nbgrader"]["points"] = points
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def test_changed_instructor_notebooks_are_never_mixed_with_old_grades(tmp_path):
    course = copy_course(tmp_path / "course", [STAGE])
    root = tmp_path / "submitted"
    for number in range(6):
        hand_in(root, f"s{number}", STAGE, "solution" if number % 2 else "stub")
    out = tmp_path / "graded"
    assert grade_batch(root, out, course=course).returncode == 0
    csv_before = (out / "grades.csv").read_text()

    change_points(course, "test_sigmoid_values", 4)
    refused = one_line_error(grade_batch(root, out, course=course))
    assert refused.startswith("mlpkit: error: the instructor notebooks or checks changed since ")
    assert "01_activations (test_sigmoid_values: 3 -> 4 points, 22 -> 23 points in all)" in refused
    assert "Run again with --regrade-all to regrade every student with them" in refused
    assert (out / "grades.csv").read_text() == csv_before

    # A regrade with the new notebooks, interrupted (Ctrl-C: SIGINT to the process group) half way.
    command = [sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out), "--stage", STAGE,
               "--seed", "7", "--jobs", "1", "--no-progress", "--no-feedback", "--course", str(course),
               "--regrade-all"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    wait_for_rows(out / "gradebook.sqlite", 2, process, table="history")   # two students regraded
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr
    assert "interrupted; every student finished so far is in" in stderr
    rows = grades(out)
    done = {name for name, row in rows.items() if row["status"] != "outdated"}
    assert 2 <= len(done) < 6, rows
    for name, row in rows.items():
        if name in done:       # regraded: out of 23
            assert row["total"] == ("23" if int(name[1:]) % 2 else "0"), row
        else:                  # graded with the old notebook: no points shown
            assert row["total"] == "" and "graded with earlier instructor notebooks" in row["notes"], row

    finish = grade_batch(root, out, course=course)
    assert finish.returncode == 0, finish.stderr
    rest = sorted(set(rows) - done)
    assert f"  regraded (the instructor notebooks or checks changed): {', '.join(rest)}" in finish.stdout
    assert {name: row["total"] for name, row in grades(out).items()} == \
        {f"s{n}": "23" if n % 2 else "0" for n in range(6)}


def test_a_half_written_student_is_repaired_with_a_message(klass, tmp_path):
    out = tmp_path / "graded"
    assert grade_batch(klass, out).returncode == 0
    with sqlite3.connect(out / "gradebook.sqlite") as db:   # as the sqlite3 shell does: foreign keys off
        db.execute("DELETE FROM students WHERE student = 'ben'")
        db.execute("UPDATE students SET report = '{\"stages\": [' WHERE student = 'cat'")
    again = grade_batch(klass, out)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    lines = again.stdout.splitlines()
    assert ("  repaired: ben: their grade had been deleted by hand but not their scores; the scores left behind "
            "were removed and they are graded again") in lines
    assert any(line.startswith("  repaired: cat: their record was half-written (its report cannot be read")
               for line in lines), lines
    assert "3 students, 1 graded before, 2 graded now" in again.stdout
    assert grades(out)["ben"]["total"] == "0" and grades(out)["cat"]["status"] == "graded"
    third = grade_batch(klass, out)
    assert "3 students, 3 graded before, 0 graded now" in third.stdout and "repaired" not in third.stdout
