"""Running a stage notebook's checks, and the table of the points they earn.

The one implementation behind the two ways a student checks a stage:

* ``pytest`` in the course folder (``conftest.py``): ``NotebookRun`` runs the
  saved notebook top to bottom in a fresh namespace, the way "Restart Kernel
  and Run All Cells" would, and every graded test cell is one check;
* the last cell of every stage notebook, ``check_stage(stage, globals())``:
  ``LiveRun`` reads the stage's test cells from the saved notebook (they are
  locked, so the file holds them as the student sees them) and runs them in
  order on the code the kernel holds now, in a copy of its namespace, so
  that none of the student's variables change.  An answer or provided cell
  the kernel has not run (Run All Cells stops at the first failing test) is
  run as saved; one whose code in the kernel differs from the saved file is
  named, because pytest and the grader read the file.

Both explain a failed test cell with the same ``explain_failure`` and
render their ``CheckResult``s with the same ``points_table``.  Standard
library only (matplotlib's pyplot is quietened when present); the cells
are read by ``nbcells.py``, which sits beside this file.
"""
from __future__ import annotations

import ast
import contextlib
import inspect
import io
import linecache
import os
import re
import signal
import sys
import textwrap
import threading
import traceback
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

try:
    from . import nbcells
except ImportError:  # shipped to students: nbcells.py is a top-level module beside this one
    import nbcells

# Seconds a single cell may run before its check fails.
CELL_TIME_LIMIT = int(os.environ.get("MLPKIT_CELL_TIME_LIMIT", "120"))
# Warnings that a Jupyter kernel does not show either.
SILENT_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
SAVE = "File > Save Notebook"
RESTART_AND_RUN_ALL = "Kernel > Restart Kernel and Run All Cells"
TABLE_TITLE = "points per check"
REPORT_WIDTH = 80

_CELL_FILE = re.compile(r"^<(?P<notebook>.+\.ipynb), code cell (?P<number>\d+)>$")
_DEFINES = re.compile(r"^(?:def|class)\s+(\w+)", re.MULTILINE)
_MAGIC = re.compile(r"^(\s*)[%!]", re.MULTILINE)


# ---------------------------------------------------------------- cells

@dataclass(frozen=True)
class Cell:
    """One code cell of a stage notebook, as saved."""

    number: int            # 1-based, counting code cells only
    source: str
    notebook: str          # file name, e.g. "01_activations.ipynb"
    grade_id: str | None
    role: str              # nbcells.ANSWER, TEST, PROVIDED or OTHER
    points: float = 0.0
    execution_count: int | None = None   # None: not run when the notebook was saved
    saved_error: str = ""                # the saved outputs' exception name
    saved_stderr: bool = False           # the saved outputs hold stderr text

    @property
    def graded(self) -> bool:
        """An nbgrader test cell: one check."""
        return self.role == nbcells.TEST

    @property
    def check_name(self) -> str:
        return self.grade_id or f"check_in_code_cell_{self.number}"

    @property
    def filename(self) -> str:
        """The name tracebacks show for this cell."""
        return f"<{self.notebook}, code cell {self.number}>"

    @property
    def label(self) -> str:
        names = _DEFINES.findall(self.source)
        defines = f" (defines {', '.join(names)})" if names else ""
        return f"code cell {self.number}{defines}"

    @property
    def saved_verdict(self) -> bool | None:
        """Whether this test cell passed when the notebook was last run and
        saved (no error, nothing on stderr); None if it had not run."""
        if self.execution_count is None:
            return None
        return not self.saved_error and not self.saved_stderr


def read_cells(path: Path) -> list[Cell]:
    """The notebook's code cells; nbcells.NotebookProblem with a one-line reason."""
    path = Path(path)
    return [Cell(number=cell.number, source=cell.source, notebook=path.name, grade_id=cell.grade_id or None,
                 role=cell.role, points=cell.points, execution_count=cell.execution_count,
                 saved_error=cell.error, saved_stderr=cell.stderr)
            for cell in nbcells.read(path)]


def definitions(source: str) -> dict[str, ast.AST]:
    """The functions and classes a cell defines at its top level, by name."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    return {node.name: node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def bound_names(source: str) -> list[str]:
    """Every name a cell binds at its top level: functions, classes,
    assigned variables and imports (for a cell that does not parse, the
    functions and classes it seems to define)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return list(dict.fromkeys(_DEFINES.findall(source)))
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names += [name.id for name in ast.walk(target)
                          if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]
    return list(dict.fromkeys(names))


