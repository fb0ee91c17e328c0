"""The instructor's view of a graded class, written at the end of every
``grade-batch`` run (and after any regrade) from the gradebook and the
student folders:

* ``class-report.json`` and ``class-report.html`` (``class_report.py``):
  what the class got wrong;
* ``similarity.csv`` and ``similarity.html`` (``similarity.py``): pairs of
  students whose answers match.

A report that fails is not written and its failure is returned as one
line: the grades are already safe in the gradebook, and the next run tries
again.
"""
from __future__ import annotations

import contextlib
import traceback
from pathlib import Path
from typing import Sequence

from . import class_report, similarity


def write_instructor_reports(out: Path, book, students: Sequence[tuple[str, Path]], source: Path,
                             stages: Sequence[str], release: Path | None = None,
                             similar=None) -> tuple[list[Path], list[str]]:
    """Write the class report and the similarity report into ``out``.

    book: the batch's ``Gradebook`` (``statuses``, ``report(student)``,
    ``errors``); students: [(name, folder)] of the submissions; source: the
    instructor notebooks; release: the released notebooks, if the course
    has them (their stubs are boilerplate too); similar: a future of
    ``similar_pairs(students, stages, source, release)`` started earlier
    (``similarity_beside``), else it is computed here.  Returns (paths
    written, one-line problems)."""
    out, written, problems = Path(out), [], []
    if release is None:
        release = _release_of(source)
    try:
        reports = {student: book.report(student) for student, status in book.statuses().items()
                   if status == "graded"}
        data = class_report.build({s: r for s, r in reports.items() if r is not None}, book.errors(), stages,
                                  source)
        written += class_report.write(out, data)
    except Exception as error:  # noqa: BLE001 - a report must not lose a class's grades
        problems.append(_problem("class report", error))
    try:
        pairs, compared = similar.result() if similar is not None else \
            similarity.similar_pairs(students, stages, source, release)
        written += similarity.write(out, pairs, stages, compared)
    except Exception as error:  # noqa: BLE001
        problems.append(_problem("similarity report", error))
    return written, problems


@contextlib.contextmanager
def similarity_beside(students: Sequence[tuple[str, Path]], source: Path, stages: Sequence[str]):
    """Compare the submissions in a process of its own while the class is
    graded (it needs only the student folders, which grading does not
    change): yields the future ``write_instructor_reports`` takes as
    ``similar``; the process is stopped on leaving."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_leave_interrupts_to_the_batch)
    try:
        yield executor.submit(similarity.similar_pairs, list(students), list(stages), source, _release_of(source))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _leave_interrupts_to_the_batch() -> None:
    """In the comparing process: Ctrl-C stops the batch, which stops this
    process; it says nothing of its own (no traceback)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _release_of(source: Path) -> Path | None:
    """The release folder of the course whose instructor notebooks are ``source``, if any."""
    from ..course import CONFIG_NAME, Course
    from ..errors import CourseError

    folder = Path(source).resolve().parent
    if not (folder / CONFIG_NAME).is_file():
        return None
    try:
        course = Course.at(folder)
    except CourseError:
        return None
    return course.release if course.source == Path(source).resolve() and course.release.is_dir() else None


def _problem(what: str, error: Exception) -> str:
    where = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    at = f" ({where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    return f"the {what} could not be written: {type(error).__name__}: {error}{at}"
