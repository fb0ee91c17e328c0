"""Grading a whole class in parallel, resumably (``mlpkit grade-batch``).

The run is a pipeline:

1. ``find_students``     every non-hidden folder of ROOT is a student, except
                         output folders; ROOT mistakes are refused (planning.py);
2. ``survey``            what each student handed in: the notebooks to grade,
                         misnamed ones, timestamps, a digest (submissions.py);
3. ``Gradebook.repair``  a record half there is removed and regraded, said so;
4. settings              a new gradebook records the stages, the seed and the
                         digests of the instructor notebooks and checks
                         (digests.py); a resumed one must match: changed
                         instructor notebooks are refused in one line unless
                         every student is regraded (``regrade_all``);
5. ``read_human``        with nbgrader: the scores people gave in formgrader
                         (written answers...), read back (nbgrader_link.py);
6. ``plan``              who is graded and why (new, work changed, asked,
                         failed before, other instructor notebooks), and whose
                         files are only written again (another ``hidden``,
                         new scores given by hand, a file gone);
7. ``grade_student``     in N worker processes (workers.py), or on the workers
                         of a Dask cluster (``--scheduler``, cluster.py): grade,
                         recording the feedback plots' curves, and render
                         results.json and the feedback pages; an ``Outcome``
                         (plain data) comes back;
8. ``Receiver``          in this process, as each student finishes: their files
                         written atomically under ``OUT/<student>/``, then one
                         gradebook transaction (record and curves), the
                         replaced record kept in the history;
9. ``write_nbgrader``    with nbgrader: every grade into nbgrader's gradebook,
                         late penalties computed with nbgrader's plugin;
10. ``write_csv``        ``OUT/grades.csv`` from the gradebook, also after an
                         interruption (Ctrl-C): it then holds who was graded;
11. ``write_instructor_reports``  the class report and the similarity
                         report (``reports/instructor.py``).

Killed at any moment (even ``kill -9``), a rerun grades only the students
the gradebook lacks; each student's seed is derived from their name (and
the batch seed, when one is given), so their grade is the same whichever
run produced it, and without ``--seed`` the same as ``mlpkit grade`` gives.

A class of more than one student is refused before anything is read or
written where the engine cannot confine student code (``_require_confinement``),
unless ``allow_unconfined``.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..course import Course, instructor_notebooks, select_stages
from ..errors import BatchError, GradebookMismatch
from ..files import write_atomic
from ..outcomes import StageStatus
from ..reports.instructor import similarity_beside, write_instructor_reports
from ..reports.text import first_line
from ..reports.visibility import HiddenDetails
from .digests import describe_change, fingerprint, instructor_digests
from .gradebook import ERROR, GRADED, Gradebook, StudentRecord, Why
from .planning import GRADEBOOK_NAME, Job, check_jobs, check_names, find_students, student_seed, why_grade
from .submissions import Submission, survey
from .workers import CurveFunction, GradeFunction, Outcome, grade_student, stop_quietly_on_interrupt

CSV_NAME = "grades.csv"
__all__ = ["CSV_NAME", "GRADEBOOK_NAME", "BatchSummary", "run_batch"]


@dataclass
class BatchSummary:
    out: Path
    students: int = 0                                     # in ROOT
    already: int = 0                                      # graded before, unchanged
    graded: int = 0                                       # graded by this run
    regraded: dict = field(default_factory=dict)          # why (Why value) -> [students] graded by this run
    rendered: int = 0                                     # files written again without grading
    errors: dict = field(default_factory=dict)            # student -> why (all recorded errors)
    excluded: list = field(default_factory=list)          # folders of ROOT that are not students, with why
    repaired: list = field(default_factory=list)          # half-written records removed
    missing: dict = field(default_factory=dict)           # student -> [stages without a notebook]
    misnamed: dict = field(default_factory=dict)          # student -> [Misnamed]
    invalid: dict = field(default_factory=dict)           # student -> {stage: why}
    awaiting: dict = field(default_factory=dict)          # stage -> [students] whose written answers await grading
    late: dict = field(default_factory=dict)              # student -> [Late]
    notes: list = field(default_factory=list)             # anything else said once
    reports: list = field(default_factory=list)           # the instructor's reports written, and their problems
    nbgrader: str = ""                                    # the nbgrader gradebook written, "" if none
    refused: dict = field(default_factory=dict)           # Dask worker -> why it refused to grade
    ungraded: list = field(default_factory=list)          # students no worker would grade (left for a rerun)
    interrupted: bool = False
    seconds: float = 0.0
    jobs: int = 1
    scheduler: str = ""                                   # the Dask scheduler graded on, "" if local

    @property
    def rate(self) -> float:
        """Students per minute of this run."""
        return 60.0 * (self.graded + len(self.errors)) / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        where = f"{self.jobs} Dask workers at {self.scheduler}" if self.scheduler else f"{self.jobs} processes"
        lines = [f"mlpkit grade-batch: {self.students} students, {self.already} graded before, "
                 f"{self.graded} graded now, {len(self.errors)} errors "
                 f"({self.seconds:.1f} s on {where}, {self.rate:.1f} students/min)"]
        lines += [f"  refused: worker {worker}: {why}" for worker, why in sorted(self.refused.items())]
        if self.ungraded:
            lines.append(f"  not graded: {len(self.ungraded)} students ({', '.join(self.ungraded[:5])}"
                         f"{'...' if len(self.ungraded) > 5 else ''}): no worker would grade them; run again "
                         "once workers that can confine student code are there")
        lines += [f"  excluded: {line}" for line in self.excluded]
        lines += [f"  repaired: {line}" for line in self.repaired]
        for why, students in self.regraded.items():
            if why != Why.NEW.value:
                lines.append(f"  regraded ({why}): {', '.join(sorted(students))}")
        if self.rendered:
            lines.append(f"  files written again (no regrade): {self.rendered} students")
        for student, stages in sorted(self.missing.items()):
            lines.append(f"  missing: {student}: {', '.join(f'{stage}.ipynb' for stage in stages)}")
        for student, found in sorted(self.misnamed.items()):
            for misnamed in found:
                lines.append(f"  misnamed: {student}: {misnamed.describe()}")
        for student, stages in sorted(self.invalid.items()):
            for stage, why in stages.items():
                lines.append(f"  invalid: {student}: {stage}: {first_line(why, 160)}")
        for stage, students in sorted(self.awaiting.items()):
            lines.append(f"  awaiting manual grading: {stage}: {len(students)} students "
                         f"({', '.join(students[:5])}{'...' if len(students) > 5 else ''})"
                         + ("; grade the written answers in formgrader, then run again" if self.nbgrader else
                            "; grade them in formgrader and run again with --nbgrader"))
        for student, items in sorted(self.late.items()):
            lines.append(f"  late: {student}: {'; '.join(item.describe() for item in items)}")
        lines += [f"  note: {line}" for line in self.notes]
        if self.nbgrader:
            lines.append(f"  nbgrader:  {self.nbgrader}")
        lines += [f"  gradebook: {self.out / GRADEBOOK_NAME}", f"  grades:    {self.out / CSV_NAME}"]
        lines += [f"  report:    {item}" for item in self.reports]
        for student, error in sorted(self.errors.items()):
            lines.append(f"  error: {student}: {error.strip().splitlines()[-1] if error.strip() else '?'}")
        return "\n".join(lines)


def run_batch(root: Path, out: Path, source: Path, stages=None, jobs: int | None = None, seed: int | None = None,
              feedback: bool = True, progress: bool = True, grade: GradeFunction | None = None,
              curves: CurveFunction | None = None, regrade=(), regrade_all: bool = False,
              hidden: HiddenDetails | str | None = None, nbgrader: Course | bool | None = None,
              allow_unconfined: bool = False, scheduler: str | None = None) -> BatchSummary:
    """Grade every student of ``root`` not yet graded in ``out`` (or whose
    work changed), with the instructor notebooks of ``source``.

    regrade: students to grade again whatever their record; regrade_all:
    everyone (also what lets a gradebook take changed instructor notebooks).
    hidden: what results.json and the feedback pages show of the hidden
    checks (None: as in the earlier runs, else everything).  nbgrader: the course whose nbgrader gradebook receives the
    grades (and gives back due dates and the scores given by hand); None:
    the one this gradebook was synced with before, if any; False: none.
    grade and curves replace the engine's functions (tests use stand-ins); they
    must be picklable (module-level functions).  A class of more than one
    student is refused where the engine cannot confine student code, unless
    ``allow_unconfined``.  scheduler: the address of a Dask scheduler whose
    workers grade (``cluster.py``; each worker refuses to grade where it
    cannot confine student code); this process then only plans, writes the
    files and commits, exactly as in local mode."""
    started = time.monotonic()
    root, out, source = Path(root), Path(out), Path(source).resolve()
    stages = list(select_stages(stages))
    instructor_notebooks(source, stages)
    jobs = check_jobs(jobs)
    hidden = HiddenDetails.parse(hidden) if hidden is not None else None
    if out.resolve() == root.resolve():
        raise BatchError("--out must not be the folder of submissions itself")
    found = find_students(root, out)
    asked = check_names(regrade, found.folders)
    if len(found.folders) > 1 and grade is None and not allow_unconfined and not scheduler:
        _require_confinement()
    surveys = [survey(name, folder.resolve(), stages) for name, folder in found.folders]
    digests = instructor_digests(source, stages)
    summary = BatchSummary(out, students=len(surveys), jobs=jobs, excluded=found.excluded)
    cluster = None
    if scheduler:
        from .cluster import Cluster

        cluster = Cluster.connect(scheduler)
        summary.scheduler, summary.jobs = cluster.address, cluster.workers()
    out.mkdir(parents=True, exist_ok=True)
    # The similarity report needs only the student folders: it is computed beside the grading.
    with Gradebook(out / GRADEBOOK_NAME) as book, similarity_beside(found.folders, source, stages) as similar:
        summary.repaired = book.repair()
        # Without --seed, each student's own default seed (recorded as None);
        # a resumed run keeps whatever the first run recorded.
        settings = book.adopt_settings({"stages": stages, "seed": seed})
        batch_seed = None if settings["seed"] is None else int(settings["seed"])
        hidden = hidden or HiddenDetails.parse(book.meta("hidden", HiddenDetails.FULL.value))
        current = _adopt_instructor(book, digests, regrade_all)
        book.set_meta("source", str(source))
        link = _open_nbgrader(book, nbgrader, stages, source, summary)
        try:
            changed_hand = _read_human(book, link, summary) if link else set()
            todo = _plan(book, surveys, out, stages, batch_seed, source, feedback, current,
                         set(asked), regrade_all, hidden, changed_hand)
            summary.already = len(surveys) - sum(1 for job in todo if job.report is None)
            bar = _progress_bar(len(surveys), len(surveys) - len(todo), progress)
            receive = Receiver(out, book, summary, bar)
            try:
                if cluster is not None:
                    cluster.grade(todo, receive, (grade, curves), surveys, allow_unconfined)
                else:
                    _grade_all(todo, jobs, (grade, curves), receive)
            except KeyboardInterrupt:
                summary.interrupted = True
                raise
            finally:
                bar.close()
                if cluster is not None:
                    cluster.close()
                if summary.interrupted:
                    book.write_csv(out / CSV_NAME, stages)
            book.set_meta("hidden", hidden.value)
            if link is not None:
                _write_nbgrader(book, link, surveys, todo, hidden, summary)
        finally:
            if link is not None:
                link.close()
        book.write_csv(out / CSV_NAME, stages)
        _say_problems(book, surveys, stages, summary)
        summary.errors = book.errors()
        # The instructor's view of the class: class-report.html/.json and similarity.html/.csv.
        written, problems = write_instructor_reports(out, book, found.folders, source, stages, similar=similar)
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


def _adopt_instructor(book: Gradebook, digests: dict, regrade_all: bool) -> str:
    """The fingerprint of the instructor notebooks and checks in force: a
    new gradebook takes the current one; a gradebook made with others takes
    them only when every student is regraded, and is refused otherwise."""
    current, recorded = fingerprint(digests), book.meta("instructor_fingerprint")
    if recorded is not None and recorded != current and not regrade_all:
        change = describe_change(book.meta("instructor", {}), digests)
        raise GradebookMismatch(
            f"the instructor notebooks or checks changed since {book.path} was graded: {change}. "
            "Run again with --regrade-all to regrade every student with them (their current grades are kept in "
            "the history), or grade into a new --out folder")
    book.set_meta("instructor_fingerprint", current)
    book.set_meta("instructor", digests)
    return current


def _open_nbgrader(book: Gradebook, nbgrader, stages, source: Path, summary: BatchSummary):
    """The nbgrader gradebook to keep in step, ready, or None."""
    if nbgrader is False:
        book.set_meta("nbgrader_course", "")
        return None
    course = nbgrader
    if course is None or course is True:
        recorded = book.meta("nbgrader_course", "")
        if not recorded:
            return None
        course = Course.at(Path(recorded))
        summary.notes.append(f"nbgrader's gradebook is kept in step as in earlier runs ({course.root}); "
                             "--no-nbgrader stops that")
    try:
        from .nbgrader_link import NbgraderGradebook
    except ImportError:
        raise BatchError("--nbgrader needs nbgrader: python3 -m pip install nbgrader") from None
    link = NbgraderGradebook(course)
    try:
        link.prepare(stages, source)
    except BaseException:
        link.close()
        raise
    book.set_meta("nbgrader_course", str(course.root))
    summary.nbgrader = link.where
    return link


def _read_human(book: Gradebook, link, summary: BatchSummary) -> set:
    """Read back what people gave in formgrader; returns the students whose
    scores given by hand changed since the last run."""
    changed = set()
    for student, recorded in book.recorded().items():
        if recorded.status == GRADED and book.set_human(student, link.human_grades(student)):
            changed.add(student)
    return changed


def _plan(book: Gradebook, surveys: list[Submission], out: Path, stages: list, batch_seed: int | None, source: Path,
          feedback: bool, instructor: str, asked: set, regrade_all: bool, hidden: HiddenDetails,
          changed_hand: set) -> list[Job]:
    """The jobs of this run: students to grade, then students whose files
    are only written again."""
    recorded = book.recorded()
    hidden_changed = book.meta("hidden", HiddenDetails.FULL.value) != hidden.value
    grade, render = [], []
    for submission in surveys:
        name = submission.student
        record = recorded.get(name)
        why = why_grade(record, submission.digest, instructor, regrade_all or name in asked)
        job = Job(name, submission.folder, out.resolve(), tuple(stages), student_seed(batch_seed, name), source,
                  feedback, why.value if why else "", submission.digest, instructor, hidden.value,
                  human=tuple(book.human(name)))
        if why is not None:
            grade.append(job)
        elif hidden_changed or name in changed_hand or not _files_there(out / name, feedback):
            render.append(replace(job, report=book.raw_report(name).to_dict(), curves=book.curves(name)))
    return grade + render


def _files_there(folder: Path, feedback: bool) -> bool:
    return (folder / "results.json").is_file() and (not feedback or (folder / "feedback" / "index.html").is_file())


def _write_nbgrader(book: Gradebook, link, surveys: list[Submission], todo: list[Job], hidden: HiddenDetails,
                    summary: BatchSummary) -> None:
    """Every current grade into nbgrader's gradebook; the late penalties it
    gives back are kept in ours."""
    by_name = {submission.student: submission for submission in surveys}
    # The notebook formgrader shows is replaced when the work changed; a first grading keeps the copy
    # nbgrader's own autograde may have made of the same submission.
    changed = {job.student for job in todo if job.report is None and job.why == Why.WORK_CHANGED.value}
    current = book.meta("instructor_fingerprint")
    written = 0
    for student, recorded in sorted(book.recorded().items()):
        if recorded.status != GRADED or recorded.instructor != current:
            continue
        submission = by_name.get(student)
        notebooks = {stage: path for stage, path in (submission.found.items() if submission else [])
                     if student in changed}
        late, problems = link.write(student, book.raw_report(student), submission.timestamps if submission else {},
                                    book.overrides(student), notebooks, hidden.value)
        book.set_late(student, late)
        summary.notes += problems
        written += 1
    summary.nbgrader = f"{link.where}: {written} students written"


def push_to_nbgrader(book: Gradebook, student: str) -> str:
    """``student``'s grades into nbgrader's gradebook if this gradebook is
    kept in step with one (after an override, say); returns where, or ""."""
    recorded = book.meta("nbgrader_course", "")
    if not recorded or book.statuses().get(student) != GRADED:
        return ""
    from .nbgrader_link import NbgraderGradebook

    with NbgraderGradebook(Course.at(Path(recorded))) as link:
        link.prepare(book.meta("stages", []), Path(book.meta("source")))
        late, _ = link.write(student, book.raw_report(student), {}, book.overrides(student), {},
                             book.meta("hidden", HiddenDetails.FULL.value))
        book.set_late(student, late)
        return link.where


def _say_problems(book: Gradebook, surveys: list[Submission], stages: list, summary: BatchSummary) -> None:
    """What the students' files and grades need said: missing, misnamed and
    invalid notebooks, written answers awaiting a grader, late work."""
    for submission in surveys:
        name = submission.student
        if submission.missing:
            summary.missing[name] = submission.missing
        if submission.misnamed:
            summary.misnamed[name] = submission.misnamed
        report = book.report(name)
        if report is None:
            continue
        invalid = {stage.stage: (stage.problems or ["unreadable"])[0] for stage in report.stages
                   if stage.status is StageStatus.INVALID}
        if invalid:
            summary.invalid[name] = invalid
        for stage in report.awaiting_manual:
            summary.awaiting.setdefault(stage, []).append(name)
        late = [item for item in book.late(name).values() if item.seconds_late > 0]
        if late:
            summary.late[name] = sorted(late, key=lambda item: item.stage)


def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="student", desc="grading", disable=not enabled,
                dynamic_ncols=True, mininterval=0.5, file=sys.stderr,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                           "[{elapsed}<{remaining}, {rate_fmt}{postfix}]")


class Receiver:
    """The coordinator's side of grading, the same for local processes and
    Dask workers: each student's files written (atomically, under
    ``OUT/<student>/``), then their record committed with the curves in one
    transaction, so a record in the gradebook means its files are there."""

    def __init__(self, out: Path, book: Gradebook, summary: BatchSummary, bar):
        self.out, self.book, self.summary, self.bar = out, book, summary, bar

    def __call__(self, job: Job, outcome: Outcome) -> None:
        folder = self.out / job.student
        _remove_temporaries(folder)
        for name, text in outcome.files.items():
            write_atomic(folder / name, text)
        if job.report is not None:
            self.summary.rendered += 1
            self.bar.update(1)
            return
        record = outcome.record
        self.book.commit(record, outcome.curves)
        if record.status == GRADED:
            self.summary.graded += 1
            self.summary.regraded.setdefault(job.why, []).append(job.student)
        self._advance()

    def died(self, job: Job, why: str) -> None:
        """``job``'s grading killed its worker twice: an error, never retried."""
        if job.report is None:
            self.book.commit(StudentRecord(job.student, ERROR, job.seed, digest=job.digest, why=job.why,
                                           instructor=job.instructor, error=why))
        self._advance()

    def _advance(self) -> None:
        errors = self.book.count(ERROR)
        self.bar.set_postfix_str(f"{errors} errors" if errors else "", refresh=False)
        self.bar.update(1)


