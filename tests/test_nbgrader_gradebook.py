"""The kit's full grades in nbgrader's gradebook, with the real nbgrader: its
commands, its export and plugins, and formgrader itself (a Jupyter server
started here on 127.0.0.1, driven through the HTTP API its pages use).

A course with stages 01 and 05 (05 has a written question) and a late
submission plugin taking 10% of the points per day late.  Four students:
alice on time, bob two days late, carol a flat upload nbgrader never
collected (one notebook misnamed), dan late but with an extension.

* ``grade-batch --nbgrader``: nbgrader's export, its API and formgrader
  show the kit's per-stage totals, public and hidden, and its late
  penalties; the written answers await grading on both sides.
* A grade entered in formgrader comes back: the next run combines it, the
  stage is complete, the student's feedback page is written again.
* An override, and the LMS files (``mlpkit export`` and the nbgrader
  export plugins give the same file).
* ``mlpkit release`` still works on the graded stages and keeps their
  grades (``nbgrader generate_feedback`` on them is run by
  ``test_instructor_guide.py``).
"""
from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
import urllib.request
import warnings

import pytest

from .support.synthetic_class import copy_course, hand_in

pytestmark = pytest.mark.slow
nbgrader_api = pytest.importorskip("nbgrader.api")

STAGES = ["01_activations", "05_moons"]
DUE = "2024-10-01 12:00:00 UTC"
LATE_POLICY = '''
import math
from nbgrader.plugins import LateSubmissionPlugin

class TenPercentPerDay(LateSubmissionPlugin):
    """10% of the points per day (or part of a day) late."""
    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return round(score * 0.1 * math.ceil(total_seconds_late / 86400), 6)

c.AssignLatePenalties.plugin_class = TenPercentPerDay
'''


def run(*command, cwd, timeout=300, check=True):
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, f"{command}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def mlpkit(*args, cwd, check=True):
    return run(sys.executable, "-m", "autograder", *args, cwd=cwd, check=check)


def nbgrader_export(course, *extra) -> list[dict]:
    run("nbgrader", "export", "--to", course / "nbgrader.csv", *extra, cwd=course)
    return list(csv.DictReader((course / "nbgrader.csv").open()))


def nbgrader_scores(course) -> dict:
    """(stage, student) -> score less the late penalty, as nbgrader's export computes it."""
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {(submission.assignment.name, submission.student.id):
                max(0.0, submission.score - (submission.late_submission_penalty or 0.0))
                for assignment in gradebook.assignments for submission in assignment.submissions}


def kit_stage_points(out, student) -> dict:
    """stage -> (points, max) of the kit's report, written answers graded by hand included."""
    from autograder.batch.gradebook import Gradebook

    with Gradebook(out / "gradebook.sqlite") as book:
        report = book.report(student)
    return {stage.stage: (stage.score, stage.max_score) for stage in report.stages}


