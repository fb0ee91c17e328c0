"""The feedback plots' curves are recorded while grading, and a student
whose code hangs costs at most one time limit per stage.

* The solutions' recorded curves are the reference's (the same set-ups);
  the release stubs get a one-line problem and no curve.
* Nothing runs twice: with the recorder, each stage of the solutions uses
  one session, and the student's XOR training (5000 epochs) is requested
  once, by the instructor's test; the optimiser curves come from one call
  in that same session; moons data that are the reference's numbers are
  the reference's run (not trained again), other data are trained on.
* A student whose ``MLP.forward`` loops forever: the checks that reach it
  fail, those that do not still pass, the time lost to calls that did not
  return is within one check's limit, and no plot training is tried.
* The curves kept in the gradebook draw the same pages when they are
  written again without grading (another ``--hidden``).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from autograder.batch.gradebook import Gradebook
from autograder.batch.run import GRADEBOOK_NAME, run_batch
from autograder.engine import Grader
from autograder.outcomes import Interruption
from autograder.reports.curves import NOT_FINISHED, CurveRecorder, pack, reference_curves, unpack
from autograder.sandbox import Limits

from .support.hostile import builders

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions"
PLOTTED = ["04_mlp_class", "05_moons", "06_extensions"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grader():
    with Grader(source=SOURCE, stages=PLOTTED) as grader:
        yield grader


class SessionCount:
    """Counts the sessions the grader's sandbox starts, per stage."""

    def __init__(self, sandbox):
        self.sandbox, self.started, self.real = sandbox, {}, sandbox.session

    def __enter__(self):
        def counted(name, *args, **kwargs):
            self.started[name] = self.started.get(name, 0) + 1
            return self.real(name, *args, **kwargs)
        self.sandbox.session = counted
        return self

    def __exit__(self, *exc):
        self.sandbox.session = self.real


def test_the_solutions_curves_are_recorded_once_and_are_the_references(grader):
    recorder, transcripts = CurveRecorder(), {}
    with SessionCount(grader.sandbox) as sessions:
        report = grader.grade(SOURCE, PLOTTED, 7, transcripts=transcripts, recorder=recorder)
    assert all(stage.score == stage.max_score - sum(c.max_points for c in stage.checks if c.pending)
               for stage in report.stages)
    assert sessions.started == {stage: 1 for stage in PLOTTED}, "a stage was loaded twice"
    xor = [entry for entry in transcripts["04_mlp_class"]
           if entry["kind"] == "request" and entry["label"] == "MLP.train"
           and entry["message"].get("op") == "call"
           and entry["message"]["kwargs"].get("epochs") == {"t": "int", "v": 5000}]
    assert len(xor) == 1, "the XOR training ran more than once"
    recorded = [(stage, entry["label"]) for stage in ("05_moons", "06_extensions") for entry in transcripts[stage]
                if entry["kind"] == "request" and entry["label"].startswith("__mlpkit")]
    assert recorded == [("05_moons", "__mlpkit_moons"), ("06_extensions", "__mlpkit_curves")]
    for stage in PLOTTED:
        mine, theirs = recorder.curves[stage], reference_curves(stage)
        assert mine["problem"] == ""
        assert sorted(mine["losses"]) == sorted(theirs["losses"]) != []
        for label in theirs["losses"]:
            np.testing.assert_allclose(mine["losses"][label], theirs["losses"][label], rtol=1e-6, atol=1e-9)
    boundary, expected = recorder.curves["05_moons"]["boundary"], reference_curves("05_moons")["boundary"]
    np.testing.assert_allclose(boundary["probability"], expected["probability"], atol=1e-6)
    np.testing.assert_array_equal(boundary["labels"], expected["labels"])
    assert boundary["accuracy"] == pytest.approx(expected["accuracy"])


def test_the_stubs_get_a_problem_and_no_curve(grader):
    recorder = CurveRecorder()
    grader.grade(ROOT / "assignments", PLOTTED, 7, recorder=recorder)
    for stage in PLOTTED:
        assert recorder.curves[stage]["losses"] == {} and recorder.curves[stage]["boundary"] is None
    assert recorder.curves["04_mlp_class"]["problem"] == NOT_FINISHED
    assert recorder.curves["05_moons"]["problem"] == NOT_FINISHED
    assert "Adam is not finished yet" in recorder.curves["06_extensions"]["problem"]


