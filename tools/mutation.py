"""Mutation testing of the checks: do they catch a wrong solution?

Every solution region (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) of
the instructor notebooks is mutated one small change at a time -- an
arithmetic operator, a constant, an axis, a transpose, a comparison, a
``keepdims``, a NumPy reduction -- and each mutant notebook is graded like
a submission.  A mutant is

* **caught** when grading it (seed ``GRADE_SEED``) loses points;
* **behaviour-changing** when it is caught, or when replaying what grading
  the original solution sent to the student's code (the requests of the
  public checks and of the hidden checks under ``ORACLE_SEEDS``) gets
  answers that differ from the original's beyond 1e-9.

The figure is caught / behaviour-changing.  Mutants that change nothing
the grader can observe (a clip bound of 500 made 501, say) are reported
as equivalent on the checks' inputs and listed, so that a reader can judge
them.  Mutants that change only a detail the grading policy leaves to the
student (``FREE``: the clipping epsilon within its range, the plot's grid,
margin, size and contour levels) are *free*: listed apart and left out of
the figure, since catching them would be unfair; one that costs points is
reported as a fairness failure.  Run it:

    python tools/mutation.py                  # every mutant, the figure in docs/grading.md
    python tools/mutation.py --sample 24      # a fixed, seeded sample

A developer's instrument, not part of the installed kit: it reads the
instructor notebooks of the course this file sits in.
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from autograder.course import STAGES, find_course, instructor_path
from autograder.engine import Grader
from autograder.notebooks import plan_cells, read_notebook
from autograder.sandbox import Limits, SessionLost, wire
from autograder.student_kit.nbcells import ANSWER, role_of

COURSE = Path(__file__).resolve().parent.parent

GRADE_SEED = 1
ORACLE_SEEDS = (2, 3, 4)
LIMITS = Limits(call_seconds=5.0, load_seconds=10.0, check_seconds=30.0, submission_seconds=300.0)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

SWAP_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
              ast.MatMult: ast.Mult, ast.Pow: ast.Mult, ast.FloorDiv: ast.Div}
SWAP_COMPARE = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
                ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
SWAP_CALL = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "maximum": "minimum",
             "minimum": "maximum", "exp": "log", "log": "exp", "zeros": "ones", "ones": "zeros"}


@dataclass(frozen=True)
class Mutant:
    stage: str
    cell: str           # grade_id of the answer cell
    line: int           # line in the cell
    operator: str       # family: operator, comparison, constant, axis, transpose, keepdims, call, sign
    change: str         # what changed, e.g. "`>` -> `>=`"
    source: str         # the whole mutated cell
    text: str = ""      # the line before the change

    @property
    def label(self) -> str:
        return f"{self.stage} {self.cell}:{self.line} {self.change}"


@dataclass(frozen=True)
class FreeDetail:
    """A detail the grading policy (docs/grading.md) leaves to the student:
    a constant of a solution line, and the values it may take."""
    stage: str
    cell: str
    line: str                       # a regular expression the line matches
    allowed: Callable[[float, float], bool]   # (original, mutated) -> whether the policy allows it
    why: str


def _within_epsilons(original: float, mutated: float) -> bool:
    return 1e-16 <= mutated <= 1e-6


FREE = (
    FreeDetail("03_backprop", "binary_cross_entropy", r"np\.clip\(y_hat, 1e-15", _within_epsilons,
               "the clipping epsilon (any from 1e-16 to 1e-6)"),
    FreeDetail("06_extensions", "categorical_cross_entropy", r"np\.clip\(Y_hat, 1e-15", _within_epsilons,
               "the clipping epsilon (any from 1e-16 to 1e-6)"),
    FreeDetail("05_moons", "plot_decision_boundary", r"np\.linspace\(X\[:, [01]\]\.min\(\) - 0\.5",
               lambda original, mutated: original in (0.5, 200) and mutated > 0,
               "the grid's margin and resolution"),
    FreeDetail("05_moons", "plot_decision_boundary", r"figsize=", lambda original, mutated: mutated > 0,
               "the figure's size"),
    FreeDetail("05_moons", "plot_decision_boundary", r"levels=np\.linspace\(0, 1, 11\)",
               lambda original, mutated: (original, mutated) in ((1, 2), (11, 12)), "the contour levels"),
)


def free_detail(mutant: Mutant) -> str:
    """Why the grading policy leaves what ``mutant`` changes to the student,
    or "" when it does not."""
    if mutant.operator != "constant":
        return ""
    try:
        original, mutated = (float(value) for value in mutant.change.split(" -> "))
    except ValueError:
        return ""
    for detail in FREE:
        if (detail.stage, detail.cell) == (mutant.stage, mutant.cell) and re.search(detail.line, mutant.text) \
                and detail.allowed(original, mutated):
            return detail.why
    return ""


def _solution_lines(source: str) -> set:
    lines, inside = set(), False
    for number, text in enumerate(source.splitlines(), start=1):
        if BEGIN in text:
            inside = True
        elif END in text:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _replace(source: str, node, text: str) -> str:
    """The source with the node's text replaced."""
    lines = source.splitlines(keepends=True)
    start, col, end, end_col = node.lineno, node.col_offset, node.end_lineno, node.end_col_offset
    # ast's column offsets count UTF-8 bytes
    before = "".join(lines[:start - 1]) + lines[start - 1].encode()[:col].decode()
    after = lines[end - 1].encode()[end_col:].decode() + "".join(lines[end:])
    return before + text + after


