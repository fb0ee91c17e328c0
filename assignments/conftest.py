"""Check your stage notebooks with pytest.

Run ``python -m pytest`` in this folder to check every stage, or
``python -m pytest 01_activations`` for one.  Each stage notebook
``<stage>/<stage>.ipynb`` is read from disk, as last saved, and run top to
bottom as plain Python, the way Jupyter's "Restart Kernel and Run All Cells"
would run it; every graded test cell becomes one check worth the points it
carries.  The end of the report lists the points of every check and each
stage's total: the same table as the last cell of every notebook prints.

You do not need to edit this file.  It needs pytest and the standard
library, and it reads nothing but your notebooks; ``stagechecks.py`` runs
the checks and draws the table, ``nbcells.py`` reads the cells.  The
instructor grades with the same test cells (and may add hidden ones), so a
check that fails here will not score there either.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Plots are drawn off screen: set before any notebook imports matplotlib.
os.environ["MPLBACKEND"] = "Agg"

KIT_ROOT = Path(__file__).resolve().parent
if str(KIT_ROOT) not in sys.path:  # nbcells.py and stagechecks.py sit beside this file
    sys.path.insert(0, str(KIT_ROOT))
import nbcells  # noqa: E402
import stagechecks  # noqa: E402
from stagechecks import CheckResult, NotebookRun, StageResults  # noqa: E402

RESULTS: dict[str, StageResults] = {}
CELLS: dict[str, list[stagechecks.Cell]] = {}   # stage -> the cells of its saved notebook


class CheckFailed(Exception):
    def __init__(self, check: CheckResult):
        super().__init__(check.reason)
        self.check = check


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


class _Crash:
    def __init__(self, path: str, message: str, lineno: int = 0):
        self.path, self.message, self.lineno = path, message, lineno


class StageNotebook(pytest.File):
    """``<stage>/<stage>.ipynb``: one pytest item per graded test cell."""

    def collect(self):
        stage = self.path.parent.name
        RESULTS.setdefault(stage, StageResults())
        try:
            cells = stagechecks.read_cells(self.path)
        except nbcells.NotebookProblem as problem:
            RESULTS[stage].problem = "the notebook could not be read"
            raise self.CollectError(
                f"{problem}.\nOpen it in Jupyter: if it does not open either, get a fresh copy of the "
                "stage and paste your answers into it.") from None
        CELLS[stage] = cells
        run = NotebookRun(self.path, cells)
        for index, cell in enumerate(cells):
            if cell.graded:
                yield CheckItem.from_parent(self, name=cell.check_name, run=run, index=index)


class CheckItem(pytest.Item):
    """One graded test cell of a stage notebook."""

    def __init__(self, *, run: NotebookRun, index: int, **kwargs):
        super().__init__(**kwargs)
        self.run = run
        self.index = index
        self.stage = self.path.parent.name

    def runtest(self) -> None:
        check = self.run.check(self.index)
        RESULTS.setdefault(self.stage, StageResults()).checks.append(check)
        if not check.passed:
            raise CheckFailed(check)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            check = excinfo.value.check
            return FailureReport(stagechecks.failure_lines(check), check.reason, str(self.path))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.stage}: {self.name}"


def pytest_collect_file(file_path: Path, parent):
    """Collect ``<stage>/<stage>.ipynb`` directly under this folder."""
    if (file_path.suffix == ".ipynb" and file_path.stem == file_path.parent.name
            and file_path.parent.parent == KIT_ROOT):
        return StageNotebook.from_parent(parent, path=file_path)
    return None


def pytest_sessionstart(session):
    RESULTS.clear()
    CELLS.clear()


def pytest_terminal_summary(terminalreporter):
    results = {stage: r for stage, r in RESULTS.items() if r.checks or r.problem}
    if not results:
        return
    for stage, stage_results in results.items():
        if stage in CELLS:
            stage_results.notes += stagechecks.saved_notes(f"{stage}.ipynb", CELLS[stage], stage_results.checks)
    terminalreporter.write_sep("=", stagechecks.TABLE_TITLE)
    for text, style in stagechecks.points_table(results):
        terminalreporter.write_line(text, **style)