# ---------------------------------------------------------------- running one cell

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


def load_pyplot(off_screen: bool) -> None:
    """Import matplotlib's pyplot before the first cell (off screen for
    pytest; with the notebook's own backend in a kernel)."""
    try:
        import matplotlib
        if off_screen:
            matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        return


@contextlib.contextmanager
def _figures_kept_to_the_cell():
    """While a cell runs, ``plt.show()`` draws nothing; afterwards the
    figures the cell opened are closed, so none is shown or leaks into the
    next cell."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    before = set(pyplot.get_fignums()) if pyplot else set()
    show = pyplot.show if pyplot else None
    if pyplot:
        pyplot.show = lambda *args, **kwargs: None
    try:
        yield
    finally:
        if pyplot:
            pyplot.show = show
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot:
            for number in set(pyplot.get_fignums()) - before:
                pyplot.close(number)


def run_cell(cell: Cell, namespace: dict, folder: Path, quiet: bool = False) -> CellResult:
    """Run one cell in ``namespace``, in the notebook's folder, the way a
    Jupyter kernel would.  Anything written to stderr (warnings included) is
    kept: nbgrader gives a test cell that writes any a 0.  ``quiet`` drops
    what the cell prints."""
    linecache.cache[cell.filename] = (len(cell.source), None, cell.source.splitlines(True), cell.filename)
    result = CellResult()
    stderr = io.StringIO()
    here = os.getcwd()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in SILENT_WARNINGS:
            warnings.simplefilter("ignore", category)
        try:
            os.chdir(folder)
            stdout = contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext()
            with stdout, contextlib.redirect_stderr(stderr), _figures_kept_to_the_cell(), \
                    _time_limit(CELL_TIME_LIMIT):
                exec(_compile(cell), namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 (the student's code may raise anything, exit() too)
            result.error = error
        finally:
            os.chdir(here)
    shown = [warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in caught]
    result.stderr = "".join(shown) + stderr.getvalue()
    return result


# ---------------------------------------------------------------- explaining a failure

class CellFiles:
    """Which code cell of the notebook a traceback's file belongs to.

    Cells this kit runs carry their number in their file name
    (``<01_activations.ipynb, code cell 6>``); code a Jupyter kernel ran
    lives in files of the kernel's own naming, which ``add`` maps to the
    saved cell that defines the same function."""

    def __init__(self) -> None:
        self.kernel_files: dict[str, int] = {}

    def add(self, filename: str, number: int) -> None:
        self.kernel_files.setdefault(filename, number)

    def number(self, filename: str) -> int | None:
        match = _CELL_FILE.match(filename or "")
        return int(match["number"]) if match else self.kernel_files.get(filename)

    def is_notebook_code(self, filename: str) -> bool:
        """Code from a cell (this notebook's, or any the kernel ran), not
        from a library."""
        if self.number(filename) is not None:
            return True
        return filename in linecache.cache and not os.path.isfile(filename)


def _notebook_frames(error: BaseException, files: CellFiles) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(error.__traceback__)
    return [frame for frame in frames if files.is_notebook_code(frame.filename)]


def _where(frame: traceback.FrameSummary, files: CellFiles) -> str:
    number = files.number(frame.filename)
    cell = f"code cell {number}" if number is not None else "a cell run in this kernel"
    inside = "" if frame.name == "<module>" else f", in {frame.name}"
    return f"{cell}, line {frame.lineno}{inside}"


def unfinished_function(error: BaseException, files: CellFiles) -> str | None:
    """The notebook function whose stub raised ``error``, e.g. "sigmoid" or
    "MLP.forward"."""
    for entry, _ in reversed(list(traceback.walk_tb(error.__traceback__))):
        code = entry.f_code
        if code.co_name != "<module>" and files.is_notebook_code(code.co_filename):
            return getattr(code, "co_qualname", code.co_name)
    return None


def describe_error(error: BaseException, files: CellFiles, short: bool = False) -> str:
    """One line for an exception raised by notebook code."""
    if isinstance(error, NotImplementedError):
        name = unfinished_function(error, files)
        return f"not implemented yet: {name}" if name else "not implemented yet"
    if isinstance(error, SyntaxError) and files.is_notebook_code(error.filename or ""):
        return f"SyntaxError: {error.msg} (line {error.lineno})"
    text = f"{type(error).__name__}: {error}".rstrip(": ")
    frames = _notebook_frames(error, files)
    if short and frames:
        text += f" ({_where(frames[-1], files)})"
    return text


def explain_failure(result: CellResult, files: CellFiles) -> tuple[str, list[str]]:
    """A one-line reason and the lines that teach what went wrong."""
    error = result.error
    if error is None:
        reason = "the checks passed, but the cell wrote warnings or errors to stderr"
        lines = [reason + ";", "nbgrader scores such a cell 0.  What it wrote:"]
        lines += ["    " + line for line in result.stderr.rstrip().splitlines()[:12]]
        lines.append("Fix the cause (often an overflow in np.exp or a log of 0) rather than hiding the warning.")
        return reason, lines
    if isinstance(error, NotImplementedError):
        reason = describe_error(error, files)
        name = unfinished_function(error, files)
        target = f"`{name}`" if name else "the function this check calls"
        return reason, [reason, f"Write the body of {target} in its answer cell, in place of "
                                "`raise NotImplementedError()`."]
    if isinstance(error, AssertionError):
        message = str(error).strip()
        frames = _notebook_frames(error, files)
        if not message and frames:
            message = f"this assertion failed: {(frames[-1].line or '').strip()}"
        reason = message.splitlines()[0] if message else "an assertion failed"
        return reason, message.splitlines() or [reason]
    if isinstance(error, CellTimeout):
        reason = str(error)
        return reason, [reason]
    reason = describe_error(error, files)
    lines = [reason]
    frames = _notebook_frames(error, files)
    if frames:
        lines.append("Where it happened (most recent call last):")
        for frame in frames:
            lines.append(f"  {_where(frame, files)}")
            if frame.line:
                lines.append(f"      {frame.line.strip()}")
    return reason, lines


def likely_mistake(error: BaseException | None) -> str:
    """The classic mistake a test's AssertionError names (its
    ``likely_mistake`` attribute), or ""."""
    mistake = getattr(error, "likely_mistake", None) if isinstance(error, AssertionError) else None
    return mistake.strip() if isinstance(mistake, str) else ""


# ---------------------------------------------------------------- results

@dataclass
class CheckResult:
    """One graded test cell's verdict."""

    name: str
    points: float
    passed: bool
    reason: str = ""                 # one line, for the table
    lines: list[str] = field(default_factory=list)  # the whole explanation
    mistake: str = ""                # the likely mistake the test named
    unfinished: str | None = None    # a stub was reached: the function's name ("" if unknown)
    saved: bool | None = None        # what the notebook's saved outputs showed (None: not run)

    @property
    def earned(self) -> float:
        return self.points if self.passed else 0.0