def _changes(node):
    """(family, description, replacement text, node to replace) for one node."""
    if isinstance(node, ast.BinOp) and type(node.op) in SWAP_BINOP:
        new = copy.deepcopy(node)
        new.op = SWAP_BINOP[type(node.op)]()
        yield "operator", f"`{_op(node.op)}` -> `{_op(new.op)}`", f"({ast.unparse(new)})", node
    elif isinstance(node, ast.AugAssign) and type(node.op) in SWAP_BINOP:
        new = copy.deepcopy(node)
        new.op = SWAP_BINOP[type(node.op)]()
        yield "operator", f"`{_op(node.op)}=` -> `{_op(new.op)}=`", ast.unparse(new), node
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAP_COMPARE:
        new = copy.deepcopy(node)
        new.ops = [SWAP_COMPARE[type(node.ops[0])]()]
        yield "comparison", f"`{_op(node.ops[0])}` -> `{_op(new.ops[0])}`", f"({ast.unparse(new)})", node
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "sign", "unary minus dropped", f"({ast.unparse(node.operand)})", node
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield "transpose", "`.T` dropped", f"({ast.unparse(node.value)})", node
    elif isinstance(node, ast.keyword) and node.arg == "axis" and isinstance(node.value, ast.Constant) \
            and node.value.value in (0, 1):
        yield "axis", f"axis={node.value.value} -> axis={1 - node.value.value}", str(1 - node.value.value), node.value
    elif isinstance(node, ast.keyword) and node.arg == "keepdims" and isinstance(node.value, ast.Constant):
        yield "keepdims", f"keepdims={node.value.value} -> {not node.value.value}", str(not node.value.value), node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SWAP_CALL:
        new = copy.deepcopy(node.func)
        new.attr = SWAP_CALL[node.func.attr]
        yield "call", f"`{node.func.attr}` -> `{new.attr}`", ast.unparse(new), node.func
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float) and not isinstance(node.value, bool):
        value = node.value
        replacement = value + 1 if type(value) is int else (value * 2 if value else 1.0)
        yield "constant", f"{value!r} -> {replacement!r}", f"({replacement!r})", node


def _op(op) -> str:
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.Pow: "**",
            ast.FloorDiv: "//", ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==",
            ast.NotEq: "!="}[type(op)]


def _skipped(tree) -> set:
    """Nodes never mutated: inside f-strings, keyword values handled as
    axis/keepdims, and the targets of assignments."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.keyword) and node.arg in ("axis", "keepdims"):
            skip.add(id(node.value))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                skip.update(id(n) for n in ast.walk(target))
    return skip


def mutants_of(stage: str, source_dir: Path | None = None) -> list:
    """Every mutant of the solution regions of a stage's instructor notebook."""
    notebook = json.loads(instructor_path(source_dir or course_source(), stage).read_text())
    found = []
    for cell in notebook["cells"]:
        role, grade_id, _ = role_of(cell.get("metadata"))
        if cell["cell_type"] != "code" or role != ANSWER:
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines = _solution_lines(source)
        tree = ast.parse(source)
        skip = _skipped(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) not in lines or id(node) in skip:
                continue
            for family, change, text, target in _changes(node):
                mutated = _replace(source, target, text)
                if mutated != source:
                    ast.parse(mutated)
                    found.append(Mutant(stage, grade_id, node.lineno, family, change, mutated,
                                        source.splitlines()[node.lineno - 1]))
    return found


def course_source() -> Path:
    """The instructor notebooks of the course this file sits in."""
    return find_course(start=COURSE).source


def mutated_notebook(stage: str, mutant: Mutant, source_dir: Path | None = None) -> dict:
    notebook = json.loads(instructor_path(source_dir or course_source(), stage).read_text())
    for cell in notebook["cells"]:
        if cell.get("cell_type") == "code" and role_of(cell.get("metadata"))[1] == mutant.cell:
            cell["source"] = mutant.source
    return notebook


