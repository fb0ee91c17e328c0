"""The grading engine: ``grade_submission`` turns a folder of notebooks into
a ``GradeReport``.

Per stage, a pipeline of small steps:

1. find the stage's notebook in the submission and read it (a missing or
   corrupt notebook scores 0 for that stage, with the reason);
2. plan the cells: the instructor's provided cells and the student's
   answer cells, in the instructor's order (the student's test cells are
   never used);
3. start a sandboxed session and load those cells into it;
4. run every check -- the instructor's test cells, then the hidden checks
   -- in this process, calling the student's code through stand-ins; a
   session that times out or crashes is replaced for the next check;
5. with a recorder (``StageRecorder``: the feedback plots of a batch),
   let it record what it needs in the same session: what it saw of the
   checks' calls, and at most one call of its own cells;
6. end the session (killing everything it started) and keep its output.

Time limits: a call that does not return within its limit costs that
limit once; the function is not called again in the stage, and all such
calls of a stage share one check's time limit (``sandbox.Remote``).  A
recorder runs only in a stage where nothing timed out, so code that loops
forever costs at most one time limit per stage.

The seed of the hidden checks' inputs is, unless given, ``default_seed`` of
the student's name (the submission folder's): the same submission always
gets the same inputs, and so the same score, whichever command grades it
(``mlpkit grade``, ``grade-batch``) and however often.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Protocol, Sequence

import numpy as np

from .checks import CheckContext, collecting_notes, hidden_checks, mistakes, public_checks
from .checks.base import compiled
from .plaindata import first
from .course import STAGES, find_course, hidden_paths, instructor_notebooks, select_stages
from .errors import CourseError, GradingError
from .notebooks import PROVIDED, Notebook, NotebookProblem, find_submission, plan_cells, read_notebook, student_names
from .outcomes import PUBLIC, CheckResult, GradeReport, Interruption, StageResult, StageStatus
from .sandbox import (CheckTimeLimit, HangLimit, Limits, LossReason, Remote, RemoteObject, Sandbox, SessionLost,
                      type_name)

MAX_RESTARTS = 10         # new sessions per stage after a timeout or crash
RECORDER_CELLS = "__mlpkit"  # the id prefix of a recorder's cells: their failures are no problem of the student's
PRINTED_CAP = 64 * 1024   # characters kept of what a check printed in the grader


# Why a session was lost, as the check's interruption.
INTERRUPTIONS = {LossReason.TIMED_OUT: Interruption.CALL_TIME_LIMIT, LossReason.ENDED: Interruption.PROCESS_ENDED,
                 LossReason.UNREADABLE: Interruption.UNREADABLE_REPLY, LossReason.CLOSED: Interruption.PROCESS_ENDED}


class StageRecorder(Protocol):
    """What the engine lets record data while it grades a stage (the
    feedback recorder of ``reports/curves.py`` is one).  Grades never
    depend on it; none of its methods may raise."""

    def cells(self, stage: str) -> list[dict]:
        """Cells ({"id", "source"}) loaded after the student's, that only
        define names for ``finish`` to call."""

    def listener(self, stage: str) -> Callable | None:
        """Told of every call of the student's code during the checks
        (see ``sandbox.Remote``)."""

    def finish(self, stage: str, remote: Remote, seconds: float) -> None:
        """After the checks, in the same session: record, within ``seconds``."""

    def skip(self, stage: str, why: str) -> None:
        """Nothing can be recorded for ``stage``: ``why``, one line."""


def student_of(path) -> str:
    """The student a submission belongs to: the name of its folder (for a
    notebook, of the folder holding it), skipping folders named after a
    stage, so ``submitted/alice``, ``submitted/alice/01_activations`` and
    ``alice/01_activations.ipynb`` all belong to ``alice``."""
    path = Path(path).resolve()
    folder = path if path.is_dir() else path.parent
    while folder.name in STAGES and folder.parent != folder:
        folder = folder.parent
    return folder.name


def default_seed(student: str) -> int:
    """The hidden checks' seed of a student when none is given: fixed by
    the name alone (each check also mixes in its own name, which holds its
    stage), so regrading, grading one stage or the whole assignment, and
    ``grade`` or ``grade-batch`` all draw the same inputs."""
    digest = hashlib.sha256(f"mlpkit hidden checks/{student}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % (2 ** 31)


def grade_submission(path, stages=None, seed: int | None = None, limits: Limits | None = None,
                     source=None, sandbox: Sandbox | None = None) -> GradeReport:
    """Grade the notebooks found under ``path``.

    stages: stage names (default: all six); seed: the hidden checks' seed
    (default: ``default_seed`` of the student, recorded in the report);
    limits: the sandbox's limits; source: the folder of instructor
    notebooks (default: those of the course holding the current folder);
    sandbox: one already started with these limits (``mlpkit grade`` starts
    it before importing the engine, so the two overlap), closed here."""
    if not Path(path).exists():
        if sandbox is not None:
            sandbox.close()
        raise GradingError(f"{path} does not exist")
    with Grader(limits, source, stages, sandbox) as grader:
        return grader.grade(path, stages, seed)


class Grader:
    """A sandbox and the instructor notebooks, ready to grade one
    submission after another (``grade``)."""

    def __init__(self, limits: Limits | None = None, source: Path | None = None, stages=None,
                 sandbox: Sandbox | None = None):
        """``sandbox``: one already started with ``limits``, which this
        Grader then owns; by default one is started here, and its start
        overlaps the reading of the instructor notebooks."""
        self.limits = limits or Limits()
        try:
            self.source = Path(source) if source else find_course().source
        except CourseError as error:
            if sandbox is not None:
                sandbox.close()
            raise GradingError(str(error)) from None
        self.sandbox = sandbox or Sandbox(self.limits, hide=hidden_paths(self.source), wait=False)
        self.instructors: dict[str, Notebook] = {}
        try:
            for stage in select_stages(stages):
                self.instructor(stage)
            self.sandbox.ready()
        except BaseException:
            self.sandbox.close()
            raise

    def instructor(self, stage: str) -> Notebook:
        """The stage's instructor notebook, read once."""
        if stage not in self.instructors:
            path = instructor_notebooks(self.source, [stage])[stage]
            try:
                self.instructors[stage] = read_notebook(path)
            except NotebookProblem as problem:
                raise GradingError(f"instructor notebook for {stage}: {problem}") from None
        return self.instructors[stage]

    def alive(self) -> bool:
        """Whether the sandbox can still start sessions."""
        return self.sandbox.alive

    def grade(self, path, stages=None, seed: int | None = None, transcripts: dict | None = None,
              recorder: StageRecorder | None = None) -> GradeReport:
        """Grade one submission (seed: see ``default_seed``).  ``transcripts``,
        if given, receives per stage every request sent to the student's
        code and its reply (the mutation harness replays them); ``recorder``
        records what it needs while each stage is graded."""
        path = Path(path)
        if not path.exists():
            raise GradingError(f"{path} does not exist")
        seed = default_seed(student_of(path)) if seed is None else int(seed)
        return self.grade_seeds(path, [seed], stages, transcripts, recorder)[0]

    def grade_seeds(self, path, seeds: Sequence[int], stages=None,
                    transcripts: dict | None = None, recorder: StageRecorder | None = None) -> list[GradeReport]:
        """One report per seed, as ``grade`` with each seed would give, for
        the cost of loading each stage once: the public checks, which no
        seed changes, run once, the hidden checks once per seed (in one
        session, in the order of the seeds).  The submission's time limit
        applies to each seed's share."""
        path = Path(path)
        if not path.exists():
            raise GradingError(f"{path} does not exist")
        stages = select_stages(stages)
        seeds = [int(seed) for seed in seeds]
        reports = [GradeReport(str(path), seed, limits=self.limits.to_dict()) for seed in seeds]
        started = time.monotonic()
        deadline = started + self.limits.submission_seconds * len(seeds)
        hide = [str((path if path.is_dir() else path.parent).resolve())]
        for number, stage in enumerate(stages):
            transcript = transcripts.setdefault(stage, []) if transcripts is not None else None
            grader = StageGrader(self.sandbox, stage, self.instructor(stage), path, seeds, self.limits,
                                 deadline, hide, transcript, recorder, more=number + 1 < len(stages))
            for report, result in zip(reports, grader.run_seeds()):
                report.stages.append(result)
        for report in reports:
            report.seconds = (time.monotonic() - started) / len(seeds)
        return reports

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class StageGrader:
    """Grades one stage of one submission, under one seed or several (the
    public checks once, the hidden checks once per seed)."""

    def __init__(self, sandbox: Sandbox, stage: str, instructor: Notebook, submission: Path,
                 seed: int | Sequence[int], limits: Limits, deadline: float, hide=(),
                 transcript: list | None = None, recorder: StageRecorder | None = None, more: bool = False):
        """``more``: another stage of the submission follows, whose session
        the sandbox starts while this one is graded (``Sandbox.session``)."""
        self.sandbox, self.stage, self.instructor = sandbox, stage, instructor
        self.seeds = [int(seed)] if isinstance(seed, (int, np.integer)) else [int(s) for s in seed]
        self.submission, self.limits, self.deadline = submission, limits, deadline
        self.hide = list(hide)
        self.public, self.hidden = public_checks(stage, instructor), hidden_checks(stage)
        self.checks = self.public + self.hidden
        self.results = [StageResult(stage) for _ in self.seeds]
        self.noted: list[set[str]] = [set() for _ in self.seeds]   # per seed, the functions a note was kept for
        self.outputs: list[str] = []
        self.remote = Remote(limits.call_seconds, transcript, hang_allowance=limits.check_seconds)
        self.recorder = recorder
        self.more = more
        self.context = CheckContext({}, SimpleNamespace(), self.seeds[0])

    @property
    def result(self) -> StageResult:
        """The result under the first seed."""
        return self.results[0]

    def run(self) -> StageResult:
        return self.run_seeds()[0]

    def run_seeds(self) -> list[StageResult]:
        started = time.monotonic()
        try:
            with _process_state_kept():
                self._run()
        finally:
            for result in self.results:
                result.seconds = (time.monotonic() - started) / len(self.results)
        return self.results

    def _problem(self, text: str) -> None:
        """A note of the stage, under every seed."""
        for result in self.results:
            if text not in result.problems:
                result.problems.append(text)

    def _note(self, number: int, check, notes: list[str]) -> None:
        """Keep the first note a check left, once per function of the stage
        (the same remark on every input or seed is one line)."""
        function = check.function or check.name
        if notes and function not in self.noted[number]:
            self.noted[number].add(function)
            self.results[number].problems.append(f"note on {function} (no points lost): {notes[0]}")

    def _zero(self, status: StageStatus, reason: str) -> None:
        self._problem(reason)
        if self.recorder is not None:
            self.recorder.skip(self.stage, reason)
        for result in self.results:
            result.status = status
            for check in self.checks:
                result.checks.append(self._outcome(check, False, reason, interruption=Interruption.NO_NOTEBOOK))
        self._manual_questions(pending=False, reason=reason)

    def _manual_questions(self, pending: bool, reason: str = "") -> None:
        """The instructor notebook's written questions, which a person grades
        (in formgrader): pending while nobody has, 0 without a notebook."""
        for cell in self.instructor.manual:
            for result in self.results:
                result.checks.append(CheckResult(
                    self.stage, f"{self.stage} {cell.grade_id}", 0.0, cell.points, PUBLIC, False,
                    f"{cell.grade_id}: a written answer, graded by hand",
                    "awaiting manual grading: your instructor grades this answer by hand" if pending else reason,
                    manual=True, pending=pending,
                    interruption=Interruption.NONE if pending else Interruption.NO_NOTEBOOK))

    def _run(self) -> None:
        notebook = find_submission(self.submission, self.stage)
        if notebook is None:
            return self._zero(StageStatus.MISSING, f"no {self.stage}.ipynb found in the submission")
        for result in self.results:
            result.notebook = str(notebook)
        try:
            student = read_notebook(notebook)
        except NotebookProblem as problem:
            return self._zero(StageStatus.INVALID, str(problem))
        self._run_checks(student)
        self._manual_questions(pending=True)

    def _run_checks(self, student: Notebook) -> None:
        cells, problems = plan_cells(self.instructor, student)
        for problem in problems:
            self._problem(problem)
        if self.recorder is not None:
            cells = cells + self.recorder.cells(self.stage)
            self.remote.listener = self.recorder.listener(self.stage)
        names = student_names(self.instructor)
        stand_ins = {name: self.remote.klass(name) if kind == "class" else self.remote.function(name)
                     for name, kind in names.items()}
        self.context = CheckContext(self._instructor_namespace(stand_ins), SimpleNamespace(**stand_ins),
                                    self.seeds[0])
        load_failure = self._start(cells, first=True)
        restarts = 0
        runs = [(check, None) for check in self.public] + \
               [(check, index) for index in range(len(self.seeds)) for check in self.hidden]
        try:
            for check, index in runs:
                outcome = None
                if load_failure:
                    outcome = self._outcome(check, False, load_failure, interruption=Interruption.NOT_LOADED)
                elif time.monotonic() >= self.deadline:
                    outcome = self._outcome(
                        check, False, f"not run: the submission's time limit "
                                      f"({self.limits.submission_seconds:g} s) was reached",
                        interruption=Interruption.SUBMISSION_TIME_LIMIT)
                elif not self.remote.session.usable and restarts >= MAX_RESTARTS:
                    outcome = self._outcome(
                        check, False, f"not run: the notebook's process timed out or crashed "
                                      f"{restarts + 1} times", interruption=Interruption.TOO_MANY_RESTARTS)
                elif not self.remote.session.usable:
                    restarts += 1
                    load_failure = self._start(cells)
                    if load_failure:
                        outcome = self._outcome(check, False, load_failure, interruption=Interruption.NOT_LOADED)
                if outcome is None:
                    seed = self.seeds[0 if index is None else index]
                    self.context.seed = seed
                    outcome, notes = self._check(check)
                else:
                    notes = []
                for number in (range(len(self.results)) if index is None else [index]):
                    self.results[number].checks.append(outcome)
                    self._note(number, check, notes)
            self._record(cells, load_failure, restarts)
        finally:
            self._end()

    def _record(self, cells: list, load_failure: str, restarts: int) -> None:
        """Let the recorder record, in this session, if nothing of the stage
        timed out (a hang costs one time limit, never a second one here)."""
        if self.recorder is None:
            return
        self.remote.listener = None
        why = ""
        if load_failure:
            why = load_failure
        elif self.remote.timed_out:
            why = "your code did not return in time during grading, so it was not run again for the plots"
        elif time.monotonic() >= self.deadline:
            why = "the submission's time limit was reached during grading"
        elif not self.remote.session.usable:
            if restarts >= MAX_RESTARTS:
                why = "your code's process stopped too often during grading"
            else:
                why = self._start(cells)
        if why:
            self.recorder.skip(self.stage, why)
        else:
            self.recorder.finish(self.stage, self.remote,
                                 max(0.0, min(self.limits.check_seconds, self.deadline - time.monotonic())))

    # ------------------------------------------------------------ sessions
    def _instructor_namespace(self, stand_ins: dict) -> dict:
        """The instructor's provided cells, run here, with the student's
        names bound to stand-ins: the namespace the test cells run in."""
        namespace = {"__name__": "__instructor__"}
        namespace.update(stand_ins)
        for cell in self.instructor.of_kind(PROVIDED):
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compiled(cell.source, f"<provided {cell.grade_id}>"), namespace)
        namespace.update(stand_ins)  # a provided cell must not shadow the student's names
        return namespace

    def _start(self, cells: list, first: bool = False) -> str:
        """Start a session and load the cells; returns "" or why it failed."""
        session = self.sandbox.session(self.stage, hide=self.hide, spare=self.more)
        self.remote.attach(session)
        for result in self.results:
            result.isolation = list(session.isolation)
        timeout = max(0.0, min(self.limits.load_seconds, self.deadline - time.monotonic()))
        try:
            reply = self.remote.load(cells, timeout)
        except SessionLost as lost:
            where = f" (in cell {session.last_cell!r})" if session.last_cell else ""
            reason = f"the notebook could not be loaded: {lost.reason}{where}"
            self._problem(reason)
            self._keep_output(session)
            return reason
        if first:
            for cell in reply.get("cells", []):
                if type(cell) is dict and not cell.get("ok") and not str(cell.get("id")).startswith(RECORDER_CELLS):
                    error = cell.get("error") or {}
                    where = "; ".join(str(w) for w in error.get("where", [])[-1:])
                    self._problem(
                        f"cell {cell.get('id')!r} raised {error.get('type')}: {str(error.get('message'))[:300]}"
                        + (f" ({where})" if where else ""))
            printed = str(reply.get("stdout", "")) + str(reply.get("stderr", ""))
            if printed:
                self.outputs.append(printed)
        return ""

    def _keep_output(self, session) -> None:
        end = session.close()
        if end.output:
            self.outputs.append(end.output)
        if end.killed:
            self._problem(f"{end.killed} background process(es) left by the notebook were killed")

    def _end(self) -> None:
        if self.remote.session is not None:
            self._keep_output(self.remote.session)
        text = "".join(self.outputs)
        cap = self.limits.output_bytes
        for result in self.results:
            result.output = text if len(text) <= cap else text[:cap] + f"\n[... {len(text) - cap} more characters]"

    # -------------------------------------------------------------- checks
    def _check(self, check) -> tuple[CheckResult, list[str]]:
        """Run one check: its result, and the notes it left (no points lost)."""
        remote = self.remote
        check_deadline = time.monotonic() + self.limits.check_seconds
        remote.begin_check(min(check_deadline, self.deadline),
                           "the time limit of this check was reached" if check_deadline <= self.deadline
                           else "the submission's time limit was reached")
        printed = _Capped(PRINTED_CAP)
        started = time.monotonic()
        passed, message, found, interruption = False, "", None, Interruption.NONE
        named = ""      # the likely mistake the check's own message already names, if any
        notes: list[str] = []
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed), \
                    warnings.catch_warnings(record=True), np.errstate(all="warn", under="ignore"), \
                    collecting_notes() as notes:
                warnings.simplefilter("always")  # recorded and dropped unless a check asks for them
                check.execute(self.context)
            passed = True
        except AssertionError as error:
            message = str(error).strip() or "an assertion of the test failed"
            found = getattr(error, "mistake", None)
            # A notebook's test helpers set ``likely_mistake`` when they name one themselves.
            named = found.name if found is not None else str(getattr(error, "likely_mistake", "") or "")
        except SessionLost as lost:
            message, interruption = self._lost_message(lost), INTERRUPTIONS[lost.why]
        except HangLimit as limit:
            message, interruption = str(limit), Interruption.CALL_TIME_LIMIT
        except CheckTimeLimit as limit:
            message = f"{limit} ({self.limits.check_seconds:g} s): is a loop running far too long?"
            interruption = Interruption.CHECK_TIME_LIMIT
        except Exception as error:  # noqa: BLE001 - student errors re-raised here, or a wrong type
            message = _exception_message(error, remote.calls)
        finally:
            remote.end_check()
        if not passed and found is None and interruption is Interruption.NONE:
            # Only the calls of the function this check grades: a check of
            # sigmoid_derivative that also called sigmoid names no mistake of sigmoid.
            found = mistakes.identify_calls(remote.calls, check.function)
            if found and not named:
                message += "\n" + found.explain()
        # The catalogue's name for the mistake, else the explanation the test itself gave.
        mistake = found.name if found else named
        return (self._outcome(check, passed, message, mistake, interruption, time.monotonic() - started), notes)

    def _lost_message(self, lost: SessionLost) -> str:
        label = self.remote.inflight or "your code"
        if lost.why is LossReason.TIMED_OUT:
            return (f"{label} did not return: {lost.reason}. Look for a loop that never ends "
                    "(or one that is far too slow).")
        return (f"{label}: {lost.reason}. The notebook's process stopped while running it; "
                "did your code call os._exit, exhaust the memory limit or crash Python?")

    def _outcome(self, check, passed: bool, message: str, mistake: str = "",
                 interruption: Interruption = Interruption.NONE, seconds: float = 0.0) -> CheckResult:
        return CheckResult(self.stage, check.name, check.points if passed else 0.0, check.points,
                           check.visibility, passed, check.description, "" if passed else message, mistake,
                           interruption, seconds)