@dataclass
class StageResults:
    """One stage's checks, and what else the student should know."""

    checks: list[CheckResult] = field(default_factory=list)
    problem: str = ""                # the notebook could not be read
    notes: list[str] = field(default_factory=list)


class _Run:
    """Cells run one after another in one namespace; the ordinary cells
    that failed are kept to explain the checks that fail after them."""

    def __init__(self, path: Path, cells: list[Cell]):
        self.path = Path(path)
        self.cells = cells
        self.files = CellFiles()
        self.failed: list[tuple[Cell, BaseException]] = []
        self.reported = 0            # how many of them a failed check has mentioned

    def run_ordinary(self, cell: Cell, namespace: dict) -> None:
        result = run_cell(cell, namespace, self.path.parent, quiet=True)
        if result.error is not None and not isinstance(result.error, NotImplementedError):
            self.failed.append((cell, result.error))

    def earlier_failures(self, error: BaseException | None) -> list[str]:
        """Failed ordinary cells that may explain ``error``: the cell that
        should have defined a missing name, else those not mentioned yet."""
        if isinstance(error, NameError) and getattr(error, "name", None):
            culprits = [(c, e) for c, e in self.failed if error.name in _DEFINES.findall(c.source)]
            if culprits:
                return [f"{cell.label} stopped with {describe_error(e, self.files, short=True)}, "
                        f"so {error.name} was never defined" for cell, e in culprits]
        new, self.reported = self.failed[self.reported:], len(self.failed)
        return [f"{cell.label} stopped with {describe_error(e, self.files, short=True)}" for cell, e in new]

    def verdict(self, cell: Cell, result: CellResult) -> CheckResult:
        """A test cell's run, as a CheckResult."""
        if result.ok:
            return CheckResult(cell.check_name, cell.points, True, saved=cell.saved_verdict)
        reason, lines = explain_failure(result, self.files)
        unfinished = None
        if isinstance(result.error, NotImplementedError):
            unfinished = unfinished_function(result.error, self.files) or ""
        else:
            earlier = self.earlier_failures(result.error)
            if earlier:
                lines = [*lines, "An earlier cell failed, which may be the real cause:",
                         *(f"  {problem}" for problem in earlier)]
        return CheckResult(cell.check_name, cell.points, False, reason, lines, likely_mistake(result.error),
                           unfinished, cell.saved_verdict)


