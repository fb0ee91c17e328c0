"""What a batch worker does: grade one student with the engine and render
their files.  Everything it returns is plain data (an ``Outcome``: the
``StudentRecord`` holding the ``GradeReport``, the files' text, the
recorded curves); the coordinator alone writes the files and the gradebook
(``run.py``), whether the worker is a local process or a Dask worker on
another machine (``cluster.py``).

Each worker process keeps one engine ``Grader`` (one sandbox) for all the
students it grades; a sandbox that broke is replaced and the student graded
again, once.  The feedback plots use the curves the engine recorded while
grading (``reports/curves.py``): a student's model is never run twice."""
from __future__ import annotations

import json
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..outcomes import GradeReport
from .gradebook import ERROR, GRADED, StudentRecord
from .planning import Job

# The seam between the batch and the grading engine: grade one student's
# folder into a GradeReport.  Tests pass stand-ins (module-level functions,
# so that they pickle).
GradeFunction = Callable[[Path, list, int, Path], GradeReport]
# With a stand-in grade function: the student's curves for the feedback
# pages, as plain data (see ``reports/curves.py``).
CurveFunction = Callable[[Path, list, int, Path], dict]

RESULTS = "results.json"


@dataclass
class Outcome:
    """What grading (or rendering) one student hands back, as data."""
    record: StudentRecord
    files: dict[str, str]               # path under OUT/<student>/ -> text (results.json, the feedback pages)
    curves: bytes | None = None         # the recorded curves (``curves.pack``), kept in the gradebook
    refused: str = ""                   # why the worker refused to grade (it cannot confine student code)
    worker: str = ""                    # the Dask worker that refused


def stop_quietly_on_interrupt() -> None:
    """A local worker process's initializer: Ctrl-C (SIGINT to the whole
    process group) ends this process with exit status 130 and no traceback
    of its own, whether it is grading (the engine's clean-up runs, as for
    any exception) or idle, waiting for its next student, where Python's
    KeyboardInterrupt would escape the pool and print a traceback.  The
    coordinator says what happened, once (``run.py``)."""
    import signal
    import sys

    signal.signal(signal.SIGINT, lambda number, frame: sys.exit(130))


# One student at a time per process: the engine redirects this process's
# standard output and puts NumPy's global state back after each stage, which
# two threads grading at once (a Dask worker with several threads) would mix.
GRADING = threading.Lock()


def engine_grade(folder: Path, stages: list, seed: int, source: Path) -> GradeReport:
    """Grade one folder with ``mlpkit grade``'s engine."""
    return _graded(folder, stages, seed, source, None)


def engine_grade_recorded(folder: Path, stages: list, seed: int, source: Path) -> tuple[GradeReport, dict]:
    """Grade one folder and record the feedback plots' curves on the way."""
    from ..reports.curves import CurveRecorder

    recorder = CurveRecorder()
    report = _graded(folder, stages, seed, source, recorder)
    return report, recorder.curves


def _graded(folder: Path, stages: list, seed: int, source: Path, recorder) -> GradeReport:
    from ..sandbox import SandboxError

    for attempt in (1, 2):
        grader = worker_grader(source, stages)
        try:
            return grader.grade(folder, stages, seed, recorder=recorder)
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


def grade_student(job: Job, grade: GradeFunction | None = None, curves: CurveFunction | None = None) -> Outcome:
    """Grade one student and render their files; never raises for a grading
    failure: that becomes the record of an error.  A job carrying a
    ``report`` is not graded: its files are rendered again from it and the
    curves it carries (another ``--hidden``, new scores given by hand)."""
    from ..reports.curves import pack, unpack

    started = time.monotonic()
    with GRADING:
        if job.report is not None:
            report = GradeReport.from_dict(job.report)
            plotted = unpack(job.curves) if job.curves else {}
        else:
            try:
                if grade is not None:
                    report = grade(job.folder, list(job.stages), job.seed, job.source)
                    plotted = curves(job.folder, list(job.stages), job.seed, job.source) if curves else {}
                elif job.feedback:
                    report, plotted = engine_grade_recorded(job.folder, list(job.stages), job.seed, job.source)
                else:
                    report, plotted = engine_grade(job.folder, list(job.stages), job.seed, job.source), {}
            except Exception as error:  # noqa: BLE001 - the kit's failure, recorded against the student
                detail = "".join(traceback.format_exception_only(type(error), error)).strip()
                return Outcome(StudentRecord(job.student, ERROR, job.seed, error=f"grading failed: {detail}",
                                             seconds=time.monotonic() - started, digest=job.digest,
                                             instructor=job.instructor, why=job.why), {})
        kept = pack(plotted) if job.feedback and job.report is None and plotted else None
        # Drawn from what the gradebook keeps: a later re-rendering draws the very same pages.
        files = render_files(job, report, unpack(kept) if kept else plotted)
    record = StudentRecord(job.student, GRADED, job.seed, report, seconds=time.monotonic() - started,
                           digest=job.digest, instructor=job.instructor, why=job.why)
    return Outcome(record, files, kept)


def render_files(job: Job, report: GradeReport, plotted: dict) -> dict[str, str]:
    """``results.json`` and, if asked, the feedback pages, from the report
    with the scores given by hand, showing of the hidden checks what
    ``job.hidden`` allows: {path under OUT/<student>/: text}."""
    from ..reports.results_json import results_json
    from .grades import merge

    shown = merge(report, list(job.human))
    results = results_json(shown, job.hidden)
    files = {}
    if job.feedback:
        try:
            from ..reports import feedback
            files.update(feedback.render_student(job.student, shown, plotted, job.stages, job.hidden))
        except Exception:  # noqa: BLE001 - a missing page must not lose the grade
            results.setdefault("extra_data", {})["feedback_error"] = traceback.format_exc(limit=3)
    files[RESULTS] = json.dumps(results, indent=2) + "\n"
    return files
