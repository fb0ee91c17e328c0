"""The course's outputs stay out of the repository, and the GitHub Classroom
workflow goes where the release test accepts it.

* Every folder and file that holds students' work or marks, as the guides
  name them, is git-ignored: nbgrader's folders and gradebook, grade-batch's
  output (``graded/``, and its gradebook wherever ``--out`` puts it), the
  LMS roster.
* docs/batch-grading.md makes the Classroom template from a copy of the
  release; run here, its commands give a template holding the release and
  the workflow, and leave the course's ``assignments/`` as the release test
  wants it (the kit and the stages, nothing else).
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .support.stage_notebooks import ASSIGNMENTS, IGNORED, KIT_FILES, ROOT, existing_stages

DOC = ROOT / "docs" / "batch-grading.md"
MARKS = ["gradebook.db", "grades.csv", "submitted/alice/05_moons/05_moons.ipynb",
         "autograded/alice/05_moons/mlpkit_grading.ipynb", "feedback/alice/05_moons/05_moons.html",
         "graded/gradebook.sqlite", "graded/05_moons/alice/results.json", "graded/canvas-05_moons.csv",
         "graded/05_moons/alice/feedback/index.html", "private/roster.csv",
         "elsewhere/out/gradebook.sqlite", "elsewhere/out/gradebook.sqlite-wal"]


def test_students_work_and_marks_are_git_ignored():
    if shutil.which("git") is None or subprocess.run(["git", "rev-parse"], cwd=ROOT,
                                                     capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *MARKS],
                            cwd=ROOT, capture_output=True, text=True)
    unmatched = [line.split("\t")[-1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert unmatched == [], f"not git-ignored: {unmatched}"
    kept = subprocess.run(["git", "check-ignore", "--no-index", "assignments/05_moons/05_moons.ipynb",
                           "solutions/05_moons/05_moons.ipynb", "docs/batch-grading.md"], cwd=ROOT,
                          capture_output=True, text=True)
    assert kept.stdout == "", "the course itself must not be ignored"


def classroom_commands() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- classroom-template:start -->\s*```sh\n(.*?)```\s*<!-- classroom-template:end -->",
                      text, re.S)
    assert block, f"{DOC.name} must hold the template commands between the classroom-template markers"
    return [line for line in block.group(1).splitlines() if line.strip()]


def workflow() -> str:
    text = DOC.read_text(encoding="utf-8")
    return re.search(r"<!-- classroom-workflow:start -->\s*```yaml\n(.*?)```", text, re.S).group(1)


def test_the_classroom_workflow_goes_in_a_template_the_release_test_accepts(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    course = tmp_path / "course"
    shutil.copytree(ASSIGNMENTS, course / "assignments", ignore=shutil.ignore_patterns(*IGNORED))
    for command in classroom_commands():
        subprocess.run(["bash", "-c", command], cwd=course, check=True, timeout=60)
    text = DOC.read_text(encoding="utf-8")
    target = re.search(r"Save the workflow below as\s+`([^`]+)`", text).group(1)
    assert not target.startswith("assignments/"), "the release test rejects anything else in assignments/"
    (course / target).write_text(workflow(), encoding="utf-8")
    template = course / target.split("/")[0]
    assert (template / ".git").is_dir()
    assert (template / ".github" / "workflows" / "classroom.yml").read_text() == workflow()
    for name in (*KIT_FILES, *existing_stages()):
        assert (template / name).exists(), f"the template lacks the release's {name}"
    entries = {p.name for p in (course / "assignments").iterdir() if p.name not in IGNORED}
    assert entries == set(KIT_FILES) | set(existing_stages()), "the course's release must stay as written"
