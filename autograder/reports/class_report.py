"""The misconception report: what a graded class got wrong, for the
instructor, as ``class-report.json`` (plain data, schema below) and
``class-report.html`` (one self-contained page, plots embedded).

Pipeline (every step reads plain data, never message wording):

1. ``build(reports, errors, stages, source)``: the students' ``GradeReport``
   (from the gradebook) and the students the kit failed to grade become
   one JSON-ready dict:
   - ``mistakes``: every named classic mistake of the stages graded
     (``checks.mistakes.MISTAKES``, and any other name a check recorded),
     with its stage, what it means, the tutorial section that teaches it
     (``sections.py``) and the students who made it
     (``CheckResult.mistake``);
   - ``checks``: every check with its points and how many students were
     graded on it, handed its notebook in, passed, failed or were cut short;
   - ``stages``: the distribution of the stage's scores;
   - ``most_failed``: the checks failed by the most students who handed
     the notebook in;
   - ``incidents``: checks cut short by a limit or a crash
     (``CheckResult.interruption``) and students the kit could not grade
     (the gradebook's error status);
   - ``not_handed_in``: per stage, who handed no readable notebook in
     (``StageResult.status``);
   - ``revisit``: the mistakes made by the most students, each with its
     tutorial section;
   - ``students``: each student's points per stage.
2. ``write(out, data)``: the JSON file, then the page, each atomically.

``JSON_SCHEMA`` is the JSON Schema of ``class-report.json``; the tests
validate the file against it and docs/batch-grading.md documents it.
"""
from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from ..files import write_atomic
from ..outcomes import GradeReport, Interruption, StageStatus
from . import charts
from .feedback import INDEX as FEEDBACK_INDEX, stage_title
from .page import document, esc, figure_block, table
from .sections import TUTORIAL, function_stages, owner, section
from .text import points

JSON_NAME = "class-report.json"
HTML_NAME = "class-report.html"
SIMILARITY_HTML = "similarity.html"
SCHEMA_ID = "mlpkit-class-report/1"
MOST_FAILED = 10          # checks listed as the most often failed
REVISIT = 5               # mistakes listed under "what to revisit in class"

# What a check cut short went through, for people (keyed by the typed field, never by wording).
INCIDENT_KINDS = {
    Interruption.CALL_TIME_LIMIT: "time limit of one call",
    Interruption.CHECK_TIME_LIMIT: "time limit of the check",
    Interruption.SUBMISSION_TIME_LIMIT: "time limit of the submission",
    Interruption.PROCESS_ENDED: "process ended (a crash, os._exit or the memory limit)",
    Interruption.UNREADABLE_REPLY: "unreadable reply from the student's process",
    Interruption.NOT_LOADED: "notebook could not be loaded (time limit or crash while loading)",
    Interruption.TOO_MANY_RESTARTS: "too many restarts of the student's process",
}
KIT_ERROR = "the kit could not grade this student"

