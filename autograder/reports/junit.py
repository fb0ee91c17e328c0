"""JUnit XML of a ``GradeReport``: a test suite per stage, a test case per check."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from ..outcomes import GradeReport
from .text import clean, first_line, points


def _failures(checks) -> str:
    return str(sum(not c.passed and not c.pending for c in checks))


def junit(report: GradeReport) -> str:
    """A written answer awaiting a grader is a skipped test case, not a failure."""
    root = ET.Element("testsuites", name="mlpkit grade", tests=str(len(report.checks())),
                      failures=_failures(report.checks()), skipped=str(sum(c.pending for c in report.checks())),
                      time=f"{report.seconds:.3f}")
    for stage in report.stages:
        suite = ET.SubElement(root, "testsuite", name=stage.stage, tests=str(len(stage.checks)),
                              failures=_failures(stage.checks), skipped=str(len(stage.pending)),
                              time=f"{stage.seconds:.3f}")
        properties = ET.SubElement(suite, "properties")
        for key, value in (("score", points(stage.score)), ("max_score", points(stage.max_score)),
                           ("seed", str(report.seed))):
            ET.SubElement(properties, "property", name=key, value=value)
        for check in stage.checks:
            case = ET.SubElement(suite, "testcase", classname=stage.stage, name=check.name,
                                 time=f"{check.seconds:.3f}")
            if check.pending:
                ET.SubElement(case, "skipped", message="awaiting manual grading")
            elif not check.passed:
                failure = ET.SubElement(case, "failure", message=clean(first_line(check.message, 200)),
                                        type=check.mistake or "wrong answer")
                failure.text = clean(check.message)
        if stage.output:
            ET.SubElement(suite, "system-out").text = clean(stage.output)
        if stage.problems:
            ET.SubElement(suite, "system-err").text = clean("\n".join(stage.problems))
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