class NotebookRun(_Run):
    """The saved notebook in a fresh namespace, run cell by cell as its
    checks ask for them (pytest)."""

    def __init__(self, path: Path, cells: list[Cell]):
        super().__init__(path, cells)
        self.reset()

    def reset(self) -> None:
        self.namespace = {"__name__": "__main__"}
        self.position = 0            # index of the next cell to run
        self.failed, self.reported = [], 0

    def check(self, index: int) -> CheckResult:
        """Run every cell before ``index`` (once), then the check at ``index``."""
        if index < self.position:   # checks asked for out of order: start again
            self.reset()
        if self.position == 0:
            load_pyplot(off_screen=True)
        while self.position < index:
            cell = self.cells[self.position]
            if cell.graded:   # a check left out of this run (pytest -k) is no cause of another's failure
                run_cell(cell, self.namespace, self.path.parent, quiet=True)
            else:
                self.run_ordinary(cell, self.namespace)
            self.position += 1
        self.position = index + 1
        cell = self.cells[index]
        return self.verdict(cell, run_cell(cell, self.namespace, self.path.parent))


class LiveRun(_Run):
    """The saved notebook's test cells, in order, on the code a Jupyter
    kernel holds now (the summary cell at the end of every notebook)."""

    def __init__(self, path: Path, cells: list[Cell], kernel: dict):
        super().__init__(path, cells)
        self.kernel = kernel
        self.namespace = dict(kernel)   # the tests' own variables stay out of the student's
        self.not_run: list[Cell] = []
        self.changed: list[tuple[str, Cell]] = []

    def run(self) -> list[CheckResult]:
        load_pyplot(off_screen=False)
        checks = []
        with _global_random_state_kept():
            for cell in self.cells:
                if cell.graded:
                    result = run_cell(cell, self.namespace, self.path.parent, quiet=True)
                    checks.append(self.verdict(cell, result))
                elif cell.role in (nbcells.ANSWER, nbcells.PROVIDED):
                    self.prepare(cell)
        return checks

    def prepare(self, cell: Cell) -> None:
        """Use the kernel's version of an answer or provided cell; run the
        saved one if the kernel lacks what it defines."""
        names = bound_names(cell.source)
        if not names:
            return
        if any(name not in self.kernel for name in names):
            self.not_run.append(cell)
            self.run_ordinary(cell, self.namespace)
            return
        for name, node in definitions(cell.source).items():
            for function in _functions_of(self.kernel[name]):
                self.files.add(function.__code__.co_filename, cell.number)
            if _same_definition(self.kernel[name], node) is False:
                self.changed.append((name, cell))

    def notes(self) -> list[str]:
        notes = []
        if self.not_run:
            cells = ", ".join(cell.label for cell in self.not_run)
            notes.append(f"not run in this kernel, so checked as saved in {self.path.name}: {cells}. "
                         "Run All Cells stops at the first failing test: run the cells below it too "
                         "(Run > Run Selected Cell and All Below).")
        if self.changed:
            names = ", ".join(f"{name} (code cell {cell.number})" for name, cell in self.changed)
            notes.append(f"this kernel's code differs from the saved {self.path.name} for {names}. "
                         f"pytest and the grader read the saved file: save the notebook ({SAVE}); "
                         "if you edited a cell since you last ran it, run it again.")
        return notes


