"""``mlpkit history``: a student's grades in a gradebook, the current one
and every one it replaced, with when and why."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "show a student's grade and the earlier grades it replaced, with when and why"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("student", metavar="STUDENT", help="the student (their folder's name)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="the --out folder of grade-batch")


def run(args: argparse.Namespace, course=None) -> int:
    from ..batch.gradebook import open_gradebook
    from ..errors import UsageError
    from ..outcomes import GradeReport
    from ..reports.text import points

    def stages(report_json: str) -> str:
        if not report_json:
            return ""
        report = GradeReport.from_dict(json.loads(report_json))
        return ", ".join(f"{stage.stage} {points(stage.score)}/{points(stage.max_score)}" for stage in report.stages)

    with open_gradebook(args.out) as book:
        row = book.current(args.student)
        history = book.history(args.student)
        if row is None and not history:
            raise UsageError(f"{args.student} is not in {args.out}")
        grade = next((g for g in book.grades(book.meta("stages", [])) if g.student == args.student), None)
    print(f"mlpkit history: {args.student}")
    if row is not None:
        shown = f"{points(row['score'])}/{points(row['max_score'])}" if row["score"] is not None \
            else (row["error"].strip().splitlines() or ["?"])[-1]
        print(f"  now:      {row['status']} {shown}, graded {row['graded_at']} ({row['why']}): {stages(row['report'])}")
    if grade is not None:
        for line in grade.notes():
            print(f"            {line}")
    for item in reversed(history):
        shown = f"{points(item['score'])}/{points(item['max_score'])}" if item["score"] is not None else item["status"]
        print(f"  earlier:  {shown}, graded {item['graded_at']} ({item['why']}); replaced {item['replaced_at']} "
              f"because {item['replaced_by']}: {stages(item['report'])}")
    return 0
