"""docs/instructor-guide.md, run: every command of the term it walks, in
order, on a copy of the course, with the real mlpkit and nbgrader.

Every ``sh`` block of the guide runs line by line in the course folder
(the quick release check in the repository itself, which holds the
tests); the ``python`` block of the late policy is appended to the course's
``nbgrader_config.py``, as the guide says. Three substitutions: ``mlpkit``
is this checkout's ``python -m autograder``, ``python3`` the running
Python, and the exchange folder ``/srv/nbgrader/exchange`` a temporary one.

What people do between the commands is done here, before the block that
follows it:

* before ``collect``: a student fetches the stage through the exchange,
  answers it and submits it (the exchange knows students by their login,
  so this one is called after the user running the test); ``erin``'s
  notebook is in ``~/Downloads/erin/`` (an LMS download, two days late,
  covered by her extension); ``dan`` handed in a notebook named
  ``05_moons (1).ipynb``, and ``frank``'s notebook sits in nbgrader's layout
  with an on-time ``timestamp.txt``;
* before ``grade-answers``: the written answers are graded as formgrader
  does it (its API handler sets the same fields);
* before ``regrade``: frank hands in again (his new notebook is in his folder);
* before ``export``: the roster, downloaded from the LMS, is in ``private/``.
"""
from __future__ import annotations

import csv
import getpass
import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from .support.synthetic_class import ROOT, copy_course, notebook_of

