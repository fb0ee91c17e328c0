"""Similarity speed: the kit's prefiltered comparison against copydetect
comparing every pair, on one stage of a large class.

Builds ``--students`` submissions of stage 4 (``04_mlp_class``): with
``--kind copies`` each is a disguised copy (renamed, comments dropped, half
of them with the methods reordered) of one of three correct solutions, the
worst case, where most pairs really match; with ``--kind distinct`` each
student's code is made different by renaming every local variable at
random and keeping only part of the class's methods done, so that few pairs
pass the prefilter.  Then times, in one run each:

* ``reports.similarity.compare``: the prefilter (one matrix product)
  and copydetect's ``compare_files`` on the candidate pairs;
* copydetect's ``compare_files`` on every pair, as ``CopyDetector`` does;

and prints both times, their ratio and whether they report the same pairs.

    python benchmarks/bench_similarity.py [--students 300] [--kind copies|distinct]
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course import instructor_path  # noqa: E402
from autograder.notebooks import read_notebook  # noqa: E402
from autograder.reports import similarity  # noqa: E402
from tests.support import similarity_corpus as corpus  # noqa: E402

STAGE = "04_mlp_class"


def submissions(count: int, kind: str, seed: int = 1) -> list:
    rng = random.Random(seed)
    bases = [corpus.solution_answers(STAGE)] + [corpus.independent_answers(STAGE, style)
                                               for style in sorted(corpus.INDEPENDENT[STAGE])]
    made = []
    for number in range(count):
        base = rng.choice(bases)
        renames = {name: f"{name}_{rng.randrange(10 ** 6)}" for name in corpus.RENAMES}
        code = "\n\n".join(corpus.disguise(source, renames, reorder=rng.random() < 0.5) for source in base.values())
        if kind == "distinct":   # keep a random part of the lines: students at different points of the work
            lines = code.splitlines()
            code = "\n".join(line for line in lines if rng.random() < 0.5 or not line.strip())
        made.append(similarity.Submission(f"s{number:03d}", STAGE, "", code))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--kind", choices=["copies", "distinct"], default="copies")
    args = parser.parse_args()
    from copydetect import compare_files
    from copydetect.utils import filter_code, get_document_fingerprints

    subs = submissions(args.students, args.kind)
    given = similarity.boilerplate(read_notebook(instructor_path(ROOT / "solutions", STAGE)))

    started = time.perf_counter()
    kit = similarity.compare(subs, given)
    kit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    boiler = set()
    for text in given:
        boiler |= get_document_fingerprints(filter_code(text, "given.py")[0], similarity.NOISE, 1)[0]
    prints = [similarity._fingerprint(s.code, list(boiler)) for s in subs]
    every = set()
    for i, j in itertools.combinations(range(len(subs)), 2):
        overlap, shares, _ = compare_files(prints[i], prints[j])
        if overlap >= similarity.MIN_OVERLAP and max(shares) >= similarity.THRESHOLD:
            every.add((subs[i].student, subs[j].student))
    all_seconds = time.perf_counter() - started

    found = {(pair.a.student, pair.b.student) for pair in kit}
    print(f"{args.students} students of {STAGE} ({args.kind}): {len(found)} pairs reported")
    print(f"  kit (prefilter + copydetect):  {kit_seconds:7.2f} s")
    print(f"  copydetect, every pair:        {all_seconds:7.2f} s")
    print(f"  ratio: {all_seconds / kit_seconds:.1f}x; same pairs: {found == every}")


if __name__ == "__main__":
    main()
