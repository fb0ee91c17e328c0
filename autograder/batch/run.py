"""Grading a whole class in parallel, resumably (``mlpkit grade-batch``).

The run is a pipeline:

1. ``find_students``     every non-hidden folder of ROOT is a student (planning.py);
2. ``Gradebook.adopt_settings``  a new gradebook records the stages, seed and
                         instructor notebooks; a resumed one must match;
3. ``pending``           students not yet recorded as graded (errors are
                         retried);
4. ``grade_student``     in N worker processes (workers.py): grade, then write
                         ``OUT/<student>/results.json`` and the feedback pages,
                         each file atomically;
5. ``Gradebook.commit``  in this process, one transaction per student as
                         each finishes;
6. ``write_csv``         ``OUT/grades.csv`` from the gradebook;
7. ``write_instructor_reports``  the class report and the similarity
                         report (``reports/instructor.py``).

Killed at any moment (even ``kill -9``), a rerun grades only the students
the gradebook lacks; each student's seed is derived from their name (and
the batch seed, when one is given), so their grade is the same whichever
run produced it, and without ``--seed`` the same as ``mlpkit grade`` gives.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from ..course import instructor_notebooks, select_stages
from ..errors import BatchError
from ..reports.instructor import write_instructor_reports
from .gradebook import ERROR, GRADED, Gradebook, StudentRecord
from .planning import Job, default_jobs, find_students, student_seed
from .workers import CurveFunction, GradeFunction, grade_student

GRADEBOOK_NAME = "gradebook.sqlite"
CSV_NAME = "grades.csv"


@dataclass
class BatchSummary:
    out: Path
    students: int = 0              # in ROOT
    already: int = 0               # graded by an earlier run
    graded: int = 0                # graded by this run
    errors: dict = field(default_factory=dict)   # student -> why (all recorded errors)
    reports: list = field(default_factory=list)  # the instructor's reports written, and their problems
    seconds: float = 0.0
    jobs: int = 1

    @property
    def rate(self) -> float:
        """Students per minute of this run."""
        return 60.0 * (self.graded + len(self.errors)) / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        lines = [f"mlpkit grade-batch: {self.students} students, {self.already} graded before, "
                 f"{self.graded} graded now, {len(self.errors)} errors "
                 f"({self.seconds:.1f} s on {self.jobs} processes, {self.rate:.1f} students/min)",
                 f"  gradebook: {self.out / GRADEBOOK_NAME}",
                 f"  grades:    {self.out / CSV_NAME}"]
        lines += [f"  report:    {item}" for item in self.reports]
        for student, error in sorted(self.errors.items()):
            lines.append(f"  error: {student}: {error.strip().splitlines()[-1] if error.strip() else '?'}")
        return "\n".join(lines)


def run_batch(root: Path, out: Path, source: Path, stages=None, jobs: int | None = None, seed: int | None = None,
              feedback: bool = True, progress: bool = True, grade: GradeFunction | None = None,
              curves: CurveFunction | None = None, allow_unconfined: bool = False) -> BatchSummary:
    """Grade every student of ``root`` not yet graded in ``out``, with the
    instructor notebooks of ``source``.

    grade and curves replace the engine's functions (tests use stand-ins); they
    must be picklable (module-level functions).  A class of more than one
    student is refused where the engine cannot confine student code, unless
    ``allow_unconfined``."""
    started = time.monotonic()
    root, out, source = Path(root), Path(out), Path(source).resolve()
    stages = list(select_stages(stages))
    instructor_notebooks(source, stages)
    if out.resolve() == root.resolve():
        raise BatchError("--out must not be the folder of submissions itself")
    students = [(name, folder) for name, folder in find_students(root) if folder.resolve() != out.resolve()]
    if len(students) > 1 and grade is None and not allow_unconfined:
        _require_confinement()
    jobs = max(1, int(jobs or default_jobs()))
    out.mkdir(parents=True, exist_ok=True)
    with Gradebook(out / GRADEBOOK_NAME) as book:
        # Without --seed, each student's own default seed (recorded as None);
        # a resumed run keeps whatever the first run recorded.
        settings = book.adopt_settings({"stages": stages, "seed": seed, "source": str(source)})
        batch_seed = None if settings["seed"] is None else int(settings["seed"])
        statuses = book.statuses()
        todo = [Job(name, folder.resolve(), out.resolve(), tuple(stages), student_seed(batch_seed, name),
                    source, feedback)
                for name, folder in students if statuses.get(name) != GRADED]
        summary = BatchSummary(out, students=len(students), already=len(students) - len(todo), jobs=jobs)
        bar = _progress_bar(len(students), summary.already, progress)
        try:
            _grade_all(todo, jobs, (grade, curves), book, summary, bar)
        finally:
            bar.close()
        book.write_csv(out / CSV_NAME, stages)
        summary.errors = book.errors()
        # The instructor's view of the class: class-report.html/.json and similarity.html/.csv.
        written, problems = write_instructor_reports(out, book, students, source, stages)
        summary.reports = [path for path in written if path.suffix == ".html"] + [f"warning: {p}" for p in problems]
    summary.seconds = time.monotonic() - started
    return summary


def _require_confinement() -> None:
    """Refuse to grade a class where each student's code could reach the
    others' work (see docs/grading.md, Isolation)."""
    from ..sandbox import probe_confinement

    found = probe_confinement()
    if found.missing:
        why = found.why or f"missing: {', '.join(found.missing)}"
        raise BatchError(f"student code cannot be confined on this machine ({why}), so each student's code "
                         "could read and change the others' work; grade as root or where user namespaces are "
                         "allowed, or pass --allow-unconfined to grade anyway")


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="student", desc="grading", disable=not enabled,
                dynamic_ncols=True, mininterval=0.5, file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                           "[{elapsed}<{remaining}, {rate_fmt}{postfix}]")