@contextlib.contextmanager
def _global_random_state_kept():
    """The tests may draw from NumPy's global generator; the student's
    notebook carries on from where it was."""
    numpy = sys.modules.get("numpy")
    state = numpy.random.get_state() if numpy else None
    try:
        yield
    finally:
        if numpy:
            numpy.random.set_state(state)


def _functions_of(value) -> list[types.FunctionType]:
    """A function itself, or the functions a class defines in its body."""
    if isinstance(value, types.FunctionType):
        return [value]
    if isinstance(value, type):
        return list(_methods(value).values())
    return []


def _methods(cls: type) -> dict[str, types.FunctionType]:
    methods = {}
    for name, member in vars(cls).items():
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        elif isinstance(member, property):
            member = member.fget
        if isinstance(member, types.FunctionType) and member.__qualname__ == f"{cls.__qualname__}.{name}":
            methods[name] = member
    return methods


def _same_function(function, node: ast.AST) -> bool | None:
    """Whether ``function`` was made from the definition ``node`` (comments
    and layout aside); None when its source cannot be found."""
    if not isinstance(function, types.FunctionType):
        return False
    try:
        source = inspect.getsource(function)
        # A method's source is indented: parse it as the body of a block
        # rather than dedent it, which would change its docstring.
        indented = source[:1].isspace()
        tree = ast.parse("if True:\n" + source if indented else source)
        parsed = tree.body[0].body[0] if indented else tree.body[0]
    except (OSError, TypeError, SyntaxError, ValueError, IndexError, AttributeError):
        return None
    return ast.dump(parsed) == ast.dump(node)