_COUNT = {"type": "integer", "minimum": 0}
_NAMES = {"type": "array", "items": {"type": "string"}}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "mlpkit class-report.json",
    "type": "object",
    "required": ["schema", "generated", "stages", "students", "mistakes", "checks", "stage_scores", "most_failed",
                 "incidents", "not_handed_in", "revisit"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "generated": {"type": "string"},
        "stages": _NAMES,
        "students": {"type": "array", "items": {
            "type": "object", "required": ["student", "status", "score", "max_score", "stages"],
            "properties": {"student": {"type": "string"}, "status": {"enum": ["graded", "error"]},
                           "score": {"type": ["number", "null"]}, "max_score": {"type": ["number", "null"]},
                           "stages": {"type": "object", "additionalProperties": {"type": "number"}}}}},
        "mistakes": {"type": "array", "items": {
            "type": "object", "required": ["stage", "name", "function", "meaning", "tutorial_section", "students",
                                           "checks"],
            "properties": {"stage": {"type": "string"}, "name": {"type": "string"}, "function": {"type": "string"},
                           "meaning": {"type": "string"}, "tutorial_section": {"type": "string"},
                           "students": _NAMES, "checks": _NAMES}}},
        "checks": {"type": "array", "items": {
            "type": "object", "required": ["stage", "name", "visibility", "points", "graded", "handed_in", "passed",
                                           "failed", "interrupted"],
            "properties": {"stage": {"type": "string"}, "name": {"type": "string"},
                           "visibility": {"enum": ["public", "hidden"]}, "points": {"type": "number"},
                           "graded": _COUNT, "handed_in": _COUNT, "passed": _COUNT, "failed": _COUNT,
                           "interrupted": _COUNT}}},
        "stage_scores": {"type": "array", "items": {
            "type": "object", "required": ["stage", "max_score", "graded", "handed_in", "scores", "mean", "median",
                                           "full_marks", "zero"],
            "properties": {"stage": {"type": "string"}, "max_score": {"type": "number"}, "graded": _COUNT,
                           "handed_in": _COUNT, "scores": {"type": "array", "items": {"type": "number"}},
                           "mean": {"type": ["number", "null"]}, "median": {"type": ["number", "null"]},
                           "full_marks": _COUNT, "zero": _COUNT}}},
        "most_failed": {"type": "array", "items": {
            "type": "object", "required": ["stage", "name", "failed", "handed_in"],
            "properties": {"stage": {"type": "string"}, "name": {"type": "string"}, "failed": _COUNT,
                           "handed_in": _COUNT}}},
        "incidents": {"type": "array", "items": {
            "type": "object", "required": ["student", "kind", "limit", "stage", "check", "interruption", "detail"],
            "properties": {"student": {"type": "string"}, "kind": {"type": "string"}, "limit": {"type": "boolean"},
                           "stage": {"type": "string"}, "check": {"type": "string"},
                           "interruption": {"type": "string"}, "detail": {"type": "string"}}}},
        "not_handed_in": {"type": "array", "items": {
            "type": "object", "required": ["stage", "students"],
            "properties": {"stage": {"type": "string"}, "students": _NAMES}}},
        "revisit": {"type": "array", "items": {
            "type": "object", "required": ["stage", "name", "students", "tutorial_section", "meaning"],
            "properties": {"stage": {"type": "string"}, "name": {"type": "string"}, "students": _COUNT,
                           "tutorial_section": {"type": "string"}, "meaning": {"type": "string"}}}},
    },
}


# ------------------------------------------------------------------ data

def build(reports: dict[str, GradeReport], errors: dict[str, str], stages: Iterable[str],
          source: Path | None = None) -> dict[str, Any]:
    """The class report as plain data.

    reports: {student: GradeReport} of every graded student; errors:
    {student: why} of the students the kit failed to grade; stages: the
    batch's stages, in order; source: the instructor notebooks (to tell
    the stage of a mistake nobody made; without it, such mistakes are left
    out)."""
    from ..checks.mistakes import MISTAKES

    stages = list(stages)
    students = sorted(reports)
    owners = function_stages(source, stages) if source is not None else {}

    # Named mistakes: the catalogue's of these stages, plus any other name a check recorded.
    seen: dict[str, dict] = {}
    for student in students:
        for check in reports[student].checks():
            if check.mistake:
                entry = seen.setdefault(check.mistake, {"students": set(), "checks": set(), "stages": []})
                entry["students"].add(student)
                entry["checks"].add(check.name)
                entry["stages"].append(check.stage)
    mistakes = []
    for mistake in MISTAKES:
        entry = seen.pop(mistake.name, None)
        stage = owners.get(owner(mistake.function)) or (entry["stages"][0] if entry else "")
        if stage not in stages:
            continue
        mistakes.append(_mistake(stage, mistake.name, mistake.function, mistake.fix, entry))
    for name, entry in seen.items():   # recorded by a check but not in the catalogue
        mistakes.append(_mistake(entry["stages"][0], name, "", "", entry))
    order = {stage: index for index, stage in enumerate(stages)}
    mistakes.sort(key=lambda m: (order.get(m["stage"], len(order)), -len(m["students"]), m["name"]))

    # Checks, in the order of the first report holding them.
    checks: dict[str, dict] = {}
    for student in students:
        for stage_result in reports[student].stages:
            handed_in = stage_result.status is StageStatus.GRADED
            for check in stage_result.checks:
                row = checks.setdefault(check.name, {
                    "stage": check.stage, "name": check.name, "visibility": check.visibility,
                    "points": check.max_points, "graded": 0, "handed_in": 0, "passed": 0, "failed": 0,
                    "interrupted": 0})
                row["graded"] += 1
                row["handed_in"] += handed_in
                row["passed"] += check.passed
                row["failed"] += not check.passed
                row["interrupted"] += check.interruption not in (Interruption.NONE, Interruption.NO_NOTEBOOK)
    check_rows = sorted(checks.values(), key=lambda row: order.get(row["stage"], len(order)))

    most_failed = sorted(({"stage": row["stage"], "name": row["name"], "failed": row["handed_in"] - row["passed"],
                           "handed_in": row["handed_in"]} for row in check_rows
                          if row["handed_in"] - row["passed"] > 0),
                         key=lambda row: (-row["failed"], -row["failed"] / row["handed_in"], row["name"]))
    return {
        "schema": SCHEMA_ID,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "stages": stages,
        "students": _students(reports, errors, stages),
        "mistakes": mistakes,
        "checks": check_rows,
        "stage_scores": [_scores(stage, reports) for stage in stages],
        "most_failed": most_failed[:MOST_FAILED],
        "incidents": _incidents(reports, errors),
        "not_handed_in": [{"stage": stage, "students": [s for s in students if _missing(reports[s], stage)]}
                          for stage in stages],
        "revisit": [{"stage": m["stage"], "name": m["name"], "students": len(m["students"]),
                     "tutorial_section": m["tutorial_section"], "meaning": m["meaning"]}
                    for m in sorted((m for m in mistakes if m["students"]),
                                    key=lambda m: (-len(m["students"]), order.get(m["stage"], 0)))[:REVISIT]],
    }


