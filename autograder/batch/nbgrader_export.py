"""The LMS files as nbgrader export plugins: ``nbgrader export
--exporter=autograder.batch.nbgrader_export.CanvasExport --to canvas.csv
--CanvasExport.roster=roster.csv`` (or ``MoodleExport``).

They read nbgrader's gradebook, which ``mlpkit grade-batch --nbgrader``
fills with the kit's full grades (public and hidden checks, the written
answers graded in formgrader, late penalties, overrides), and write the
same file as ``mlpkit export`` does from the kit's gradebook: a stage's
points are nbgrader's score less the late penalty, as nbgrader's own CSV
export has them.
"""
from __future__ import annotations

from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

from ..errors import UserError
from . import lms
from .grades import late_note, override_note
from .nbgrader_link import KIT_NOTEBOOK, OVERRIDE_CELL


class _LmsExport(ExportPlugin):
    kind = ""
    roster = Unicode("", help="the roster CSV file: student folder -> LMS ids (see autograder/batch/lms.py)"
                     ).tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        if not self.roster:
            self.log.error("--%s.roster=FILE is needed: the CSV file mapping student folders to LMS ids",
                           type(self).__name__)
            raise SystemExit(2)
        rows, maxima, stages = nbgrader_rows(gradebook, self.assignment, self.student)
        try:
            result = lms.export(self.kind, rows, stages, maxima, Path(self.roster))
        except UserError as error:
            self.log.error("%s", error)
            raise SystemExit(2) from None
        dest = self.to or f"{self.kind}.csv"
        Path(dest).write_text(result.text, encoding="utf-8")
        self.log.info("Wrote %d students to %s", result.written, dest)
        for line in result.left_out + result.notes:
            self.log.warning("%s", line)


class CanvasExport(_LmsExport):
    """Canvas's gradebook import file."""
    kind = "canvas"


class MoodleExport(_LmsExport):
    """Moodle's grade import file."""
    kind = "moodle"


def nbgrader_rows(gradebook: Gradebook, assignments=(), students=()) -> tuple[list, dict, list]:
    """(rows, maxima, stages) from nbgrader's gradebook, every student and
    assignment unless some are named."""
    stages = [a.name for a in gradebook.assignments if not assignments or a.name in assignments]
    maxima = {a.name: a.max_score for a in gradebook.assignments if a.name in stages}
    rows = []
    for student in gradebook.students:
        if students and student.id not in students:
            continue
        row = lms.Row(student.id, {})
        for stage in stages:
            try:
                submission = gradebook.find_submission(stage, student.id)
            except MissingEntry:
                row.points[stage] = 0.0
                continue
            penalty = submission.late_submission_penalty or 0.0
            row.points[stage] = max(0.0, submission.score - penalty)
            override = [(grade, comment) for notebook in submission.notebooks if notebook.name == KIT_NOTEBOOK
                        for grade in notebook.grades if grade.name == OVERRIDE_CELL and grade.extra_credit is not None
                        for comment in notebook.comments if comment.name == OVERRIDE_CELL]
            if override:
                row.notes[stage] = override_note(submission.score, override[0][1].comment or "")
            elif penalty:
                row.notes[stage] = late_note(submission.total_seconds_late, penalty)
        rows.append(row)
    return rows, maxima, stages