def _same_definition(value, node: ast.AST) -> bool | None:
    """Whether the kernel's function or class ``value`` is the saved
    definition ``node``; None when that cannot be told."""
    if not isinstance(node, ast.ClassDef):
        return _same_function(value, node)
    if not isinstance(value, type):
        return False
    saved = {item.name: item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
    live = _methods(value)
    if set(saved) != set(live):
        return False
    verdicts = [_same_function(live[name], saved[name]) for name in saved]
    if False in verdicts:
        return False
    return None if None in verdicts else True


# ---------------------------------------------------------------- what the saved file says

def saved_notes(notebook: str, cells: list[Cell], checks: list[CheckResult]) -> list[str]:
    """Signs that the saved notebook is not what the student last ran: no
    outputs at all, or saved outputs whose test verdicts disagree with this
    run."""
    if not any(cell.execution_count is not None for cell in cells):
        return [f"{notebook} holds no outputs: it was saved before it was run, or its outputs were "
                f"cleared. pytest reads the saved file: if you work on it in Jupyter, save it there first "
                f"({SAVE})."]
    passed_there = [check.name for check in checks if check.saved is True and not check.passed]
    failed_there = [check.name for check in checks if check.saved is False and check.passed]
    if not passed_there and not failed_there:
        return []
    differ = []
    if passed_there:
        differ.append(f"{', '.join(passed_there)} passed in Jupyter and failed here")
    if failed_there:
        differ.append(f"{', '.join(failed_there)} failed in Jupyter and passed here")
    return [f"the outputs saved in {notebook} disagree with this run ({'; '.join(differ)}): the file "
            f"changed after its last run. In Jupyter, save it ({SAVE}), then {RESTART_AND_RUN_ALL}, "
            "and save it again."]


# ---------------------------------------------------------------- the points table

def _points(value: float) -> str:
    return f"{value:g}"


def _shorten(text: str, width: int = 72) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _note_lines(note: str) -> list[str]:
    return textwrap.wrap(note, width=REPORT_WIDTH + 8, initial_indent="  note: ", subsequent_indent="        ")


def points_table(results: dict[str, StageResults]) -> list[tuple[str, dict]]:
    """The summary as (text, style) lines: per stage its notes, one line per
    check (and its likely mistake), a total; then one overall total.  A style
    is a dict of pytest terminal markup (``{"red": True}``)."""
    rows: list[tuple[str, dict]] = []
    name_width = max([len(c.name) for r in results.values() for c in r.checks] + [len("total")])
    earned_all = possible_all = 0.0
    for stage in sorted(results):
        stage_results = results[stage]
        rows.append((stage, {"bold": True}))
        rows += [(line, {"yellow": True}) for note in stage_results.notes for line in _note_lines(note)]
        if stage_results.problem:
            rows.append((f"  {stage_results.problem}: 0 points", {"red": True}))
            continue
        earned = possible = 0.0
        for check in stage_results.checks:
            earned, possible = earned + check.earned, possible + check.points
            status = "PASS" if check.passed else "FAIL"
            line = f"  {status}  {check.name:<{name_width}}  {_points(check.earned):>4} / {_points(check.points)}"
            if not check.passed:
                line += f"   {_shorten(check.reason)}"
            rows.append((line, {"green": check.passed, "red": not check.passed}))
            if check.mistake and not check.passed:
                rows.append((f"        likely mistake: {_shorten(check.mistake)}", {"red": True}))
        rows.append((f"        {stage + ' total':<{name_width}}  {_points(earned):>4} / {_points(possible)}",
                     {"bold": True}))
        earned_all, possible_all = earned_all + earned, possible_all + possible
    if len(results) > 1:
        rows.append((f"        {'all stages':<{name_width}}  {_points(earned_all):>4} / {_points(possible_all)}",
                     {"bold": True}))
    return rows


def failure_lines(check: CheckResult) -> list[str]:
    """What a failed check says in full: its name and points, then why."""
    points = _points(check.points)
    lines = check.lines or [check.reason]
    return [f"{check.name} ({points} point{'s' if points != '1' else ''}): {lines[0]}", *lines[1:]]


def report(stage: str, results: StageResults) -> str:
    """The summary cell's text: the points table (as pytest prints it), then
    what every failed check says."""
    title = f" {TABLE_TITLE} "
    lines = [title.center(REPORT_WIDTH, "="), *(text for text, _ in points_table({stage: results})),
             "=" * REPORT_WIDTH]
    written = [check for check in results.checks if not check.passed and check.unfinished is None]
    unfinished = [check for check in results.checks if not check.passed and check.unfinished is not None]
    if unfinished:
        names = list(dict.fromkeys(check.unfinished for check in unfinished if check.unfinished))
        lines += ["", f"Not written yet: {', '.join(names) or 'a function the checks call'}. Replace "
                  "`raise NotImplementedError()` in its answer cell with your code."]
    for check in written:
        lines += ["", *failure_lines(check)]
    if results.checks and all(check.passed for check in results.checks):
        lines += ["", "Every public check passes. The grader also runs hidden checks on the same functions."]
    return "\n".join(lines)


# ---------------------------------------------------------------- the summary cell

def find_notebook(stage: str, kernel: dict) -> Path | None:
    """The saved notebook this kernel belongs to: the file Jupyter (or VS
    Code) names, else ``<stage>.ipynb`` in the kernel's folder."""
    named = [kernel.get("__session__"), kernel.get("__vsc_ipynb_file__"), os.environ.get("JPY_SESSION_NAME")]
    for name in named:
        if not (isinstance(name, str) and name.endswith(".ipynb")):
            continue
        # Absolute, or relative to the server's root folder: the kernel runs in the notebook's own.
        for candidate in (Path(name), Path.cwd() / Path(name).name):
            if candidate.is_file():
                return candidate
    for candidate in (Path.cwd() / f"{stage}.ipynb", Path.cwd() / stage / f"{stage}.ipynb"):
        if candidate.is_file():
            return candidate
    return None


def check_stage(stage: str, kernel: dict) -> None:
    """Print the points table of every public check of ``stage``, run on
    the code in ``kernel`` (the notebook's ``globals()``), and what each
    failed check says.  Changes nothing in ``kernel``."""
    path = find_notebook(stage, kernel)
    if path is None:
        print(f"Cannot check {stage}: the saved notebook {stage}.ipynb is not in {Path.cwd()}. Save this "
              f"notebook ({SAVE}) under the name {stage}.ipynb, in the folder {stage} of the course.")
        return
    try:
        cells = read_cells(path)
    except nbcells.NotebookProblem as problem:
        print(f"Cannot check {stage}: {problem}.")
        return
    run = LiveRun(path, cells, kernel)
    checks = run.run()
    notes = run.notes()
    if path.name != f"{stage}.ipynb":
        notes.append(f"these are the checks of {path.name}; pytest and the grader check {stage}.ipynb.")
    print(report(stage, StageResults(checks=checks, notes=notes)))
