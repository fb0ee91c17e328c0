"""Check your stage notebooks with pytest.

Run ``pytest`` in this folder to check every stage, or ``pytest 01_activations``
for one.  Each stage notebook ``<stage>/<stage>.ipynb`` is run top to bottom
as plain Python, the way Jupyter's "Restart & Run All" would run it, and
every graded test cell becomes one check worth the points it carries.  The
end of the report lists the points of every check and each stage's total.

You do not need to edit this file.  It needs numpy, matplotlib, pytest and
nbformat only (see requirements.txt), and it reads nothing but your
notebooks.  The instructor grades with the same test cells (and may add
hidden ones), so a check that fails here will not score there either.
"""
from __future__ import annotations

import contextlib
import io
import linecache
import os
import re
import signal
import sys
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Plots are drawn off screen: set before any notebook imports matplotlib.
os.environ["MPLBACKEND"] = "Agg"

KIT_ROOT = Path(__file__).resolve().parent
if str(KIT_ROOT) not in sys.path:  # nbcells.py sits beside this file
    sys.path.insert(0, str(KIT_ROOT))
import nbcells  # noqa: E402
# Seconds a single cell may run before its check fails.
CELL_TIME_LIMIT = int(os.environ.get("MLPKIT_CELL_TIME_LIMIT", "120"))
_CELL_FILE = re.compile(r"^<(?P<notebook>.+\.ipynb), code cell (?P<number>\d+)>$")
_DEFINES = re.compile(r"^(?:def|class)\s+(\w+)", re.MULTILINE)
_MAGIC = re.compile(r"^(\s*)[%!]", re.MULTILINE)
# Warnings that a Jupyter kernel does not show either.
_SILENT_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


# ---------------------------------------------------------------- notebooks

@dataclass(frozen=True)
class Cell:
    """One code cell of a stage notebook."""

    number: int            # 1-based, counting code cells only
    source: str
    notebook: str          # file name, e.g. "01_activations.ipynb"
    grade_id: str | None
    graded: bool           # an nbgrader test cell: it is one check
    points: float

    @property
    def filename(self) -> str:
        """The name tracebacks show for this cell."""
        return f"<{self.notebook}, code cell {self.number}>"

    @property
    def label(self) -> str:
        names = _DEFINES.findall(self.source)
        defines = f" (defines {', '.join(names)})" if names else ""
        return f"code cell {self.number}{defines}"


def read_cells(path: Path) -> list[Cell]:
    """The notebook's code cells, read by ``nbcells.py`` beside this file."""
    return [Cell(number=cell.number, source=cell.source, notebook=path.name, grade_id=cell.grade_id or None,
                 graded=cell.role == nbcells.TEST, points=cell.points)
            for cell in nbcells.read(path)]


# ---------------------------------------------------------------- running cells

@dataclass
class CellResult:
    """What running one cell did."""

    error: BaseException | None = None
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.stderr


class CellTimeout(BaseException):
    """A BaseException, so that the student's ``except Exception`` in a
    loop cannot swallow it and run on."""


def _compile(cell: Cell):
    """Compile a cell; IPython magics (``%...``, ``!...``) are skipped."""
    try:
        return compile(cell.source, cell.filename, "exec")
    except SyntaxError:
        without_magics = _MAGIC.sub(r"\1pass  # skipped: ", cell.source)
        if without_magics == cell.source:
            raise
        try:
            return compile(without_magics, cell.filename, "exec")
        except SyntaxError:
            pass
        raise