def _mistake(stage: str, name: str, function: str, meaning: str, entry: dict | None) -> dict:
    return {"stage": stage, "name": name, "function": function, "meaning": meaning,
            "tutorial_section": section(function) if function else "",
            "students": sorted(entry["students"]) if entry else [], "checks": sorted(entry["checks"]) if entry else []}


def _missing(report: GradeReport, stage: str) -> bool:
    result = report.stage(stage)
    return result is None or result.status is not StageStatus.GRADED


def _students(reports: dict, errors: dict, stages: list) -> list[dict]:
    rows = []
    for student in sorted(set(reports) | set(errors)):
        report = reports.get(student)
        if report is None:
            rows.append({"student": student, "status": "error", "score": None, "max_score": None, "stages": {}})
        else:
            rows.append({"student": student, "status": "graded", "score": report.score, "max_score": report.max_score,
                         "stages": {s.stage: s.score for s in report.stages if s.stage in stages}})
    return rows


def _scores(stage: str, reports: dict) -> dict:
    results = [report.stage(stage) for report in reports.values()]
    results = [result for result in results if result is not None]
    handed_in = [result.score for result in results if result.status is StageStatus.GRADED]
    maximum = max((result.max_score for result in results), default=0.0)
    return {"stage": stage, "max_score": maximum, "graded": len(results), "handed_in": len(handed_in),
            "scores": sorted(handed_in),
            "mean": statistics.fmean(handed_in) if handed_in else None,
            "median": statistics.median(handed_in) if handed_in else None,
            "full_marks": sum(score >= maximum > 0 for score in handed_in),
            "zero": sum(score == 0 for score in handed_in)}


def _incidents(reports: dict, errors: dict) -> list[dict]:
    rows = []
    for student in sorted(reports):
        for check in reports[student].checks():
            kind = INCIDENT_KINDS.get(check.interruption)
            if kind:
                rows.append({"student": student, "kind": kind, "limit": check.interruption.is_limit,
                             "stage": check.stage, "check": check.name, "interruption": check.interruption.value,
                             "detail": check.message.strip().splitlines()[0] if check.message.strip() else ""})
    for student, error in sorted(errors.items()):
        lines = error.strip().splitlines()
        rows.append({"student": student, "kind": KIT_ERROR, "limit": False, "stage": "", "check": "",
                     "interruption": "", "detail": lines[-1] if lines else ""})
    return rows


# ------------------------------------------------------------------ files

def write(out: Path, data: dict[str, Any]) -> list[Path]:
    """``OUT/class-report.json`` and ``OUT/class-report.html``."""
    out = Path(out)
    json_path, html_path = out / JSON_NAME, out / HTML_NAME
    write_atomic(json_path, json.dumps(data, indent=1, sort_keys=False) + "\n")
    write_atomic(html_path, page(data, out))
    return [json_path, html_path]


# ------------------------------------------------------------------ page

def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({part / whole:.0%})" if whole else f"{part} of 0"


