"""``mlpkit grade-batch``: grade a whole class in parallel, resumably.

ROOT holds one folder per student (nbgrader's ``submitted/`` layout,
``ROOT/<student>/<stage>/<stage>.ipynb``, or a flat ``ROOT/<student>/*.ipynb``).
The run is a pipeline:

1. ``find_students``     every non-hidden folder of ROOT is a student;
2. ``Gradebook.adopt_settings``  a new gradebook records the stages, seed and
                         instructor notebooks; a resumed one must match;
3. ``pending``           students not yet recorded as graded (errors are
                         retried);
4. ``grade_student``     in N worker processes: grade, then write
                         ``OUT/<student>/results.json`` and the feedback pages,
                         each file atomically;
5. ``Gradebook.commit``  in this process, one transaction per student as
                         each finishes;
6. ``write_csv``         ``OUT/grades.csv`` from the gradebook.

Killed at any moment (even ``kill -9``), a rerun grades only the students
the gradebook lacks; each student's seed is derived from the batch seed
and their name, so their grade is the same whichever run produced it.
"""
from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import secrets
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .gradebook import ERROR, GRADED, Gradebook, GradebookMismatch, StudentRecord, record_from_results, write_atomic
from .notebooks import STAGES, default_source, instructor_path

GRADEBOOK_NAME = "gradebook.sqlite"
CSV_NAME = "grades.csv"

# The one seam between the batch and the grading engine: a callable that
# grades one student's folder into Gradescope's results.json (a dict).
GradeFunction = Callable[[Path, list, int], dict]


def engine_grader(folder: Path, stages: list, seed: int, source: Path | None = None) -> dict:
    """Grade one folder with ``mlpkit grade``'s engine, as results.json data.
    The process keeps one engine ``Grader`` (one sandbox) for all the
    students it grades; a sandbox that broke is replaced and the student
    graded again, once."""
    from .report import gradescope
    from .sandbox import SandboxError

    for attempt in (1, 2):
        grader = worker_grader(source, stages)
        try:
            return gradescope(grader.grade(folder, stages, seed))
        except SandboxError:
            _drop_grader(source, stages)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_GRADERS = {}


def worker_grader(source: Path | None, stages):
    """This process's engine ``Grader`` for (source, stages), started on
    first use, replaced if its sandbox has gone, closed when the process
    exits (a multiprocessing finalizer: it runs in pool workers, atexit
    does not)."""
    from multiprocessing import util
    from .engine import Grader

    key = (str(source), tuple(stages))
    grader = _GRADERS.get(key)
    process = getattr(getattr(grader, "sandbox", None), "process", None)
    if grader is None or process is None or process.poll() is not None:
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


# The second seam: the student's training curves and decision boundary for
# the feedback pages, as plain data (see ``curves.py``).
CurveMaker = Callable[[Path, list, int, Path | None], dict]


def engine_curves(folder: Path, stages: list, seed: int, source: Path | None = None) -> dict:
    """The student's curves, run in the sandbox of this process's Grader."""
    from .curves import student_curves

    return student_curves(folder, stages, source=source, sandbox=worker_grader(source, stages).sandbox)


# ------------------------------------------------------------------ arguments

