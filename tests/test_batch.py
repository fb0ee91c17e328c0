"""``mlpkit grade-batch`` without the engine: discovery, seeds, the
gradebook, resuming and errors, with the stand-in grader of
``batch_fakes.py`` (the kill -9 test with the real engine is in
``test_batch_kill.py``)."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from autograder.batch import planning, run as batch
from autograder.batch.gradebook import ERROR, GRADED, Gradebook, StudentRecord
from autograder.course import find_course
from autograder.errors import BatchError, GradebookMismatch

from .support.batch_fakes import fake_grade, no_curves

STAGES = ["01_activations", "02_forward_pass"]


def make_root(tmp_path, students):
    root = tmp_path / "submitted"
    for student in students:
        (root / student / "01_activations").mkdir(parents=True)
        (root / student / "01_activations" / "01_activations.ipynb").write_text("{}")
    return root


SOURCE = find_course().source


def run(root, out, **options):
    options = {"stages": STAGES, "jobs": 2, "seed": 11, "feedback": False, "progress": False,
               "grade": fake_grade, "curves": no_curves, **options}
    return batch.run_batch(root, out, SOURCE, **options)


def test_students_are_the_folders_of_root_in_either_layout(tmp_path):
    root = tmp_path / "submitted"
    (root / "bob" / "01_activations").mkdir(parents=True)
    (root / "alice").mkdir()
    (root / "alice" / "01_activations.ipynb").write_text("{}")
    (root / ".ipynb_checkpoints").mkdir()
    (root / "_cache").mkdir()
    (root / "notes.txt").write_text("not a student")
    assert [name for name, _ in planning.find_students(root).folders] == ["alice", "bob"]
    with pytest.raises(BatchError, match="not a folder"):
        planning.find_students(tmp_path / "nowhere")


def test_a_students_seed_depends_on_the_batch_seed_and_their_name_only():
    assert planning.student_seed(11, "alice") == planning.student_seed(11, "alice")
    assert planning.student_seed(11, "alice") != planning.student_seed(11, "bob")
    assert planning.student_seed(11, "alice") != planning.student_seed(12, "alice")
    assert 0 <= planning.student_seed(11, "alice") < 2 ** 31


def test_the_gradebook_holds_each_student_once_and_writes_the_csv(tmp_path):
    report = fake_grade(tmp_path, STAGES, 3)
    with Gradebook(tmp_path / "book.sqlite") as book:
        book.adopt_settings({"stages": STAGES, "seed": 1, "source": "kit"})
        book.commit(StudentRecord("alice", ERROR, 3, error="first try failed"))
        book.commit(StudentRecord("alice", GRADED, 3, report))   # replaces the error
        book.commit(StudentRecord("bob", ERROR, 4, error="RuntimeError: boom"))
        assert book.statuses() == {"alice": GRADED, "bob": ERROR}
        assert book.count() == 2
        snapshot = book.snapshot()
        book_report = book.report("alice")
        csv_path = book.write_csv(tmp_path / "grades.csv", STAGES)
    assert [row[0] for row in snapshot["students"]] == ["alice", "bob"]
    assert len(snapshot["checks"]) == len(report.checks())
    assert book_report.to_dict() == report.to_dict()   # the report itself round-trips through the gradebook
    rows = list(csv.reader(csv_path.open()))
    assert rows == [["student", *STAGES, "total", "late_penalty", "status", "notes"],
                    ["alice", "1", "1", "2", "0", "graded", ""],   # odd seed: 1 point per stage, no notebook there
                    ["bob", "", "", "", "", "error", "RuntimeError: boom"]]


def test_a_gradebook_refuses_to_mix_two_gradings(tmp_path):
    with Gradebook(tmp_path / "book.sqlite") as book:
        book.adopt_settings({"stages": STAGES, "seed": 5, "source": "kit"})
        assert book.adopt_settings({"stages": STAGES, "seed": None, "source": "kit"})["seed"] == 5
        with pytest.raises(GradebookMismatch, match="stages"):
            book.adopt_settings({"stages": STAGES[:1], "seed": None, "source": "kit"})
        with pytest.raises(GradebookMismatch, match="seed"):
            book.adopt_settings({"stages": STAGES, "seed": 6, "source": "kit"})


def test_a_rerun_grades_only_what_is_missing_and_ends_identical(tmp_path):
    root = make_root(tmp_path, ["ann", "ben", "cat", "dan", "eve"])
    first = run(root, tmp_path / "out")
    assert (first.graded, first.already, first.errors) == (5, 0, {})
    with Gradebook(tmp_path / "out" / batch.GRADEBOOK_NAME) as book:
        complete = book.snapshot()
        book.db.execute("DELETE FROM students WHERE student IN ('ben', 'eve')")   # as if killed before them
    csv_before = (tmp_path / "out" / "grades.csv").read_text()
    second = run(root, tmp_path / "out", seed=None)   # the recorded seed is kept
    assert (second.graded, second.already) == (2, 3)
    with Gradebook(tmp_path / "out" / batch.GRADEBOOK_NAME) as book:
        assert book.snapshot() == complete
    assert (tmp_path / "out" / "grades.csv").read_text() == csv_before
    results = json.loads((tmp_path / "out" / "ben" / "results.json").read_text())
    assert results["tests"][0]["name"] == "01_activations notebook handed in"
    third = run(root, tmp_path / "out")
    assert (third.graded, third.already) == (0, 5)


def test_the_kits_own_failures_are_recorded_as_errors_not_skipped(tmp_path):
    root = make_root(tmp_path, ["ann", "kit-bug", "crash", "ben", "cat"])
    summary = run(root, tmp_path / "out")
    assert summary.graded == 3
    assert set(summary.errors) == {"kit-bug", "crash"}
    assert "RuntimeError: the kit tripped over its own feet" in summary.errors["kit-bug"]
    assert "grading process died" in summary.errors["crash"] and "alone" in summary.errors["crash"]
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert rows["crash"]["status"] == rows["kit-bug"]["status"] == "error"
    assert rows["ann"]["status"] == "graded" and rows["ann"]["total"] == "4"
    assert "the kit tripped over its own feet" in rows["kit-bug"]["notes"]
    assert "error: crash:" in summary.describe()
    again = run(root, tmp_path / "out")           # errors are retried, the graded are not
    assert (again.already, again.graded, set(again.errors)) == (3, 0, {"kit-bug", "crash"})


def cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "grade-batch", *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_mistakes_are_one_line_errors(tmp_path):
    missing = cli(str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines()[-1].startswith("mlpkit: error: ")
    root = make_root(tmp_path, ["ann"])
    first = cli(str(root), "--out", str(tmp_path / "out"), "--stage", "01_activations", "--no-progress",
                "--no-feedback")
    assert first.returncode == 0, first.stderr
    other = cli(str(root), "--out", str(tmp_path / "out"), "--stage", "02_forward_pass")
    assert other.returncode == 2 and "Traceback" not in other.stderr
    assert "was started with stages = 01_activations, not 02_forward_pass" in other.stderr


def test_an_output_folder_inside_root_is_not_a_student(tmp_path):
    root = make_root(tmp_path, ["ann", "ben"])
    first = run(root, root / "graded")
    again = run(root, root / "graded")
    assert (first.students, first.graded, again.students, again.already) == (2, 2, 2, 2)
    assert again.excluded == ["graded/: the output folder of this run, not a student"]
    assert "  excluded: graded/: the output folder of this run, not a student" in again.describe().splitlines()
    elsewhere = run(root, tmp_path / "elsewhere")     # the earlier output folder inside ROOT: not a student either
    assert elsewhere.students == 2 and "holds gradebook.sqlite" in elsewhere.excluded[0]
    with pytest.raises(BatchError, match="must not be the folder of submissions"):
        run(root, root)


SCHEMA_2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE students (student TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    score REAL, max_score REAL, seed INTEGER NOT NULL, error TEXT NOT NULL DEFAULT '',
    seconds REAL NOT NULL DEFAULT 0, graded_at TEXT NOT NULL, report TEXT NOT NULL DEFAULT '');
CREATE TABLE stage_scores (student TEXT NOT NULL REFERENCES students (student) ON DELETE CASCADE,
    stage TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, PRIMARY KEY (student, stage));
CREATE TABLE checks (student TEXT NOT NULL REFERENCES students (student) ON DELETE CASCADE,
    number INTEGER NOT NULL, name TEXT NOT NULL, stage TEXT NOT NULL, visibility TEXT NOT NULL,
    status TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, PRIMARY KEY (student, number));
"""


