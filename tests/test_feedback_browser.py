"""The feedback pages as a student sees them: rendered by a real headless
Chromium (Debian's ``chromium``), not parsed by us.

Pages are made the way ``grade-batch`` makes them (the engine's grade, the
student's curves recorded while grading, ``feedback.write_student``) for two
students: the solutions and the release stubs.  A copy of each page gets a
small probe script that, on the load event, reports what the browser built:
the title, every check row, every image with its decoded size, every
resource fetched.  ``--dump-dom`` prints the DOM with the probe's report;
``--screenshot`` shows that the plots were painted.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.batch import workers
from autograder.course import instructor_path
from autograder.notebooks import read_notebook
from autograder.reports import feedback
from autograder.reports.results_json import results_json

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(apt-get install chromium); the feedback pages need a real browser to check")
STAGES = ["01_activations", "04_mlp_class", "05_moons"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PROBE = """<script>
window.addEventListener("load", () => {
  const text = (node) => node ? node.textContent.trim() : null;
  const report = {
    title: document.title,
    h1: text(document.querySelector("h1")),
    score: text(document.querySelector("#stage-score")),
    rows: Array.from(document.querySelectorAll("tr.check")).map(row => ({
      check: row.dataset.check, points: row.dataset.points, max: row.dataset.maxPoints,
      result: text(row.cells[2]), message: text(row.cells[3]),
      height: row.getBoundingClientRect().height})),
    images: Array.from(document.images).map(image => ({
      alt: image.alt, complete: image.complete, width: image.naturalWidth, height: image.naturalHeight,
      shown: image.getBoundingClientRect().width})),
    notes: Array.from(document.querySelectorAll(".note")).map(text),
    links: Array.from(document.querySelectorAll("a")).map(a => a.getAttribute("href")),
    fetched: performance.getEntriesByType("resource").map(entry => entry.name),
  };
  const pre = document.createElement("pre");
  pre.id = "mlpkit-probe";
  pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
});
</script>"""


def manual_questions(stage: str) -> list:
    return read_notebook(instructor_path(SOURCE, stage)).manual


def chromium(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120)


class _Probe(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.text = False, ""

    def handle_starttag(self, tag, attrs):
        self.inside = self.inside or (tag == "pre" and ("id", "mlpkit-probe") in attrs)

    def handle_endtag(self, tag):
        if tag == "pre":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text += data


def browse(page: Path, tmp_path: Path) -> dict:
    """Open a probed copy of ``page`` in Chromium; the probe's report."""
    probed = tmp_path / f"probed-{page.parent.parent.name}-{page.name}"
    probed.write_text(page.read_text().replace("</body>", PROBE + "\n</body>"))
    result = chromium(tmp_path, "--dump-dom", probed.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    parser = _Probe()
    parser.feed(result.stdout)
    assert parser.text, f"the probe did not run; Chromium printed:\n{result.stdout[:2000]}"
    return json.loads(parser.text)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """{student: (feedback folder, results)} for the solutions and the stubs."""
    out = tmp_path_factory.mktemp("feedback")
    made = {}
    for student, submission in (("solver", ROOT / "solutions"), ("stubber", ROOT / "assignments")):
        report, curves = workers.engine_grade_recorded(submission, STAGES, 7, SOURCE)
        feedback.write_student(out / student, student, report, curves, STAGES)
        made[student] = (out / student / "feedback", results_json(report), report)
    return made


@pytest.mark.parametrize("student", ["solver", "stubber"])
@pytest.mark.parametrize("stage", STAGES)
def test_every_check_is_a_row_with_its_points_and_message(pages, student, stage, tmp_path):
    folder, results, _ = pages[student]
    report = browse(folder / f"{stage}.html", tmp_path)
    tests = [t for t in results["tests"] if t["name"].startswith(stage + " ")]
    assert report["title"] == f"{feedback.stage_title(stage)} - feedback for {student}"
    assert report["h1"] == feedback.stage_title(stage)
    assert report["fetched"] == [], "the page must load nothing: everything is embedded"
    # Written answers await a grader: a row on the page, not yet a test in results.json.
    waiting = [row for row in report["rows"] if row["result"] == "… awaiting grading"]
    rows = [row for row in report["rows"] if row not in waiting]
    assert [row["check"] for row in rows] == [t["name"] for t in tests] != []
    checks = {check.name: check for check in pages[student][2].checks()}
    for row, test in zip(rows, tests):
        assert float(row["points"]) == test["score"] and float(row["max"]) == test["max_score"]
        assert row["result"] == ("✓ passed" if test["status"] == "passed" else "✗ failed")
        assert row["message"] == feedback.check_text(checks[row["check"]], True).strip()
        if test["status"] != "passed":
            assert test["output"].strip().splitlines()[0] in row["message"]
        assert row["height"] > 0
    assert [row["check"] for row in waiting] == [f"{stage} {cell.grade_id}" for cell in manual_questions(stage)]
    score = sum(t["score"] for t in tests)
    most = sum(t["max_score"] for t in tests) + sum(float(row["max"]) for row in waiting)
    assert report["score"] == f"{score:g} / {most:g}"
    if student == "stubber":
        assert score == 0 and all(row["result"] == "✗ failed" for row in rows)
        assert any("NotImplementedError" in row["message"] for row in rows)


EXPECTED_IMAGES = {
    ("solver", "01_activations"): [],
    ("solver", "04_mlp_class"): ["Line chart of the training loss"],
    ("solver", "05_moons"): ["Your model's predicted", "The reference's model's predicted",
                             "Line chart of the training loss"],
    ("stubber", "01_activations"): [],
    ("stubber", "04_mlp_class"): ["Line chart of the training loss"],          # the reference's curve alone
    ("stubber", "05_moons"): ["The reference's model's predicted", "Line chart of the training loss"],
}


@pytest.mark.parametrize("student, stage", list(EXPECTED_IMAGES))
def test_plots_are_embedded_images_the_browser_decodes(pages, student, stage, tmp_path):
    folder, _, _ = pages[student]
    report = browse(folder / f"{stage}.html", tmp_path)
    images = report["images"]
    assert [next(p for p in EXPECTED_IMAGES[student, stage] if image["alt"].startswith(p)) for image in images] \
        == EXPECTED_IMAGES[student, stage]
    for image in images:
        assert image["complete"] and image["width"] > 200 and image["height"] > 200 and image["shown"] > 0, image
    if student == "stubber" and stage != "01_activations":
        assert any("not finished yet" in note for note in report["notes"])
    if student == "solver" and stage in ("04_mlp_class", "05_moons"):
        assert "our loss falls from" in images[-1]["alt"] and "lies on the reference's" in images[-1]["alt"]


def test_the_index_links_every_stage_and_the_total(pages, tmp_path):
    folder, results, _ = pages["solver"]
    report = browse(folder / "index.html", tmp_path)
    assert report["links"] == ["#main"] + [f"{stage}.html" for stage in STAGES]
    assert report["title"] == "Feedback for solver"
    for link in report["links"][1:]:
        assert (folder / link).is_file()
    for stage in STAGES:   # and every stage's page leads back to the index
        assert browse(folder / f"{stage}.html", tmp_path)["links"][:2] == ["#main", "index.html"]


def test_the_page_is_painted(pages, tmp_path):
    """A screenshot of the moons page: the boundary plots are coloured pixels."""
    import matplotlib.image

    folder, _, _ = pages["solver"]
    shot = tmp_path / "moons.png"
    result = chromium(tmp_path, "--hide-scrollbars", "--window-size=1200,1600", f"--screenshot={shot}",
                      (folder / "05_moons.html").as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)[..., :3]
    saturated = (pixels.max(axis=2) - pixels.min(axis=2)) > 0.3    # red and blue regions of the plots
    assert pixels.shape[:2] == (1600, 1200)
    assert saturated.mean() > 0.05, "no colourful plot was painted"
    assert re.search(r"Stage 5", (folder / "05_moons.html").read_text())