def _grade_all(todo: list, jobs: int, makers: tuple, book: Gradebook, summary: BatchSummary, bar) -> None:
    """Grade ``todo`` on ``jobs`` processes, committing each student as they
    finish.  A worker process that dies (a segfault, the OOM killer) takes
    the pool with it: the students it may have been grading become
    suspects, each graded again alone; one whose worker dies alone too is
    recorded as an error."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")   # one core per student: the parallelism is across students
    remaining, suspects = list(todo), []
    while remaining:
        alone = bool(suspects)
        group = [suspects[0]] if alone else list(remaining)
        lost = _run_pool(group, 1 if alone else jobs, makers, book, summary, bar, remaining)
        if alone and lost:
            job = lost[0]
            book.commit(StudentRecord(job.student, ERROR, job.seed,
                                      error="the grading process died while grading this student (twice, "
                                            "the second time alone)"))
            remaining.remove(job)
            bar.update(1)
        else:
            suspects += [job for job in lost if job not in suspects]
        suspects = [job for job in suspects if job in remaining]


def _run_pool(group: list, workers: int, makers: tuple, book: Gradebook, summary: BatchSummary, bar,
              remaining: list) -> list:
    """Grade ``group``, committing as results arrive; returns the jobs in
    flight when a worker died ([] if none did)."""
    context = multiprocessing.get_context("spawn")
    queue, running = list(group), {}
    with ProcessPoolExecutor(max_workers=min(workers, len(queue)), mp_context=context) as pool:
        def fill():
            while queue and len(running) < workers:
                job = queue.pop(0)
                running[pool.submit(grade_student, job, *makers)] = job

        try:
            fill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    record = future.result()   # raises BrokenProcessPool if a worker died
                    job = running.pop(future)
                    book.commit(record)
                    remaining.remove(job)
                    if record.status == GRADED:
                        summary.graded += 1
                    errors = book.count(ERROR)
                    bar.set_postfix_str(f"{errors} errors" if errors else "", refresh=False)
                    bar.update(1)
                fill()
        except BrokenProcessPool:
            return list(running.values())
    return []