def test_a_gradebook_of_the_previous_schema_is_brought_up_to_date_and_nothing_is_lost(tmp_path):
    """A gradebook written before digests existed: its students are graded
    again (it cannot know whose work changed), their old records kept."""
    import sqlite3

    root = make_root(tmp_path, ["ann", "ben"])
    out = tmp_path / "out"
    out.mkdir()
    old = fake_grade(root / "ann", STAGES, 99)
    with sqlite3.connect(out / batch.GRADEBOOK_NAME) as db:
        db.executescript(SCHEMA_2)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("stages", json.dumps(STAGES)), ("seed", "11"),
                                                          ("source", json.dumps("kit")), ("schema", '"2"')])
        db.execute("INSERT INTO students VALUES ('ann', 'graded', ?, ?, 99, '', 1.0, '2024-01-01T00:00:00', ?)",
                   (old.score, old.max_score, json.dumps(old.to_dict())))
        db.executemany("INSERT INTO stage_scores VALUES ('ann', ?, ?, ?)",
                       [(stage.stage, stage.score, stage.max_score) for stage in old.stages])
    summary = run(root, out)
    assert summary.repaired == []
    assert (summary.graded, summary.already) == (2, 0)
    assert summary.regraded == {"first grading": ["ben"],
                                "graded by an earlier mlpkit, which kept no digest of their work": ["ann"]}
    with Gradebook(out / batch.GRADEBOOK_NAME) as book:
        assert book.meta("schema") == "3"
        [kept] = book.history("ann")
        assert (kept["graded_at"], kept["score"]) == ("2024-01-01T00:00:00", old.score)
        assert kept["replaced_by"] == "graded by an earlier mlpkit, which kept no digest of their work"
    assert run(root, out).graded == 0
