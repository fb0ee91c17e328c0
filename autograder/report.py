"""Renderers of a ``GradeReport``: a terminal table, Gradescope's
results.json and JUnit XML.  Each is a small pure function of the report."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .outcomes import GradeReport

GRADESCOPE_VISIBILITY = {"public": "visible", "hidden": "after_published"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _points(value: float) -> str:
    return f"{value:g}"


def _first_line(text: str, width: int) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def table(report: GradeReport, width: int = 72) -> str:
    """One row per check, a total per stage and overall, then the notes."""
    name_width = max([len(c.name) for c in report.checks()] + [20])
    lines = [f"mlpkit grade  {report.submission}  (seed {report.seed})", ""]
    for stage in report.stages:
        for check in stage.checks:
            mark = "ok  " if check.passed else "FAIL"
            earned = f"{_points(check.points)}/{_points(check.max_points)}"
            note = "" if check.passed else _first_line(check.message, width)
            lines.append(f"{mark} {check.name:<{name_width}} {earned:>7}  {note}".rstrip())
        lines.append(f"     {stage.stage + ' total':<{name_width}} "
                     f"{_points(stage.score) + '/' + _points(stage.max_score):>7}")
        for problem in stage.problems:
            lines.append(f"     note: {_first_line(problem, 200)}")
        lines.append("")
    lines.append(f"     {'TOTAL':<{name_width}} {_points(report.score) + '/' + _points(report.max_score):>7}"
                 f"   ({report.seconds:.1f} s)")
    return "\n".join(lines)


def gradescope(report: GradeReport) -> dict:
    """Gradescope's results.json: every test named after its stage."""
    tests = []
    for number, check in enumerate(report.checks(), start=1):
        output = check.description if check.passed else f"{check.message}\n\nChecked: {check.description}"
        tests.append({"name": check.name, "number": str(number), "score": check.points,
                      "max_score": check.max_points, "status": "passed" if check.passed else "failed",
                      "output": _clean(output), "visibility": GRADESCOPE_VISIBILITY[check.visibility],
                      "tags": [check.stage, check.visibility]})
    notes = [f"{stage.stage}: {_first_line(problem, 300)}" for stage in report.stages for problem in stage.problems]
    summary = [f"Graded with seed {report.seed}."] + [
        f"{stage.stage}: {_points(stage.score)}/{_points(stage.max_score)}" for stage in report.stages] + notes
    return {"score": report.score, "execution_time": round(report.seconds, 3), "output": _clean("\n".join(summary)),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"seed": report.seed, "max_score": report.max_score,
                           "isolation": {s.stage: s.isolation for s in report.stages}}}


def junit(report: GradeReport) -> str:
    """JUnit XML: a test suite per stage, a test case per check."""
    root = ET.Element("testsuites", name="mlpkit grade", tests=str(len(report.checks())),
                      failures=str(sum(not c.passed for c in report.checks())), time=f"{report.seconds:.3f}")
    for stage in report.stages:
        suite = ET.SubElement(root, "testsuite", name=stage.stage, tests=str(len(stage.checks)),
                              failures=str(sum(not c.passed for c in stage.checks)), time=f"{stage.seconds:.3f}")
        properties = ET.SubElement(suite, "properties")
        for key, value in (("score", stage.score), ("max_score", stage.max_score), ("seed", report.seed)):
            ET.SubElement(properties, "property", name=key, value=_points(value))
        for check in stage.checks:
            case = ET.SubElement(suite, "testcase", classname=stage.stage, name=check.name,
                                 time=f"{check.seconds:.3f}")
            if not check.passed:
                failure = ET.SubElement(case, "failure", message=_clean(_first_line(check.message, 200)),
                                        type=check.mistake or "wrong answer")
                failure.text = _clean(check.message)
        if stage.output:
            ET.SubElement(suite, "system-out").text = _clean(stage.output)
        if stage.problems:
            ET.SubElement(suite, "system-err").text = _clean("\n".join(stage.problems))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _clean(text: str) -> str:
    """Text safe for JSON viewers and XML 1.0 (no control characters)."""
    return _CONTROL.sub("?", text)
