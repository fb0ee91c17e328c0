"""What a batch worker process does: grade one student with the engine and
write their files.  Everything it returns is plain data (a ``StudentRecord``
holding the ``GradeReport``); only the main process writes the gradebook.

Each worker keeps one engine ``Grader`` (one sandbox) for all the students
it grades; a sandbox that broke is replaced and the student graded again,
once."""
from __future__ import annotations

import json
import time
import traceback
from pathlib import Path
from typing import Callable

from ..files import write_atomic
from ..outcomes import GradeReport
from .gradebook import ERROR, GRADED, StudentRecord
from .planning import Job

# The seam between the batch and the grading engine: grade one student's
# folder into a GradeReport.  Tests pass stand-ins (module-level functions,
# so that they pickle).
GradeFunction = Callable[[Path, list, int, Path], GradeReport]
# The student's training curves and decision boundary for the feedback
# pages, as plain data (see ``reports/curves.py``).
CurveFunction = Callable[[Path, list, int, Path], dict]


def engine_grade(folder: Path, stages: list, seed: int, source: Path) -> GradeReport:
    """Grade one folder with ``mlpkit grade``'s engine."""
    from ..sandbox import SandboxError

    for attempt in (1, 2):
        grader = worker_grader(source, stages)
        try:
            return grader.grade(folder, stages, seed)
        except SandboxError:
            _drop_grader(source, stages)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_GRADERS: dict = {}


def worker_grader(source: Path, stages):
    """This process's engine ``Grader`` for (source, stages), started on
    first use, replaced if its sandbox has gone, closed when the process
    exits (a multiprocessing finalizer: it runs in pool workers, atexit
    does not)."""
    from multiprocessing import util

    from ..engine import Grader

    key = (str(source), tuple(stages))
    grader = _GRADERS.get(key)
    if grader is None or not grader.alive():
        _drop_grader(source, stages)
        grader = _GRADERS[key] = Grader(source=source, stages=stages)
        util.Finalize(grader, grader.close, exitpriority=10)
    return grader


def _drop_grader(source, stages) -> None:
    grader = _GRADERS.pop((str(source), tuple(stages)), None)
    if grader is not None:
        try:
            grader.close()
        except Exception:  # noqa: BLE001 - a broken sandbox is being replaced anyway
            pass


def engine_curves(folder: Path, stages: list, seed: int, source: Path) -> dict:
    """The student's curves, run in the sandbox of this process's Grader."""
    from ..reports.curves import student_curves

    return student_curves(folder, stages, source=source, sandbox=worker_grader(source, stages).sandbox)


def grade_student(job: Job, grade: GradeFunction | None = None, curves: CurveFunction | None = None
                  ) -> StudentRecord:
    """Grade one student and write their files; never raises for a grading
    failure: that becomes the record of an error.  A job carrying a
    ``report`` is not graded: its files are written again from it (another
    ``--hidden``, new scores given by hand)."""
    started = time.monotonic()
    folder = job.out / job.student
    _remove_temporaries(folder)
    if job.report is not None:
        report = GradeReport.from_dict(job.report)
    else:
        try:
            report = (grade or engine_grade)(job.folder, list(job.stages), job.seed, job.source)
        except Exception as error:  # noqa: BLE001 - the kit's failure, recorded against the student
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            return StudentRecord(job.student, ERROR, job.seed, error=f"grading failed: {detail}",
                                 seconds=time.monotonic() - started, digest=job.digest, instructor=job.instructor,
                                 why=job.why)
    write_files(job, report, curves)
    return StudentRecord(job.student, GRADED, job.seed, report, seconds=time.monotonic() - started,
                         digest=job.digest, instructor=job.instructor, why=job.why)


def write_files(job: Job, report: GradeReport, curves: CurveFunction | None = None) -> None:
    """``OUT/<student>/results.json`` and, if asked, the feedback pages, from
    the report with the scores given by hand, showing of the hidden checks
    what ``job.hidden`` allows."""
    from ..reports.results_json import results_json
    from .grades import merge

    folder = job.out / job.student
    shown = merge(report, list(job.human))
    results = results_json(shown, job.hidden)
    if job.feedback:
        try:
            from ..reports import feedback
            plotted = (curves or engine_curves)(job.folder, list(job.stages), job.seed, job.source)
            feedback.write_student(folder, job.student, shown, plotted, job.stages, job.hidden)
        except Exception:  # noqa: BLE001 - a missing page must not lose the grade
            results.setdefault("extra_data", {})["feedback_error"] = traceback.format_exc(limit=3)
    write_atomic(folder / "results.json", json.dumps(results, indent=2) + "\n")


def _remove_temporaries(folder: Path) -> None:
    """Leftovers of a run killed while writing this student's files."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp-*"):
            try:
                leftover.unlink()
            except OSError:
                pass
