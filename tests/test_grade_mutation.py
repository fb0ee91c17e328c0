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


def test_only_the_details_the_policy_leaves_free_are_free():
    """The clipping epsilon within its range and the plot's grid, margin,
    size and levels; never an operator, nor an index, nor an epsilon out of range."""
    mutants = [m for stage in STAGES for m in mutation.mutants_of(stage)]
    free = {m.label for m in mutants if mutation.free_detail(m)}
    assert "03_backprop binary_cross_entropy:18 1e-15 -> 2e-15" in free
    assert "05_moons plot_decision_boundary:21 200 -> 201" in free
    assert all(m.operator == "constant" for m in mutants if mutation.free_detail(m))
    assert not any("plot_decision_boundary" in label and ("0 -> 1" in label or "1 -> 2" in label)
                   and ":21" in label for label in free)
    assert len(free) <= 16


def test_a_sample_of_mutants_is_caught():
    report = mutation.run(size=SAMPLE, seed=SEED)
    assert len(report.results) == SAMPLE
    assert {r.mutant.stage for r in report.results} == set(STAGES)
    missed = [r.mutant.label for r in report.results if r.changed and not r.caught]
    assert report.score >= 0.9, mutation.format_report(report)
    assert not [r.mutant.label for r in report.free if r.caught], "a change the policy leaves free cost points"
    assert len(report.changed) >= SAMPLE * 0.8, missed
