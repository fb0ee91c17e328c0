"""Fairness of the checks: do correct implementations in other styles earn
every point, on every seed?

Every implementation of the corpus (``tests/support/fair_corpus``: per-sample
loops, layer classes, vectorised one-liners, and two that differ only in a
convention) is graded like a submission under many seeds.  Each must earn
every point on every seed, apart from exactly the one public convention
check where it differs on purpose.  Every known mistake
(``tests/support/student_mistakes.py``) must lose points, only in the checks
of the function that has it.

    python tools/fairness.py                      # the corpus on 30 seeds, 2 processes
    python tools/fairness.py --seeds 100 --jobs 4
    python tools/fairness.py --mistakes           # the known mistakes too
    python tools/fairness.py --agreement          # the student's pytest against the grader, all

Each process keeps one sandbox (one ``Grader``) and grades its share of
the seeds with ``Grader.grade_seeds``: the notebook is loaded once per
stage, the public checks run once, the hidden checks once per seed.  The
test suite runs a smaller seeded sample (tests/test_fair_verdicts.py).

A developer's instrument, not part of the installed kit.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

COURSE = Path(__file__).resolve().parent.parent
if str(COURSE) not in sys.path:        # run as a script: the kit and the tests' corpus
    sys.path.insert(0, str(COURSE))

from autograder.checks import check_function  # noqa: E402
from autograder.engine import Grader  # noqa: E402
from autograder.sandbox import Limits  # noqa: E402

LIMITS = Limits(call_seconds=10.0, load_seconds=30.0, check_seconds=60.0, submission_seconds=600.0)
FIRST_SEED = 1000


@dataclass
class SeedResult:
    """One implementation under one seed: its score and the checks it failed."""
    implementation: str
    seed: int
    score: float
    max_score: float
    failed: list[str] = field(default_factory=list)        # full check names
    messages: dict[str, str] = field(default_factory=dict)  # check name -> first line of its message

    def unexpected(self, differs: dict[str, str]) -> list[str]:
        """The failed checks beyond the one convention the implementation differs in."""
        allowed = {f"{stage} {grade_id}" for stage, grade_id in differs.items()}
        return [name for name in self.failed if name not in allowed]


def grade_implementation(name: str, seeds: list[int], grader: Grader | None = None) -> list[SeedResult]:
    """Grade one implementation of the corpus under ``seeds`` (in one sandbox)."""
    from tests.support.fair_corpus import BY_NAME, write_submission

    implementation = BY_NAME[name]
    with tempfile.TemporaryDirectory(prefix=f"fair-{name}-") as folder:
        write_submission(implementation, Path(folder))
        own = grader is None
        grader = grader or Grader(LIMITS)
        try:
            reports = grader.grade_seeds(Path(folder), seeds)
        finally:
            if own:
                grader.close()
    results = []
    for report in reports:
        # Written answers are graded by a person, not by the kit: they are no verdict of its checks.
        checks = [check for check in report.checks() if not check.manual]
        failed = [check for check in checks if not check.passed]
        results.append(SeedResult(name, report.seed, report.score, sum(c.max_points for c in checks),
                                  [c.name for c in failed],
                                  {c.name: c.message.strip().splitlines()[0] if c.message.strip() else ""
                                   for c in failed}))
    return results


def _chunks(seeds: list[int], parts: int) -> list[list[int]]:
    parts = max(1, min(parts, len(seeds)))
    return [seeds[index::parts] for index in range(parts)]


def grade_corpus(names: list[str], seeds: list[int], jobs: int = 2) -> dict[str, list[SeedResult]]:
    """Every implementation under every seed, the seeds shared among
    ``jobs`` processes; results in seed order."""
    work = [(name, chunk) for name in names for chunk in _chunks(seeds, jobs)]
    results: dict[str, list[SeedResult]] = {name: [] for name in names}
    if jobs <= 1:
        with Grader(LIMITS) as grader:
            for name, chunk in work:
                results[name] += grade_implementation(name, chunk, grader)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for (name, _), done in zip(work, pool.map(_grade_share, work)):
                results[name] += done
    for name in names:
        results[name].sort(key=lambda result: result.seed)
    return results


_GRADER: list[Grader] = []   # this worker process's sandbox, kept for all its shares


def _grade_share(item) -> list[SeedResult]:
    from multiprocessing import util

    if not _GRADER or not _GRADER[0].alive():
        _GRADER[:] = [Grader(LIMITS)]
        util.Finalize(_GRADER[0], _GRADER[0].close, exitpriority=10)
    name, seeds = item
    return grade_implementation(name, seeds, _GRADER[0])


def mistake_results(seeds: list[int]) -> list[tuple[tuple, list[str], set[str]]]:
    """Each known mistake graded under ``seeds``: (the mistake, the checks it
    failed under any seed, the functions those checks grade)."""
    from tests.support.hostile import builders
    from tests.support.student_mistakes import MISTAKES

    found = []
    with Grader(LIMITS) as grader, tempfile.TemporaryDirectory(prefix="fair-mistakes-") as base:
        for number, mistake in enumerate(MISTAKES):
            stage, cell, old, new = mistake[:4]
            folder = Path(base) / str(number)
            builders.write(builders.edit_answer(builders.solution(stage), cell, old, new), folder, stage)
            failed = sorted({check.name for report in grader.grade_seeds(folder, seeds, stages=[stage])
                             for check in report.checks() if not check.passed and not check.manual})
            found.append((mistake, failed, {check_function(stage, name) for name in failed}))
    return found


def format_corpus(results: dict[str, list[SeedResult]]) -> str:
    from tests.support.fair_corpus import BY_NAME

    lines = [f"{'implementation':<16} {'seed':>6} {'score':>9}  failed"]
    summary = []
    for name, per_seed in results.items():
        differs = BY_NAME[name].differs
        for result in per_seed:
            failed = ", ".join(check.split(" ", 1)[1] for check in result.failed) or "-"
            lines.append(f"{name:<16} {result.seed:>6} {result.score:>4g}/{result.max_score:<4g}  {failed}")
        bad = [result for result in per_seed if result.unexpected(differs)]
        expected = [result for result in per_seed if not result.unexpected(differs)
                    and len(result.failed) == len(differs)]
        summary.append(f"{name:<16} {len(expected)}/{len(per_seed)} seeds as expected "
                       f"(every point{' but ' + ', '.join(differs.values()) if differs else ''}); "
                       f"{len(bad)} with an unexpected failure  [{BY_NAME[name].style}]")
        for result in bad:
            for check in result.unexpected(differs):
                summary.append(f"    seed {result.seed}: {check}: {result.messages[check]}")
    return "\n".join(lines + ["", *summary])


def main(argv=None) -> int:
    from tests.support.fair_corpus import BY_NAME, IMPLEMENTATIONS

    parser = argparse.ArgumentParser(prog="python tools/fairness.py", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30, help="how many seeds (default 30)")
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED, help=f"the first seed (default {FIRST_SEED})")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--implementation", action="append", choices=sorted(BY_NAME), dest="names")
    parser.add_argument("--mistakes", action="store_true", help="also grade every known mistake (on 3 seeds)")
    parser.add_argument("--agreement", action="store_true",
                        help="also run the student's pytest on every implementation and every group of known "
                             "mistakes, and compare its verdicts with the grader's")
    args = parser.parse_args(argv)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    started = time.monotonic()
    results = grade_corpus(args.names or [i.name for i in IMPLEMENTATIONS], seeds, args.jobs)
    print(format_corpus(results))
    ok = all(not r.unexpected(BY_NAME[n].differs) and len(r.failed) == len(BY_NAME[n].differs)
             for n, per_seed in results.items() for r in per_seed)
    if args.mistakes:
        print("\nknown mistakes (seeds", seeds[:3], "): the functions whose checks lost points")
        for mistake, failed, functions in mistake_results(seeds[:3]):
            right = bool(failed) and functions == {mistake[5]}
            ok = ok and right
            print(f"  {'ok ' if right else 'BAD'} {mistake[0]} {mistake[1]}: {mistake[3][:40]!r} -> "
                  f"{sorted(functions) or 'nothing lost'}")
    if args.agreement:
        from tests.support.fair_corpus import agreement

        chosen = agreement.submissions([BY_NAME[n] for n in args.names or BY_NAME])
        with Grader(LIMITS) as grader, tempfile.TemporaryDirectory(prefix="fair-agree-") as base:
            compared = agreement.compare(chosen, grader, Path(base), seeds[0], workers=args.jobs)
        print(f"\nthe student's pytest and mlpkit grade, public checks of {len(chosen)} release copies:")
        for name, (local, graded, _) in compared.items():
            differ = agreement.disagreements(local, graded)
            checks = sum(len(v) for v in graded.values())
            ok = ok and not differ
            print(f"  {'agree   ' if not differ else 'DISAGREE'} {name:<16} {checks:>3} checks" +
                  (f"  {differ}" if differ else ""))
    print(f"\n{len(seeds)} seeds, {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