def grades_csv(out) -> dict:
    return {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = copy_course(tmp_path_factory.mktemp("nbgrader") / "course", STAGES, config_lines=LATE_POLICY)
    mlpkit("release", cwd=folder)
    run("nbgrader", "db", "assignment", "add", "05_moons", f"--duedate={DUE}", cwd=folder)
    root = folder / "submitted"
    for stage in STAGES:
        hand_in(root, "alice", stage, "solution", timestamp="2024-09-30 10:00:00.000000 UTC")
    hand_in(root, "bob", "01_activations", "stub", timestamp="2024-09-30 10:00:00.000000 UTC")
    hand_in(root, "bob", "05_moons", "solution", timestamp="2024-10-03 11:00:00.000000 UTC")   # 1 d 23 h late
    hand_in(root, "carol", "01_activations", "solution", layout="flat", name="01_activations (1).ipynb")
    hand_in(root, "carol", "05_moons", "solution", layout="flat")
    hand_in(root, "dan", "05_moons", "mistake", seed=4, timestamp="2024-10-02 09:00:00.000000 UTC")
    with nbgrader_api.Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore")     # nbgrader's add_submission under SQLAlchemy 2 ("not in session")
        gradebook.update_or_create_student("dan")
        gradebook.update_or_create_submission("05_moons", "dan")      # what an earlier nbgrader autograde leaves
        gradebook.grant_extension("05_moons", "dan", days=2)
    return folder


@pytest.fixture(scope="module")
def first_run(course):
    result = mlpkit("grade-batch", "submitted", "--out", "graded", "--nbgrader", "--seed", 5, "--jobs", 2,
                    "--no-progress", "--no-feedback", *[arg for stage in STAGES for arg in ("--stage", stage)],
                    cwd=course)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(course, first_run):
    """formgrader, as an instructor starts it, on 127.0.0.1; yields a
    function calling its HTTP API."""
    port, token = free_port(), "mlpkit-test"
    process = subprocess.Popen(
        ["jupyter", "server", "--allow-root", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
         "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}"],
        cwd=course, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def api(path: str, data: dict | None = None):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="PUT" if data else "GET",
                                         data=json.dumps(data).encode() if data else None,
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
        return json.loads(body) if path.startswith("/formgrader/api") else body

    deadline = time.monotonic() + 90
    while True:
        try:
            api("/formgrader/api/assignments")
            break
        except OSError:
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "formgrader did not answer in 90 s"
            time.sleep(0.3)
    yield api
    process.terminate()
    process.wait(timeout=30)


def test_nbgrader_shows_the_kits_per_stage_totals_for_everyone(course, first_run):
    out = course / "graded"
    lines = first_run.stdout.splitlines()
    assert "  awaiting manual grading: 05_moons: 4 students (alice, bob, carol, dan); grade the written answers " \
           "in formgrader, then run again" in lines
    assert "  misnamed: carol: '01_activations (1).ipynb' is not graded: did you mean 01_activations.ipynb?" in lines
    assert "  late: bob: 05_moons 1 d 23 h late, -3.2 points" in lines           # 10% a day, 2 days, of 16
    assert not any("late: dan" in line for line in lines), "dan's extension covers his submission"
    assert any(line.startswith(f"  nbgrader:  {course / 'gradebook.db'}: 4 students written") for line in lines)
    rows = nbgrader_export(course)
    assert {(row["assignment"], row["student_id"]) for row in rows} == \
        {(stage, student) for stage in STAGES for student in ("alice", "bob", "carol", "dan")}
    csv_rows = grades_csv(out)
    for row in rows:
        points, maximum = kit_stage_points(out, row["student_id"])[row["assignment"]]
        assert (float(row["raw_score"]), float(row["max_score"])) == (points, maximum), row
        assert float(row["score"]) == float(csv_rows[row["student_id"]][row["assignment"]]), row
    maxima = {row["assignment"]: float(row["max_score"]) for row in rows}
    assert maxima == {"01_activations": 22.0, "05_moons": 18.0}     # public + hidden (+ 2 written)
    bob = next(row for row in rows if row["student_id"] == "bob" and row["assignment"] == "05_moons")
    assert (bob["raw_score"], bob["late_submission_penalty"], bob["score"]) == ("16.0", "3.2", "12.8")
    assert csv_rows["bob"]["late_penalty"] == "3.2" and "05_moons 1 d 23 h late, -3.2 points" in csv_rows["bob"]["notes"]
    assert all(row["status"] == "awaiting manual grading" for row in csv_rows.values())


def test_formgrader_lists_the_same_totals_and_the_written_answers_to_grade(course, first_run, formgrader):
    out = course / "graded"
    for stage in STAGES:
        submissions = {s["student"]: s for s in formgrader(f"/formgrader/api/submissions/{stage}")}
        assert set(submissions) == {"alice", "bob", "carol", "dan"}
        for student, submission in submissions.items():
            points, maximum = kit_stage_points(out, student)[stage]
            assert (submission["score"], submission["max_score"]) == (points, maximum), submission
            assert submission["needs_manual_grade"] == (stage == "05_moons"), submission
    notebooks = formgrader("/formgrader/api/student_notebook_submissions/carol/05_moons")
    page = formgrader(f"/formgrader/submissions/{next(nb['id'] for nb in notebooks if nb['name'] == '05_moons')}")
    assert "answer_learning_rate" in page          # the flat upload's notebook opens in formgrader, ready to grade


def grade_by_hand(formgrader, student: str, score: float, comment: str) -> None:
    """What an instructor does in formgrader: a score and a comment on the written answer."""
    notebook = next(nb for nb in formgrader(f"/formgrader/api/student_notebook_submissions/{student}/05_moons")
                    if nb["name"] == "05_moons")
    grade = next(g for g in formgrader(f"/formgrader/api/grades?submission_id={notebook['id']}")
                 if g["name"] == "answer_learning_rate")
    formgrader(f"/formgrader/api/grade/{grade['id']}", {"manual_score": score, "extra_credit": None})
    remark = next(c for c in formgrader(f"/formgrader/api/comments?submission_id={notebook['id']}")
                  if c["name"] == "answer_learning_rate")
    formgrader(f"/formgrader/api/comment/{remark['id']}", {"manual_comment": comment})


@pytest.fixture(scope="module")
def second_run(course, formgrader):
    grade_by_hand(formgrader, "alice", 1.5, "Right idea; say why you would start at 0.1.")
    grade_by_hand(formgrader, "bob", 2, "Complete.")
    return mlpkit("grade-batch", "submitted", "--out", "graded", "--no-progress", "--no-feedback",
                  *[arg for stage in STAGES for arg in ("--stage", stage)], cwd=course)


def test_grades_given_in_formgrader_are_combined_with_the_kits(course, second_run, formgrader):
    out = course / "graded"
    lines = second_run.stdout.splitlines()
    assert "4 students, 4 graded before, 0 graded now" in second_run.stdout
    assert "  files written again (no regrade): 2 students" in lines
    assert "  awaiting manual grading: 05_moons: 2 students (carol, dan); grade the written answers in " \
           "formgrader, then run again" in lines
    assert "  late: bob: 05_moons 1 d 23 h late, -3.6 points" in lines        # 10% a day, 2 days, of 18 now
    rows = grades_csv(out)
    assert (rows["alice"]["05_moons"], rows["alice"]["status"]) == ("17.5", "graded")
    assert (rows["bob"]["05_moons"], rows["bob"]["late_penalty"]) == ("14.4", "3.6")
    for submission in formgrader("/formgrader/api/submissions/05_moons"):
        assert submission["score"] == kit_stage_points(out, submission["student"])["05_moons"][0]
    results = json.loads((out / "alice" / "results.json").read_text())      # written again, with the grade
    assert results["score"] == 39.5 and "awaiting_manual_grading" not in results["extra_data"]
    answer = next(t for t in results["tests"] if t["name"] == "05_moons answer_learning_rate")
    assert (answer["score"], answer["max_score"]) == (1.5, 2)
    assert answer["output"].startswith("Right idea; say why you would start at 0.1.")


def test_an_override_reaches_every_export(course, second_run):
    out = course / "graded"
    said = mlpkit("override", "carol", "05_moons", "10", "--reason", "half the work was a classmate's",
                  "--out", "graded", cwd=course)
    assert said.stdout.startswith("mlpkit override: carol's 05_moons is now 10 points: half the work was a "
                                  "classmate's")
    row = grades_csv(out)["carol"]
    assert row["05_moons"] == "10" and "05_moons overridden to 10: half the work was a classmate's" in row["notes"]
    assert nbgrader_scores(course)[("05_moons", "carol")] == 10.0
    history = mlpkit("history", "carol", "--out", "graded", cwd=course).stdout
    assert "05_moons overridden to 10: half the work was a classmate's" in history
    roster = course / "roster.csv"
    roster.write_text("student,name,id,sis_login_id,email,username\n"
                      "alice,Alice Ames,1001,alice,alice@example.edu,aames\n"
                      "bob,Bob Bell,1002,bob,bob@example.edu,bbell\n"
                      "carol,Carol Cruz,1003,carol,carol@example.edu,ccruz\n"
                      "erin,Erin Eng,1005,erin,erin@example.edu,eeng\n", encoding="utf-8")
    for lms, plugin in (("canvas", "CanvasExport"), ("moodle", "MoodleExport")):
        kit = mlpkit("export", "--out", "graded", "--lms", lms, "--roster", "roster.csv", "--to", f"{lms}.csv",
                     cwd=course, check=False)
        assert kit.returncode == 1, kit.stderr          # dan is graded but not in the roster: left out, said
        assert "dan: not in the roster" in kit.stderr and "erin: in the roster but not graded" in kit.stderr
        run("nbgrader", "export", f"--exporter=autograder.batch.nbgrader_export.{plugin}", "--to",
            f"{lms}-nbgrader.csv", f"--{plugin}.roster=roster.csv", cwd=course)
        assert (course / f"{lms}.csv").read_text() == (course / f"{lms}-nbgrader.csv").read_text()
    canvas = list(csv.reader(io.StringIO((course / "canvas.csv").read_text())))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *STAGES, "Notes"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "22", "18", ""]
    assert canvas[2] == ["Alice Ames", "1001", "", "alice", "", "22", "17.5", ""]
    assert canvas[3] == ["Bob Bell", "1002", "", "bob", "", "0", "14.4", "05_moons: 1 d 23 h late, -3.6 points"]
    assert canvas[4] == ["Carol Cruz", "1003", "", "carol", "", "0", "10",
                         "05_moons: overridden to 10: half the work was a classmate's"]
    moodle = list(csv.reader(io.StringIO((course / "moodle.csv").read_text())))
    assert moodle[0] == ["email", "username", *STAGES, "05_moons feedback"]
    assert moodle[1] == ["alice@example.edu", "aames", "22", "17.5", ""]


def test_a_new_release_keeps_the_graded_stages_grades(course, second_run):
    before = nbgrader_scores(course)
    mlpkit("release", cwd=course)          # stages with submissions: nbgrader keeps the kit's notebook
    assert nbgrader_scores(course) == before
