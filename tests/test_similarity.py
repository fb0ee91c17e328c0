"""The similarity report on copies in disguise and independent work
(``support/similarity_corpus.py``), through the real ``grade-batch``.

Copies with every local name renamed, comments dropped and the functions
or methods reordered must be flagged; correct solutions written
independently in other styles must not (and must earn every point, so the
corpus is honest), nor must a student who handed in the release stub.
"""
from __future__ import annotations

import csv
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.engine import Grader
from autograder.reports import similarity

from .support import similarity_corpus as corpus

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cls(tmp_path_factory):
    root = tmp_path_factory.mktemp("similar") / "submitted"
    copies = corpus.make_class(root)
    return root, copies


@pytest.mark.slow
def test_the_corpus_is_correct_code_every_student_but_the_stub_earns_every_point(cls):
    root, _ = cls
    with Grader(source=ROOT / "solutions", stages=list(corpus.STAGES)) as grader:
        for folder in sorted(root.iterdir()):
            report = grader.grade(folder, list(corpus.STAGES), 11)
            failed = [(check.name, check.message[:200]) for check in report.checks() if not check.passed]
            if folder.name == "stub":
                assert report.score == 0
            else:
                assert failed == [], folder.name


@pytest.mark.slow
def test_grade_batch_flags_the_copies_and_only_them(cls, tmp_path):
    root, copies = cls
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-batch", str(root), "--out", str(out), "--seed", "2",
               "--no-progress", "--no-feedback", *(p for s in corpus.STAGES for p in ("--stage", s))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    found = {stage: {tuple(sorted((row["student_a"], row["student_b"]))) for row in rows if row["stage"] == stage}
             for stage in corpus.STAGES}
    assert found == copies
    assert [int(row["rank"]) for row in rows] == list(range(1, len(rows) + 1))
    assert [float(row["similarity"]) for row in rows] == sorted((float(row["similarity"]) for row in rows),
                                                                reverse=True)
    assert all(float(row["similarity"]) >= 0.95 for row in rows)
    page = (out / "similarity.html").read_text()
    assert "Similarity is evidence for a person to weigh, not a verdict" in page
    assert page.index('id="caveat"') < page.index('id="pairs"')
    assert page.count("<mark>") > 10 and page.count('class="side-by-side"') == len(rows)


def _submissions(stage: str) -> dict[str, similarity.Submission]:
    made = {"ada": corpus.solution_answers(stage)}
    for number, style in enumerate(sorted(corpus.INDEPENDENT[stage]), start=1):
        made[f"indie{number}"] = corpus.independent_answers(stage, style)
    return {name: similarity.Submission(name, stage, "", "\n\n\n".join(answers.values()) + "\n")
            for name, answers in made.items()}


@pytest.mark.parametrize("stage", corpus.STAGES)
def test_independent_solutions_stay_well_below_the_threshold(stage):
    from autograder.course import instructor_path
    from autograder.notebooks import read_notebook

    subs = list(_submissions(stage).values())
    given = similarity.boilerplate(read_notebook(instructor_path(ROOT / "solutions", stage)))
    assert similarity.compare(subs, given, threshold=0.5) == []
    copies = subs + [similarity.Submission("bea", stage, "", corpus.disguise(subs[0].code, reorder=True))]
    flagged = similarity.compare(copies, given)
    assert [(pair.a.student, pair.b.student) for pair in flagged] == [("ada", "bea")]
    assert flagged[0].a_regions and flagged[0].b_regions


def test_the_starter_code_never_counts():
    from autograder.course import instructor_path
    from autograder.notebooks import read_notebook

    stage = "04_mlp_class"
    instructor = read_notebook(instructor_path(ROOT / "solutions", stage))
    release = read_notebook(instructor_path(ROOT / "assignments", stage))
    stub = similarity.answers(instructor, release)
    twins = [similarity.Submission(name, stage, "", stub) for name in ("eve", "fox")]
    assert similarity.compare(twins, similarity.boilerplate(instructor), threshold=0.0) == []
    assert similarity.compare(twins, [], threshold=0.5) != []   # without the boilerplate they would match


def test_the_prefilter_keeps_every_pair_above_its_share():
    import random

    rng = random.Random(3)
    universe = list(range(400))
    sets = [set(rng.sample(universe, rng.randrange(20, 120))) for _ in range(25)]
    sets += [set(sets[0]), set(list(sets[1])[:40])]
    expected = [(i, j) for i, j in itertools.combinations(range(len(sets)), 2)
                if len(sets[i] & sets[j]) >= 0.25 * min(len(sets[i]), len(sets[j]))]
    assert similarity.candidates(sets, prefilter=0.25, block=64) == expected
    assert (0, 25) in expected and (1, 26) in expected
