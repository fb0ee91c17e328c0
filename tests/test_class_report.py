"""The misconception report on a synthetic class whose mistakes are known:
``python -m autograder grade-batch`` grades it for real, and class-report.json
must name each planted mistake with exactly the students who made it.

The class (stages 01-03), built from the solution notebooks with the edits
of ``support/student_mistakes.py``:

| student | 01_activations              | 02_forward_pass    | 03_backprop                  |
|---------|-----------------------------|--------------------|------------------------------|
| amy     | sigmoid with exp(z)         | solution           | solution                     |
| ben     | sigmoid with exp(z)         | bias left out      | solution                     |
| cal     | sigmoid with exp(z)         | bias left out      | gradient added               |
| dot     | solution                    | (missing)          | gradient added               |
| eli     | release stub                | solution           | solution                     |
| fay     | relu calls os._exit(3)      | solution           | (missing)                    |
| gus     | solution                    | solution           | solution                     |
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.outcomes import CheckResult, GradeReport, Interruption, StageResult, StageStatus
from autograder.reports import class_report, sections

from .support.student_mistakes import MISTAKES

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["01_activations", "02_forward_pass", "03_backprop"]
REGION = re.compile(r"[ \t]*### (BEGIN|END) SOLUTION\n")
EXP = "sigmoid with exp(z) instead of exp(-z)"
BIAS = "bias left out of the layer"
ADDED = "gradient added instead of subtracted"
PLAN = {
    "amy": {"01_activations": EXP},
    "ben": {"01_activations": EXP, "02_forward_pass": BIAS},
    "cal": {"01_activations": EXP, "02_forward_pass": BIAS, "03_backprop": ADDED},
    "dot": {"02_forward_pass": None, "03_backprop": ADDED},
    "eli": {"01_activations": "stub"},
    "fay": {"01_activations": "exit", "03_backprop": None},
    "gus": {},
}
KNOWN = {EXP: {"amy", "ben", "cal"}, BIAS: {"ben", "cal"}, ADDED: {"cal", "dot"}}


def _notebook(stage: str, change) -> dict | None:
    """The stage's notebook as ``change`` says: a named mistake, "stub", "exit", None (missing) or unchanged."""
    if change is None:
        return None
    if change == "stub":
        return json.loads((ROOT / "assignments" / stage / f"{stage}.ipynb").read_text())
    notebook = json.loads((ROOT / "solutions" / stage / f"{stage}.ipynb").read_text())
    edit = None
    if change == "exit":
        edit = ("relu", "a = np.maximum(0.0, z)", "import os\n    os._exit(3)")
    elif change:
        edit = next((cell, find, replace) for s, cell, find, replace, name, _ in MISTAKES
                    if name == change and s == stage)
    for cell in notebook["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if edit and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == edit[0]:
            assert edit[1] in source, edit
            source = source.replace(edit[1], edit[2], 1)
        cell["source"] = REGION.sub("", source)
    return notebook


def make_class(root: Path) -> None:
    for student, changes in PLAN.items():
        for stage in STAGES:
            notebook = _notebook(stage, changes.get(stage, ""))
            if notebook is not None:
                path = root / student / stage / f"{stage}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("class")
    make_class(base / "submitted")
    out = base / "out"
    command = [sys.executable, "-m", "autograder", "grade-batch", str(base / "submitted"), "--out", str(out),
               "--seed", "9", "--no-progress", "--no-feedback", *(p for s in STAGES for p in ("--stage", s))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"report:    {out / 'class-report.html'}" in result.stdout
    return out


@pytest.fixture(scope="module")
def data(graded) -> dict:
    return json.loads((graded / "class-report.json").read_text())


@pytest.mark.slow
def test_the_json_follows_its_schema(data):
    import jsonschema

    jsonschema.validate(data, class_report.JSON_SCHEMA)
    assert data["stages"] == STAGES
    assert [row["student"] for row in data["students"]] == sorted(PLAN)


@pytest.mark.slow
def test_every_planted_mistake_is_named_with_exactly_its_students(data):
    made = {m["name"]: set(m["students"]) for m in data["mistakes"] if m["students"]}
    assert made == KNOWN
    by_name = {m["name"]: m for m in data["mistakes"]}
    assert by_name[EXP]["stage"] == "01_activations" and by_name[BIAS]["stage"] == "02_forward_pass"
    assert by_name[ADDED]["stage"] == "03_backprop"
    assert by_name[EXP]["tutorial_section"] == "1.3 Common Activation Functions"
    assert by_name[ADDED]["tutorial_section"] == "3.3 Deriving the Gradients"
    assert "exp(-z)" in by_name[EXP]["meaning"]
    # every catalogued mistake of these stages is listed, made or not
    from autograder.checks.mistakes import MISTAKES as CATALOGUE
    owners = sections.function_stages(ROOT / "solutions", STAGES)
    wanted = {m.name for m in CATALOGUE if owners.get(sections.owner(m.function)) in STAGES}
    assert {m["name"] for m in data["mistakes"]} == wanted


@pytest.mark.slow
def test_what_to_revisit_comes_first_from_the_most_students(data):
    revisit = data["revisit"]
    assert [(row["name"], row["students"]) for row in revisit] == [(EXP, 3), (BIAS, 2), (ADDED, 2)]
    assert revisit[0]["tutorial_section"] == "1.3 Common Activation Functions"


@pytest.mark.slow
def test_checks_count_the_graded_the_handed_in_and_the_passed(data):
    checks = {row["name"]: row for row in data["checks"]}
    sigmoid = checks["01_activations sigmoid on random and extreme inputs"]
    assert (sigmoid["graded"], sigmoid["handed_in"], sigmoid["passed"]) == (7, 7, 3)   # dot, fay, gus
    layer = checks["02_forward_pass layer_forward on random layers"]
    assert (layer["graded"], layer["handed_in"], layer["passed"]) == (7, 6, 4)         # not ben, cal; dot missing
    relu = checks["01_activations relu on random and extreme inputs"]
    assert relu["interrupted"] == 1 and relu["passed"] == 5                           # fay's process ended; eli stub
    top = data["most_failed"][0]
    # amy, ben, cal (exp(z)) and eli (stub); fay's crash in relu costs relu's checks only
    assert top["name"] == "01_activations sigmoid on random and extreme inputs" and top["failed"] == 4


@pytest.mark.slow
def test_limits_errors_and_missing_notebooks_are_listed(data):
    incidents = data["incidents"]
    assert {row["student"] for row in incidents} == {"fay"}
    assert all(row["interruption"] == Interruption.PROCESS_ENDED.value and not row["limit"] for row in incidents)
    assert {row["stage"]: row["students"] for row in data["not_handed_in"]} == \
        {"01_activations": [], "02_forward_pass": ["dot"], "03_backprop": ["fay"]}


@pytest.mark.slow
def test_score_distributions(data):
    scores = {row["stage"]: row for row in data["stage_scores"]}
    first = scores["01_activations"]
    assert first["handed_in"] == 7 and len(first["scores"]) == 7
    assert first["full_marks"] == 2 and first["zero"] == 1                            # dot, gus; eli's stub
    assert scores["03_backprop"]["handed_in"] == 6


@pytest.mark.slow
def test_the_page_shows_the_same_facts(graded, data):
    html = (graded / "class-report.html").read_text()
    for section in ("What to revisit in class", "Scores per stage", "Checks most often failed", "Named mistakes",
                    "Every check", "Limits and errors", "Notebooks not handed in"):
        assert f">{section}</h2>" in html
    assert html.index(EXP) < html.index(BIAS)
    assert html.count("<img ") == 3 and "Bar chart of the scores of stage 1" in html
    assert "fay" in html[html.index('id="incidents"'):html.index('id="not-handed-in"')]


def _report(student: str, interruption: Interruption, status: StageStatus = StageStatus.GRADED) -> GradeReport:
    check = CheckResult("01_activations", "01_activations relu on random inputs", 0.0, 1.0, "hidden", False,
                        message="relu did not return: time limit", interruption=interruption)
    return GradeReport(student, 1, [StageResult("01_activations", status=status, checks=[check])])


def test_incidents_are_told_apart_by_their_typed_field_and_kit_errors_listed():
    reports = {"ann": _report("ann", Interruption.CALL_TIME_LIMIT), "bob": _report("bob", Interruption.NONE),
               "cid": _report("cid", Interruption.NO_NOTEBOOK, StageStatus.MISSING)}
    data = class_report.build(reports, {"dee": "grading failed: RuntimeError: boom"}, ["01_activations"])
    rows = {row["student"]: row for row in data["incidents"]}
    assert set(rows) == {"ann", "dee"}
    assert rows["ann"]["limit"] and rows["ann"]["kind"] == "time limit of one call"
    assert rows["dee"]["kind"] == class_report.KIT_ERROR and rows["dee"]["detail"].endswith("boom")
    assert data["not_handed_in"] == [{"stage": "01_activations", "students": ["cid"]}]
    assert [row["status"] for row in data["students"]] == ["graded", "graded", "graded", "error"]


def test_every_function_with_a_mistake_has_a_tutorial_section_that_exists(tutorial):
    from autograder.checks.mistakes import MISTAKES as CATALOGUE

    text = (ROOT.parent / "shared" / "seed" / "000_ef99768e1d51b355.txt").read_text(encoding="utf-8")
    for mistake in CATALOGUE:
        title = sections.section(mistake.function)
        assert title, mistake.function
        heading = title.split(",")[0].replace("'", "’")
        assert heading in text, heading
        detail = title.partition(", ")[2]
        assert not detail or detail.split(": ")[-1] in text, detail


def test_the_docs_document_every_field_of_the_schema():
    docs = (ROOT / "docs" / "batch-grading.md").read_text(encoding="utf-8")
    for name, spec in class_report.JSON_SCHEMA["properties"].items():
        assert f"`{name}`" in docs, name
        fields = spec.get("items", {}).get("properties", {})
        for field in fields:
            assert f"`{field}`" in docs, f"{name}.{field}"
