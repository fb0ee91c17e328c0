"""Grading a class on the workers of a Dask cluster (``mlpkit grade-batch
--scheduler ADDRESS``).

The coordinator (this process, in ``run.py``) plans, writes every file and
alone writes the gradebook, exactly as in local mode; Dask only replaces
the pool of local processes.  Why Dask distributed: one scheduler address
reaches a laptop, a Slurm cluster (dask-jobqueue) and Kubernetes
(dask-kubernetes), and it already knows which worker was lost and which
tasks it held (docs/batch-grading.md).

* Submissions travel as data: each task carries the student's notebooks
  (bytes, by their path under the student's folder), and the instructor
  notebooks reach every worker once, as a worker plugin (which Dask also
  gives to workers that join or restart mid-run); the worker grades copies
  in a folder of its own.  Nothing assumes a shared file system.
* Results travel as data: the worker's ``Outcome`` (the report, the files'
  text, the recorded curves) comes back, with the paths of the copies put
  back to the coordinator's, so the files and rows are those local mode
  writes.
* Each worker runs the same engine and sandbox as local grading, one
  student at a time per process, and refuses work it cannot do as the
  coordinator would: where it cannot confine student code (unless
  ``--allow-unconfined``), or where its kit's checks or instructor
  notebooks differ from the coordinator's.  A refusing worker is said in
  the summary and given no more work; the students nobody will grade stay
  ungraded, for a rerun.
* A worker lost mid-run loses nothing: Dask gives its student to another
  worker.  The scheduler is told to allow one such loss per task
  (``allowed_failures = 1``): a student whose grading kills a second
  worker is recorded as an error, never retried forever.
* At most one task per worker thread is in flight, so a lost worker holds
  one student and the progress bar moves as students finish.
"""
from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from ..course import instructor_notebooks
from ..errors import BatchError
from ..outcomes import GradeReport
from .gradebook import ERROR, StudentRecord
from .planning import Job
from .submissions import Submission
from .workers import Outcome, grade_student

try:
    from distributed import WorkerPlugin
except ImportError:   # only --scheduler needs Dask, and says how to install it
    WorkerPlugin = object

ALLOWED_FAILURES = 1      # workers a student's grading may kill and still be graded elsewhere
CONNECT_SECONDS = 15
DIED_TWICE = "the grading killed its Dask worker twice (each time the worker was lost), so it is not retried"

__all__ = ["ALLOWED_FAILURES", "Cluster", "grade_remote"]


def _dask():
    try:
        import distributed
    except ImportError:
        raise BatchError("--scheduler needs Dask distributed: python3 -m pip install \"mlpkit[dask]\" "
                         "(or: python3 -m pip install distributed)") from None
    return distributed


@dataclass(frozen=True)
class Folder:
    """Files as data: {path under the folder: bytes}, and a digest of them."""
    files: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, root: Path, paths) -> "Folder":
        root = Path(root)
        return cls(tuple(sorted((Path(path).resolve().relative_to(root.resolve()).as_posix(), Path(path).read_bytes())
                                for path in paths)))

    @property
    def digest(self) -> str:
        sha = hashlib.sha256()
        for name, data in self.files:
            sha.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return sha.hexdigest()[:16]

    def write(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        for name, data in self.files:
            path = (root / name).resolve()
            if root.resolve() not in path.parents:
                raise BatchError(f"{name}: a path outside the folder")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root


class InstructorNotebooks(WorkerPlugin):
    """The instructor notebooks of a run, held by every worker of the
    cluster (``Client.register_plugin``): registered once, given by the
    scheduler to every worker, including those that join or restart later."""

    def __init__(self, folder: Folder):
        self.folder = folder
        self.name = f"mlpkit-instructor-{folder.digest}"


class Cluster:
    """A Dask client connected to the scheduler that grades this run."""

    def __init__(self, client, address: str):
        self.client, self.address = client, address

    @classmethod
    def connect(cls, address: str) -> "Cluster":
        distributed = _dask()
        try:
            client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            why = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
            raise BatchError(f"--scheduler {address}: no Dask scheduler answered in {CONNECT_SECONDS} s ({why}); "
                             "start one with `dask scheduler` and workers with "
                             "`dask worker ADDRESS --nthreads 1`") from None
        try:
            client.run_on_scheduler(_allow_failures, ALLOWED_FAILURES)
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError):
            client.close()
            raise BatchError(f"--scheduler {address}: the scheduler has no workers; start some with "
                             f"`dask worker {address} --nthreads 1`") from None
        return cls(client, address)

    def workers(self) -> int:
        """Threads of the cluster's workers: students graded at once."""
        return sum(worker.get("nthreads", 1) for worker in
                   self.client.scheduler_info(n_workers=-1)["workers"].values()) or 1

    def close(self) -> None:
        self.client.close()

    def grade(self, todo: list[Job], receive, makers: tuple, surveys: list[Submission],
              allow_unconfined: bool) -> None:
        """Grade ``todo`` on the cluster, handing each ``Outcome`` to
        ``receive`` (run.Receiver) as it arrives.  Losing the scheduler
        stops the run in one line; what was received is in the gradebook."""
        try:
            self._grade(todo, receive, makers, surveys, allow_unconfined)
        except OSError as error:   # distributed's CommClosedError too
            raise BatchError(f"--scheduler {self.address}: the connection to the Dask scheduler was lost "
                             f"({type(error).__name__}: {str(error)[:200]}); every student graded so far is in the "
                             "gradebook: run the same command again to grade the rest") from None

    def _grade(self, todo: list[Job], receive, makers: tuple, surveys: list[Submission],
               allow_unconfined: bool) -> None:
        distributed = _dask()
        if not todo:
            return
        summary = receive.summary
        stages = list(todo[0].stages)
        source = todo[0].source
        plugin = InstructorNotebooks(Folder.of(source, instructor_notebooks(source, stages).values()))
        self.client.register_plugin(plugin, name=plugin.name)
        by_name = {submission.student: submission for submission in surveys}
        queue, running, refusing = list(todo), {}, set()

        def submit(job: Job):
            submission = Folder.of(job.folder, by_name[job.student].found.values()) \
                if job.report is None and job.student in by_name else Folder(())
            addresses = self._addresses()
            accepting = [address for address in addresses if address not in refusing]
            if addresses and not accepting:
                return False     # every worker there refuses; with none there (restarting), the task waits
            future = self.client.submit(grade_remote, job, submission, plugin.name, makers, allow_unconfined,
                                        key=f"mlpkit-grade-{job.student}-{uuid.uuid4().hex[:12]}",
                                        workers=accepting if refusing and accepting else None,
                                        allow_other_workers=False, pure=False)
            running[future] = job
            return True

        def fill():
            while queue and len(running) < max(1, self.workers()):
                if not submit(queue[0]):
                    return
                queue.pop(0)

        fill()
        events = distributed.as_completed(list(running), loop=self.client.loop)
        while running:
            future = next(events)
            job = running.pop(future)
            try:
                outcome: Outcome = future.result()
            except distributed.KilledWorker:
                receive.died(job, DIED_TWICE)
            except (Exception, asyncio.CancelledError) as error:   # cancelled, or failed before grading
                note = f"a Dask task ended without grading ({type(error).__name__}: {error})"[:300]
                if note not in summary.notes:
                    summary.notes.append(note)
                summary.ungraded.append(job.student)
            else:
                if outcome.refused:
                    refusing.add(outcome.worker)
                    summary.refused[outcome.worker] = outcome.refused
                    queue.insert(0, job)
                else:
                    receive(job, outcome)
            future.release()
            before = set(running)
            fill()
            for new in set(running) - before:
                events.add(new)
            if not running and queue:
                summary.ungraded += [job.student for job in queue]
                queue.clear()

    def _addresses(self) -> list[str]:
        return list(self.client.scheduler_info(n_workers=-1)["workers"])


