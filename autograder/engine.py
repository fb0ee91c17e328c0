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
5. end the session (killing everything it started) and keep its output.
"""
from __future__ import annotations

import contextlib
import io
import secrets
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from . import mistakes
from .checks import public_checks, hidden_checks
from .notebooks import (PROJECT_ROOT, STAGES, NotebookProblem, default_source, find_submission,
                        instructor_path, plan_cells, read_notebook, student_names)
from .outcomes import CheckResult, GradeReport, StageResult
from .remote import CheckTimeLimit, Remote, RemoteObject, type_name
from .sandbox import Limits, Sandbox, SessionLost

MAX_RESTARTS = 10         # new sessions per stage after a timeout or crash
PRINTED_CAP = 64 * 1024   # characters kept of what a check printed in the grader


class GradingError(Exception):
    """Grading could not happen at all (no such folder, no instructor notebook...)."""


def grade_submission(path, stages=None, seed: int | None = None, limits: Limits | None = None,
                     source=None) -> GradeReport:
    """Grade the notebooks found under ``path``.

    stages: stage names (default: all six); seed: the hidden checks' seed
    (default: a random one, recorded in the report); limits: the sandbox's
    limits; source: the folder of instructor notebooks (default: the kit's
    ``solutions/``)."""
    if not Path(path).exists():
        raise GradingError(f"{path} does not exist")
    with Grader(limits, source, stages) as grader:
        return grader.grade(path, stages, seed)


class Grader:
    """A sandbox and the instructor notebooks, ready to grade one
    submission after another (``grade``)."""

    def __init__(self, limits: Limits | None = None, source=None, stages=None):
        self.limits = limits or Limits()
        self.source = Path(source) if source else default_source()
        self.instructors = {}
        for stage in self._stages(stages):
            self._instructor(stage)
        self.sandbox = Sandbox(self.limits, hide=_kit_paths(self.source))

    @staticmethod
    def _stages(stages) -> list:
        stages = list(stages or STAGES)
        unknown = [stage for stage in stages if stage not in STAGES]
        if unknown:
            raise GradingError(f"unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
        return stages

    def _instructor(self, stage: str):
        if stage not in self.instructors:
            notebook = instructor_path(self.source, stage)
            if not notebook.exists():
                raise GradingError(f"no instructor notebook for {stage}: {notebook} does not exist")
            try:
                self.instructors[stage] = read_notebook(notebook)
            except NotebookProblem as problem:
                raise GradingError(f"instructor notebook for {stage}: {problem}") from None
        return self.instructors[stage]

    def grade(self, path, stages=None, seed: int | None = None, transcripts: dict | None = None) -> GradeReport:
        """Grade one submission.  ``transcripts``, if given, receives per
        stage every request sent to the student's code and its reply (the
        mutation harness replays them)."""
        path = Path(path)
        if not path.exists():
            raise GradingError(f"{path} does not exist")
        stages = self._stages(stages)
        seed = secrets.randbelow(2 ** 31) if seed is None else int(seed)
        report = GradeReport(str(path), seed, limits=self.limits.to_dict())
        started = time.monotonic()
        deadline = started + self.limits.submission_seconds
        hide = [str((path if path.is_dir() else path.parent).resolve())]
        for stage in stages:
            grader = StageGrader(self.sandbox, stage, self._instructor(stage), path, seed, self.limits,
                                 deadline, hide)
            if transcripts is not None:
                grader.transcript = transcripts.setdefault(stage, [])
            report.stages.append(grader.run())
        report.seconds = time.monotonic() - started
        return report

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _kit_paths(source: Path) -> list:
    """Folders the student's process must not see: the kit's packages, the
    instructor notebooks and, in a source checkout, the whole project."""
    import autograder
    import reference
    paths = [Path(reference.__file__).parent, Path(autograder.__file__).parent, Path(source)]
    if (PROJECT_ROOT / "pyproject.toml").exists():
        paths.append(PROJECT_ROOT)
    return [p.resolve() for p in paths if p.exists()]


class StageGrader:
    """Grades one stage of one submission."""

    def __init__(self, sandbox, stage, instructor, submission, seed, limits, deadline, hide=()):
        self.sandbox, self.stage, self.instructor = sandbox, stage, instructor
        self.submission, self.seed, self.limits, self.deadline = submission, seed, limits, deadline
        self.hide = list(hide)
        self.checks = public_checks(stage, instructor) + hidden_checks(stage)
        self.result = StageResult(stage)
        self.outputs = []
        self.transcript = None

    def run(self) -> StageResult:
        started = time.monotonic()
        try:
            with _process_state_kept():
                self._run()
        finally:
            self.result.seconds = time.monotonic() - started
        return self.result

    def _zero(self, reason: str) -> None:
        self.result.problems.append(reason)
        for check in self.checks:
            self.result.checks.append(self._outcome(check, False, reason))

    def _run(self) -> None:
        notebook = find_submission(self.submission, self.stage)
        if notebook is None:
            return self._zero(f"no {self.stage}.ipynb found in the submission")
        self.result.notebook = str(notebook)
        try:
            student = read_notebook(notebook)
        except NotebookProblem as problem:
            return self._zero(str(problem))
        cells, problems = plan_cells(self.instructor, student)
        self.result.problems += problems
        self.remote = Remote(self.limits.call_seconds)
        self.remote.transcript = self.transcript
        names = student_names(self.instructor)
        stand_ins = {name: self.remote.klass(name) if kind == "class" else self.remote.function(name)
                     for name, kind in names.items()}
        self.student = SimpleNamespace(**stand_ins)
        self.namespace = self._instructor_namespace(stand_ins)
        load_failure = self._start(cells, first=True)
        restarts = 0
        try:
            for check in self.checks:
                if load_failure:
                    self.result.checks.append(self._outcome(check, False, load_failure))
                elif time.monotonic() >= self.deadline:
                    self.result.checks.append(self._outcome(
                        check, False, f"not run: the submission's time limit "
                                      f"({self.limits.submission_seconds:g} s) was reached"))
                elif self.remote.session.lost and restarts >= MAX_RESTARTS:
                    self.result.checks.append(self._outcome(
                        check, False, f"not run: the notebook's process timed out or crashed "
                                      f"{restarts + 1} times"))
                else:
                    if self.remote.session.lost:
                        restarts += 1
                        load_failure = self._start(cells)
                        if load_failure:
                            self.result.checks.append(self._outcome(check, False, load_failure))
                            continue
                    self.result.checks.append(self._check(check))
        finally:
            self._end()

    # ------------------------------------------------------------ sessions
    def _instructor_namespace(self, stand_ins: dict) -> dict:
        """The instructor's provided cells, run here, with the student's
        names bound to stand-ins: the namespace the test cells run in."""
        namespace = {"__name__": "__instructor__"}
        namespace.update(stand_ins)
        for cell in self.instructor.of_kind("provided"):
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(cell.source, f"<provided {cell.grade_id}>", "exec"), namespace)
        namespace.update(stand_ins)  # a provided cell must not shadow the student's names
        return namespace

    def _start(self, cells: list, first: bool = False) -> str:
        """Start a session and load the cells; returns "" or why it failed."""
        session = self.sandbox.session(self.stage, hide=self.hide)
        self.remote.attach(session)
        self.result.isolation = list(session.isolation)
        timeout = max(0.0, min(self.limits.load_seconds, self.deadline - time.monotonic()))
        try:
            reply = self.remote.load(cells, timeout)
        except SessionLost as lost:
            where = f" (in cell {session.last_cell!r})" if session.last_cell else ""
            reason = f"the notebook could not be loaded: {lost.reason}{where}"
            self.result.problems.append(reason)
            self._keep_output(session)
            return reason
        if first:
            for cell in reply.get("cells", []):
                if type(cell) is dict and not cell.get("ok"):
                    error = cell.get("error") or {}
                    where = "; ".join(str(w) for w in error.get("where", [])[-1:])
                    self.result.problems.append(
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
            self.result.problems.append(f"{end.killed} background process(es) left by the notebook were killed")

    def _end(self) -> None:
        remote = getattr(self, "remote", None)
        if remote is not None and remote.session is not None:
            self._keep_output(remote.session)
        text = "".join(self.outputs)
        cap = self.limits.output_bytes
        self.result.output = text if len(text) <= cap else text[:cap] + f"\n[... {len(text) - cap} more characters]"

    # -------------------------------------------------------------- checks
    def _check(self, check) -> CheckResult:
        remote = self.remote
        remote.calls = []
        remote.deadline = min(time.monotonic() + self.limits.check_seconds, self.deadline)
        remote.deadline_reason = "the time limit of this check was reached"
        printed = _Capped(PRINTED_CAP)
        started = time.monotonic()
        passed, message, found = False, "", None
        saved_random = np.random.get_state()
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed), \
                    warnings.catch_warnings(record=True), np.errstate(all="warn", under="ignore"):
                warnings.simplefilter("always")  # recorded and dropped unless a check asks for them
                if check.source:
                    exec(compile(check.source, f"<test {check.grade_id}>", "exec"), self.namespace)
                else:
                    check.run(self.student, check.rng(self.seed))
            passed = True
        except AssertionError as error:
            message = str(error).strip() or "an assertion of the test failed"
            found = getattr(error, "mistake", None)
        except SessionLost as lost:
            message = self._lost_message(lost.reason)
        except CheckTimeLimit as limit:
            message = f"{limit} ({self.limits.check_seconds:g} s): is a loop running far too long?"
        except Exception as error:  # noqa: BLE001 - student errors re-raised here, or a wrong type
            message = _exception_message(error, remote.calls)
        finally:
            remote.deadline = None
            if not check.source:
                np.random.set_state(saved_random)
        if not passed and found is None:
            found = mistakes.identify_calls(remote.calls)
            if found and "Likely mistake" not in message:
                message += "\n" + found.explain()
        outcome = self._outcome(check, passed, message, found.name if found else "")
        outcome.seconds = time.monotonic() - started
        return outcome

    def _lost_message(self, reason: str) -> str:
        label = self.remote.inflight or "your code"
        if "timed out" in reason:
            return (f"{label} did not return: {reason}. Look for a loop that never ends "
                    "(or one that is far too slow).")
        return (f"{label}: {reason}. The notebook's process stopped while running it; "
                "did your code call os._exit, exhaust the memory limit or crash Python?")

    def _outcome(self, check, passed: bool, message: str, mistake: str = "") -> CheckResult:
        return CheckResult(self.stage, check.name, check.points if passed else 0.0, check.points,
                           check.visibility, passed, check.description, "" if passed else message, mistake)


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
        if _has_remote(call.get("result")):
            return (f"{message}\n{call['name']} returned a {type_name(_first_remote(call['result']))}, not "
                    "plain data: return a NumPy array of floats (or the number, tuple or dict asked for).")
    return message


def _first_remote(value):
    if isinstance(value, RemoteObject):
        return value
    if type(value) in (list, tuple):
        for item in value:
            found = _first_remote(item)
            if found is not None:
                return found
    if type(value) is dict:
        for item in value.values():
            found = _first_remote(item)
            if found is not None:
                return found
    return None


def _has_remote(value) -> bool:
    return _first_remote(value) is not None


class _Capped(io.StringIO):
    """A StringIO that stops growing at ``cap`` characters."""

    def __init__(self, cap: int):
        super().__init__()
        self.cap = cap

    def write(self, text):
        if self.tell() < self.cap:
            super().write(str(text)[: self.cap - self.tell()])
        return len(text)