@contextlib.contextmanager
def _process_state_kept():
    """The instructor's cells run in this process and may change global
    state (``np.set_printoptions``, ``np.random.seed``, rcParams...): put it
    back after each stage, so that grading leaves its caller as it was."""
    printing, errors, random_state = np.get_printoptions(), np.geterr(), np.random.get_state()
    import matplotlib
    rc = matplotlib.rcParams.copy()
    pyplot = sys.modules.get("matplotlib.pyplot")
    figures = set(pyplot.get_fignums()) if pyplot else set()
    try:
        yield
    finally:
        pyplot = sys.modules.get("matplotlib.pyplot")
        for number in set(pyplot.get_fignums()) - figures if pyplot else ():
            pyplot.close(number)
        np.set_printoptions(**printing)
        np.seterr(**errors)
        np.random.set_state(random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(rc)


def _exception_message(error: Exception, calls: list) -> str:
    label = getattr(error, "student_call", None)
    if label is not None:
        kind = getattr(error, "student_type", type(error).__name__)
        where = getattr(error, "student_where", [])
        at = f" ({where[-1]})" if where else ""
        if kind == "NotImplementedError":
            return (f"{label} is not implemented yet: it raises NotImplementedError{at}. Replace the "
                    "`raise NotImplementedError()` line with your code.")
        text = str(error)
        return f"{label} raised {kind}: {text}{at}" if not text.startswith(kind) else f"{label} raised {text}{at}"
    message = f"{type(error).__name__}: {error}"
    for call in reversed(calls):
        remote = first(call.get("result"), lambda value: isinstance(value, RemoteObject))
        if remote is not None:
            return (f"{message}\n{call['name']} returned a {type_name(remote)}, not "
                    "plain data: return a NumPy array of floats (or the number, tuple or dict asked for).")
    return message


class _Capped(io.StringIO):
    """A StringIO that stops growing at ``cap`` characters."""

    def __init__(self, cap: int):
        super().__init__()
        self.cap = cap

    def write(self, text):
        if self.tell() < self.cap:
            super().write(str(text)[: self.cap - self.tell()])
        return len(text)
