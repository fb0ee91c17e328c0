"""How the reports present results: one reason for a notebook not graded,
aligned arrays, readable plot fonts, and series told apart without colour."""
from __future__ import annotations

import numpy as np

from autograder.outcomes import CheckResult, GradeReport, Interruption, StageResult, StageStatus
from autograder.reports import charts, class_report, feedback
from autograder.reports.table import table
from autograder.reports.text import align_arrays

REASON = "no 02_forward_pass.ipynb found in the submission"


def _missing_report() -> GradeReport:
    checks = [CheckResult("02_forward_pass", f"02_forward_pass check {n}", 0.0, 2.0, "public", False,
                          message=REASON, interruption=Interruption.NO_NOTEBOOK) for n in range(4)]
    return GradeReport("sub", 1, [StageResult("02_forward_pass", status=StageStatus.MISSING, checks=checks,
                                              problems=[REASON])])


def test_a_missing_notebook_is_said_once_in_the_table_and_on_the_page():
    text = table(_missing_report())
    assert text.count(REASON) == 1 and "not graded (missing)" in text
    page = feedback.stage_page("sub", "02_forward_pass", _missing_report().stages[0], None, None)
    assert page.count("02_forward_pass.ipynb") == 1 and 'id="not-graded"' in page
    assert page.count(feedback.NOT_RUN) == 4


def test_multi_row_arrays_stay_aligned_under_their_label():
    message = "wrong.\n  expected: [[1., 2.],\n [3., 4.]]\n  got:      [[0., 2.],\n [3., 4.]]\nHint: x"
    lines = align_arrays(message).splitlines()
    assert lines[2].index("[3.") == lines[1].index("[1.") and lines[4].index("[3.") == lines[3].index("[0.")
    assert lines[-1] == "Hint: x"
    assert align_arrays("no arrays [1, 2]\n [3]") == "no arrays [1, 2]\n [3]"


def test_plot_text_is_at_least_13_px_and_series_differ_by_more_than_colour():
    curves = {name: list(np.linspace(1.0, 0.1 * (i + 1), 50)) for i, name in enumerate(("Momentum", "RMSprop", "Adam"))}
    boundary = {"points": np.random.default_rng(0).normal(size=(40, 2)), "labels": np.arange(40) % 2,
                "probability": np.linspace(0, 1, 100 * 100).reshape(100, 100), "accuracy": 0.9}
    row = {"stage": "01_activations", "max_score": 20, "scores": [0, 10, 20, 20], "handed_in": 4, "median": 15,
           "full_marks": 2, "zero": 1}
    with charts.style():
        figures = [feedback.loss_figure(curves, curves, "t"), feedback.boundary_figure(boundary, "t"),
                   class_report.score_figure(row)]
        for made in figures:
            assert charts.smallest_font_px(made) >= charts.MIN_FONT_PX
        lines = figures[0].axes[0].get_lines()
        assert len({(line.get_linestyle(), line.get_marker()) for line in lines}) == len(lines) == 6
        markers = {collection.get_label(): collection for collection in figures[1].axes[0].collections
                   if collection.get_label().startswith("class")}
        assert set(markers) == {"class 0", "class 1"}


def test_text_alternatives_say_what_the_plot_shows():
    alt = feedback.describe_losses({"XOR": [0.69, 0.3, 0.05]}, {"XOR": [0.69, 0.3, 0.05]})
    assert alt == ("Line chart of the training loss per epoch. Your loss falls from 0.69 to 0.05 in 3 epochs "
                   "and lies on the reference's.")
    assert "becomes NaN at epoch 2" in feedback.describe_losses({"XOR": [0.7, 0.5, float("nan")]}, {})