pytestmark = pytest.mark.slow
GUIDE = ROOT / "docs" / "instructor-guide.md"
STAGE = "05_moons"
BLOCK = re.compile(r"<!-- term: ([a-z-]+) -->\s*```(sh|python)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str, str]]:
    """(id, language, text) of every block the guide marks as part of the term."""
    found = BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
    fenced = re.findall(r"```(?:sh|python)\n", GUIDE.read_text(encoding="utf-8"))
    assert len(found) == len(fenced), "every sh or python block of the guide must be marked <!-- term: ... -->"
    return found


def test_the_guide_walks_the_whole_term():
    ids = [name for name, _, _ in blocks()]
    for step in ("release", "publish", "due-date", "collect", "grade", "grade-answers", "regrade", "extension",
                 "override", "publish-feedback", "export"):
        assert step in ids, f"the guide has no {step} step"


def write_notebook(path: Path, notebook: dict) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def answered(notebook: dict, text: str) -> dict:
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "answer_learning_rate":
            cell["source"] = text
    return notebook


class Term:
    """The course copy, the folders around it, and what people do."""

    def __init__(self, base: Path):
        self.course = copy_course(base / "course", [STAGE])
        self.exchange = base / "exchange"
        self.exchange.mkdir(mode=0o777)
        self.exchange.chmod(0o777)
        self.home = base / "home"
        self.home.mkdir()
        self.student = getpass.getuser()
        self.env = {**os.environ, "HOME": str(self.home),
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.outputs: dict[str, list] = {}

    def run(self, name: str, language: str, text: str) -> None:
        if language == "python":
            with open(self.course / "nbgrader_config.py", "a", encoding="utf-8") as config:
                config.write("\n" + text)
            return
        cwd = ROOT if name == "check-release" else self.course
        for line in filter(None, (line.strip() for line in text.splitlines())):
            command = (line.replace("/srv/nbgrader/exchange", str(self.exchange))
                       .replace("python3 ", f"{shlex.quote(sys.executable)} "))
            command = re.sub(r"^mlpkit ", f"{shlex.quote(sys.executable)} -m autograder ", command)
            result = subprocess.run(["bash", "-c", command], cwd=cwd, env=self.env, capture_output=True,
                                    text=True, timeout=600)
            assert result.returncode == 0, f"{line}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            self.outputs.setdefault(name, []).append(result)

    # ------------------------------------------------ what people do
    def before_collect(self) -> None:
        exchange = [f"--Exchange.root={self.exchange}", "--CourseDirectory.course_id=mlp"]
        work = self.home / "work"
        work.mkdir()
        nbgrader = lambda *args: subprocess.run(["nbgrader", *args, *exchange], cwd=work, env=self.env,
                                                capture_output=True, text=True, timeout=300, check=True)
        nbgrader("fetch_assignment", STAGE)
        fetched = work / STAGE / f"{STAGE}.ipynb"
        write_notebook(fetched, answered(notebook_of(STAGE, "solution"), "Start at 0.1, watch for jumps."))
        nbgrader("submit", STAGE)
        write_notebook(self.home / "Downloads" / "erin" / f"{STAGE}.ipynb",
                       answered(notebook_of(STAGE, "mistake", seed=2), "A smaller rate, 0.01."))
        (self.home / "Downloads" / "erin" / "timestamp.txt").write_text("2025-03-16 10:00:00.000000 UTC\n")
        write_notebook(self.course / "submitted" / "dan" / f"{STAGE} (1).ipynb", notebook_of(STAGE, "solution"))
        frank = self.course / "submitted" / "frank" / STAGE
        write_notebook(frank / f"{STAGE}.ipynb", answered(notebook_of(STAGE, "stub"), "No idea."))
        (frank / "timestamp.txt").write_text("2025-03-14 12:00:00.000000 UTC\n")

    def before_grade_answers(self) -> None:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gradebook, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for student, points in ((self.student, 2.0), ("erin", 1.0), ("frank", 0.0)):
                grade = gradebook.find_grade("answer_learning_rate", STAGE, STAGE, student)
                grade.manual_score, grade.needs_manual_grade = points, False
            gradebook.db.commit()

    def before_regrade(self) -> None:
        write_notebook(self.course / "submitted" / "frank" / STAGE / f"{STAGE}.ipynb",
                       answered(notebook_of(STAGE, "solution"), "Still no idea."))

    def before_export(self) -> None:
        private = self.course / "private"
        private.mkdir()
        with open(private / "roster.csv", "w", newline="", encoding="utf-8") as roster:
            writer = csv.writer(roster)
            writer.writerow(["student", "name", "id", "sis_login_id", "email"])
            for number, student in enumerate(sorted(["dan", "erin", "frank", self.student]), start=1):
                writer.writerow([student, student.title(), 1000 + number, student, f"{student}@example.edu"])


def test_every_command_of_the_guide_runs_and_does_what_it_says(tmp_path):
    if shutil.which("nbgrader") is None:
        pytest.skip("nbgrader is not installed")
    term = Term(tmp_path)
    for name, language, text in blocks():
        getattr(term, f"before_{name.replace('-', '_')}", lambda: None)()
        term.run(name, language, text)

    graded = term.course / "graded" / STAGE
    grade = term.outputs["grade"][0].stdout.splitlines()
    student = term.student
    assert "  missing: dan: 05_moons.ipynb" in grade
    assert "  misnamed: dan: '05_moons (1).ipynb' is not graded: did you mean 05_moons.ipynb?" in grade
    assert any(line.startswith(f"  awaiting manual grading: 05_moons: 3 students (erin, frank, {student})")
               or line.startswith("  awaiting manual grading: 05_moons: 3 students") for line in grade), grade
    assert any(line.startswith(f"  late: {student}: 05_moons ") for line in grade), grade
    assert not any(line.startswith("  late: erin") for line in grade), "erin's extension covers her"
    assert any(line.startswith("  nbgrader:  ") and line.endswith("4 students written") for line in grade)

    answers = term.outputs["grade-answers"][0].stdout
    assert "awaiting manual grading" not in answers, answers
    assert "files written again (no regrade): 3 students" in answers, answers

    regrade, history = (result.stdout for result in term.outputs["regrade"])
    assert "  regraded (their notebooks changed): frank" in regrade.splitlines()
    assert "  regraded (a regrade was asked for): erin" in regrade.splitlines()
    assert "earlier:" in history and "because a regrade was asked for" in history

    rows = {row["student"]: row for row in csv.DictReader((graded / "grades.csv").open())}
    assert rows["erin"]["05_moons"] == "12" and "overridden to 12" in rows["erin"]["notes"]
    assert rows["frank"]["status"] == "graded" and rows["frank"]["05_moons"] == "16"   # his answer's 0 kept
    assert rows["dan"]["05_moons"] == "0"

    published = term.outputs["publish-feedback"][0].stdout
    assert "files written again (no regrade): 4 students" in published
    assert "sigmoid" not in published
    feedback = (graded / "frank" / "feedback" / "05_moons.html").read_text()
    assert 'id="withheld"' not in feedback and "hidden check" in feedback
    assert sorted(p.name for p in (term.course / "feedback" / "frank" / STAGE).glob("*.html")) == \
        ["05_moons.html", "mlpkit_grading.html"]

    kit_csv = (term.course / "graded" / "canvas-05_moons.csv").read_text().splitlines()
    nbgrader_csv = (term.course / "graded" / "canvas.csv").read_text().splitlines()
    assert kit_csv[1] == "    Points Possible,,,,,18,"
    assert kit_csv == nbgrader_csv, "the kit's export and nbgrader's plugin give the same file"
    assert any(line.startswith("Erin,") and "overridden to 12" in line for line in kit_csv)