def page(data: dict[str, Any], out: Path | None = None) -> str:
    """The HTML page of ``data``; ``out`` (the batch folder) lets it link
    each student's feedback pages that exist."""
    students = data["students"]
    graded = [row for row in students if row["status"] == "graded"]
    errors = [row for row in students if row["status"] == "error"]
    parts = ["<h1>Class report</h1>",
             f"<p class=\"lead\">{len(graded)} students graded"
             + (f", {len(errors)} the kit could not grade" if errors else "")
             + f", on {len(data['stages'])} stage{'s' * (len(data['stages']) != 1)}: "
             + ", ".join(esc(stage_title(stage)) for stage in data["stages"])
             + f". Written {esc(data['generated'])}; the same data is in <code>{JSON_NAME}</code>.</p>",
             _contents()]
    parts.append(_revisit(data))
    parts.append(_distributions(data))
    parts.append(_most_failed(data))
    parts.append(_mistakes(data))
    parts.append(_checks(data))
    parts.append(_incidents_section(data))
    parts.append(_not_handed_in(data))
    parts.append(_students_section(data, out))
    return document("Class report", "\n".join(parts),
                    nav=[(HTML_NAME, "Class report (index)"), (SIMILARITY_HTML, "Similar submissions"),
                         (JSON_NAME, "The data (JSON)")])


SECTIONS_SHOWN = [("revisit", "What to revisit in class"), ("scores", "Scores per stage"),
                  ("most-failed", "Checks most often failed"), ("mistakes", "Named mistakes"),
                  ("checks", "Every check"), ("incidents", "Limits and errors"),
                  ("not-handed-in", "Notebooks not handed in"), ("students", "Students")]


def _contents() -> str:
    items = "".join(f"<li><a href=\"#{anchor}\">{esc(title)}</a></li>" for anchor, title in SECTIONS_SHOWN)
    return f"<nav aria-label=\"Contents of this report\"><h2>Contents</h2><ul>{items}</ul></nav>"


def _section(anchor: str, body: str) -> str:
    title = dict(SECTIONS_SHOWN)[anchor]
    return (f"<section id=\"{anchor}\" aria-labelledby=\"{anchor}-title\">\n"
            f"<h2 id=\"{anchor}-title\">{esc(title)}</h2>\n{body}\n</section>")


def _revisit(data) -> str:
    total = sum(row["status"] == "graded" for row in data["students"])
    if not data["revisit"]:
        return _section("revisit", "<p>No named mistake was recognised in this class.</p>")
    items = []
    for row in data["revisit"]:
        where = f"tutorial section {esc(row['tutorial_section'])}" if row["tutorial_section"] else "the stage's notebook"
        items.append(f"<li><strong>{esc(row['name'])}</strong>: {_share(row['students'], total)} students, "
                     f"{esc(stage_title(row['stage']))}; revisit {where} (<cite>{esc(TUTORIAL)}</cite>). "
                     f"{esc(row['meaning'])}</li>")
    return _section("revisit", "<p>The named mistakes made by the most students, most first.</p>\n<ol>"
                    + "".join(items) + "</ol>")


def _distributions(data) -> str:
    rows, figures = [], []
    for row in data["stage_scores"]:
        rows.append([esc(stage_title(row["stage"])), str(row["handed_in"]), points(row["max_score"]),
                     points(round(row["mean"], 2)) if row["mean"] is not None else "-",
                     points(row["median"]) if row["median"] is not None else "-",
                     str(row["full_marks"]), str(row["zero"])])
        if row["scores"]:
            with charts.style():
                made = score_figure(row)
                figures.append(figure_block(charts.image(made, describe_scores(row)),
                                            f"Scores of {stage_title(row['stage']).lower()}", "scores"))
    summary = table("Scores of the students who handed each stage in", ["Stage", "Handed in", "Maximum", "Mean",
                    "Median", "Full marks", "Zero"], rows, numeric=[1, 2, 3, 4, 5, 6])
    return _section("scores", summary + "\n<div class=\"plots\">\n" + "\n".join(figures) + "\n</div>")


def describe_scores(row: dict) -> str:
    """The text alternative of a stage's score histogram."""
    counts = Counter(row["scores"])
    common, many = counts.most_common(1)[0]
    return (f"Bar chart of the scores of {stage_title(row['stage']).lower()} (out of {points(row['max_score'])} "
            f"points) for the {row['handed_in']} students who handed it in: median {points(row['median'])}, "
            f"{row['full_marks']} with full marks, {row['zero']} with 0; the most common score is "
            f"{points(common)} ({many} students).")