@contextlib.contextmanager
def _time_limit(seconds: int):
    """Interrupt a cell that runs too long (where the OS allows it)."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise CellTimeout(f"this cell ran for more than {seconds} s: look for a loop that never "
                          "ends or far too many epochs")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _prepare_matplotlib() -> None:
    """Draw off screen, and make plt.show() do nothing."""
    try:
        import matplotlib
    except ImportError:
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.show = lambda *args, **kwargs: None


def _close_figures() -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def run_cell(cell: Cell, namespace: dict, folder: Path, quiet: bool = False) -> CellResult:
    """Run one cell in the notebook's namespace, in the notebook's folder,
    the way a Jupyter kernel would.  Anything written to stderr (warnings
    included) is kept: nbgrader gives a test cell that writes any a 0.
    ``quiet`` drops what the cell prints (the cells before a check: their
    output is for reading in Jupyter, not for the check's report)."""
    linecache.cache[cell.filename] = (len(cell.source), None, cell.source.splitlines(True), cell.filename)
    result = CellResult()
    stderr = io.StringIO()
    here = os.getcwd()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in _SILENT_WARNINGS:
            warnings.simplefilter("ignore", category)
        try:
            os.chdir(folder)
            stdout = contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext()
            with stdout, contextlib.redirect_stderr(stderr), _time_limit(CELL_TIME_LIMIT):
                exec(_compile(cell), namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 (the student's code may raise anything, exit() too)
            result.error = error
        finally:
            os.chdir(here)
            _close_figures()
    shown = [warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in caught]
    result.stderr = "".join(shown) + stderr.getvalue()
    return result


class NotebookRun:
    """One notebook's namespace, run cell by cell as its checks ask for them."""

    def __init__(self, path: Path, cells: list[Cell]):
        self.path = path
        self.cells = cells
        self.reset()

    def reset(self) -> None:
        self.namespace = {"__name__": "__main__"}
        self.position = 0            # index of the next cell to run
        self.failed: list[tuple[Cell, BaseException]] = []  # ordinary cells that raised
        self.reported = 0            # how many of them a failed check has mentioned

    def run_check(self, index: int) -> CellResult:
        """Run every cell before ``index`` (once), then the check at ``index``."""
        if index < self.position:   # checks asked for out of order: start again
            self.reset()
        if self.position == 0:
            _prepare_matplotlib()
        while self.position < index:
            cell = self.cells[self.position]
            result = run_cell(cell, self.namespace, self.path.parent, quiet=True)
            # A check left out of this run (pytest -k) failing is no cause of another's failure.
            if (result.error is not None and not cell.graded
                    and not isinstance(result.error, NotImplementedError)):
                self.failed.append((cell, result.error))
            self.position += 1
        self.position = index + 1
        return run_cell(self.cells[index], self.namespace, self.path.parent)

    def earlier_failures(self, error: BaseException | None) -> list[str]:
        """Failed ordinary cells that may explain ``error``: the cell that
        should have defined a missing name, else those not mentioned yet."""
        if isinstance(error, NameError) and getattr(error, "name", None):
            culprits = [(c, e) for c, e in self.failed if error.name in _DEFINES.findall(c.source)]
            if culprits:
                return [f"{cell.label} stopped with {describe_error(e, short=True)}, "
                        f"so {error.name} was never defined" for cell, e in culprits]
        new, self.reported = self.failed[self.reported:], len(self.failed)
        return [f"{cell.label} stopped with {describe_error(e, short=True)}" for cell, e in new]


# ---------------------------------------------------------------- explaining failures

def _notebook_frames(error: BaseException) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if _CELL_FILE.match(frame.filename)]


def _where(frame: traceback.FrameSummary) -> str:
    match = _CELL_FILE.match(frame.filename)
    inside = "" if frame.name == "<module>" else f", in {frame.name}"
    return f"code cell {match['number']}, line {frame.lineno}{inside}"


def unfinished_function(error: BaseException) -> str | None:
    """The notebook function whose stub raised ``error``, e.g. "sigmoid" or
    "MLP.forward"."""
    for entry, _ in reversed(list(traceback.walk_tb(error.__traceback__))):
        code = entry.f_code
        if _CELL_FILE.match(code.co_filename) and code.co_name != "<module>":
            return getattr(code, "co_qualname", code.co_name)
    return None


def describe_error(error: BaseException, short: bool = False) -> str:
    """One line for an exception raised by notebook code."""
    if isinstance(error, NotImplementedError):
        name = unfinished_function(error)
        return f"not implemented yet: {name}" if name else "not implemented yet"
    if isinstance(error, SyntaxError) and _CELL_FILE.match(error.filename or ""):
        return f"SyntaxError: {error.msg} (line {error.lineno})"
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    frames = _notebook_frames(error)
    if short and frames:
        text += f" ({_where(frames[-1])})"
    return text


def explain_failure(cell: Cell, result: CellResult) -> tuple[str, list[str]]:
    """A one-line reason and the lines that teach what went wrong."""
    error = result.error
    if error is None:
        reason = "the checks passed, but the cell wrote warnings or errors to stderr"
        lines = [reason + ";", "nbgrader scores such a cell 0.  What it wrote:"]
        lines += ["    " + line for line in result.stderr.rstrip().splitlines()[:12]]
        lines.append("Fix the cause (often an overflow in np.exp or a log of 0) rather than hiding the warning.")
        return reason, lines
    if isinstance(error, NotImplementedError):
        reason = describe_error(error)
        name = unfinished_function(error)
        target = f"`{name}`" if name else "the function this check calls"
        return reason, [reason, f"Write the body of {target} in its answer cell, in place of "
                                "`raise NotImplementedError()`."]
    if isinstance(error, AssertionError):
        message = str(error).strip()
        frames = _notebook_frames(error)
        if not message and frames:
            message = f"this assertion failed: {(frames[-1].line or '').strip()}"
        reason = message.splitlines()[0] if message else "an assertion failed"
        lines = message.splitlines() or [reason]
        return reason, lines
    if isinstance(error, CellTimeout):
        reason = str(error)
        return reason, [reason]
    reason = describe_error(error)
    lines = [reason]
    frames = _notebook_frames(error)
    if frames:
        lines.append("Where it happened (most recent call last):")
        for frame in frames:
            lines.append(f"  {_where(frame)}")
            if frame.line:
                lines.append(f"      {frame.line.strip()}")
    return reason, lines


# ---------------------------------------------------------------- pytest items

@dataclass
class CheckResult:
    name: str
    points: float
    passed: bool
    reason: str = ""


@dataclass
class StageResults:
    checks: list[CheckResult] = field(default_factory=list)
    problem: str = ""   # the notebook could not be read


RESULTS: dict[str, StageResults] = {}


class CheckFailed(Exception):
    def __init__(self, reason: str, lines: list[str]):
        super().__init__(reason)
        self.reason = reason
        self.lines = lines


class FailureReport:
    """What pytest prints for a failed check: our lines, no Python traceback."""

    def __init__(self, lines: list[str], reason: str, path: str):
        self.lines = lines
        self.reprcrash = _Crash(path, reason)

    def toterminal(self, tw) -> None:
        for number, line in enumerate(self.lines):
            tw.line(line, red=number == 0, bold=number == 0)

    def __str__(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Crash:
    path: str
    message: str
    lineno: int = 0


class StageNotebook(pytest.File):
    """``<stage>/<stage>.ipynb``: one pytest item per graded test cell."""

    def collect(self):
        stage = self.path.parent.name
        RESULTS.setdefault(stage, StageResults())
        try:
            cells = read_cells(self.path)
        except Exception as error:  # noqa: BLE001 (a damaged file can fail in many ways)
            RESULTS[stage].problem = "the notebook could not be read"
            raise self.CollectError(
                f"{self.path.name} could not be read ({type(error).__name__}: {error}).\n"
                "Open it in Jupyter: if it does not open either, get a fresh copy of the stage "
                "and paste your answers into it.") from None
        run = NotebookRun(self.path, cells)
        for index, cell in enumerate(cells):
            if cell.graded:
                name = cell.grade_id or f"check_in_code_cell_{cell.number}"
                yield CheckItem.from_parent(self, name=name, run=run, index=index)


class CheckItem(pytest.Item):
    """One graded test cell of a stage notebook."""

    def __init__(self, *, run: NotebookRun, index: int, **kwargs):
        super().__init__(**kwargs)
        self.run = run
        self.index = index
        self.cell = run.cells[index]
        self.stage = self.path.parent.name

    def runtest(self) -> None:
        result = self.run.run_check(self.index)
        if result.ok:
            self._record(True)
            return
        reason, lines = explain_failure(self.cell, result)
        earlier = [] if isinstance(result.error, NotImplementedError) else self.run.earlier_failures(result.error)
        if earlier:
            lines.append("An earlier cell failed, which may be the real cause:")
            lines += [f"  {problem}" for problem in earlier]
        self._record(False, reason)
        raise CheckFailed(reason, lines)

    def _record(self, passed: bool, reason: str = "") -> None:
        RESULTS.setdefault(self.stage, StageResults()).checks.append(
            CheckResult(self.name, self.cell.points, passed, reason))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            points = _points(self.cell.points)
            lines = [f"{self.name} ({points} point{'s' if points != '1' else ''}): {excinfo.value.lines[0]}"]
            lines += excinfo.value.lines[1:]
            return FailureReport(lines, excinfo.value.reason, str(self.path))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.stage}: {self.name}"


def pytest_collect_file(file_path: Path, parent):
    """Collect ``<stage>/<stage>.ipynb`` directly under this folder."""
    if (file_path.suffix == ".ipynb" and file_path.stem == file_path.parent.name
            and file_path.parent.parent == KIT_ROOT):
        return StageNotebook.from_parent(parent, path=file_path)
    return None


# ---------------------------------------------------------------- points table

def _points(value: float) -> str:
    return f"{value:g}"


def _shorten(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def points_table(results: dict[str, StageResults]) -> list[tuple[str, dict]]:
    """The summary as (text, colour) lines: one per check, a total per stage
    and one overall."""
    rows: list[tuple[str, dict]] = []
    name_width = max([len(c.name) for r in results.values() for c in r.checks] + [len("total")])
    earned_all = possible_all = 0.0
    for stage in sorted(results):
        stage_results = results[stage]
        rows.append((stage, {"bold": True}))
        if stage_results.problem:
            rows.append((f"  {stage_results.problem}: 0 points", {"red": True}))
            continue
        earned = possible = 0.0
        for check in stage_results.checks:
            got = check.points if check.passed else 0.0
            earned, possible = earned + got, possible + check.points
            status = "PASS" if check.passed else "FAIL"
            line = f"  {status}  {check.name:<{name_width}}  {_points(got):>4} / {_points(check.points)}"
            if not check.passed:
                line += f"   {_shorten(check.reason)}"
            rows.append((line, {"green": check.passed, "red": not check.passed}))
        rows.append((f"        {stage + ' total':<{name_width}}  {_points(earned):>4} / {_points(possible)}",
                     {"bold": True}))
        earned_all, possible_all = earned_all + earned, possible_all + possible
    if len(results) > 1:
        rows.append((f"        {'all stages':<{name_width}}  {_points(earned_all):>4} / {_points(possible_all)}",
                     {"bold": True}))
    return rows


def pytest_sessionstart(session):
    RESULTS.clear()


def pytest_terminal_summary(terminalreporter):
    results = {stage: r for stage, r in RESULTS.items() if r.checks or r.problem}
    if not results:
        return
    terminalreporter.write_sep("=", "points per check")
    for text, colour in points_table(results):
        terminalreporter.write_line(text, **colour)
