"""Mutation testing of the checks (tools/mutation.py): a fixed, seeded
sample of mutants of the solution regions, graded for real.  The full run
(every mutant) is ``python tools/mutation.py``; its latest figure is in
docs/grading.md."""
from autograder.course import STAGES
from autograder.engine import Grader
from tools import mutation

SAMPLE, SEED = 30, 2024


def test_every_stage_has_mutants_of_every_kind():
    mutants = [m for stage in STAGES for m in mutation.mutants_of(stage)]
    assert {m.stage for m in mutants} == set(STAGES)
    assert {"operator", "constant", "axis", "transpose", "comparison", "keepdims", "call"} <= \
        {m.operator for m in mutants}
    assert all("BEGIN SOLUTION" in m.source for m in mutants)


def test_the_oracle_sees_no_difference_between_the_solution_and_itself():
    source = mutation.course_source()
    with Grader(mutation.LIMITS, source=source, stages=["03_backprop"]) as grader:
        log = {}
        grader.grade(source / "03_backprop", stages=["03_backprop"], seed=5, transcripts=log)
        notebook = mutation.json.loads(mutation.instructor_path(source, "03_backprop").read_text())
        cells = mutation.cells_of(grader, "03_backprop", notebook)
        assert len(log["03_backprop"]) > 10
        assert mutation.replay_differs(grader, "03_backprop", cells, log["03_backprop"]) == ""


def test_a_sample_of_mutants_is_caught():
    report = mutation.run(size=SAMPLE, seed=SEED)
    assert len(report.results) == SAMPLE
    assert {r.mutant.stage for r in report.results} == set(STAGES)
    missed = [r.mutant.label for r in report.results if r.changed and not r.caught]
    assert report.score >= 0.9, mutation.format_report(report)
    assert len(report.changed) >= SAMPLE * 0.8, missed