def _remove_temporaries(folder: Path) -> None:
    """Leftovers of a run killed while writing this student's files."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp-*"):
            try:
                leftover.unlink()
            except OSError:
                pass


def _grade_all(todo: list, jobs: int, makers: tuple, receive: Receiver) -> None:
    """Grade ``todo`` on ``jobs`` processes, receiving each student as they
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
        lost = _run_pool(group, 1 if alone else jobs, makers, receive, remaining)
        if alone and lost:
            job = lost[0]
            receive.died(job, "the grading process died while grading this student (twice, the second time alone)")
            remaining.remove(job)
        else:
            suspects += [job for job in lost if job not in suspects]
        suspects = [job for job in suspects if job in remaining]


def _run_pool(group: list, workers: int, makers: tuple, receive: Receiver, remaining: list) -> list:
    """Grade ``group``, receiving results as they arrive; returns the jobs in
    flight when a worker died ([] if none did)."""
    context = multiprocessing.get_context("spawn")
    queue, running = list(group), {}
    with ProcessPoolExecutor(max_workers=min(workers, len(queue)), mp_context=context,
                             initializer=stop_quietly_on_interrupt) as pool:
        def fill():
            while queue and len(running) < workers:
                job = queue.pop(0)
                running[pool.submit(grade_student, job, *makers)] = job

        try:
            fill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()   # raises BrokenProcessPool if a worker died
                    job = running.pop(future)
                    remaining.remove(job)
                    receive(job, outcome)
                fill()
        except BrokenProcessPool:
            return list(running.values())
    return []
