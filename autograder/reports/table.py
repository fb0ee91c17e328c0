"""The terminal table of ``mlpkit grade``: a row per check, a total per
stage and overall, then the notes.  A stage whose notebook could not be
graded (``StageStatus`` other than graded) says why once, above its rows,
instead of on every row."""
from __future__ import annotations

from ..outcomes import GradeReport, StageStatus
from .text import first_line, points


def table(report: GradeReport, width: int = 72) -> str:
    name_width = max([len(c.name) for c in report.checks()] + [20])
    lines = [f"mlpkit grade  {report.submission}  (seed {report.seed})", ""]
    for stage in report.stages:
        graded = stage.status is StageStatus.GRADED
        if not graded:
            reason = first_line(stage.problems[0], 200) if stage.problems else stage.status.value
            lines.append(f"     {stage.stage}: not graded ({stage.status.value}): {reason}; every check scores 0")
        for check in stage.checks:
            mark = "todo" if check.pending else "ok  " if check.passed else "FAIL"
            earned = f"{points(check.points)}/{points(check.max_points)}"
            note = "" if check.passed or not graded else first_line(check.message, width)
            lines.append(f"{mark} {check.name:<{name_width}} {earned:>7}  {note}".rstrip())
        lines.append(f"     {stage.stage + ' total':<{name_width}} "
                     f"{points(stage.score) + '/' + points(stage.max_score):>7}"
                     + ("  awaiting manual grading" if stage.awaiting_manual else ""))
        for problem in stage.problems[0 if graded else 1:]:
            lines.append(f"     note: {first_line(problem, 200)}")
        lines.append("")
    lines.append(f"     {'TOTAL':<{name_width}} {points(report.score) + '/' + points(report.max_score):>7}"
                 f"   ({report.seconds:.1f} s)")
    return "\n".join(lines)