def score_figure(row: dict):
    """Histogram of one stage's scores: one bar per score, from 0 to the maximum."""
    figure, axes = charts.figure(5.0, 3.0)
    counts = Counter(row["scores"])
    scores = sorted(counts)
    width = max(0.4, min(1.0, row["max_score"] / 25)) if row["max_score"] else 0.8
    axes.bar(scores, [counts[s] for s in scores], width=width, color=charts.PALETTE[0], edgecolor="black")
    axes.set_xlim(-1, row["max_score"] + 1)
    axes.set_xlabel(f"points (out of {points(row['max_score'])})")
    axes.set_ylabel("students")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(stage_title(row["stage"]))
    axes.grid(axis="x", visible=False)
    return figure


def _most_failed(data) -> str:
    rows = [[esc(short_name_of(row)), esc(stage_title(row["stage"])), _share(row["failed"], row["handed_in"])]
            for row in data["most_failed"]]
    return _section("most-failed", table(
        f"The {len(rows)} checks failed by the most students who handed the notebook in",
        ["Check", "Stage", "Failed by (of those who handed in)"], rows, numeric=[2]))


def short_name_of(row: dict) -> str:
    prefix = row["stage"] + " "
    return row["name"][len(prefix):] if row["name"].startswith(prefix) else row["name"]


def _mistakes(data) -> str:
    made = sorted((m for m in data["mistakes"] if m["students"]), key=lambda m: -len(m["students"]))
    rows = [[esc(m["name"]), esc(stage_title(m["stage"])), str(len(m["students"])),
             esc(", ".join(m["students"])), esc(m["meaning"]),
             esc(m["tutorial_section"]) or "-"] for m in made]
    unseen = [m for m in data["mistakes"] if not m["students"]]
    text = table("Named mistakes recognised in this class, most students first",
                 ["Mistake", "Stage", "Students", "Who", "What it means, and the fix", "Tutorial section"],
                 rows, numeric=[2])
    if unseen:
        text += ("\n<p>Not seen in this class: " + "; ".join(
            f"{esc(m['name'])} ({esc(stage_title(m['stage']))})" for m in unseen) + ".</p>")
    return _section("mistakes", text)


def _checks(data) -> str:
    rows = [[esc(short_name_of(row)), esc(stage_title(row["stage"])), esc(row["visibility"]), points(row["points"]),
             _share(row["passed"], row["graded"]), str(row["handed_in"]), str(row["interrupted"])]
            for row in data["checks"]]
    return _section("checks", table("Every check: its points and how many students passed it",
                                    ["Check", "Stage", "Kind", "Points", "Passed (of graded)", "Handed in",
                                     "Cut short"], rows, numeric=[3, 4, 5, 6]))


def _incidents_section(data) -> str:
    rows = [[esc(row["student"]), esc(row["kind"]) + (" (limit)" if row["limit"] else ""),
             esc(stage_title(row["stage"])) if row["stage"] else "-",
             esc(short_name_of({"stage": row["stage"], "name": row["check"]})) or "-", esc(row["detail"])]
            for row in data["incidents"]]
    return _section("incidents", "<p>Checks cut short by a time or memory limit or a crash of the student's "
                    "process, and students the kit itself could not grade (rerun <code>grade-batch</code> to "
                    "retry those).</p>\n" + table("Students whose grading hit a limit or an error",
                                                   ["Student", "What happened", "Stage", "Check", "Detail"], rows))


def _not_handed_in(data) -> str:
    rows = [[esc(stage_title(row["stage"])), str(len(row["students"])), esc(", ".join(row["students"])) or "-"]
            for row in data["not_handed_in"]]
    return _section("not-handed-in", table("Students without a readable notebook, per stage",
                                           ["Stage", "Students", "Who"], rows, numeric=[1]))


def _students_section(data, out: Path | None) -> str:
    rows = []
    for row in data["students"]:
        name = esc(row["student"])
        feedback = Path(row["student"]) / "feedback" / FEEDBACK_INDEX
        if out is not None and (Path(out) / feedback).is_file():
            name = f"<a href=\"{esc(feedback.as_posix())}\">{name}</a>"
        if row["status"] == "graded":
            cells = [points(row["stages"].get(stage, 0)) for stage in data["stages"]]
            total = f"{points(row['score'])} / {points(row['max_score'])}"
        else:
            cells, total = ["-"] * len(data["stages"]), "not graded (kit error)"
        rows.append([name, *cells, total])
    return _section("students", table("Every student's points per stage (names link to their feedback pages)",
                                      ["Student", *(stage_title(s) for s in data["stages"]), "Total"], rows,
                                      numeric=range(1, len(data["stages"]) + 2)))