def _allow_failures(count: int, dask_scheduler=None) -> None:
    """Run on the scheduler: a task whose worker dies ``count`` + 1 times fails
    with KilledWorker instead of being rescheduled."""
    dask_scheduler.allowed_failures = count


# ------------------------------------------------------------ on the worker

_PREPARED: dict = {}
_PREPARING = threading.Lock()


def grade_remote(job: Job, submission: Folder, plugin: str, makers: tuple, allow_unconfined: bool) -> Outcome:
    """What a Dask worker runs for one student: check that it may grade,
    write the data it was sent into a folder of its own, grade with
    ``workers.grade_student`` and put the coordinator's paths back.
    ``plugin``: the name of this run's ``InstructorNotebooks``."""
    from distributed import get_worker

    here = get_worker()
    worker, instructor = here.address, here.plugins[plugin].folder
    source, refusal = _prepare(instructor, list(job.stages), job.instructor, allow_unconfined)
    if refusal:
        return Outcome(StudentRecord(job.student, ERROR, job.seed), {}, refused=refusal, worker=worker)
    scratch = Path(tempfile.mkdtemp(prefix="mlpkit-student-"))
    try:
        folder = submission.write(scratch / job.student)
        outcome = grade_student(replace(job, folder=folder, source=source, out=scratch / "out"), *makers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = outcome.record.report
    if report is not None and job.report is None:
        outcome.record.report = _renamed(report, str(folder), str(job.folder))
    return outcome


def _prepare(instructor: Folder, stages: list, fingerprint_wanted: str, allow_unconfined: bool) -> tuple:
    """This worker process's copy of the instructor notebooks, and why it
    refuses to grade ("" if it does not), both worked out once."""
    key = (instructor.digest, tuple(stages), fingerprint_wanted, allow_unconfined)
    with _PREPARING:
        if key not in _PREPARED:
            _PREPARED[key] = _check_worker(instructor, stages, fingerprint_wanted, allow_unconfined)
        return _PREPARED[key]


def _check_worker(instructor: Folder, stages: list, fingerprint_wanted: str, allow_unconfined: bool) -> tuple:
    from ..sandbox import probe_confinement
    from .digests import fingerprint, instructor_digests

    source = instructor.write(Path(tempfile.mkdtemp(prefix="mlpkit-instructor-")))
    if not allow_unconfined:
        found = probe_confinement()
        if found.missing:
            why = found.why or f"missing: {', '.join(found.missing)}"
            return source, (f"student code cannot be confined on this worker ({why}); it grades nobody "
                            "(--allow-unconfined grades anyway)")
    ours = fingerprint(instructor_digests(source, stages))
    if fingerprint_wanted and ours != fingerprint_wanted:
        return source, ("this worker's mlpkit checks or instructor notebooks differ from the coordinator's "
                        f"(fingerprint {ours[:12]}, not {fingerprint_wanted[:12]}): install the same mlpkit there")
    return source, ""


def _renamed(report: GradeReport, copy: str, original: str) -> GradeReport:
    """The report with the paths of the worker's copy put back to the
    coordinator's (the submission and each stage's notebook)."""
    def back(path: str) -> str:
        return original + path[len(copy):] if path.startswith(copy) else path

    report.submission = back(report.submission)
    for stage in report.stages:
        stage.notebook = back(stage.notebook)
    return report