def test_other_moons_data_are_trained_on_in_the_grading_session(grader, tmp_path):
    """A standardize that divides by the variance: the data differ from the
    reference's, so the notebook's network is trained on them, once."""
    variance = builders.edit_answer(builders.solution("05_moons"), "standardize", "std = X_train.std(axis=0)",
                                    "std = X_train.var(axis=0)")
    builders.write(variance, tmp_path, "05_moons")
    recorder, transcripts = CurveRecorder(), {}
    grader.grade(tmp_path, ["05_moons"], 7, transcripts=transcripts, recorder=recorder)
    labels = [entry["label"] for entry in transcripts["05_moons"]
              if entry["kind"] == "request" and entry["label"].startswith("__mlpkit")]
    assert labels == ["__mlpkit_moons", "__mlpkit_curves"]
    mine, theirs = recorder.curves["05_moons"], reference_curves("05_moons")
    assert mine["problem"] == "" and len(mine["losses"]["moons"]) == 2000
    assert not np.allclose(mine["losses"]["moons"], theirs["losses"]["moons"])
    np.testing.assert_allclose(mine["boundary"]["std"], theirs["boundary"]["std"] ** 2)


def test_a_missing_notebook_is_said_in_the_curves(grader, tmp_path):
    builders.write(builders.solution("04_mlp_class"), tmp_path, "04_mlp_class")
    recorder = CurveRecorder()
    grader.grade(tmp_path, PLOTTED, 7, recorder=recorder)
    assert recorder.curves["04_mlp_class"]["losses"]["XOR"]
    assert recorder.curves["05_moons"]["problem"] == "no 05_moons.ipynb found in the submission"


def test_a_forward_pass_that_never_returns_costs_one_time_limit(tmp_path):
    limits = Limits(call_seconds=1.0, check_seconds=6.0, load_seconds=30, submission_seconds=300)
    hanging = builders.edit_answer(builders.solution("04_mlp_class"), "mlp_class", 'self.cache = {"A0": X}',
                                   'while True:\n            pass\n        self.cache = {"A0": X}')
    builders.write(hanging, tmp_path, "04_mlp_class")
    recorder = CurveRecorder()
    with Grader(limits, source=SOURCE, stages=["04_mlp_class"]) as grader, SessionCount(grader.sandbox):
        stage = grader.grade(tmp_path, ["04_mlp_class"], 7, recorder=recorder).stages[0]
    by_name = {check.name.split(" ", 1)[1]: check for check in stage.checks}
    timed_out = [check for check in stage.checks if check.interruption is Interruption.CALL_TIME_LIMIT]
    assert sum(check.seconds for check in timed_out) <= limits.check_seconds + 2.0
    assert by_name["test_mlp_forward"].interruption is Interruption.CALL_TIME_LIMIT
    assert "did not return earlier in this stage" in by_name["MLP.forward with mixed activations"].message
    for passing in ("test_mlp_init", "test_mlp_compute_loss", "test_mlp_update_parameters",
                    "MLP initialisation of random architectures"):
        assert by_name[passing].passed, by_name[passing].message
    assert recorder.curves["04_mlp_class"]["problem"].startswith("your code did not return in time")


def test_pack_keeps_what_the_plots_draw(grader):
    recorder = CurveRecorder()
    grader.grade(SOURCE, ["05_moons"], 7, recorder=recorder)
    curves = {**recorder.curves, "04_mlp_class": {"losses": {}, "boundary": None, "problem": NOT_FINISHED}}
    back = unpack(pack(curves))
    assert back["04_mlp_class"] == curves["04_mlp_class"]
    moons, again = curves["05_moons"], back["05_moons"]
    np.testing.assert_allclose(again["losses"]["moons"], moons["losses"]["moons"], rtol=1e-6)
    for name in ("points", "mean", "std", "probability"):
        np.testing.assert_allclose(again["boundary"][name], moons["boundary"][name], rtol=1e-6)
    np.testing.assert_array_equal(again["boundary"]["labels"], moons["boundary"]["labels"])
    assert again["boundary"]["accuracy"] == moons["boundary"]["accuracy"]


def test_pages_written_again_without_grading_keep_their_plots(tmp_path):
    root, out = tmp_path / "class", tmp_path / "graded"
    for name in ("ann", "bob"):
        builders.write(builders.solution("05_moons"), root / name, "05_moons")
    run_batch(root, out, SOURCE, stages=["05_moons"], jobs=1, seed=4, progress=False)
    page = out / "ann" / "feedback" / "05_moons.html"
    first = page.read_text()
    images = re.findall(r"<img [^>]*alt=\"([^\"]*)\"", first)
    assert len(images) >= 2 and "were not computed" not in first
    with Gradebook(out / GRADEBOOK_NAME) as book:
        assert book.curves("ann") is not None
    again = run_batch(root, out, SOURCE, stages=["05_moons"], jobs=1, progress=False, hidden="points")
    assert again.graded == 0 and again.rendered == 2
    assert re.findall(r"<img [^>]*alt=\"([^\"]*)\"", page.read_text()) == images