def add_arguments(parser) -> None:
    parser.add_argument("root", type=Path, metavar="ROOT",
                        help="folder of student folders (nbgrader's submitted/, or ROOT/<student>/*.ipynb)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where results, feedback, gradebook.sqlite and grades.csv go (resumed if present)")
    parser.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                        help="students graded at once (default: all cores)")
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME",
                        help="grade only this stage (repeatable); default: all six")
    parser.add_argument("--seed", type=int, default=None,
                        help="batch seed of the hidden checks (default: random, kept in the gradebook for resuming)")
    parser.add_argument("--source", type=Path, metavar="DIR",
                        help="folder of the instructor notebooks (default: the kit's solutions/)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="write results.json only, no HTML feedback pages")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    from .cli import UserError

    try:
        summary = run_batch(args.root, args.out, stages=args.stages, jobs=args.jobs, seed=args.seed,
                            source=args.source, feedback=not args.no_feedback, progress=not args.no_progress)
    except (BatchError, GradebookMismatch) as error:
        raise UserError(str(error)) from None
    except KeyboardInterrupt:
        print(f"mlpkit grade-batch: interrupted; every student finished so far is in {args.out / GRADEBOOK_NAME}. "
              "Run the same command again to grade the rest.", file=sys.stderr)
        return 130
    print(summary.describe())
    return 1 if summary.errors else 0


# ------------------------------------------------------------------ the run

class BatchError(Exception):
    """The batch cannot run (no such folder, no instructor notebook...)."""


@dataclass(frozen=True)
class Job:
    """One student to grade: everything a worker needs, picklable."""
    student: str
    folder: Path
    out: Path
    stages: tuple
    seed: int
    source: Path | None
    feedback: bool


@dataclass
class BatchSummary:
    out: Path
    students: int = 0              # in ROOT
    already: int = 0               # graded by an earlier run
    graded: int = 0                # graded by this run
    errors: dict = field(default_factory=dict)   # student -> why (all recorded errors)
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
        for student, error in sorted(self.errors.items()):
            lines.append(f"  error: {student}: {error.strip().splitlines()[-1] if error.strip() else '?'}")
        return "\n".join(lines)


def find_students(root: Path) -> list:
    """[(student, folder)] sorted by name: every folder of ROOT whose name
    does not start with '.' or '_' (checkpoints, caches)."""
    root = Path(root)
    if not root.is_dir():
        raise BatchError(f"{root} is not a folder of student folders")
    return sorted((entry.name, entry) for entry in root.iterdir()
                  if entry.is_dir() and not entry.name.startswith((".", "_")))


def student_seed(batch_seed: int, student: str) -> int:
    """The student's seed of the hidden checks: fixed by the batch seed and
    the name, so it does not depend on the order or run that grades them."""
    digest = hashlib.sha256(f"{batch_seed}/{student}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2 ** 31)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def run_batch(root, out, stages=None, jobs=None, seed=None, source=None, feedback=True, progress=True,
              grader: GradeFunction | None = None, curve_maker: CurveMaker | None = None) -> BatchSummary:
    """Grade every student of ``root`` not yet graded in ``out``.

    grader and curve_maker replace the engine (tests use stand-ins); they
    must be picklable (module-level functions)."""
    started = time.monotonic()
    root, out = Path(root), Path(out)
    stages = list(dict.fromkeys(stages or STAGES))
    unknown = [stage for stage in stages if stage not in STAGES]
    if unknown:
        raise BatchError(f"unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
    source = Path(source).resolve() if source else None
    for stage in stages:
        notebook = instructor_path(source or default_source(), stage)
        if not notebook.exists():
            raise BatchError(f"no instructor notebook for {stage}: {notebook} does not exist")
    if out.resolve() == root.resolve():
        raise BatchError("--out must not be the folder of submissions itself")
    students = [(name, folder) for name, folder in find_students(root) if folder.resolve() != out.resolve()]
    jobs = max(1, int(jobs or default_jobs()))
    out.mkdir(parents=True, exist_ok=True)
    with Gradebook(out / GRADEBOOK_NAME) as book:
        if seed is None and not book.settings():   # a new gradebook without --seed: draw one, keep it
            seed = secrets.randbelow(2 ** 31)
        settings = book.adopt_settings({"stages": stages, "seed": seed,
                                        "source": str(source) if source else "kit"})
        batch_seed = int(settings["seed"])
        statuses = book.statuses()
        todo = [Job(name, folder.resolve(), out.resolve(), tuple(stages), student_seed(batch_seed, name),
                    source, feedback)
                for name, folder in students if statuses.get(name) != GRADED]
        summary = BatchSummary(out, students=len(students), already=len(students) - len(todo), jobs=jobs)
        bar = _progress_bar(len(students), summary.already, progress)
        try:
            _grade_all(todo, jobs, (grader, curve_maker), book, summary, bar)
        finally:
            bar.close()
        book.write_csv(out / CSV_NAME, stages)
        summary.errors = book.errors()
    summary.seconds = time.monotonic() - started
    return summary


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


# ------------------------------------------------------------------ a worker

def grade_student(job: Job, grader: GradeFunction | None = None, curve_maker=None) -> StudentRecord:
    """Grade one student and write their files; never raises for a grading
    failure: that becomes the record of an error.

    Python's cyclic garbage collector is paused while the student is graded
    and run after: a collection in the middle of the engine's
    ``Remote._outgoing_state`` runs weakref callbacks that remove entries
    from the dict it is copying, which fails a check with "RuntimeError:
    dictionary changed size during iteration" (seen in about 1 student in
    100 when one process grades many)."""
    gc.disable()
    try:
        return _grade_student(job, grader, curve_maker)
    finally:
        gc.enable()
        gc.collect()


def _grade_student(job: Job, grader, curve_maker) -> StudentRecord:
    started = time.monotonic()
    folder = job.out / job.student
    _remove_temporaries(folder)
    try:
        if grader is None:
            results = engine_grader(job.folder, list(job.stages), job.seed, job.source)
        else:
            results = grader(job.folder, list(job.stages), job.seed)
        record = record_from_results(job.student, job.seed, results, job.stages)
    except Exception as error:  # noqa: BLE001 - the kit's failure, recorded against the student
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return StudentRecord(job.student, ERROR, job.seed, error=f"grading failed: {detail}",
                             seconds=time.monotonic() - started)
    if job.feedback:
        try:
            from . import feedback
            curves = (curve_maker or engine_curves)(job.folder, list(job.stages), job.seed, job.source)
            feedback.write_student(folder, job.student, results, curves, job.stages)
        except Exception:  # noqa: BLE001 - a missing page must not lose the grade
            results.setdefault("extra_data", {})["feedback_error"] = traceback.format_exc(limit=3)
    write_atomic(folder / "results.json", json.dumps(results, indent=2) + "\n")
    record.seconds = time.monotonic() - started
    return record


def _remove_temporaries(folder: Path) -> None:
    """Leftovers of a run killed while writing this student's files."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp-*"):
            try:
                leftover.unlink()
            except OSError:
                pass