# ------------------------------------------------------------------ the oracle

def _similar(a, b) -> bool:
    """Two replies' JSON trees agree, arrays and floats within 1e-9."""
    if type(a) is dict and type(b) is dict:
        if "npy" in a or "npy" in b:
            try:
                x, y = wire.array_from_text(a.get("npy")), wire.array_from_text(b.get("npy"))
            except wire.WireError:
                return False
            return x.shape == y.shape and bool(np.allclose(x.astype(complex), y.astype(complex), rtol=1e-9,
                                                           atol=1e-9, equal_nan=True))
        if a.get("t") == "np" and b.get("t") == "np":
            x, y = wire.Codec().decode(a), wire.Codec().decode(b)
            return bool(np.isclose(complex(x), complex(y), rtol=1e-9, atol=1e-9, equal_nan=True))
        keys = set(a) | set(b)
        keys -= {"id", "stderr", "where", "message", "seconds"}
        return all(_similar(a.get(k), b.get(k)) for k in keys)
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(_similar(x, y) for x, y in zip(a, b))
    if type(a) is float or type(b) is float:
        return type(b) in (int, float) and type(a) in (int, float) and \
            bool(np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True))
    return a == b


def replay_differs(grader: Grader, stage: str, cells: list, transcript: list) -> str:
    """Replay a recorded transcript against other cells; '' if every answer
    agrees, else where it first differed."""
    session = grader.sandbox.session(f"replay-{stage}")
    try:
        for entry in transcript:
            callbacks = list(entry.get("callbacks", []))

            def answer(request, pending=callbacks):
                if not pending or not _similar(pending[0]["request"], request):
                    raise _Diverged("a different callback")
                return pending.pop(0)["answer"]

            try:
                if entry["kind"] == "load":
                    reply = session.request({"op": "load", "cells": cells}, LIMITS.load_seconds)
                else:
                    reply = session.request(entry["message"], LIMITS.call_seconds, on_callback=answer)
            except SessionLost as lost:
                return f"{entry.get('label', 'load')}: {lost.reason}"
            except _Diverged as diverged:
                return f"{entry.get('label')}: {diverged}"
            if not _similar(entry["reply"], reply):
                return f"{entry.get('label', 'load')}: a different answer"
        return ""
    finally:
        session.close()


class _Diverged(Exception):
    pass


# ------------------------------------------------------------------ running

@dataclass
class MutantResult:
    mutant: Mutant
    caught: bool
    changed: bool
    lost: float = 0.0
    evidence: str = ""      # the first failing check, or where the replay differed
    seconds: float = 0.0


@dataclass
class MutationReport:
    results: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> list:
        """Mutants that change something the policy grades."""
        return [r for r in self.results if r.changed and not free_detail(r.mutant)]

    @property
    def caught(self) -> list:
        return [r for r in self.results if r.caught and not free_detail(r.mutant)]

    @property
    def free(self) -> list:
        """Mutants that change only what the policy leaves free, and change it."""
        return [r for r in self.results if r.changed and free_detail(r.mutant)]

    @property
    def score(self) -> float:
        return len(self.caught) / max(len(self.changed), 1)


def sample(all_mutants: list, size: int | None, seed: int) -> list:
    """A fixed, seeded sample, spread evenly over the stages."""
    if size is None or size >= len(all_mutants):
        return list(all_mutants)
    rng = random.Random(seed)
    by_stage = {}
    for mutant in all_mutants:
        by_stage.setdefault(mutant.stage, []).append(mutant)
    chosen, stages = [], sorted(by_stage)
    for index, stage in enumerate(stages):
        share = size // len(stages) + (1 if index < size % len(stages) else 0)
        chosen += rng.sample(by_stage[stage], min(share, len(by_stage[stage])))
    return chosen


def run(stages=STAGES, size: int | None = None, seed: int = 0, progress=None) -> MutationReport:
    started = time.monotonic()
    report = MutationReport()
    all_mutants = [m for stage in stages for m in mutants_of(stage)]
    chosen = sample(all_mutants, size, seed)
    needed = sorted({m.stage for m in chosen})
    with Grader(LIMITS, source=course_source(), stages=needed) as grader, tempfile.TemporaryDirectory(prefix="mutants-") as folder:
        transcripts = {}
        for stage in needed:
            recorded = {}
            for oracle_seed in (GRADE_SEED,) + ORACLE_SEEDS:
                log = {}
                graded = grader.grade(course_source() / stage, stages=[stage], seed=oracle_seed, transcripts=log)
                if graded.score != graded.max_score - sum(c.max_points for c in graded.checks() if c.pending):
                    raise RuntimeError(f"the solution of {stage} does not earn full marks")
                recorded[oracle_seed] = log[stage]
            transcripts[stage] = recorded
        for number, mutant in enumerate(chosen, start=1):
            begun = time.monotonic()
            target = Path(folder) / f"m{number}"
            notebook = mutated_notebook(mutant.stage, mutant)
            (target / mutant.stage).mkdir(parents=True)
            (target / mutant.stage / f"{mutant.stage}.ipynb").write_text(json.dumps(notebook))
            graded = grader.grade(target, stages=[mutant.stage], seed=GRADE_SEED).stages[0]
            failed = [c for c in graded.checks if not c.passed]
            result = MutantResult(mutant, caught=bool(failed), changed=bool(failed),
                                  lost=graded.max_score - graded.score)
            if failed:
                result.evidence = failed[0].name
            else:
                cells = cells_of(grader, mutant.stage, notebook)
                for oracle_seed, transcript in transcripts[mutant.stage].items():
                    where = replay_differs(grader, mutant.stage, cells, transcript)
                    if where:
                        result.changed, result.evidence = True, f"seed {oracle_seed}: {where}"
                        break
            result.seconds = time.monotonic() - begun
            report.results.append(result)
            if progress:
                progress(number, len(chosen), result)
    report.seconds = time.monotonic() - started
    return report


def cells_of(grader: Grader, stage: str, notebook: dict) -> list:
    with tempfile.NamedTemporaryFile("w", suffix=".ipynb", delete=False) as handle:
        json.dump(notebook, handle)
    path = Path(handle.name)
    try:
        cells, _ = plan_cells(grader.instructor(stage), read_notebook(path))
    finally:
        path.unlink()
    return cells


def format_report(report: MutationReport) -> str:
    lines = []
    survivors = [r for r in report.changed if not r.caught]
    equivalent = [r for r in report.results if not r.changed]
    unfair = [r for r in report.free if r.caught]
    families = {}
    for r in report.results:
        counts = families.setdefault(r.mutant.operator, [0, 0, 0])
        counts[0] += 1
        counts[1] += r.changed
        counts[2] += r.caught
    lines.append(f"{len(report.results)} mutants of the solution regions, "
                 f"{len(report.changed)} change graded behaviour, {len(report.caught)} caught: "
                 f"{100 * report.score:.1f}% of the behaviour-changing mutants caught "
                 f"({report.seconds:.0f} s)")
    every = [r for r in report.results if r.changed]
    lines.append(f"(counting the {len(report.free)} that change only what the grading policy leaves free: "
                 f"{sum(r.caught for r in every)} of {len(every)}, "
                 f"{100 * sum(r.caught for r in every) / max(len(every), 1):.1f}%)")
    lines.append("")
    lines.append(f"{'family':<12} {'mutants':>8} {'changing':>9} {'caught':>7}")
    for family, (total, changing, caught) in sorted(families.items()):
        lines.append(f"{family:<12} {total:>8} {changing:>9} {caught:>7}")
    if survivors:
        lines += ["", "Behaviour-changing mutants the checks missed:"]
        lines += [f"  {r.mutant.label}  ({r.evidence})" for r in survivors]
    if report.free:
        lines += ["", "Mutants that change only what the grading policy leaves free (not graded, on purpose):"]
        lines += [f"  {r.mutant.label}  ({free_detail(r.mutant)}{'; CHARGED: unfair' if r.caught else ''})"
                  for r in report.free]
    if unfair:
        lines += ["", f"FAIRNESS: {len(unfair)} free change(s) cost points: " + ", ".join(r.mutant.label for r in unfair)]
    if equivalent:
        lines += ["", "Mutants equivalent on the checks' inputs (no answer differed):"]
        lines += [f"  {r.mutant.label}" for r in equivalent]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/mutation.py", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", action="append", dest="stages", choices=STAGES, metavar="NAME")
    parser.add_argument("--sample", type=int, help="grade a fixed, seeded sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)
    stages = args.stages or list(STAGES)
    if args.list:
        for mutant in sample([m for s in stages for m in mutants_of(s)], args.sample, args.seed):
            print(mutant.label)
        return 0

    def progress(number, total, result):
        mark = "caught" if result.caught else ("MISSED" if result.changed else "equivalent")
        print(f"[{number}/{total}] {mark:<10} {result.mutant.label}", file=sys.stderr, flush=True)

    report = run(stages, args.sample, args.seed, progress)
    print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
